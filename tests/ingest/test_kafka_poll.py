"""KafkaLog.poll takes a batch from successive consumes (no broker: a scripted consumer stands in)."""

import logging
import threading
from typing import Any, NamedTuple

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from core.errors import TransientError
from ingest import kafka_log
from ingest.continuity import Continuity
from ingest.kafka_log import KafkaLog
from ingest.log import DeadLetter


class Message:
    """What ``Consumer.consume`` hands over, as far as the log reads it."""

    def __init__(self, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None) -> None:
        self._topic, self._partition, self._offset, self._key, self._value = topic, partition, offset, key, value

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return self._topic

    def partition(self) -> int:
        return self._partition

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value


class ScriptedConsumer:
    """Hands over one prepared consume result per call (then nothing); a result shorter than asked for is what a
    consume whose wait ran out returns."""

    def __init__(self, consumes: list[list[Message]]) -> None:
        self.consumes = consumes
        self.asked: list[int] = []
        self.seeks: list[tuple[str, int, int]] = []
        self.commits: dict[tuple[str, int], int] = {}

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Message]:
        self.asked.append(num_messages)
        if not self.consumes:
            return []
        batch = self.consumes.pop(0)
        assert len(batch) <= num_messages, "a consume may not exceed what it was asked for"
        return batch

    def assignment(self) -> list[Any]:
        return []

    def seek(self, partition: TopicPartition) -> None:
        self.seeks.append((partition.topic, partition.partition, partition.offset))

    def close(self) -> None:
        self.closed = True

    def committed(self, partitions: list[TopicPartition], timeout: float = -1) -> list[TopicPartition]:
        return [
            TopicPartition(tp.topic, tp.partition, self.commits.get((tp.topic, tp.partition), -1001))
            for tp in partitions
        ]


def _log(consumer: ScriptedConsumer) -> KafkaLog:
    log = KafkaLog.__new__(KafkaLog)  # no admin client or producer: only poll is exercised
    log.namespace = "t"
    log._consumers = {"indexer": consumer}  # type: ignore[dict-item]
    log._continuity = {}
    log._stalled = {}
    log._rewind_first = set()
    log._assignments = {}
    log.consumers_replaced = 0
    return log


def _messages(partition: int, start: int, count: int) -> list[Message]:
    return [
        Message("t.feedback", partition, o, f"k{partition}".encode(), f"{partition}:{o}".encode())
        for o in range(start, start + count)
    ]


def test_a_batch_is_taken_in_consumes_each_asking_for_no_more_records_than_mib_left():
    consumer = ScriptedConsumer([_messages(0, 0, 3), _messages(1, 0, 3), _messages(0, 3, 3), _messages(2, 0, 1)])
    records = _log(consumer).poll("indexer", ["feedback"], max_records=10, timeout=0.5, max_bytes=3 * 1024 * 1024 + 100)
    assert len(records) == 10
    assert consumer.asked == [3, 3, 3, 1]  # 3 MiB left: 3 records at most; then only the batch's room
    for partition in (0, 1, 2):  # each partition in offset order, none twice
        offsets = [r.offset for r in records if r.partition == partition]
        assert offsets == sorted(set(offsets))
    assert [r.value for r in records if r.partition == 0] == [f"0:{o}".encode() for o in range(6)]
    assert {r.topic for r in records} == {"feedback"}


def test_taking_stops_at_a_consume_that_brings_fewer_than_asked_for():
    consumer = ScriptedConsumer([_messages(0, 0, 3), _messages(0, 3, 3)])
    records = _log(consumer).poll("indexer", ["feedback"], max_records=10, timeout=0.5)
    assert [r.offset for r in records] == [0, 1, 2]  # its wait ran out: the rest is the next batch's
    assert consumer.asked == [10] and len(consumer.consumes) == 1


def _sized(partition: int, start: int, sizes: list[int]) -> list[Message]:
    return [Message("t.feedback", partition, start + n, b"k", b"x" * size) for n, size in enumerate(sizes)]


def test_a_batch_past_its_byte_budget_is_cut_and_the_partition_sent_back_to_its_first_record_left_out():
    consumer = ScriptedConsumer([_sized(1, 0, [10]), _sized(1, 1, [10]), _sized(1, 2, [10])])
    records = _log(consumer).poll("indexer", ["feedback"], max_records=10, timeout=0.5, max_bytes=18)
    assert [(r.partition, r.offset) for r in records] == [(1, 0)]
    assert consumer.asked == [1, 1]  # under 1 MiB left: one record a consume, so at most one record over
    assert consumer.seeks == [("t.feedback", 1, 1)]


