"""The EventLog contract (see ingest/log.py), on every backend."""

import pytest

from ingest.log import DeadLetter, Outgoing, lag

pytestmark = pytest.mark.contract


def records(n, start=0, key="k"):
    return [Outgoing(f"{key}{i % 3}", f"v{i}".encode(), f"e{i}") for i in range(start, start + n)]


def test_append_then_poll_in_order(any_log):
    assert any_log.append("feedback", records(5)) == 5
    got = any_log.poll("g", ["feedback"], 10)
    assert [r.value for r in got] == [f"v{i}".encode() for i in range(5)]
    assert [r.offset for r in got] == sorted(r.offset for r in got)
    assert all(r.topic == "feedback" for r in got)


def test_poll_respects_max_and_advances(any_log):
    any_log.append("feedback", records(5))
    first = any_log.poll("g", ["feedback"], 2)
    second = any_log.poll("g", ["feedback"], 10)
    assert len(first) == 2 and len(second) == 3
    assert {r.value for r in first}.isdisjoint({r.value for r in second})


def test_uncommitted_records_are_delivered_again(any_log):
    any_log.append("feedback", records(3))
    any_log.poll("g", ["feedback"], 10)
    any_log.rewind("g", ["feedback"])
    assert len(any_log.poll("g", ["feedback"], 10)) == 3


def test_commit_is_where_the_group_resumes(any_log):
    any_log.append("feedback", records(4))
    got = any_log.poll("g", ["feedback"], 2)
    any_log.commit("g", {("feedback", got[-1].partition): got[-1].offset + 1})
    any_log.rewind("g", ["feedback"])
    again = any_log.poll("g", ["feedback"], 10)
    assert [r.value for r in again] == [b"v2", b"v3"]
    assert lag(any_log, "g", ["feedback"]) == 2


def test_groups_are_independent(any_log):
    any_log.append("service", records(3))
    any_log.poll("a", ["service"], 10)
    assert len(any_log.poll("b", ["service"], 10)) == 3


def test_reset_replays_from_the_beginning(any_log):
    any_log.append("feedback", records(3))
    got = any_log.poll("g", ["feedback"], 10)
    any_log.commit("g", {("feedback", 0): got[-1].offset + 1})
    any_log.reset("g", ["feedback"])
    assert len(any_log.poll("g", ["feedback"], 10)) == 3


def test_same_event_id_is_not_appended_twice(any_log):
    any_log.append("feedback", records(3))
    assert any_log.append("feedback", records(4)) == 1
    assert any_log.end_offsets(["feedback"])[("feedback", 0)] == 4


def test_dead_letters_keep_raw_bytes_and_reason(any_log):
    any_log.dead_letter([DeadLetter("feedback[0]@7", b"\xffnot json", "not JSON")])
    (letter,) = any_log.dead_letters()
    assert letter.raw == b"\xffnot json"
    assert letter.reason == "not JSON"
    assert letter.origin == "feedback[0]@7"


def test_namespaces_do_not_see_each_other(settings):
    from ingest.log import open_log

    a = open_log(settings.with_overrides(namespace="espoo"))
    b = open_log(settings.with_overrides(namespace="vantaa"))
    a.append("feedback", records(2))
    assert b.poll("g", ["feedback"], 10) == []
    a.close()
    b.close()
