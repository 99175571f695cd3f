"""A record no code path expected must be refused alone: the worker dead-letters it and indexes the rest.

Each poison record here used to raise out of the worker on every run (RecursionError, ValueError from
Python's int-string conversion limit, OverflowError from a time out of range in UTC), so nothing
after it in the log was ever indexed.
"""

import json

import pytest

from core.errors import TransientError
from ingest import bounded_json
from ingest.events import encode_event
from ingest.log import Outgoing
from ingest.worker import GROUP
from tests.builders import T0, received

DEEP = b"[" * 100_000 + b"]" * 100_000  # 200 KB, under the 256 KB record limit
HUGE_NUMBER = json.dumps({**received("fb-n", T0), "sequence": 0}).replace('"sequence": 0', '"sequence": ' + "9" * 4400)


def poisoned(event_bytes: bytes) -> list[tuple[str, bytes]]:
    return [
        ("fb-a", encode_event(received("fb-a", T0))),
        ("poison", event_bytes),
        ("fb-b", encode_event(received("fb-b", T0))),
    ]


@pytest.mark.parametrize(
    ("poison", "reason"),
    [
        (DEEP, "nested more than"),
        (b'{"event_id": "deep", "payload": ' + b'{"a":' * 40_000 + b"1" + b"}" * 40_001, "nested more than"),
        (HUGE_NUMBER.encode(), "4300 digits"),
        (encode_event({**received("fb-t", T0), "occurred_at": "0001-01-01T00:30:00+01:00"}), "out of range"),
        (encode_event({**received("fb-u", T0), "occurred_at": "9999-12-31T23:30:00-01:00"}), "out of range"),
        (encode_event({**received("fb-s", T0), "sequence": 2**70}), "sequence"),
        (json.dumps(received("fb-l", T0, text="half a pair \ud800")).encode(), "lone surrogate"),
    ],
    ids=["deep-array", "deep-object", "huge-int", "year-1", "year-9999", "huge-sequence", "lone-surrogate"],
)
def test_a_poison_record_is_dead_lettered_and_the_rest_indexed(log, index, worker, poison, reason):
    for key, value in poisoned(poison):
        log.append("feedback", [Outgoing(key, value)])
    worker.run(until_caught_up=True)
    assert index.get("fb-a") is not None and index.get("fb-b") is not None
    letters = log.dead_letters()
    assert len(letters) == 1
    assert letters[0].raw == poison
    assert reason in letters[0].reason
    assert log.committed(GROUP, worker.topics)[("feedback", 0)] == 3


def test_an_unexpected_error_in_one_record_refuses_that_record(log, index, worker, monkeypatch):
    import ingest.worker as worker_module

    real = worker_module.redact_event

    def breaks_on_one(event, counts):
        if event["subject_id"] == "poison":
            raise KeyError("something no one foresaw")
        return real(event, counts)

    monkeypatch.setattr(worker_module, "redact_event", breaks_on_one)
    for key, value in poisoned(encode_event(received("poison", T0))):
        log.append("feedback", [Outgoing(key, value)])
    worker.run(until_caught_up=True)
    assert index.get("fb-a") is not None and index.get("fb-b") is not None and index.get("poison") is None
    (letter,) = log.dead_letters()
    assert "KeyError" in letter.reason and "something no one foresaw" in letter.reason


def test_an_event_the_fold_cannot_take_is_refused_and_its_subject_keeps_the_others(log, index, worker, monkeypatch):
    import ingest.worker as worker_module

    real = worker_module.fold

    def breaks_on_bad(subject_id, events):
        events = list(events)
        if any(e["payload"].get("description") == "breaks the fold" for e in events):
            raise ZeroDivisionError("division by zero")
        return real(subject_id, events)

    monkeypatch.setattr(worker_module, "fold", breaks_on_bad)
    good = received("fb-c", T0)
    bad = {**received("fb-c", T0, text="breaks the fold"), "event_id": "fb-c:bad"}
    for event in (good, bad, received("fb-d", T0)):
        log.append("feedback", [Outgoing(event["subject_id"], encode_event(event))])
    worker.run(until_caught_up=True)
    doc = index.get("fb-c")
    assert doc is not None and doc.version == 1 and doc.events[0]["event_id"] == good["event_id"]
    assert index.get("fb-d") is not None
    (letter,) = log.dead_letters()
    assert letter.origin == "subject:fb-c:fb-c:bad" and "ZeroDivisionError" in letter.reason


def test_a_transient_error_still_stops_the_batch(log, index, worker, monkeypatch):
    import ingest.worker as worker_module

    def unavailable(event, counts):
        raise TransientError("store away")

    monkeypatch.setattr(worker_module, "redact_event", unavailable)
    log.append("feedback", [Outgoing("fb-e", encode_event(received("fb-e", T0)))])
    with pytest.raises(TransientError):
        worker.run_once()
    assert log.dead_letters() == []
    assert log.committed(GROUP, worker.topics).get(("feedback", 0), 0) == 0


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = json.dumps({"description": "[" * 1000 + "{" * 1000, "list": [[["ok"]]]}).encode()
    assert bounded_json.loads(text)["list"] == [[["ok"]]]
    with pytest.raises(bounded_json.BadJson, match="nested"):
        bounded_json.loads(b'["' + b"x" * 10 + b'", ' + b"[" * 40 + b"]" * 40 + b"]")
