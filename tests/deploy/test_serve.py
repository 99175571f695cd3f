"""`mittari serve` as deployed: gunicorn settings that match the nginx front, and instances side by side."""

from __future__ import annotations

import re
import urllib.request

from api.cli import gunicorn_settings
from tests.deploy.proxy import REPO, demo_data, free_port, start_serve, stop


def _nginx_seconds(text: str, directive: str) -> int:
    found = {int(m) for m in re.findall(rf"^\s*{directive}\s+(\d+)s;", text, re.MULTILINE)}
    assert len(found) == 1, f"{directive}: {found}"
    return found.pop()


def test_gunicorn_settings_match_the_proxy():
    chosen = gunicorn_settings("127.0.0.1", 8000, 2)
    site = (REPO / "deploy/nginx/mittari.conf").read_text()
    rules = (REPO / "deploy/nginx/mittari-proxy.conf").read_text()
    local = (REPO / "deploy/nginx/local.conf.in").read_text()
    assert chosen["worker_class"] == "gthread" and chosen["threads"] > 1
    # nginx closes idle upstream connections before gunicorn does, so it never reuses one being closed
    assert _nginx_seconds(site, "keepalive_timeout") == _nginx_seconds(local, "keepalive_timeout")
    assert _nginx_seconds(site, "keepalive_timeout") < chosen["keepalive"]
    # nginx gives up on a request when gunicorn would replace a stuck worker
    assert _nginx_seconds(rules, "proxy_read_timeout") == chosen["timeout"]
    assert chosen["graceful_timeout"] < 90  # systemd's default stop timeout
    assert chosen.get("control_socket_disable") is True


def test_two_instances_on_one_host_run_side_by_side(tmp_path):
    """Both answer, and neither leaves a per-user control socket another instance would replace."""
    env = {**demo_data(tmp_path / "data"), "HOME": str(tmp_path / "home")}
    ports = [free_port(), free_port()]
    first = start_serve(env, ports[0])
    try:
        second = start_serve(env, ports[1])
        try:
            for port in ports:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/feedback/fb-1", timeout=5) as response:
                    assert response.status == 200
            assert not (tmp_path / "home" / ".gunicorn").exists()
        finally:
            stop(second)
        with urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/healthz", timeout=5) as response:
            assert response.status == 200  # stopping one leaves the other serving
    finally:
        stop(first)
