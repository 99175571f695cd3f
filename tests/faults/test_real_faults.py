"""Faults against the real servers: index down, worker killed, broker restarted, garbage on the log, two workers.

Each test ends by comparing the whole index with what the embedded pipeline
builds from the same events: no loss, no duplicates.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from typing import Any

import pytest

from ingest.demo_data import generate
from ingest.events import encode_event
from ingest.importer import append_events
from ingest.log import Outgoing, lag, open_log
from ingest.worker import GROUP, Worker
from search.index import open_index
from tests import services
from tests.ingest.test_worker import snapshot

pytestmark = pytest.mark.integration

TOPICS = ["feedback", "service", "governance"]
EVENTS = list(generate(6000, seed=3, until=date(2026, 1, 1)))


@pytest.fixture(scope="module")
def expected(tmp_path_factory) -> dict[str, Any]:
    from core.settings import load_settings

    settings = load_settings({}, data_dir=str(tmp_path_factory.mktemp("expected")))
    log, index = open_log(settings), open_index(settings)
    append_events(log, ((str(i), e) for i, e in enumerate(EVENTS)))
    Worker(log, index).run(until_caught_up=True)
    state = snapshot(index)
    log.close()
    index.close()
    return state


@pytest.fixture
def real(make_settings):
    return make_settings("kafka", "elasticsearch")


def wait_until(predicate, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def run_in_thread(worker: Worker) -> threading.Thread:
    thread = threading.Thread(target=worker.run, kwargs={"idle_wait": 0.5, "max_backoff": 2.0}, daemon=True)
    thread.start()
    return thread


def finish(worker: Worker, thread: threading.Thread) -> None:
    worker.stop.set()
    thread.join(timeout=120)
    assert not thread.is_alive()


def first_half_running(real):
    """The first half of the events on the log and a worker ingesting them in a thread."""
    log, index = open_log(real), open_index(real)
    half = len(EVENTS) // 2
    append_events(log, ((str(i), e) for i, e in enumerate(EVENTS[:half])))
    worker = Worker(log, index, batch_size=500)
    return log, index, worker, run_in_thread(worker), half


def test_elasticsearch_down_mid_ingest(real, expected):
    log, index, worker, thread, half = first_half_running(real)
    try:
        wait_until(lambda: lag(log, GROUP, TOPICS) == 0, 120, "the first half")
        subprocess.run([str(services.SCRIPT), "stop", "elasticsearch"], check=True, capture_output=True)
        append_events(log, ((str(i), e) for i, e in enumerate(EVENTS[half:], start=half)))
        waiting = lag(log, GROUP, TOPICS)
        time.sleep(6)  # the worker retries meanwhile
        assert lag(log, GROUP, TOPICS) == waiting > 0  # ...and commits nothing
        assert thread.is_alive()
        subprocess.run([str(services.SCRIPT), "start", "elasticsearch"], check=True, capture_output=True)
        wait_until(lambda: lag(log, GROUP, TOPICS) == 0, 180, "catching up after the restart")
    finally:
        finish(worker, thread)
    assert snapshot(index) == expected
    log.close()
    index.close()


def test_worker_killed_mid_batch_then_restarted(real, expected):
    log = open_log(real)
    append_events(log, ((str(i), e) for i, e in enumerate(EVENTS)))
    env = {
        **os.environ,
        "MITTARI_EVENT_LOG": real.event_log,
        "MITTARI_SEARCH": real.search,
        "MITTARI_NAMESPACE": real.namespace,
        "MITTARI_BATCH_SIZE": "300",
        "MITTARI_REMOTE_BATCH_SIZE": "300",  # the index is remote: small batches, so there is a middle to kill in
        "MITTARI_DATA_DIR": str(real.data_dir),
    }
    command = [sys.executable, "-c", "from mittari import main; main()", "ingest"]
    worker = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # kill -9 once it has committed something but is far from done
        wait_until(lambda: 0 < lag(log, GROUP, TOPICS) < len(EVENTS) - 600, 120, "some batches")
    finally:  # also when the wait fails: a worker left running would hold the next tests' topics
        worker.send_signal(signal.SIGKILL)
        worker.communicate(timeout=30)
    assert lag(log, GROUP, TOPICS) > 0
    subprocess.run([*command, "--once"], env=env, check=True, capture_output=True, timeout=300)
    assert lag(log, GROUP, TOPICS) == 0
    index = open_index(real)
    assert snapshot(index) == expected
    counters = index.stats()["counters"]
    assert counters["events_indexed"] == len(EVENTS)  # every event folded in exactly once
    log.close()
    index.close()


def test_kafka_broker_restart_mid_ingest(real, expected, caplog):
    # each batch's offsets, the group's assignments and the client's own messages, for the report if events go missing
    caplog.set_level(logging.INFO, logger="ingest")
    log, index, worker, thread, half = first_half_running(real)
    try:
        wait_until(lambda: lag(log, GROUP, TOPICS) < half, 120, "ingestion to start")
        subprocess.run([str(services.SCRIPT), "stop", "kafka"], check=True, capture_output=True)
        time.sleep(2)
        subprocess.run([str(services.SCRIPT), "start", "kafka"], check=True, capture_output=True)
        append_events(log, ((str(i), e) for i, e in enumerate(EVENTS[half:], start=half)))
        wait_until(lambda: lag(log, GROUP, TOPICS) == 0, 240, "catching up after the broker restart")
    finally:
        finish(worker, thread)
    # if events go missing, this tells the producer's side (the log lacks them) from the consumer's (it skipped them)
    held = sum(log.end_offsets(TOPICS).values())
    assert held == len(EVENTS), f"the log holds {held} records of the {len(EVENTS)} appended"
    state = snapshot(index)
    if state != expected:
        pytest.fail(missing_report(real, index, state, expected, caplog), pytrace=False)
    log.close()
    index.close()


def missing_report(real, index, state, expected, caplog) -> str:
    """Which events the index lacks, where they are on the log, and the worker's batches and warnings: what it
    takes to tell a skipped position from a lost write when a fault test finds the index short."""
    differing = sorted(d for d in expected if state.get(d) != expected[d])
    subjects = set(differing)
    wanted = {e["event_id"]: e["subject_id"] for e in EVENTS if e["subject_id"] in subjects}
    for doc_id in differing:
        doc = index.get(doc_id)
        for event in doc.events if doc else []:
            wanted.pop(event.get("event_id"), None)
    log = open_log(real)
    places = []
    for topic in TOPICS:
        for m in log._read_whole(log._partitions(topic)):
            event_id = json.loads(m.value()).get("event_id")
            if event_id in wanted:
                places.append(f"{m.topic()}[{m.partition()}]@{m.offset()} {wanted[event_id]} {event_id}")
    log.close()
    lines = [f"{len(differing)} documents differ; events missing from the index, where the log holds them:"]
    lines += sorted(places) or ["(none found on the log)"]
    lines.append("worker and log messages:")
    lines += [
        f"{r.levelname} {r.name} {r.getMessage()} {getattr(r, 'fields', '')}"
        for r in caplog.records
        if r.name.startswith("ingest")
    ]
    return "\n".join(lines)


def test_malformed_events_go_to_the_dead_letter_topic(real):
    log, index = open_log(real), open_index(real)
    good = [e for e in EVENTS if e["type"] == "feedback.received"][:3]
    bad = [
        (b"not json at all", "not JSON"),
        (encode_event({**good[0], "payload": {"description": 1}}), "payload"),
        (encode_event({**good[0], "type": "feedback.teleported"}), "type"),
        (json.dumps({"pad": "x" * 300_000}).encode(), "limit"),
    ]
    for n, event in enumerate(good):
        log.append("feedback", [Outgoing(event["subject_id"], encode_event(event))])
        if n < len(bad):
            log.append("feedback", [Outgoing(event["subject_id"], bad[n][0])])
    log.append("feedback", [Outgoing("x", bad[3][0])])
    Worker(log, index, batch_size=100).run(until_caught_up=True)
    assert all(index.get(e["subject_id"]) is not None for e in good)
    letters = log.dead_letters()
    assert len(letters) == 4
    reasons = " | ".join(d.reason for d in letters)
    for _, word in bad:
        assert word in reasons
    assert {d.raw for d in letters} == {raw for raw, _ in bad}
    assert lag(log, GROUP, TOPICS) == 0
    log.close()
    index.close()


def test_two_workers_share_the_partitions(real, expected):
    first_log, second_log = open_log(real), open_log(real)
    index_a, index_b = open_index(real), open_index(real)
    append_events(first_log, ((str(i), e) for i, e in enumerate(EVENTS)))
    a, b = Worker(first_log, index_a, batch_size=200), Worker(second_log, index_b, batch_size=200)
    counts = {"a": 0, "b": 0}
    partitions: dict[str, set] = {"a": set(), "b": set()}

    def counting(worker: Worker, name: str):
        original = worker._finish

        def finish(batch):
            partitions[name].update((r.topic, r.partition) for r in batch.records)
            result = original(batch)
            counts[name] += result.indexed_events
            return result

        worker._finish = finish  # type: ignore[method-assign]

    counting(a, "a")
    counting(b, "b")
    threads = [run_in_thread(a), run_in_thread(b)]
    try:
        wait_until(lambda: lag(first_log, GROUP, TOPICS) == 0, 180, "both workers to finish")
    finally:
        finish(a, threads[0])
        finish(b, threads[1])
    assert counts["a"] > 0 and counts["b"] > 0
    assert counts["a"] + counts["b"] == len(EVENTS)  # every event indexed once between them
    assert snapshot(index_a) == expected
    for closable in (first_log, second_log, index_a, index_b):
        closable.close()
