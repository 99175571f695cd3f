"""The EventLog contract (see ingest/log.py), on every backend."""

import pytest

from ingest.log import DeadLetter, Outgoing, lag, open_log
from tests.contract.conftest import LOG_BACKENDS

pytestmark = pytest.mark.contract


def records(n, start=0, keys=3):
    return [Outgoing(f"k{i % keys}", f"v{i}".encode(), f"e{i}") for i in range(start, start + n)]


def drain(log, group, topics, max_records=1000):
    """Poll until the log says the group is caught up."""
    got = []
    while batch := log.poll(group, topics, max_records, timeout=0.5):
        got += batch
    return got


def test_append_then_poll_keeps_each_key_in_order(any_log):
    assert any_log.append("feedback", records(30)) == 30
    got = drain(any_log, "g", ["feedback"])
    assert sorted(r.value for r in got) == sorted(f"v{i}".encode() for i in range(30))
    for key in ("k0", "k1", "k2"):
        values = [int(r.value[1:]) for r in got if r.key == key]
        assert values == sorted(values)  # one key, one partition, its order kept
    by_partition: dict[int, list[int]] = {}
    for r in got:
        by_partition.setdefault(r.partition, []).append(r.offset)
    assert all(offsets == sorted(offsets) for offsets in by_partition.values())


def test_poll_respects_max_and_advances(any_log):
    any_log.append("feedback", records(5))
    first = any_log.poll("g", ["feedback"], 2, timeout=0.5)
    rest = drain(any_log, "g", ["feedback"])
    assert 1 <= len(first) <= 2
    assert {r.value for r in first}.isdisjoint({r.value for r in rest})
    assert len(first) + len(rest) == 5


def test_poll_hands_over_at_most_its_byte_budget_and_the_rest_next(any_log):
    """Ten 300-byte values with a 1,000-byte budget: no poll holds more than three, none is lost or repeated,
    and a value bigger than the budget alone still comes (alone), so it cannot block the group."""
    values = [bytes([65 + i]) * 300 for i in range(10)] + [b"z" * 1500, b"y" * 10]
    any_log.append("feedback", [Outgoing("k", v, f"e{i}") for i, v in enumerate(values)])
    got, polls = [], []
    while batch := any_log.poll("g", ["feedback"], 100, timeout=0.5, max_bytes=1000):
        polls.append(batch)
        got += batch
    assert [r.value for r in got] == values
    assert all(sum(len(r.value) for r in batch) <= 1000 or len(batch) == 1 for batch in polls)
    assert [b"z" * 1500] in [[r.value for r in batch] for batch in polls]
    assert max(len(batch) for batch in polls) == 3


def test_uncommitted_records_are_delivered_again(any_log):
    any_log.append("feedback", records(3))
    assert len(drain(any_log, "g", ["feedback"])) == 3
    any_log.rewind("g", ["feedback"])
    assert len(drain(any_log, "g", ["feedback"])) == 3


def test_commit_is_where_the_group_resumes(any_log):
    any_log.append("feedback", records(4, keys=1))  # one key: one partition
    got = drain(any_log, "g", ["feedback"])
    second = got[1]
    any_log.commit("g", {(second.topic, second.partition): second.offset + 1})
    any_log.rewind("g", ["feedback"])
    again = drain(any_log, "g", ["feedback"])
    assert [r.value for r in again] == [b"v2", b"v3"]
    assert lag(any_log, "g", ["feedback"]) == 2
    assert any_log.committed("g", ["feedback"])[(second.topic, second.partition)] == second.offset + 1


def test_groups_are_independent(any_log):
    any_log.append("service", records(3))
    drain(any_log, "a", ["service"])
    assert len(drain(any_log, "b", ["service"])) == 3


def test_reset_replays_from_the_beginning(any_log):
    any_log.append("feedback", records(3))
    got = drain(any_log, "g", ["feedback"])
    offsets = {}
    for r in got:
        offsets[(r.topic, r.partition)] = max(offsets.get((r.topic, r.partition), 0), r.offset + 1)
    any_log.commit("g", offsets)
    assert lag(any_log, "g", ["feedback"]) == 0
    any_log.reset("g", ["feedback"])
    assert len(drain(any_log, "g", ["feedback"])) == 3


def test_end_offsets_count_appends(any_log):
    any_log.append("governance", records(7))
    assert sum(any_log.end_offsets(["governance"]).values()) == 7
    assert lag(any_log, "never-read", ["governance"]) == 7


def test_dead_letters_keep_raw_bytes_and_reason(any_log):
    any_log.dead_letter([DeadLetter("feedback[0]@7", b"\xffnot json", "not JSON")])
    (letter,) = any_log.dead_letters()
    assert letter.raw == b"\xffnot json"
    assert letter.reason == "not JSON"
    assert letter.origin == "feedback[0]@7"


def test_namespaces_do_not_see_each_other(any_log, make_settings, request):
    backend = request.node.callspec.params["any_log"]
    other = open_log(
        make_settings(backend, "sqlite").with_overrides(namespace="other" + request.node.name[-6:].strip("[]-"))
    )
    try:
        any_log.append("feedback", records(2))
        assert drain(other, "g", ["feedback"]) == []
    finally:
        other.close()


# -- erasure (the right to be forgotten) ------------------------------------------------------------


def test_erase_puts_the_subject_on_the_deny_list_once(any_log):
    any_log.append("feedback", records(6))
    assert "k1" not in any_log.erased()
    first = any_log.erase("k1", "erasure request 42", "2026-06-01T00:00:00+00:00")
    assert first.already is False and first.subject_id == "k1"
    denied = any_log.erased()
    assert set(denied) == {"k1"}
    assert denied["k1"].reason == "erasure request 42" and denied["k1"].at == "2026-06-01T00:00:00+00:00"
    again = any_log.erase("k1", "again", "2026-06-02T00:00:00+00:00")
    assert again.already is True and again.events_erased == 0
    assert any_log.erased()["k1"].reason == "erasure request 42"  # the first request is the one kept


@pytest.mark.parametrize("backend", LOG_BACKENDS)
def test_the_deny_list_outlives_the_process(backend, make_settings):
    """A worker started later (a restart, another machine) reads the same deny-list."""
    settings = make_settings(backend, "sqlite")
    first = open_log(settings)
    first.append("feedback", records(3))
    first.erase("k2", "asked", "2026-06-01T00:00:00+00:00")
    first.close()
    second = open_log(settings)
    try:
        assert set(second.erased()) == {"k2"}
        second.erase("k0", "asked too", "2026-06-02T00:00:00+00:00")
        assert set(second.erased()) == {"k0", "k2"}  # read on incrementally from where the last call stopped
    finally:
        second.close()


def test_offsets_never_go_back_after_an_erasure(any_log):
    """A new record after the erased ones gets a new offset, so a group's committed position still reaches it."""
    any_log.append("feedback", [Outgoing("keep", b"a", "e-a"), Outgoing("gone", b"b", "e-b")])
    got = drain(any_log, "g", ["feedback"])
    any_log.commit("g", {(r.topic, r.partition): r.offset + 1 for r in got})
    ends = any_log.end_offsets(["feedback"])
    any_log.erase("gone", "asked", "2026-06-01T00:00:00+00:00")
    assert all(any_log.end_offsets(["feedback"])[tp] >= end for tp, end in ends.items())
    any_log.append("feedback", [Outgoing("keep", b"c", "e-c")])
    any_log.rewind("g", ["feedback"])
    assert [r.value for r in drain(any_log, "g", ["feedback"])] == [b"c"]
