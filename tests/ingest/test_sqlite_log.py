"""What only the embedded log does (beyond the contract)."""

from ingest.log import Outgoing


def test_same_event_id_is_not_appended_twice(log):
    first = [Outgoing("k", f"v{i}".encode(), f"e{i}") for i in range(3)]
    assert log.append("feedback", first) == 3
    again = [Outgoing("k", f"v{i}".encode(), f"e{i}") for i in range(4)]
    assert log.append("feedback", again) == 1
    assert log.end_offsets(["feedback"])[("feedback", 0)] == 4
