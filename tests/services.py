"""Real servers for integration tests, started through deploy/local/services.sh.

With CI=true a server that cannot start fails the run; elsewhere, without Java or
Maven, the tests that need it are skipped with a reason that says how to get them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from core.settings import Settings

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "deploy" / "local" / "services.sh"
KAFKA_URL = f"kafka://127.0.0.1:{os.environ.get('MITTARI_KAFKA_PORT', '9092')}"
ES_URL = f"http://127.0.0.1:{os.environ.get('MITTARI_ES_PORT', '9200')}"

_started: dict[str, bool] = {}
_failed: dict[str, str] = {}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def require(service: str) -> None:
    """Start a server once per session, or skip (fail in CI) saying why."""
    if service in _started:
        return
    if service in _failed:
        _give_up(_failed[service])
    for tool in ("java", "mvn"):
        if shutil.which(tool) is None:
            _failed[service] = (
                f"{service} needs {tool}: apt-get install openjdk-17-jdk-headless maven, then `make services`"
            )
            _give_up(_failed[service])
    was_running = (
        f"{service}: running"
        in subprocess.run([str(SCRIPT), "status"], capture_output=True, text=True, check=False).stdout
    )
    done = subprocess.run([str(SCRIPT), "start", service], capture_output=True, text=True, check=False, timeout=900)
    if done.returncode != 0:
        _failed[service] = f"{service} did not start (deploy/local/services.sh start {service}):\n{done.stderr[-3000:]}"
        _give_up(_failed[service])
    _started[service] = not was_running


CKAN_ENV = REPO / "var" / "services" / "ckan" / "env"
CKAN_PID = REPO / "var" / "services" / "ckan" / "ckan.pid"


def ckan_settings(settings: Settings) -> Settings:
    """Settings pointing at the development CKAN (started if needed), with a fresh dataset prefix."""
    values = _ckan_env()
    return settings.with_overrides(
        namespace=namespace(),
        ckan_url=values["MITTARI_CKAN_URL"],
        ckan_token=values["MITTARI_CKAN_TOKEN"],
        ckan_org=values["MITTARI_CKAN_ORG"],
    )


def ckan_url() -> str:
    return _ckan_env()["MITTARI_CKAN_URL"]


def _ckan_env() -> dict[str, str]:
    """The development CKAN's settings, as deploy/local/services.sh wrote them (started if needed)."""
    require("ckan")
    return dict(line.split("=", 1) for line in CKAN_ENV.read_text().splitlines() if "=" in line)


def kill_ckan() -> None:
    """SIGKILL the CKAN web process (a crash, not a shutdown); PostgreSQL and Solr stay up."""
    pid = int(CKAN_PID.read_text())
    os.kill(pid, signal.SIGKILL)
    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)


def start_ckan() -> None:
    done = subprocess.run([str(SCRIPT), "start", "ckan"], capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


BROWSER_SCRIPT = REPO / "deploy" / "local" / "browser.sh"


def browser_tools() -> dict[str, str]:
    """Chromium, chromedriver and axe-core, installed by deploy/local/browser.sh (skip, or fail in CI)."""
    if "browser" in _failed:
        _give_up(_failed["browser"])
    done = subprocess.run([str(BROWSER_SCRIPT)], capture_output=True, text=True, check=False, timeout=900)
    if done.returncode != 0:
        _failed["browser"] = f"browser tools did not install (deploy/local/browser.sh):\n{done.stderr[-3000:]}"
        _give_up(_failed["browser"])
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


def stop_started() -> None:
    """Stop what this session started; leave alone servers a developer had running."""
    for service, started_here in _started.items():
        if started_here:
            subprocess.run([str(SCRIPT), "stop", service], capture_output=True, check=False, timeout=120)


def _give_up(reason: str) -> None:
    if in_ci():
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def namespace() -> str:
    """A fresh namespace per test: topics, groups and indices that no other test sees."""
    return "t" + uuid.uuid4().hex[:10]


def drop_namespace(ns: str) -> None:
    """Delete a test's Kafka topics and Elasticsearch indices."""
    if "kafka" in _started:
        from ingest.kafka_log import delete_topics

        delete_topics(KAFKA_URL, ns)
    if "elasticsearch" in _started:
        from elasticsearch import Elasticsearch

        es = Elasticsearch(ES_URL)
        try:
            es.indices.delete(index=f"{ns}-*", allow_no_indices=True, expand_wildcards="all")
        finally:
            es.close()


def backend_settings(settings: Settings, log_backend: str, index_backend: str) -> Settings:
    changes: dict[str, object] = {}
    if log_backend == "kafka" or index_backend == "elasticsearch":
        changes["namespace"] = namespace()
    if log_backend == "kafka":
        require("kafka")
        changes["event_log"] = KAFKA_URL
    if index_backend == "elasticsearch":
        require("elasticsearch")
        changes["search"] = ES_URL
    return settings.with_overrides(**changes)