def test_one_record_over_the_byte_budget_still_comes_alone():
    consumer = ScriptedConsumer([_messages(0, 0, 1), _messages(0, 1, 1)])
    records = _log(consumer).poll("indexer", ["feedback"], max_records=10, timeout=0.5, max_bytes=1)
    assert [r.offset for r in records] == [0]
    assert consumer.asked == [1] and consumer.seeks == []


def test_a_record_without_a_value_is_handed_over_not_a_crash():
    """A tombstone (null value) on a topic is the worker's to dead-letter: the byte budget must not fail on it."""
    consumer = ScriptedConsumer([[Message("t.feedback", 0, 0, b"k0", None)], _messages(0, 1, 1)])
    records = _log(consumer).poll("indexer", ["feedback"], max_records=10, timeout=0.5, max_bytes=100)
    assert [r.value for r in records] == [None, b"0:1"]


def test_a_key_that_is_not_utf8_is_read_with_replacement_characters_not_a_crash():
    consumer = ScriptedConsumer(
        [[Message("t.feedback", 0, 0, b"\xff\xfe fb-1", b"{}"), Message("t.feedback", 0, 1, None, b"{}")]]
    )
    records = _log(consumer).poll("indexer", ["feedback"], max_records=10, timeout=0.5)
    assert [r.key for r in records] == ["\ufffd\ufffd fb-1", ""]


class Failed(Message):
    def __init__(self, error: KafkaError) -> None:
        super().__init__("t.feedback", 0, -1, None, None)
        self._error = error

    def error(self) -> KafkaError:  # type: ignore[override]
        return self._error


def test_an_error_the_consumer_hands_over_is_logged_and_reading_goes_on(caplog):
    error = KafkaError(KafkaError.UNKNOWN_TOPIC_OR_PART, "gone for a moment")
    consumer = ScriptedConsumer([[Failed(error), *_messages(0, 0, 2)]])
    records = _log(consumer).poll("indexer", ["feedback"], max_records=10, timeout=0.5)
    assert [r.offset for r in records] == [0, 1]
    assert [r.fields["error"] for r in caplog.records] == [
        'KafkaError{code=UNKNOWN_TOPIC_OR_PART,val=3,str="gone for a moment"}'
    ]


def test_a_fatal_error_replaces_the_consumer():
    consumer = ScriptedConsumer([[Failed(KafkaError(KafkaError._FATAL, "fenced", fatal=True))]])
    log = _log(consumer)
    with pytest.raises(TransientError, match="fenced"):
        log.poll("indexer", ["feedback"], max_records=10, timeout=0.5)
    assert "indexer" not in log._consumers and getattr(consumer, "closed", False)


def test_a_partition_whose_position_jumped_past_records_is_sent_back_to_them():
    """The client hands over offsets 0-2, then (after a rebalance or a validation moved its position) 5-6: the
    poll holds 5-6 back and seeks to 3, so 3-6 come next and nothing is skipped."""
    consumer = ScriptedConsumer([_messages(0, 0, 3), [*_messages(0, 5, 2), *_messages(1, 0, 2)], _messages(0, 3, 4)])
    log = _log(consumer)
    first = log.poll("indexer", ["feedback"], max_records=3, timeout=0.5)
    assert [r.offset for r in first] == [0, 1, 2]
    second = log.poll("indexer", ["feedback"], max_records=4, timeout=0.5)
    assert [(r.partition, r.offset) for r in second] == [(1, 0), (1, 1)]
    assert consumer.seeks == [("t.feedback", 0, 3)]
    third = log.poll("indexer", ["feedback"], max_records=4, timeout=0.5)
    assert [(r.partition, r.offset) for r in third] == [(0, 3), (0, 4), (0, 5), (0, 6)]


