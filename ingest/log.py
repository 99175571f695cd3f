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

Erasure (the right to be forgotten, see README "Privacy"):

* ``erase(subject_id, reason, at)`` puts the subject on the log's deny-list
  durably (id, reason and time only: never content) and removes what the
  backend can remove: the embedded log deletes the subject's records and the
  dead letters naming it; Kafka cannot delete one key from a delete-retention
  topic, so there the deny-list (a compacted topic) is what keeps the subject
  out, and its records age out with the topic's retention. Erasing twice is
  harmless: the second call reports ``already`` and removes what is left.
* ``erased()`` is the deny-list, read fresh on every call (cheap: the worker
  asks once per batch). Every consumer that builds documents must drop the
  records of an erased subject, whatever offset it reads from: a replay, a new
  group from offset 0, a late event, a reindex.
* ``drop_raw(before)`` removes the source record (``raw``) from events appended
  and dead letters written before ``before``, keeping everything else; it
  returns what it changed. Kafka cannot rewrite records: there ``raw`` lives
  until the topic's retention deletes the segment, and the call changes nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple, Protocol

from core.errors import ConfigError
from core.settings import Settings

TopicPartition = tuple[str, int]


class Record(NamedTuple):
    """One record read from the log. A named tuple (immutable like the frozen dataclasses here) because a
    poll builds thousands of them: a frozen dataclass's ``__init__`` sets each field through
    ``object.__setattr__`` and cost 2 µs a record, a tuple a tenth of that."""

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


@dataclass(frozen=True)
class Erasure:
    """What ``erase`` did: enough for the ``mittari forget`` report, nothing about the content."""

    subject_id: str
    already: bool  # the subject was on the deny-list before this call
    events_erased: int  # records physically deleted (always 0 on Kafka)
    dead_letters_erased: int


@dataclass(frozen=True)
class ErasedSubject:
    subject_id: str
    reason: str
    at: str


@dataclass(frozen=True)
class RawDropped:
    events: int
    dead_letters: int


ERASURE_TOPIC = "erasures"

#: What one poll may hand over, in bytes of record values. Records may be 256 KiB each
#: (ingest.events.MAX_EVENT_BYTES), so a batch of 20,000 could otherwise hold 5 GB in the worker's memory;
#: today's records are about 400 bytes, so a 20,000-record batch holds some 8 MB and is not cut.
MAX_BATCH_BYTES = 32 * 1024 * 1024


class EventLog(Protocol):
    def append(self, topic: str, records: Sequence[Outgoing]) -> int:
        """Append records to a topic durably; returns how many were new."""
        ...

    def poll(
        self,
        group: str,
        topics: Sequence[str],
        max_records: int,
        timeout: float = 0.0,
        max_bytes: int = MAX_BATCH_BYTES,
    ) -> list[Record]:
        """Up to ``max_records`` records after the group's position, in order per partition, holding at most
        ``max_bytes`` of values between them (one record alone may hold more: it is still delivered, alone,
        so that no record can block a group). Records left out are the next poll's."""
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

    def erase(self, subject_id: str, reason: str, at: str) -> Erasure:
        """Deny-list the subject durably and delete what this backend can (see the module docstring)."""
        ...

    def erased(self) -> dict[str, ErasedSubject]:
        """The deny-list: erased subjects by id, as of this call."""
        ...

    def drop_raw(self, before: datetime) -> RawDropped:
        """Remove ``raw`` from events and dead letters older than ``before`` (where the backend can)."""
        ...

    def close(self) -> None: ...


def lag(log: EventLog, group: str, topics: Sequence[str]) -> int:
    """Records appended but not yet committed by the group."""
    return behind(log.end_offsets(topics), log.committed(group, topics))


def behind(ends: Mapping[TopicPartition, int], done: Mapping[TopicPartition, int]) -> int:
    """Records between each partition's committed offset (``done``, 0 if absent) and its end."""
    return sum(max(0, end - done.get(tp, 0)) for tp, end in ends.items())


def open_log(settings: Settings) -> EventLog:
    """The log backend named by ``settings.event_log``; backend modules are imported only when chosen."""
    url = settings.event_log
    if url.startswith("sqlite:///"):
        from ingest.sqlite_log import SqliteLog

        return SqliteLog(url.removeprefix("sqlite:///"), namespace=settings.namespace)
    if url.startswith("kafka://"):
        from ingest.kafka_log import from_url

        return from_url(url, settings.namespace, settings.kafka_partitions, settings.raw_retention_days)
    raise ConfigError(f"MITTARI_EVENT_LOG={url!r}: use sqlite:///PATH or kafka://HOST:PORT")
