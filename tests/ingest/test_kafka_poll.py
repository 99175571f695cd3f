"""KafkaLog.poll fills a batch from successive consumer polls (no broker: a scripted consumer stands in)."""

from collections import namedtuple
from typing import Any

from kafka.structs import TopicPartition

from ingest import kafka_log
from ingest.continuity import Continuity
from ingest.kafka_log import KafkaLog

Message = namedtuple("Message", "offset key value")


class ScriptedConsumer:
    """Hands over one prepared poll result per call (then nothing), as fetches completing one by one would."""

    def __init__(self, polls: list[dict[TopicPartition, list[Message]]]) -> None:
        self.polls = polls
        self.asked: list[int] = []
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.commits: dict[TopicPartition, int] = {}

    def poll(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[TopicPartition, list[Message]]:
        self.asked.append(max_records or 0)
        if not self.polls:
            return {}
        batch = self.polls.pop(0)
        assert sum(len(m) for m in batch.values()) <= (max_records or 0), "a poll may not exceed max_records"
        return batch

    def assignment(self) -> set[Any]:
        return set()

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.seeks.append((partition, offset))

    def close(self, autocommit: bool = True) -> None:
        self.closed = True

    def committed(self, partition: TopicPartition) -> int | None:
        return self.commits.get(partition)


def _log(consumer: ScriptedConsumer) -> KafkaLog:
    log = KafkaLog.__new__(KafkaLog)  # no admin client or producer: only poll is exercised
    log.namespace = "t"
    log._consumers = {"indexer": consumer}  # type: ignore[dict-item]
    log._continuity = {}
    log._stalled = {}
    log.consumers_replaced = 0
    return log


def _messages(partition: int, start: int, count: int) -> tuple[TopicPartition, list[Message]]:
    return TopicPartition("t.feedback", partition), [
        Message(o, f"k{partition}".encode(), f"{partition}:{o}".encode()) for o in range(start, start + count)
    ]


def test_a_batch_is_filled_from_the_fetches_that_complete_one_after_another():
    consumer = ScriptedConsumer(
        [dict([_messages(0, 0, 4)]), dict([_messages(1, 0, 3), _messages(0, 4, 2)]), dict([_messages(2, 0, 1)])]
    )
    records = _log(consumer).poll("indexer", ["feedback"], max_records=10, timeout=0.5)
    assert len(records) == 10  # one consumer poll alone gave 4
    assert consumer.asked == [10, 6, 1]  # never more than the batch has room for
    for partition in (0, 1, 2):  # each partition in offset order, none twice
        offsets = [r.offset for r in records if r.partition == partition]
        assert offsets == sorted(set(offsets))
    assert [r.value for r in records if r.partition == 0] == [f"0:{o}".encode() for o in range(6)]
    assert {r.topic for r in records} == {"feedback"}


def test_filling_stops_when_a_poll_brings_nothing():
    consumer = ScriptedConsumer([dict([_messages(0, 0, 3)]), {}, dict([_messages(0, 3, 3)])])
    records = _log(consumer).poll("indexer", ["feedback"], max_records=10, timeout=0.5)
    assert [r.offset for r in records] == [0, 1, 2]  # the rest is left for the next batch
    assert len(consumer.polls) == 1


def test_a_batch_past_its_byte_budget_is_cut_and_each_partition_sent_back_to_its_first_record_left_out():
    consumer = ScriptedConsumer([dict([_messages(0, 0, 4), _messages(1, 0, 4)])])  # values of 3 bytes
    records = _log(consumer).poll("indexer", ["feedback"], max_records=10, timeout=0.5, max_bytes=18)
    assert [(r.partition, r.offset) for r in records] == [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1)]
    assert consumer.seeks == [(TopicPartition("t.feedback", 1), 2)]  # partition 0 was taken whole


def test_one_record_over_the_byte_budget_still_comes_alone():
    consumer = ScriptedConsumer([dict([_messages(0, 0, 3)])])
    records = _log(consumer).poll("indexer", ["feedback"], max_records=10, timeout=0.5, max_bytes=1)
    assert [r.offset for r in records] == [0]
    assert consumer.seeks == [(TopicPartition("t.feedback", 0), 1)]


