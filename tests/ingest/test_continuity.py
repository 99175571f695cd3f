"""Continuity: where each partition's next record must start, and what a gap does (ingest/continuity.py)."""

from __future__ import annotations

from ingest.continuity import Continuity
from ingest.log import Record


def _records(partition: int, *offsets: int, topic: str = "feedback") -> list[Record]:
    return [Record(topic, partition, o, "k", b"v") for o in offsets]


def test_consecutive_records_pass_and_set_the_next_expected_offset():
    continuity = Continuity()
    kept, back = continuity.check(_records(0, 0, 1, 2) + _records(1, 7, 8))
    assert len(kept) == 5 and back == {}
    kept, back = continuity.check(_records(0, 3) + _records(1, 9))
    assert len(kept) == 2 and back == {}


def test_a_gap_holds_the_partitions_records_back_and_sends_it_to_the_first_missing_offset():
    continuity = Continuity()
    continuity.check(_records(0, 0, 1))
    kept, back = continuity.check(_records(0, 4, 5) + _records(1, 0))
    assert [(r.partition, r.offset) for r in kept] == [(1, 0)]
    assert back == {("feedback", 0): 2}
    assert continuity.gaps_read_again == 1
    kept, back = continuity.check(_records(0, 2, 3, 4))  # read again: nothing was lost
    assert [r.offset for r in kept] == [2, 3, 4] and back == {}
    assert continuity.records_lost == 0


def test_a_gap_inside_one_poll_keeps_what_came_before_it():
    continuity = Continuity()
    kept, back = continuity.check(_records(0, 0, 1, 5, 6))
    assert [r.offset for r in kept] == [0, 1]
    assert back == {("feedback", 0): 2}


def test_the_same_gap_twice_is_records_lost_and_reading_goes_on():
    continuity = Continuity()
    continuity.check(_records(0, 0))
    assert continuity.check(_records(0, 3))[1] == {("feedback", 0): 1}
    kept, back = continuity.check(_records(0, 3, 4))
    assert [r.offset for r in kept] == [3, 4] and back == {}
    assert continuity.records_lost == 2
    kept, back = continuity.check(_records(0, 9))  # a new gap further on is read again first
    assert back == {("feedback", 0): 5}


def test_repeats_are_accepted_since_folding_is_idempotent():
    continuity = Continuity()
    continuity.check(_records(0, 0, 1, 2))
    kept, back = continuity.check(_records(0, 1, 2, 3))
    assert len(kept) == 3 and back == {}


def test_expectations_follow_rewinds_and_assignments():
    continuity = Continuity()
    continuity.check(_records(0, 0, 1) + _records(1, 0, 1) + _records(0, 0, topic="service"))
    continuity.expect(("feedback", 0), 10)  # rewound to a committed offset further on than read (another member's)
    assert continuity.check(_records(0, 10))[1] == {}
    continuity.expect(("feedback", 1), None)  # rewound to the log's beginning: anything may come first
    assert continuity.check(_records(1, 50))[1] == {}
    continuity.assigned([("feedback", 0), ("feedback", 1)])  # service 0 went to another member
    assert continuity.pending == set()  # the two kept are held throughout
    assert continuity.check(_records(0, 40, topic="service"))[1] == {}
    continuity.assigned([("feedback", 0), ("feedback", 1), ("service", 2)])
    assert continuity.pending == {("service", 2)}  # new: to be expected at the group's committed offset
    continuity.expect(("service", 2), 7)
    assert continuity.pending == set() and continuity.check(_records(2, 9, topic="service"))[1] == {("service", 2): 7}
    continuity.clear()
    assert continuity.check(_records(0, 99))[1] == {}


def test_a_gap_read_again_and_filled_is_a_new_gap_when_it_opens_again():
    """After a rewind to the same committed offset (the index was down), the same gap must be read again, not
    counted as lost: the first gap was filled when its records came."""
    continuity = Continuity()
    continuity.expect(("feedback", 0), 5)
    assert continuity.check(_records(0, 7)) == ([], {("feedback", 0): 5})
    kept, _ = continuity.check(_records(0, 5, 6, 7))
    assert [r.offset for r in kept] == [5, 6, 7]
    continuity.expect(("feedback", 0), 5)  # a rewind
    assert continuity.check(_records(0, 7)) == ([], {("feedback", 0): 5})
    assert continuity.records_lost == 0
