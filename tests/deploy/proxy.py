"""The local nginx front (deploy/local/nginx.sh) and `mittari serve` as real processes, for the deploy tests."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.builders import T0, feedback_item
from tests.services import in_ci

REPO = Path(__file__).resolve().parents[2]
NGINX_SH = REPO / "deploy" / "local" / "nginx.sh"
MITTARI = [sys.executable, "-c", "from mittari import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nginx_binary() -> str:
    """nginx, installed from Debian by the project script when missing; skips (fails in CI) when it cannot be."""
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if found:
        return found
    done = subprocess.run([str(NGINX_SH), "install"], capture_output=True, text=True, check=False, timeout=600)
    if done.returncode == 0 and done.stdout.strip():
        return done.stdout.strip().splitlines()[-1]
    message = (
        f"nginx is not installed and deploy/local/nginx.sh install failed (run it as root):\n{done.stderr[-2000:]}"
    )
    if in_ci():
        pytest.fail(message)
    pytest.skip(message)


def demo_data(data: Path) -> dict[str, str]:
    """A data folder with a few ingested feedback items; the environment that serves it."""
    env = {**os.environ, "MITTARI_DATA_DIR": str(data), "MITTARI_LOG_LEVEL": "WARNING"}
    events = data.parent / "events.jsonl"
    events.write_text("\n".join(json.dumps(e) for i in range(12) for e in feedback_item(f"fb-{i}", T0, 2)) + "\n")
    subprocess.run([*MITTARI, "import", "events", str(events)], env=env, check=True, capture_output=True)
    subprocess.run([*MITTARI, "ingest", "--once"], env=env, check=True, capture_output=True)
    return env


def wait_until_up(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (OSError, urllib.error.HTTPError):
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {seconds} s")


def start_serve(env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    server = subprocess.Popen(
        [*MITTARI, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz")
    except AssertionError:
        server.kill()
        raise
    return server


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