def test_records_gone_from_the_log_are_reported_once_read_again_and_reading_goes_on(caplog):
    consumer = ScriptedConsumer([_messages(0, 0, 2), _messages(0, 9, 1), _messages(0, 9, 2)])
    log = _log(consumer)
    log.poll("indexer", ["feedback"], max_records=2, timeout=0.5)
    records = log.poll("indexer", ["feedback"], max_records=2, timeout=0.5)
    assert [r.offset for r in records] == [9, 10]  # 2-8 were asked for again and are not there
    assert consumer.seeks == [("t.feedback", 0, 2)]
    assert log._continuity["indexer"].records_lost == 7
    assert "records no longer on the log" in caplog.text


class Group:
    """The group's committed offsets and the log's ends, as the stall watch reads them (no broker)."""

    def __init__(self, log: KafkaLog, committed: int, end: int) -> None:
        self.committed, self.end = committed, end
        log.committed = lambda group, topics: {("feedback", 0): self.committed}  # type: ignore[method-assign]
        log.end_offsets = lambda topics: {("feedback", 0): self.end}  # type: ignore[method-assign]
        log._consumer = lambda group, topics: log._consumers.setdefault(group, ScriptedConsumer([]))  # type: ignore


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def test_a_consumer_bringing_nothing_while_the_group_is_behind_and_commits_nothing_is_replaced(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(kafka_log, "time", clock)
    stuck = ScriptedConsumer([])
    log = _log(stuck)
    Group(log, committed=10, end=500)
    log._watch_stall("indexer", ["feedback"])
    clock.now += kafka_log.STALL_S - 1
    log._watch_stall("indexer", ["feedback"])
    assert log._consumers["indexer"] is stuck  # not yet
    clock.now += 2
    log._watch_stall("indexer", ["feedback"])
    assert log.consumers_replaced == 1
    assert getattr(stuck, "closed", False)
    assert log._consumers["indexer"] is not stuck  # a new member, reading from the committed offsets


def test_a_quiet_consumer_is_kept_while_the_group_commits_or_has_nothing_waiting(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(kafka_log, "time", clock)
    idle = ScriptedConsumer([])
    log = _log(idle)
    group = Group(log, committed=10, end=500)
    for _ in range(5):  # another member holds the partitions and makes progress
        log._watch_stall("indexer", ["feedback"])
        clock.now += kafka_log.STALL_S
        group.committed += 50
    group.committed = group.end  # caught up: nothing waits, however long nothing comes
    for _ in range(3):
        log._watch_stall("indexer", ["feedback"])
        clock.now += kafka_log.STALL_S * 2
    assert log.consumers_replaced == 0 and log._consumers["indexer"] is idle


def test_a_poll_that_brings_nothing_until_its_deadline_watches_for_a_stall(monkeypatch):
    monkeypatch.setattr(kafka_log, "JOIN_TIMEOUT_S", 0.0)
    monkeypatch.setattr(kafka_log, "STALL_S", 0.0)
    stuck = ScriptedConsumer([])
    log = _log(stuck)
    Group(log, committed=0, end=3)
    assert log.poll("indexer", ["feedback"], max_records=10, timeout=0.0) == []
    assert log.consumers_replaced == 1 and log._consumers["indexer"] is not stuck


class RebalancingConsumer(ScriptedConsumer):
    """A rebalance inside a consume: the partitions come back assigned anew, unpaused, and the consume returns
    their records although every partition was paused before it."""

    def __init__(self, consumes: list[list[Message]]) -> None:
        super().__init__(consumes)
        self.paused_now: set[tuple[str, int]] = set()

    def assignment(self) -> list[Any]:
        return [TopicPartition("t.feedback", p) for p in range(3)]

    def pause(self, partitions: list[TopicPartition]) -> None:
        self.paused_now.update((tp.topic, tp.partition) for tp in partitions)

    def resume(self, partitions: list[TopicPartition]) -> None:
        self.paused_now.difference_update((tp.topic, tp.partition) for tp in partitions)


def test_records_a_consume_returns_while_waiting_are_given_back_not_dropped():
    consumer = RebalancingConsumer([[*_messages(0, 478, 3), *_messages(2, 7, 2)]])
    _log(consumer).wait("indexer", 0.3)
    assert sorted(consumer.seeks) == [("t.feedback", 0, 478), ("t.feedback", 2, 7)]
    assert consumer.paused_now == set()  # and the partitions are read again once the wait is over


def test_a_newly_assigned_partition_must_start_where_the_group_committed():
    """After a rebalance the client puts a partition at the group's committed offset: a first record further on
    means records were passed over before they reached a batch (as a wait that dropped them did)."""
    consumer = ScriptedConsumer([_messages(0, 534, 2), _messages(0, 478, 3)])
    consumer.commits[("t.feedback", 0)] = 478
    log = _log(consumer)
    log._continuity["indexer"] = Continuity()
    log._continuity["indexer"].assigned([("feedback", 0)])  # what the rebalance callback does
    records = log.poll("indexer", ["feedback"], max_records=3, timeout=0.5)
    assert [r.offset for r in records] == [478, 479, 480]
    assert consumer.seeks == [("t.feedback", 0, 478)]


def test_every_partition_of_an_assignment_is_expected_at_the_committed_offset():
    """librdkafka starts every partition of a new assignment at the committed offset, even one this member held
    before the rebalance, so what was expected before it no longer holds."""
    log = _log(ScriptedConsumer([]))
    continuity = Continuity()
    continuity.expect(("feedback", 0), 120)
    assignments = kafka_log._Assignments(log, "indexer", continuity)
    assignments.on_assign(None, [TopicPartition("t.feedback", 0), TopicPartition("t.feedback", 1)])  # type: ignore[arg-type]
    assert continuity.pending == {("feedback", 0), ("feedback", 1)}
    kept, back = continuity.check([])
    assert (kept, back) == ([], {})
    assignments.on_lost(None, [])  # type: ignore[arg-type]
    assert continuity.pending == set()


class HoldingConsumer(ScriptedConsumer):
    """A member holding partition 0 of feedback, whose group committed offset 50 there; ``rebalance_at`` makes
    that consume come back after the group rebalanced (the assignment callback ran inside it)."""

    def __init__(self, log: KafkaLog, consumes: list[list[Message]], rebalance_at: int = -1) -> None:
        super().__init__(consumes)
        self.log, self.rebalance_at = log, rebalance_at
        self.commits[("t.feedback", 0)] = 50
        self.committed_with: list[list[tuple[str, int, int]]] = []

    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Message]:
        if len(self.asked) == self.rebalance_at:
            self.log._assignments["indexer"] = self.log._assignments.get("indexer", 0) + 1
        return super().consume(num_messages, timeout)

    def assignment(self) -> list[Any]:
        return [TopicPartition("t.feedback", 0)]

    def resume(self, partitions: list[TopicPartition]) -> None:
        pass

    def commit(self, offsets: list[TopicPartition], asynchronous: bool = True) -> list[TopicPartition]:
        self.committed_with.append([(tp.topic, tp.partition, tp.offset) for tp in offsets])
        return offsets


def test_a_rebalance_inside_a_batch_drops_what_it_gathered_and_starts_again_at_the_committed_offset():
    """Records gathered before the rebalance may be another member's now, and a partition assigned again restarts
    at the committed offset, behind them: a batch mixing the two went backwards within a partition."""
    log = _log(ScriptedConsumer([]))
    consumer = HoldingConsumer(
        log, [_messages(0, 100, 3), _messages(0, 50, 3), _messages(0, 50, 3), _messages(0, 53, 3)], rebalance_at=1
    )
    log._consumers["indexer"] = consumer  # type: ignore[assignment]
    records = log.poll("indexer", ["feedback"], max_records=6, timeout=0.5, max_bytes=3 * 1024 * 1024 + 100)
    assert [r.offset for r in records] == [50, 51, 52, 53, 54, 55]
    assert consumer.seeks == [("t.feedback", 0, 50)]


def test_a_commit_covers_only_the_partitions_the_member_still_holds(caplog):
    """After a rebalance inside the next poll the broker takes the commit for any partition; one now another
    member's must not have its committed offset moved under that member. What is left out is logged: its
    records are read again (repeats, which folding ignores), and an operator counting repeats sees why."""
    log = _log(ScriptedConsumer([]))
    consumer = HoldingConsumer(log, [])
    log._consumers["indexer"] = consumer  # type: ignore[assignment]
    with caplog.at_level(logging.INFO, logger="ingest.kafka_log"):
        log.commit("indexer", {("feedback", 0): 120, ("feedback", 1): 80})
    assert consumer.committed_with == [[("t.feedback", 0, 120)]]
    skipped = [r for r in caplog.records if r.getMessage().startswith("commit skipped")]
    assert [r.fields["partitions"] for r in skipped] == [{"t.feedback[1]": 80}]  # type: ignore[attr-defined]


class FailingConsumer(HoldingConsumer):
    def consume(self, num_messages: int = 1, timeout: float = -1) -> list[Message]:
        if not self.asked:
            self.asked.append(num_messages)
            raise KafkaException(KafkaError(KafkaError._TRANSPORT, "broker went away"))
        return super().consume(num_messages, timeout)

    def pause(self, partitions: list[TopicPartition]) -> None:
        pass

    def resume(self, partitions: list[TopicPartition]) -> None:
        pass


def test_after_a_failed_wait_the_next_poll_starts_again_at_the_committed_offsets():
    """A consume inside the wait may have handed records over before it failed; they were not given back."""
    log = _log(ScriptedConsumer([]))
    consumer = FailingConsumer(log, [_messages(0, 50, 2)])
    log._consumers["indexer"] = consumer  # type: ignore[assignment]
    log.wait("indexer", 0.2)
    records = log.poll("indexer", ["feedback"], max_records=10, timeout=0.5)
    assert consumer.seeks[0] == ("t.feedback", 0, 50)
    assert [r.offset for r in records] == [50, 51]


class Answer(NamedTuple):
    """A partition of ``Consumer.committed``'s answer (whose ``error`` is read-only on the real class)."""

    topic: str
    partition: int
    offset: int
    error: KafkaError | None


class Observer:
    def committed(self, partitions: list[TopicPartition], timeout: float = -1) -> list[Answer]:
        return [Answer("t.feedback", 0, -1001, KafkaError(KafkaError.COORDINATOR_LOAD_IN_PROGRESS))]


def test_committed_offsets_the_cluster_could_not_give_are_an_error_not_zero():
    """Zero would read as the whole log waiting: lag overstated, and the stall watch replacing a healthy member."""
    log = _log(ScriptedConsumer([]))
    log._observers = {"indexer": Observer()}  # type: ignore[dict-item]
    log._lock = threading.Lock()
    log._partitions = lambda topic: [TopicPartition("t.feedback", 0)]  # type: ignore[method-assign]
    with pytest.raises(TransientError, match="COORDINATOR_LOAD_IN_PROGRESS"):
        log.committed("indexer", ["feedback"])


def test_a_dead_letter_too_large_for_a_record_is_cut_and_says_so():
    """Whole, the broker refuses it at every retry and the worker retries its batch for ever."""
    letter = kafka_log._within_record(DeadLetter("doc:fb-1", b"x" * (600 * 1024), "rejected by the index"))
    assert len(letter.raw) == kafka_log.DEAD_LETTER_RAW_BYTES
    assert letter.reason == f"rejected by the index (raw cut to its first {512 * 1024} of {600 * 1024} bytes)"
    small = DeadLetter("feedback[0]@1", b"{}", "bad")
    assert kafka_log._within_record(small) is small


class NotFetchingYet(HoldingConsumer):
    """librdkafka refuses a seek on a partition whose fetching has not started (its committed offset is still
    being read after the assignment)."""

    def seek(self, partition: TopicPartition) -> None:
        raise KafkaException(KafkaError(KafkaError._STATE, "Partition not fetching yet"))


def test_a_partition_not_fetching_yet_is_left_to_start_at_the_committed_offset_not_an_outage():
    """Raising would turn a routine rebalance into a failure, the batch in flight written again after a backoff."""
    log = _log(ScriptedConsumer([]))
    consumer = NotFetchingYet(log, [])
    log._consumers["indexer"] = consumer  # type: ignore[assignment]
    log.rewind("indexer", ["feedback"])
    assert log._continuity["indexer"].pending == {("feedback", 0)}  # its first record is checked against 50


def test_a_committed_offset_the_cluster_could_not_give_stops_a_rewind_instead_of_restarting_at_the_start():
    """Read as "never committed", the partition would be sent to the log's start: the whole topic indexed again."""
    log = _log(ScriptedConsumer([]))
    consumer = HoldingConsumer(log, [])
    consumer.committed = lambda partitions, timeout=-1: Observer().committed(partitions)  # type: ignore[method-assign, assignment]
    log._consumers["indexer"] = consumer  # type: ignore[assignment]
    with pytest.raises(TransientError, match="COORDINATOR_LOAD_IN_PROGRESS"):
        log.rewind("indexer", ["feedback"])
    assert consumer.seeks == []
