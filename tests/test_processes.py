"""The long-running commands as real processes: the worker stops cleanly on SIGTERM, serve answers HTTP."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from core.settings import load_settings
from ingest.log import open_log
from ingest.worker import GROUP
from tests.builders import T0, feedback_item

MITTARI = [sys.executable, "-c", "from mittari import main; main()"]


def _env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "MITTARI_DATA_DIR": str(data_dir), "MITTARI_LOG_LEVEL": "INFO"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_ingest_runs_until_sigterm_then_commits_and_exits(tmp_path):
    data = tmp_path / "data"
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(e) for i in range(30) for e in feedback_item(f"fb-{i}", T0, 2)) + "\n")
    subprocess.run([*MITTARI, "import", "events", str(events)], env=_env(data), check=True, capture_output=True)
    worker = subprocess.Popen([*MITTARI, "ingest"], env=_env(data), stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 30
        log = open_log(load_settings({}, data_dir=str(data)))
        while log.committed(GROUP, ["feedback"])[("feedback", 0)] < 120 and time.monotonic() < deadline:
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        _, stderr = worker.communicate(timeout=30)
    finally:
        worker.kill()
    assert worker.returncode == 0, stderr
    assert log.committed(GROUP, ["feedback"])[("feedback", 0)] == 120
    assert "indexed 120 events" in stderr
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert any(line["msg"] == "batch indexed" and line["indexed"] == 120 for line in lines)


def test_serve_answers_with_gunicorn(tmp_path):
    data = tmp_path / "data"
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(e) for e in feedback_item("fb-1", T0, 2)) + "\n")
    subprocess.run([*MITTARI, "import", "events", str(events)], env=_env(data), check=True, capture_output=True)
    subprocess.run([*MITTARI, "ingest", "--once"], env=_env(data), check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(
        [*MITTARI, "serve", "--port", str(port), "--workers", "1"],
        env=_env(data),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = None
        deadline = time.monotonic() + 30
        while body is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/feedback/fb-1", timeout=2) as response:
                    body = json.loads(response.read())
            except OSError:
                time.sleep(0.2)
        assert body is not None and body["status"] == "resolved"
    finally:
        server.terminate()
        server.wait(timeout=30)
