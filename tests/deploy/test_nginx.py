"""The nginx front proxy: the production configuration is valid, and the local one (same proxy rules) buffers
slow clients, limits request rates with a problem+json 429, caches /v1 answers as the API's Cache-Control says,
compresses, and serves static files itself."""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.deploy.proxy import NGINX_SH, REPO, demo_data, free_port, nginx_binary, start_serve, stop, wait_until_up


def self_signed(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=mittari.test",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_the_production_configuration_passes_nginx_t(tmp_path):
    nginx = nginx_binary()
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed for a test certificate: apt-get install openssl")
    cert, key = self_signed(tmp_path)
    site = (REPO / "deploy/nginx/mittari.conf").read_text()
    for real, local in {
        "/etc/letsencrypt/live/mittari.example-city.fi/fullchain.pem": str(cert),
        "/etc/letsencrypt/live/mittari.example-city.fi/privkey.pem": str(key),
        "/etc/nginx/snippets/mittari-proxy.conf": str(REPO / "deploy/nginx/mittari-proxy.conf"),
        "/var/cache/nginx/mittari": str(tmp_path / "cache"),
        "/var/log/nginx": str(tmp_path),
    }.items():
        assert real in site, f"{real} is no longer in mittari.conf: update this test and the README"
        site = site.replace(real, local)
    (tmp_path / "mittari.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\nevents {{}}\n"
        f"http {{\n  include /etc/nginx/mime.types;\n  include {tmp_path}/mittari.conf;\n}}\n"
    )
    done = subprocess.run(
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "syntax is ok" in done.stderr and "test is successful" in done.stderr
    assert "[emerg]" not in done.stderr


@pytest.fixture(scope="module")
def proxy(tmp_path_factory) -> Iterator[str]:
    """`mittari serve` (two gthread workers, as deployed) behind the local nginx, each on a free loopback port."""
    nginx_binary()
    data = tmp_path_factory.mktemp("proxied") / "data"
    env = demo_data(data)
    upstream, port = free_port(), free_port()
    server = start_serve(env, upstream, workers=2)
    nginx_env = {
        **os.environ,
        "MITTARI_NGINX_PORT": str(port),
        "MITTARI_NGINX_UPSTREAM_PORT": str(upstream),
        # under the repository: the nginx workers (nobody, when started as root) cannot enter pytest's private tmp
        "MITTARI_NGINX_DIR": str(REPO / "var" / "services" / f"nginx-test-{os.getpid()}"),
    }
    started = subprocess.run([str(NGINX_SH), "start"], env=nginx_env, capture_output=True, text=True, check=False)
    try:
        assert started.returncode == 0, started.stderr
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
        yield f"127.0.0.1:{port}"
    finally:
        subprocess.run([str(NGINX_SH), "stop"], env=nginx_env, capture_output=True, check=False)
        shutil.rmtree(nginx_env["MITTARI_NGINX_DIR"], ignore_errors=True)
        stop(server)


def get(address: str, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    host, port = address.split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=5)
    connection.request("GET", path, headers=headers or {})
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


def test_healthz_keeps_answering_while_50_clients_send_headers_slowly(proxy):
    """50 sockets each send a request line and then one header byte every 2 s (a slowloris).

    This checks that the proxy buffers requests, not how fast it is: the 1 s bound is generous on
    purpose (a loaded 2-core machine), and `/healthz` through nginx must stay within it throughout.
    """
    host, port = proxy.split(":")
    stop_sending = threading.Event()
    sockets = []
    for _ in range(50):
        s = socket.create_connection((host, int(port)), timeout=5)
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: mittari.test\r\n")
        sockets.append(s)

    def trickle() -> None:
        while not stop_sending.wait(2):
            for s in sockets:
                with contextlib.suppress(OSError):
                    s.sendall(b"X")

    sender = threading.Thread(target=trickle, daemon=True)
    sender.start()
    latencies = []
    try:
        deadline = time.monotonic() + 7
        while time.monotonic() < deadline:
            started = time.monotonic()
            response = get(proxy, "/healthz")
            latencies.append(time.monotonic() - started)
            assert response.status == 200 and json.loads(response.body) == {"status": "ok"}
            time.sleep(0.25)
    finally:
        stop_sending.set()
        sender.join(timeout=5)
        for s in sockets:
            s.close()
    print(f"/healthz through nginx beside 50 slow clients: {len(latencies)} probes, max {max(latencies) * 1000:.0f} ms")
    assert len(latencies) >= 10
    assert max(latencies) < 1.0


def test_static_files_come_from_nginx_itself(proxy):
    response = get(proxy, "/static/mittari.css")
    assert response.status == 200 and response.getheader("Content-Type") == "text/css"
    assert response.body == (REPO / "api/static/mittari.css").read_bytes()
    assert response.getheader("X-Request-Id") is None  # the app sets one on every answer it gives
    assert response.getheader("Cache-Control") == "max-age=3600"


def test_api_answers_are_cached_as_their_cache_control_says(proxy):
    first = get(proxy, "/v1/indicators")
    second = get(proxy, "/v1/indicators")
    assert first.status == second.status == 200
    assert "max-age=60" in first.getheader("Cache-Control")
    assert first.getheader("X-Cache-Status") in ("MISS", "EXPIRED")
    assert second.getheader("X-Cache-Status") == "HIT" and second.body == first.body
    csv = get(proxy, "/v1/indicators", {"Accept": "text/csv"})  # Vary: Accept keeps the CSV apart
    assert csv.getheader("Content-Type").startswith("text/csv")
    for _ in range(2):
        status = get(proxy, "/v1/status")
        assert status.getheader("Cache-Control") == "no-store" and status.getheader("X-Cache-Status") != "HIT"


def test_conditional_requests_are_answered_304_through_the_proxy(proxy):
    """From nginx's cache (/v1/) and from the app through nginx (pages); gzip keeps the tag as the app made it."""
    tags = {}
    for path in ("/v1/indicators?service=171", "/fi/"):
        first = get(proxy, path)
        tag = tags[path] = first.getheader("ETag")
        assert first.status == 200 and tag.startswith('W/"'), (path, tag)
        again = get(proxy, path, {"If-None-Match": tag})
        assert again.status == 304 and again.body == b"" and again.getheader("ETag") == tag, path
        assert get(proxy, path, {"If-None-Match": 'W/"not-it"'}).status == 200
    zipped = get(proxy, "/v1/indicators?service=171", {"Accept-Encoding": "gzip"})
    assert (
        zipped.getheader("Content-Encoding") == "gzip"
        and zipped.getheader("ETag") == tags["/v1/indicators?service=171"]
    )


def test_json_is_compressed(proxy):
    response = get(proxy, "/v1/search?size=50", {"Accept-Encoding": "gzip"})
    assert response.status == 200 and response.getheader("Content-Encoding") == "gzip"
    assert "items" in json.loads(gzip.decompress(response.body))


def test_the_api_rate_limit_answers_429_problem_json(proxy):
    """Runs last in this file: it uses up this client's API allowance."""
    first = get(proxy, "/v1/status")
    assert first.status == 200
    # 120 requests from 8 threads at once: well past 10/s plus a burst of 20 even on a loaded machine
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(lambda _: get(proxy, "/v1/status"), range(120)))
    statuses = Counter(r.status for r in responses)
    assert set(statuses) <= {200, 429} and statuses[429] > 0 and statuses[200] > 0, statuses
    refused = next(r for r in responses if r.status == 429)
    assert refused.getheader("Content-Type") == "application/problem+json"
    assert refused.getheader("Retry-After") == "1"
    problem = json.loads(refused.body)
    assert problem["status"] == 429 and problem["title"] == "Too Many Requests"
    assert get(proxy, "/healthz").status == 200  # probes are never limited
