"""Where each partition's next record must start: a gap in what a poll hands over is read again once.

Offsets in Mittari's event topics are consecutive. The producer is not transactional (no commit markers) and
the topics are not compacted, so between two records of one partition that the log hands to the worker
nothing is missing, unless the topic's retention deleted it first. The Kafka client keeps each partition's
position itself: across rebalances, offset validation after a leader change, and fetches parked while a
partition is paused (kafka-python 3, the client before librdkafka, kept a position across rebalances and
passed records over inside a wait). If the client ever moved a position past records it had not handed
over, the worker would commit past events it never indexed, and nothing downstream could tell: the lag
would read 0.

So :class:`Continuity` remembers, per partition, the offset the next record must have. A record further on
means a gap. The first time a gap opens at an offset, the partition's records are held back from the batch
and the consumer is sent back to that offset, so the records are read again if the log still holds them
(and once they come, the gap is closed: a later rewind may open it again). The same gap a second time
means the log no longer holds them (retention, or a truncated log after an unclean broker failure); it is
reported as records lost, with the offsets, and reading goes on.

Expectations are dropped when they stop being the worker's to keep: after a rewind to the committed offsets
(:meth:`expect`), for partitions that another member may have read meanwhile (:meth:`assigned`, called on
every new assignment), and when the group is left (:meth:`clear`). A partition newly assigned must start at
the group's committed offset, where the client puts it: :meth:`assigned` marks it :attr:`pending`, and the
log sets that offset as its expectation before its next check, so the cost falls on rebalances, not on every
record. A record at or before the expected offset is a repeat (a rewind, a redelivery): accepted, since
folding is idempotent by event id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from core.logs import fields
from ingest.log import Record, TopicPartition

log = logging.getLogger(__name__)


class Continuity:
    """The next offset expected per partition of one consumer group, and the gaps already read again."""

    def __init__(self) -> None:
        self._next: dict[TopicPartition, int] = {}
        self.pending: set[TopicPartition] = set()  # newly assigned: expected at the committed offset, not yet read
        self._retried: set[tuple[TopicPartition, int]] = set()
        self.gaps_read_again = 0
        self.records_lost = 0

    def expect(self, partition: TopicPartition, offset: int | None) -> None:
        """The partition was sent to ``offset`` (None: to wherever the log starts, so nothing is expected)."""
        self.pending.discard(partition)
        if offset is None:
            self._next.pop(partition, None)
        else:
            self._next[partition] = offset

    def assigned(self, partitions: Iterable[TopicPartition]) -> None:
        """A new assignment, whole: a partition held throughout keeps its expectation, one not in it may be read
        by another member before it comes back, and one new to it is :attr:`pending`."""
        held = set(partitions)
        self._next = {tp: offset for tp, offset in self._next.items() if tp in held}
        self._retried = {(tp, offset) for tp, offset in self._retried if tp in self._next}
        self.pending = held - self._next.keys()

    def clear(self) -> None:
        self._next.clear()
        self.pending.clear()
        self._retried.clear()

    def check(self, records: Sequence[Record]) -> tuple[list[Record], dict[TopicPartition, int]]:
        """The records that continue their partitions, and the partitions to send back (to the first offset
        missing). Records of a partition sent back are all held back: they come again after the missing ones.
        """
        kept: list[Record] = []
        back: dict[TopicPartition, int] = {}
        expected = self._next
        retried = self._retried
        for record in records:
            tp = (record.topic, record.partition)
            if tp in back:
                continue
            want = expected.get(tp)
            if retried and record.offset == want:
                retried.discard((tp, want))  # the gap read again was filled: the same gap later is a new one
            if want is not None and record.offset > want:
                if (tp, want) not in self._retried:
                    self._retried.add((tp, want))
                    self.gaps_read_again += 1
                    back[tp] = want
                    log.warning(
                        "records skipped by the log client, reading them again",
                        extra=fields(topic=tp[0], partition=tp[1], expected=want, got=record.offset),
                    )
                    continue
                self._retried.discard((tp, want))
                self.records_lost += record.offset - want
                log.error(
                    "records no longer on the log: deleted by retention or truncated before they were indexed",
                    extra=fields(topic=tp[0], partition=tp[1], first_missing=want, next_held=record.offset),
                )
            expected[tp] = record.offset + 1
            kept.append(record)
        return kept, back
