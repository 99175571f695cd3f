"""How the Kafka log configures its clients and reads its deny-list (no broker: scripted stand-ins).

A client that nobody serves must not take librdkafka's log and error callbacks (their events would queue unread);
a reader must never commit for its group by itself; any record on the erasure topic erases its key, even one that
is not Mittari's JSON, since the deny-list errs on the side of erasing.
"""

from __future__ import annotations

from typing import Any

import pytest

from ingest import kafka_log
from ingest.kafka_log import KafkaLog
from tests.ingest.test_kafka_poll import Message


def _bare() -> KafkaLog:
    log = KafkaLog.__new__(KafkaLog)  # no admin client or producer: only what each test calls
    log.namespace = "t"
    log.servers = ["127.0.0.1:1"]
    return log


def test_a_served_client_logs_and_reports_errors_through_the_application():
    config = _bare()._config("t-worker", served=True)
    assert config["logger"] is kafka_log.client_log
    assert config["error_cb"] is kafka_log._client_error
    assert "log_level" not in config


def test_a_client_never_served_gets_no_callbacks_and_logs_nothing_itself():
    config = _bare()._config("t-meta", {"group.id": "g"}, served=False)
    assert "logger" not in config and "error_cb" not in config
    assert config["log_level"] == 0
    assert config["group.id"] == "g"  # the caller's settings are kept


def test_readers_never_commit_for_their_group(monkeypatch):
    made: list[dict[str, Any]] = []
    monkeypatch.setattr(kafka_log, "Consumer", lambda config: made.append(config) or object())
    log = _bare()
    log._reader()
    log._reader("indexer", "indexer-observer", served=False)
    assert [c["group.id"] for c in made] == ["t.reader", "t.indexer"]
    assert all(c["enable.auto.commit"] is False and c["enable.auto.offset.store"] is False for c in made)
    assert "error_cb" in made[0] and "error_cb" not in made[1]


class _ErasureReader:
    def assignment(self) -> list[Any]:
        return []


@pytest.mark.parametrize(
    "value",
    [b"not json at all", b'["a", "list"]', b"\xff\xfe", None, b'{"reason": "request", "at": "2026-11-30"}'],
    ids=["not-json", "not-a-map", "not-utf8", "null", "mittari"],
)
def test_any_record_on_the_erasure_topic_erases_its_key(value):
    log = _bare()
    log._erased = {}
    log._erasure_next = {}
    log._erasure_reader = _ErasureReader()  # type: ignore[assignment]
    log._watermarks = lambda partitions: {}  # type: ignore[method-assign]
    records = [Message("t._erasures", 0, 0, b"fb-1", value), Message("t._erasures", 0, 1, b"fb-\xff", b"{}")]
    log._read_on = lambda reader, next_of, ends, what: iter(records)  # type: ignore[method-assign]
    erased = log.erased()
    assert set(erased) == {"fb-1", "fb-\ufffd"}  # a key that is not UTF-8 is read with a replacement character
    if value and value.startswith(b'{"reason"'):
        assert (erased["fb-1"].reason, erased["fb-1"].at) == ("request", "2026-11-30")
    else:
        assert (erased["fb-1"].reason, erased["fb-1"].at) == ("", "")
