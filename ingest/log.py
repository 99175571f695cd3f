"""The event-log port: what every log backend promises, and the factory that picks one.

Contract (tests/contract/test_log.py checks it on every backend):

* A topic is split into partitions; within one partition records keep the
  order they were appended in and get increasing offsets. Records are keyed by
  subject id, and one key always goes to the same partition, so one item's
  events stay in order.
* ``append`` is durable when it returns. An event whose ``event_id`` the log
  already holds may be dropped (the embedded log does, so re-importing a file
  adds nothing) or delivered again (Kafka may): consumers must be idempotent.
* A consumer group reads from its committed offsets. ``poll`` advances only
  the group's in-memory position; ``commit`` makes a position durable. A
  consumer that stops without committing gets the same records again.
  The worker commits only after the index has durably taken the batch.
* ``commit`` takes, per partition, the offset of the next record to read.
* Dead letters keep the raw bytes, where they came from and the reason.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from search.errors import ConfigError
from search.settings import Settings

TopicPartition = tuple[str, int]


@dataclass(frozen=True)
class Record:
    topic: str
    partition: int
    offset: int
    key: str
    value: bytes


@dataclass(frozen=True)
class Outgoing:
    key: str
    value: bytes
    event_id: str | None = None


@dataclass(frozen=True)
class DeadLetter:
    origin: str  # where the record came from: 'import:open311 FILE#12', 'feedback[0]@41'
    raw: bytes
    reason: str
    at: str = ""


class EventLog(Protocol):
    def append(self, topic: str, records: Sequence[Outgoing]) -> int:
        """Append records to a topic durably; returns how many were new."""
        ...

    def poll(self, group: str, topics: Sequence[str], max_records: int, timeout: float = 0.0) -> list[Record]:
        """Up to ``max_records`` records after the group's position, in order per partition."""
        ...

    def commit(self, group: str, offsets: Mapping[TopicPartition, int]) -> None:
        """Durably record, per partition, the offset of the next record the group reads."""
        ...

    def committed(self, group: str, topics: Sequence[str]) -> dict[TopicPartition, int]:
        """The group's committed offsets (0 for partitions never committed)."""
        ...

    def end_offsets(self, topics: Sequence[str]) -> dict[TopicPartition, int]:
        """Per partition, the offset the next appended record will get."""
        ...

    def rewind(self, group: str, topics: Sequence[str]) -> None:
        """Drop the in-memory position: the next poll starts again at the committed offsets."""
        ...

    def wait(self, group: str, seconds: float, stop: threading.Event | None = None) -> None:
        """Wait (returning early if ``stop`` is set) while keeping the group's membership; delivers nothing.

        The worker waits here while the index is unavailable, so a slow index
        pauses consumption instead of costing the worker its partitions.
        """
        ...

    def reset(self, group: str, topics: Sequence[str]) -> None:
        """Forget the group's position and commits, so it reads from the beginning (replay)."""
        ...

    def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        """Keep records that cannot be used, with the reason; durable on return."""
        ...

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        """The most recent dead letters, newest first."""
        ...

    def close(self) -> None: ...


def lag(log: EventLog, group: str, topics: Sequence[str]) -> int:
    """Records appended but not yet committed by the group."""
    ends = log.end_offsets(topics)
    done = log.committed(group, topics)
    return sum(max(0, end - done.get(tp, 0)) for tp, end in ends.items())


def open_log(settings: Settings) -> EventLog:
    """The log backend named by ``settings.event_log``; backend modules are imported only when chosen."""
    url = settings.event_log
    if url.startswith("sqlite:///"):
        from ingest.sqlite_log import SqliteLog

        return SqliteLog(url.removeprefix("sqlite:///"), namespace=settings.namespace)
    if url.startswith("kafka://"):
        from ingest.kafka_log import from_url

        return from_url(url, settings.namespace, settings.kafka_partitions)
    raise ConfigError(f"MITTARI_EVENT_LOG={url!r}: use sqlite:///PATH or kafka://HOST:PORT")