def test_a_record_without_a_value_is_handed_over_not_a_crash():
    """A tombstone (null value) on a topic is the worker's to dead-letter: the byte budget must not fail on it."""
    partition, messages = _messages(0, 0, 2)
    messages[0] = Message(0, b"k0", None)
    consumer = ScriptedConsumer([{partition: messages}])
    records = _log(consumer).poll("indexer", ["feedback"], max_records=10, timeout=0.5, max_bytes=100)
    assert [r.value for r in records] == [None, b"0:1"]


def test_a_partition_whose_position_jumped_past_records_is_sent_back_to_them():
    """The client hands over offsets 0-2, then (after a rebalance or a validation moved its position) 5-6: the
    poll holds 5-6 back and seeks to 3, so 3-6 come next and nothing is skipped."""
    consumer = ScriptedConsumer(
        [dict([_messages(0, 0, 3)]), dict([_messages(0, 5, 2), _messages(1, 0, 2)]), dict([_messages(0, 3, 4)])]
    )
    log = _log(consumer)
    first = log.poll("indexer", ["feedback"], max_records=3, timeout=0.5)
    assert [r.offset for r in first] == [0, 1, 2]
    second = log.poll("indexer", ["feedback"], max_records=4, timeout=0.5)
    assert [(r.partition, r.offset) for r in second] == [(1, 0), (1, 1)]
    assert consumer.seeks == [(TopicPartition("t.feedback", 0), 3)]
    third = log.poll("indexer", ["feedback"], max_records=4, timeout=0.5)
    assert [(r.partition, r.offset) for r in third] == [(0, 3), (0, 4), (0, 5), (0, 6)]


def test_records_gone_from_the_log_are_reported_once_read_again_and_reading_goes_on(caplog):
    consumer = ScriptedConsumer(
        [dict([_messages(0, 0, 2)]), dict([_messages(0, 9, 1)]), {}, dict([_messages(0, 9, 2)])]
    )  # the third poll is the filling's, which stops at nothing; then the poll goes on with the fourth
    log = _log(consumer)
    log.poll("indexer", ["feedback"], max_records=2, timeout=0.5)
    records = log.poll("indexer", ["feedback"], max_records=2, timeout=0.5)
    assert [r.offset for r in records] == [9, 10]  # 2-8 were asked for again and are not there
    assert consumer.seeks == [(TopicPartition("t.feedback", 0), 2)]
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
    """A rebalance inside a poll: the partitions come back assigned anew, unpaused, and the poll returns their
    records although every partition was paused before it."""

    def __init__(self, polls: list[dict[TopicPartition, list[Message]]]) -> None:
        super().__init__(polls)
        self.paused_now: set[TopicPartition] = set()

    def poll(self, timeout_ms: int = 0, max_records: int | None = None) -> dict[TopicPartition, list[Message]]:
        return super().poll(timeout_ms, max_records or 500)  # the client's own max_poll_records

    def assignment(self) -> set[Any]:
        return {TopicPartition("t.feedback", p) for p in range(3)}

    def pause(self, *partitions: TopicPartition) -> None:
        self.paused_now.update(partitions)

    def paused(self) -> set[TopicPartition]:
        return set(self.paused_now)

    def resume(self, *partitions: TopicPartition) -> None:
        self.paused_now.difference_update(partitions)


def test_records_a_poll_returns_while_waiting_are_given_back_not_dropped():
    consumer = RebalancingConsumer([dict([_messages(0, 478, 3), _messages(2, 7, 2)])])
    _log(consumer).wait("indexer", 0.3)
    assert sorted(consumer.seeks) == [(TopicPartition("t.feedback", 0), 478), (TopicPartition("t.feedback", 2), 7)]
    assert consumer.paused_now == set()  # and the partitions are read again once the wait is over


def test_a_newly_assigned_partition_must_start_where_the_group_committed():
    """After a rebalance the client puts a partition at the group's committed offset: a first record further on
    means records were passed over before they reached a batch (as a wait that dropped them did)."""
    consumer = ScriptedConsumer([dict([_messages(0, 534, 2)]), {}, dict([_messages(0, 478, 3)])])
    consumer.commits[TopicPartition("t.feedback", 0)] = 478
    log = _log(consumer)
    log._continuity["indexer"] = Continuity()
    log._continuity["indexer"].assigned([("feedback", 0)])  # what the rebalance listener does
    records = log.poll("indexer", ["feedback"], max_records=3, timeout=0.5)
    assert [r.offset for r in records] == [478, 479, 480]
    assert consumer.seeks == [(TopicPartition("t.feedback", 0), 478)]
