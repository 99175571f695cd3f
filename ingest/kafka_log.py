"""The Kafka event log (confluent-kafka, on librdkafka), for a city's scale: many producers, several workers a group.

Topics are ``{namespace}.{family}`` with several partitions; events are keyed
by subject id, so one item's events stay in order within a partition. Offsets
are committed only explicitly, after the index has the batch. The group's
rebalances reach the worker only inside ``poll`` and ``wait`` (librdkafka runs
the protocol on its own thread but hands assignments over there). A commit
covers only the partitions the member holds when it commits: a partition that
moved to another member in between is read again by that member from the
committed offset (repeats, which folding ignores), never skipped. A rebalance
in the middle of taking a batch drops what the batch had gathered.

Why librdkafka rather than kafka-python: its consumer decodes fetched records in
C on its own threads. Polling 100,000 demo records cost the worker's interpreter
24 µs a record with kafka-python 3.0.12 and under 4 µs with this client, counting
its threads (README, Performance → Ingest). And a partition assigned again always
starts at the group's committed offset, where kafka-python kept positions across
rebalances (the cause of the events lost inside ``wait`` before 2026-11-29, see
CHANGELOG).

Dead letters go to ``{namespace}.dead-letters`` with the original bytes as the
value and the reason and origin in headers; that topic is created with
``retention.ms`` = the raw retention, so source records in it age out.

Erasure: Kafka cannot delete one key's records from a delete-retention topic,
so ``erase`` writes a tombstone to ``{namespace}.erasures`` (one partition,
``cleanup.policy=compact``; key = subject id, value = reason and time) and the
worker drops every record of a subject found there. A compacted topic rather
than a file: every worker, a new consumer group and a reindex on any machine
read the same deny-list from the broker, and compaction keeps one small record
per subject forever. The subject's events stay in the event topics until their
retention deletes them (README "Right to be forgotten and retention").
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Message,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import (  # type: ignore[attr-defined]  # re-exported, no __all__
    AdminClient,
    NewTopic,
    TopicMetadata,
)

from core.errors import TransientError
from core.logs import fields
from ingest.continuity import Continuity
from ingest.log import (
    ERASURE_TOPIC,
    MAX_BATCH_BYTES,
    DeadLetter,
    ErasedSubject,
    Erasure,
    Outgoing,
    RawDropped,
    Record,
    behind,
)
from ingest.log import TopicPartition as TP

Headers = list[tuple[str, str | bytes | None]]

log = logging.getLogger(__name__)
#: librdkafka's own messages (connections, the group's protocol), forwarded when the client is served
client_log = logging.getLogger("ingest.kafka_client")

DEAD_LETTER_TOPIC = "dead-letters"
JOIN_TIMEOUT_S = 30.0
#: filling a batch (:meth:`KafkaLog._take`): how long a further consume may wait for more records, and how long
#: the filling may take in all
FILL_WAIT_S = 0.1
FILL_LIMIT_S = 2.0
#: a consumer that hands over nothing while its group has records waiting and commits nothing is replaced after
#: this long (:meth:`KafkaLog._watch_stall`)
STALL_S = 120.0
#: requests to the cluster (metadata, offsets, topic creation) give up after this long
REQUEST_TIMEOUT_S = 30.0
#: an append gives up on a record the cluster has not acknowledged after this long (the producer's own retries
#: inside it), and reports it
SEND_TIMEOUT_S = 60.0
#: the broker's default ``message.max.bytes``: no record on a topic is larger, so asking for ``n`` more records
#: with ``n`` MiB left of a batch's byte bound cannot overshoot it by more than one record
LARGEST_RECORD = 1024 * 1024
#: the most of a dead letter's raw bytes kept in its record, well under the broker's record limit
DEAD_LETTER_RAW_BYTES = 512 * 1024
#: a seek refused because the partition does not fetch yet: it starts at the committed offset by itself
NOT_FETCHING = {KafkaError._STATE, KafkaError._PREV_IN_PROGRESS}
#: errors of a partition whose leader is moving or not yet ready (just created, a broker restarting): asked again
NOT_READY = {
    KafkaError.NOT_LEADER_FOR_PARTITION,
    KafkaError.LEADER_NOT_AVAILABLE,
    KafkaError._UNKNOWN_PARTITION,
    KafkaError.UNKNOWN_TOPIC_OR_PART,
}


class KafkaLog:
    def __init__(
        self,
        servers: Sequence[str],
        namespace: str = "mittari",
        partitions: int = 3,
        *,
        dead_letter_retention_days: int = 90,
    ) -> None:
        self.servers = list(servers)
        self.namespace = namespace
        self.partitions = partitions
        self.dead_letter_retention_ms = dead_letter_retention_days * 86_400_000
        self._erasure_reader: Consumer | None = None
        self._erasure_next: dict[TP, int] = {}
        self._erased: dict[str, ErasedSubject] = {}
        self._consumers: dict[str, Consumer] = {}
        self._continuity: dict[str, Continuity] = {}  # per group: where each partition's next record starts
        self._stalled: dict[str, tuple[float, dict[TP, int]]] = {}  # per group: since when, at which commits
        self.consumers_replaced = 0
        self._known_topics: set[str] = set()
        self._lock = threading.Lock()  # observers are made from any thread
        self._sending = threading.Lock()  # one append at a time: a flush serves every thread's deliveries
        self._rewind_first: set[str] = set()  # groups whose positions a failed wait may have left past records
        self._assignments: dict[str, int] = {}  # per group: how many assignments, revocations and losses so far
        self._observers: dict[str, Consumer] = {}  # per group: reads and commits offsets without joining it
        self._producer = Producer(
            self._config(
                f"{namespace}-producer",
                {
                    "acks": "all",
                    "enable.idempotence": True,
                    "linger.ms": 5,
                    "batch.size": 512 * 1024,
                    "message.max.bytes": 2 * 1024 * 1024,
                    "message.timeout.ms": int(SEND_TIMEOUT_S * 1000),
                },
            )
        )
        # metadata and the ends of partitions; librdkafka connects lazily, so ask once: an unreachable cluster is
        # said here, not at the first poll
        self._meta = self._reader(served=False)
        try:
            self._meta.list_topics(timeout=10)
        except KafkaException as exc:
            raise TransientError(f"Kafka at {','.join(self.servers)} cannot be reached: {exc}") from exc

    def _config(self, client_id: str, extra: Mapping[str, Any] | None = None, *, served: bool = True) -> dict[str, Any]:
        """A client's configuration. librdkafka hands its log lines and errors to the application through the
        client's queue, read only by ``consume``/``poll``/``flush``: a client never ``served`` that way (one
        that only asks for offsets or metadata) gets no log callback (its lines would pile up in the queue
        unread) and logs nothing itself; what fails for it raises from the call that asked."""
        config = {
            "bootstrap.servers": ",".join(self.servers),
            "client.id": client_id,
            "log.connection.close": False,  # idle connections closed by the broker are not news
            **(extra or {}),
        }
        if served:
            config.update({"logger": client_log, "error_cb": _client_error})
        else:  # its failures reach the caller as exceptions; its log lines would go to stderr unstructured
            config["log_level"] = 0
        return config

    # -- names -------------------------------------------------------------------------------------
    def _t(self, topic: str) -> str:
        return f"{self.namespace}.{topic}"

    def _short(self, full: str) -> str:
        return full.removeprefix(self.namespace + ".")

    def _g(self, group: str) -> str:
        return f"{self.namespace}.{group}"

    def _ensure_topics(self, topics: Sequence[str]) -> None:
        missing = [self._t(t) for t in topics if self._t(t) not in self._known_topics]
        if not missing:
            return
        admin = self._admin()  # kept until the answers are in: a client collected meanwhile cancels them
        try:
            futures = admin.create_topics(
                [self._new_topic(name) for name in missing],
                operation_timeout=REQUEST_TIMEOUT_S,
                request_timeout=REQUEST_TIMEOUT_S,
            )
        except KafkaException as exc:
            raise TransientError(f"topics {missing} cannot be created: {exc}") from exc
        for name, future in futures.items():
            try:
                future.result()
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                    raise TransientError(f"topic {name} cannot be created: {exc}") from exc
        for name in missing:
            self._wait_for_leaders(name)
        self._known_topics.update(missing)

    def _wait_for_leaders(self, name: str) -> None:
        """Until every partition of a topic just created has a leader: a producer or an assignment that came
        sooner would find none."""
        deadline = time.monotonic() + REQUEST_TIMEOUT_S
        while True:
            found = self._topic(name)
            partitions = found.partitions if found is not None and found.error is None else {}
            if partitions and all(p.leader >= 0 for p in partitions.values()):
                return
            if time.monotonic() > deadline:
                raise TransientError(f"topic {name} has no leader after {REQUEST_TIMEOUT_S:.0f} s")
            time.sleep(0.1)

    def _new_topic(self, name: str) -> NewTopic:
        """Event topics: the broker's retention; dead letters: the raw retention; erasures: compacted, one partition."""
        if name == self._t(ERASURE_TOPIC):
            return NewTopic(name, num_partitions=1, replication_factor=1, config={"cleanup.policy": "compact"})
        if name == self._t(DEAD_LETTER_TOPIC):
            config = {"retention.ms": str(self.dead_letter_retention_ms)}
            return NewTopic(name, num_partitions=self.partitions, replication_factor=1, config=config)
        return NewTopic(name, num_partitions=self.partitions, replication_factor=1)

    def _topic(self, name: str) -> TopicMetadata | None:
        try:
            found: TopicMetadata | None = self._meta.list_topics(topic=name, timeout=REQUEST_TIMEOUT_S).topics.get(name)
        except KafkaException as exc:
            raise TransientError(f"metadata for {name} unavailable: {exc}") from exc
        return found

    def _partitions(self, topic: str) -> list[TopicPartition]:
        self._ensure_topics([topic])
        name = self._t(topic)
        found = self._topic(name)
        return [TopicPartition(name, p) for p in sorted(found.partitions if found else ())]

    def _admin(self) -> AdminClient:
        """A new admin client for each of the rare operations that need one (creating topics, deleting a group).

        Not one kept for the log's life: after a broker restart, librdkafka 2.16's admin client kept failing
        offset requests (``list_consumer_group_offsets`` timed out, ``list_offsets`` answered
        FENCED_LEADER_EPOCH) for as long as it was watched (90 s), while a new one and the consumers'
        own offset calls answered at once (measured with the broker restarted under them).
        """
        return AdminClient(self._config(f"{self.namespace}-admin", served=False))

    def _watermarks(self, partitions: Sequence[TopicPartition]) -> dict[TP, tuple[int, int]]:
        """Each partition's first and next offset, asked of the broker (a partition not ready yet: again, for
        :data:`REQUEST_TIMEOUT_S` at most)."""
        found: dict[TP, tuple[int, int]] = {}
        deadline = time.monotonic() + REQUEST_TIMEOUT_S
        for tp in partitions:
            while True:
                try:
                    low, high = self._meta.get_watermark_offsets(
                        TopicPartition(tp.topic, tp.partition), timeout=REQUEST_TIMEOUT_S, cached=False
                    )
                    break
                except KafkaException as exc:
                    if exc.args[0].code() not in NOT_READY or time.monotonic() > deadline:
                        raise TransientError(f"offsets of {tp.topic}[{tp.partition}] unavailable: {exc}") from exc
                    time.sleep(0.2)
            found[(self._short(tp.topic), tp.partition)] = (low, high)
        return found

    def _reader(self, group: str = "reader", client: str = "reader", *, served: bool = True) -> Consumer:
        """A consumer that never joins its group or commits by itself: it is assigned partitions, or asks for
        offsets (librdkafka wants a group id all the same, and would commit for it every 5 s unless told not to)."""
        return Consumer(
            self._config(
                f"{self.namespace}-{client}",
                {"group.id": self._g(group), "enable.auto.commit": False, "enable.auto.offset.store": False},
                served=served,
            )
        )

    # -- producing ---------------------------------------------------------------------------------
    def append(self, topic: str, records: Sequence[Outgoing]) -> int:
        self._ensure_topics([topic])
        self._send(self._t(topic), ((r.key.encode(), r.value, None) for r in records))
        return len(records)

    def _send(self, name: str, records: Iterable[tuple[bytes, bytes, Headers | None]]) -> None:
        """Produce and wait until the cluster acknowledged every record (``acks=all``); raise if any failed."""
        failed: list[KafkaError] = []

        def delivered(error: KafkaError | None, _message: Message) -> None:
            if error is not None:
                failed.append(error)

        try:
            with self._sending:
                for key, value, headers in records:
                    while True:
                        try:
                            self._producer.produce(name, value=value, key=key, headers=headers, on_delivery=delivered)
                            break
                        except BufferError:  # the local queue is full: let deliveries drain it
                            self._producer.poll(0.1)
                left = self._producer.flush(SEND_TIMEOUT_S + 15)
        except KafkaException as exc:
            raise TransientError(f"append to {name} failed: {exc}") from exc
        if left:
            raise TransientError(f"append to {name}: {left} records not acknowledged in {SEND_TIMEOUT_S + 15:.0f} s")
        if failed:
            raise TransientError(f"append to {name} failed for {len(failed)} records: {failed[0]}")

    # -- consuming ---------------------------------------------------------------------------------
    def _consumer(self, group: str, topics: Sequence[str]) -> Consumer:
        consumer = self._consumers.get(group)
        if consumer is None:
            self._ensure_topics(topics)
            consumer = Consumer(
                self._config(
                    f"{self.namespace}-{group}",
                    {
                        "group.id": self._g(group),
                        "enable.auto.commit": False,
                        "enable.auto.offset.store": False,
                        "auto.offset.reset": "earliest",
                        "max.poll.interval.ms": 300_000,
                        "session.timeout.ms": 10_000,
                        "heartbeat.interval.ms": 3_000,
                        "fetch.max.bytes": 32 * 1024 * 1024,
                        # 1 MB a partition (about 1,700 demo records), not more: a batch then takes every
                        # partition's stretch of time evenly instead of one partition's months, so each month's
                        # cells are recomputed fewer times (200,000 events: 7,204 atom summaries instead of 12,262)
                        "max.partition.fetch.bytes": 1024 * 1024,
                        # what the client fetches ahead of the worker, in all (librdkafka's default is 64 MB)
                        "queued.max.messages.kbytes": 32 * 1024,
                        "topic.metadata.refresh.interval.ms": 30_000,
                    },
                )
            )
            continuity = self._continuity.setdefault(group, Continuity())
            assignments = _Assignments(self, group, continuity)
            consumer.subscribe(
                [self._t(t) for t in topics],
                on_assign=assignments.on_assign,
                on_revoke=assignments.on_revoke,
                on_lost=assignments.on_lost,
            )
            self._consumers[group] = consumer
        return consumer

    def poll(
        self,
        group: str,
        topics: Sequence[str],
        max_records: int,
        timeout: float = 0.0,
        max_bytes: int = MAX_BATCH_BYTES,
    ) -> list[Record]:
        """Records after the group's position; [] only once every assigned partition is at its end.

        The batch is taken in several consumes (:meth:`_take`) so that its bytes stay bounded: the
        worker's batch size, not one fetch, decides how many records a write takes. Past ``max_bytes``
        the batch is cut and the consumer sent back to the first record left out of each partition
        (:meth:`_within`). A partition whose records do not continue where the last ones ended is sent
        back to the first one missing (:meth:`_continuous`). After :data:`JOIN_TIMEOUT_S` with
        nothing, [] too, and the consumer is checked for a stall (:meth:`_watch_stall`).
        """
        consumer = self._consumer(group, topics)
        if group in self._rewind_first:
            self.rewind(group, topics)
            self._rewind_first.discard(group)
        deadline = time.monotonic() + max(timeout, JOIN_TIMEOUT_S)
        try:
            while True:
                records = self._take(group, consumer, max_records, max_bytes, max(timeout, 0.2))
                if records is None:  # the group rebalanced meanwhile: take the batch again from the committed offsets
                    if time.monotonic() > deadline:
                        break
                    continue
                if records:
                    records = self._continuous(consumer, group, self._within(consumer, records, max_bytes))
                    if records:
                        self._stalled.pop(group, None)
                        return records
                    continue  # every partition polled was sent back to records it had skipped
                assigned = consumer.assignment()
                if assigned and self._at_end(consumer, assigned):
                    self._stalled.pop(group, None)
                    return []
                if time.monotonic() > deadline:
                    break
        except KafkaException as exc:
            raise TransientError(f"poll for {group} failed: {exc}") from exc
        self._watch_stall(group, topics)
        return []

    def _take(
        self, group: str, consumer: Consumer, max_records: int, max_bytes: int, wait: float
    ) -> list[Record] | None:
        """Up to ``max_records`` records, the first consume waiting up to ``wait`` for them, further ones
        :data:`FILL_WAIT_S`, for :data:`FILL_LIMIT_S` in all (a trickle of records must not hold a batch back).

        A consume returns once it has the records asked for or its wait is over, so a short answer means
        the log has no more for now. Each asks for no more records than there are MiB left under
        ``max_bytes`` (at least one): no record is larger than :data:`LARGEST_RECORD`, so a batch holds at
        most ``max_bytes`` and one record. Each consume continues every partition where the last stopped,
        so appending keeps the order within each partition. None if the group rebalanced inside one of
        the consumes (:meth:`_after_rebalance`).
        """
        records: list[Record] = []
        held = 0
        limit = time.monotonic() + FILL_LIMIT_S
        while len(records) < max_records and held < max_bytes:
            ask = min(max_records - len(records), max(1, (max_bytes - held) // LARGEST_RECORD))
            epoch = self._assignments.get(group, 0)
            messages = consumer.consume(ask, wait if not records else FILL_WAIT_S)
            if self._assignments.get(group, 0) != epoch:
                self._after_rebalance(consumer, group, messages)
                return None
            more = self._records(group, messages)
            records += more
            held += sum(len(r.value or b"") for r in more)  # a null value (a tombstone) is dead-lettered later
            if len(messages) < ask or time.monotonic() > limit:
                break
        return records

    def _after_rebalance(self, consumer: Consumer, group: str, messages: Sequence[Message]) -> None:
        """The group rebalanced inside a consume of this batch: what the batch gathered before may belong to
        partitions now another member's, and records of a partition assigned again restart at the committed
        offset, behind what was gathered. So nothing gathered is handed over. Every partition of the new
        assignment starts at the committed offset by itself (the callbacks left it pending); one whose
        records this very consume returned has moved past them, and is sent back there."""
        assigned = consumer.assignment()
        log.info(
            "the group rebalanced while a batch was taken: taking it again from the committed offsets",
            extra=fields(group=group, partitions=len(assigned)),
        )
        returned = {(m.topic(), m.partition()) for m in messages if m.error() is None}
        moved = [tp for tp in assigned if (tp.topic, tp.partition) in returned]
        if moved:
            self._send_back(consumer, group, moved)

    def _send_back(self, consumer: Consumer, group: str, partitions: list[TopicPartition]) -> None:
        """Each partition to the group's committed offset (the log's start if none), expected there.

        librdkafka refuses a seek on a partition that has not started fetching yet (just assigned, its
        committed offset still being read; or a previous assignment still stopping): such a partition
        starts at the committed offset by itself, so it is left pending, for the continuity check to
        compare its first record with that offset.
        """
        continuity = self._continuity.setdefault(group, Continuity())
        for tp, offset in self._committed_of(consumer, partitions):
            key = (self._short(tp.topic), tp.partition)
            try:
                consumer.seek(TopicPartition(tp.topic, tp.partition, OFFSET_BEGINNING if offset is None else offset))
            except KafkaException as exc:
                if exc.args[0].code() not in NOT_FETCHING:
                    raise
                continuity.pending.add(key)
                continue
            continuity.expect(key, offset)

    @staticmethod
    def _committed_of(consumer: Consumer, partitions: list[TopicPartition]) -> list[tuple[TopicPartition, int | None]]:
        """The group's committed offset of each partition (None: never committed). A partition the cluster
        could not answer for is an error: read as "never", it would send the worker to the log's start."""
        found = consumer.committed(partitions, timeout=REQUEST_TIMEOUT_S)
        failed = [tp for tp in found if tp.error is not None]
        if failed:
            raise TransientError(f"committed offset of {failed[0].topic}[{failed[0].partition}]: {failed[0].error}")
        return [(tp, tp.offset if tp.offset >= 0 else None) for tp in found]

    def _records(self, group: str, messages: Sequence[Message]) -> list[Record]:
        """Records of the messages; a message carrying an error is logged, and a fatal one replaces the consumer.

        A key that is not UTF-8 (a hostile producer) is read with replacement characters: the record still
        reaches the worker, which judges its value.
        """
        cut = len(self.namespace) + 1
        records = []
        for m in messages:
            error = m.error()
            if error is not None:
                self._message_error(group, error)
                continue
            records.append(
                Record(
                    m.topic()[cut:],  # type: ignore[index]  # a message without an error has its topic
                    m.partition(),  # type: ignore[arg-type]
                    m.offset(),  # type: ignore[arg-type]
                    _text(m.key()),
                    m.value(),  # type: ignore[arg-type]
                )
            )
        return records

    def _message_error(self, group: str, error: KafkaError) -> None:
        if error.fatal():
            self._drop_consumer(group)
            raise TransientError(f"the consumer of {group} failed and is replaced: {error}")
        log.warning("the Kafka consumer reported an error", extra=fields(group=group, error=str(error)))

    def _watch_stall(self, group: str, topics: Sequence[str]) -> None:
        """Replace the group's consumer when it has handed over nothing for :data:`STALL_S` while the group's
        committed offsets are behind the log's ends and have not moved: nobody in the group is reading.

        Seen with kafka-python after a broker restart (a rejoin assigned nothing, or assigned partitions
        never fetched again: the worker polled an empty log for minutes with thousands of records
        waiting); kept with librdkafka as a guard, since only the group's committed offsets tell a stuck
        consumer from one with no partitions to read in a group where others read them. The check runs
        only after a whole poll (:data:`JOIN_TIMEOUT_S`) brought nothing. A new consumer joins the group
        again and starts from the committed offsets, so nothing is skipped and the batch in flight, if
        any, is committed by it or delivered again.
        """
        committed = self.committed(group, topics)
        waiting = behind(self.end_offsets(topics), committed)
        if not waiting:
            self._stalled.pop(group, None)
            return
        now = time.monotonic()
        since, seen = self._stalled.get(group, (now, committed))
        if seen != committed:
            since, seen = now, committed
        if now - since < STALL_S:
            self._stalled[group] = (since, seen)
            return
        log.warning(
            "consumer handed over nothing while records wait: replacing it",
            extra=fields(group=group, waiting=waiting, stalled_s=round(now - since)),
        )
        self._stalled.pop(group, None)
        self.consumers_replaced += 1
        self._drop_consumer(group)
        self._consumer(group, topics)

    def _drop_consumer(self, group: str) -> None:
        """Leave the group and forget what was known about its partitions."""
        consumer = self._consumers.pop(group, None)
        self._continuity.pop(group, None)
        if consumer is not None:
            try:
                consumer.close()
            except KafkaException as exc:  # it is being dropped: a failed leave only delays the next rebalance
                log.info("consumer did not close cleanly", extra=fields(group=group, error=str(exc)))

    def _within(self, consumer: Consumer, records: list[Record], max_bytes: int) -> list[Record]:
        """The longest prefix of ``records`` within ``max_bytes`` (at least one record); the consumer seeks each
        partition back to its first record left out, so the next poll starts there.

        ``records`` keeps each partition in offset order, so what a cut leaves out of a partition is the
        end of its records here: seeking to the first of them loses and repeats nothing.
        """
        held = 0
        for n, record in enumerate(records):
            held += len(record.value or b"")
            if n and held > max_bytes:
                break
        else:
            return records
        kept, left = records[:n], records[n:]
        first_left: dict[TP, int] = {}
        for record in left:
            first_left.setdefault((record.topic, record.partition), record.offset)
        for (topic, partition), offset in first_left.items():
            consumer.seek(TopicPartition(self._t(topic), partition, offset))
        return kept

    def _continuous(self, consumer: Consumer, group: str, records: list[Record]) -> list[Record]:
        """``records`` without any partition's records after a gap, and that partition sent back to the gap
        (ingest/continuity.py: a position the client moved past records it never handed over). A partition
        newly assigned is expected at the group's committed offset (one offset request, after each
        rebalance only)."""
        continuity = self._continuity.setdefault(group, Continuity())
        if continuity.pending:  # newly assigned: where the group left it
            pending = [TopicPartition(self._t(t), p) for t, p in sorted(continuity.pending)]
            for tp, offset in self._committed_of(consumer, pending):
                continuity.expect((self._short(tp.topic), tp.partition), offset)
        kept, back = continuity.check(records)
        for (topic, partition), offset in back.items():
            consumer.seek(TopicPartition(self._t(topic), partition, offset))
        return kept

    def _at_end(self, consumer: Consumer, assigned: list[TopicPartition]) -> bool:
        """Every assigned partition's position at its end. A partition nothing was read from since its assignment
        has no position yet: it stands at the group's committed offset, or at the log's start if none."""
        at: dict[TP, int] = {}
        unread: list[TopicPartition] = []
        for tp in consumer.position(assigned):
            if tp.offset >= 0:
                at[(self._short(tp.topic), tp.partition)] = tp.offset
            else:
                unread.append(tp)
        if unread:
            never: list[TopicPartition] = []
            for tp, offset in self._committed_of(consumer, unread):
                if offset is not None:
                    at[(self._short(tp.topic), tp.partition)] = offset
                else:
                    never.append(tp)
            at.update({tp: low for tp, (low, _) in self._watermarks(never).items()})
        return all(at[tp] >= high for tp, (_, high) in self._watermarks(assigned).items())

    def _observer(self, group: str) -> Consumer:
        """A consumer with the group's id that never joins it: it reads the group's committed offsets, from any
        thread (a test or ``mittari status`` while the worker reads), and commits for a group nobody reads."""
        with self._lock:
            observer = self._observers.get(group)
            if observer is None:
                observer = self._reader(group, f"{group}-observer", served=False)
                self._observers[group] = observer
            return observer

    def commit(self, group: str, offsets: Mapping[TP, int]) -> None:
        """Commit as the group's member when this log reads for it; otherwise as an outsider, which the
        cluster accepts only while the group has no members (a reset, a tool)."""
        wanted = [TopicPartition(self._t(t), p, o) for (t, p), o in offsets.items()]
        member = self._consumers.get(group)
        try:
            if member is None:
                done = self._observer(group).commit(offsets=wanted, asynchronous=False) or []
            else:
                # Only partitions the member still holds: after a rebalance inside the poll that followed this
                # batch, the broker (classic protocol) takes the commit under the new generation for any
                # partition, and one now another member's would move its committed offset under it.
                held = {(tp.topic, tp.partition) for tp in member.assignment()}
                given_up = [tp for tp in wanted if (tp.topic, tp.partition) not in held]
                if given_up:  # whoever holds them now reads those records again from the committed offset
                    log.info(
                        "commit skipped for partitions this member no longer holds",
                        extra=fields(
                            group=group, partitions={f"{tp.topic}[{tp.partition}]": tp.offset for tp in given_up}
                        ),
                    )
                wanted = [tp for tp in wanted if (tp.topic, tp.partition) in held]
                done = (member.commit(offsets=wanted, asynchronous=False) or []) if wanted else []
        except KafkaException as exc:
            raise TransientError(f"commit for {group} failed (refused after a rebalance?): {exc}") from exc
        refused = [tp for tp in done if tp.error is not None]
        if refused:
            raise TransientError(f"commit for {group} refused for {len(refused)} partitions: {refused[0].error}")

    def committed(self, group: str, topics: Sequence[str]) -> dict[TP, int]:
        tps = [tp for topic in topics for tp in self._partitions(topic)]
        try:
            found = self._committed_of(self._observer(group), tps)
        except KafkaException as exc:
            raise TransientError(f"committed offsets for {group} unavailable: {exc}") from exc
        return {(self._short(tp.topic), tp.partition): offset or 0 for tp, offset in found}

    def end_offsets(self, topics: Sequence[str]) -> dict[TP, int]:
        tps = [tp for topic in topics for tp in self._partitions(topic)]
        return {tp: high for tp, (_, high) in self._watermarks(tps).items()}

    def rewind(self, group: str, topics: Sequence[str]) -> None:
        consumer = self._consumers.get(group)
        if consumer is None:
            return
        try:
            assigned = consumer.assignment()
            if not assigned:
                return
            consumer.resume(assigned)
            self._send_back(consumer, group, assigned)
        except KafkaException as exc:
            raise TransientError(f"rewind for {group} failed: {exc}") from exc

    def wait(self, group: str, seconds: float, stop: threading.Event | None = None) -> None:
        """Wait while keeping the group membership: partitions paused, the consumer still served.

        librdkafka heartbeats on its own thread, but a rebalance waits until the application is served
        (a consume), so the wait keeps consuming. It hands nothing over. Pausing does not make sure of
        that: a rebalance inside the consume assigns partitions anew, unpaused, and the same consume may
        return their records. Any records it returns are therefore given back, each partition sent back
        to its first one. Dropping them lost them (seen with kafka-python as events missing after a
        broker restart, `tests/faults/test_kafka_wait.py`).
        """
        consumer = self._consumers.get(group)
        deadline = time.monotonic() + seconds
        if consumer is None:
            (stop or threading.Event()).wait(seconds)
            return
        try:
            while time.monotonic() < deadline and not (stop and stop.is_set()):
                assigned = consumer.assignment()
                if assigned:
                    consumer.pause(assigned)
                given = consumer.consume(1000, min(1.0, max(0.05, deadline - time.monotonic())))
                first: dict[tuple[str, int], int] = {}
                for m in given:
                    if m.error() is None:
                        first.setdefault((m.topic(), m.partition()), m.offset())  # type: ignore[arg-type]
                for (name, partition), offset in first.items():
                    consumer.seek(TopicPartition(name, partition, offset))
        except KafkaException as exc:
            # a consume may have handed records over before the failure: the next poll starts again at the
            # committed offsets, so none is passed over (raising here would end an idle worker's loop)
            self._rewind_first.add(group)
            log.warning("consume while paused failed", extra=fields(group=group, error=str(exc)))
        finally:
            try:
                assigned = consumer.assignment()
                if assigned:
                    consumer.resume(assigned)
            except KafkaException as exc:
                log.warning("resume after a wait failed", extra=fields(group=group, error=str(exc)))

    def reset(self, group: str, topics: Sequence[str]) -> None:
        self._drop_consumer(group)
        try:
            admin = self._admin()
            admin.delete_consumer_groups([self._g(group)], request_timeout=REQUEST_TIMEOUT_S)[self._g(group)].result()
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.GROUP_ID_NOT_FOUND:
                raise TransientError(f"group {group} could not be deleted: {exc}") from exc
            log.info("group had nothing to delete", extra=fields(group=group))

    # -- dead letters ------------------------------------------------------------------------------
    def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        """Each letter one record; a raw part larger than :data:`DEAD_LETTER_RAW_BYTES` is cut, and the reason
        says so. Whole, it would be refused by the broker (1 MiB a record by default) at every retry, and
        the worker would retry the batch for ever (a document the index rejected is dead-lettered with
        up to 4 MiB of events)."""
        self._ensure_topics([DEAD_LETTER_TOPIC])
        now = datetime.now(UTC).isoformat()
        letters = [_within_record(d) for d in letters]
        self._send(
            self._t(DEAD_LETTER_TOPIC),
            (
                (
                    d.origin.encode(),
                    d.raw,
                    [
                        ("mittari.reason", d.reason.encode()),
                        ("mittari.origin", d.origin.encode()),
                        ("mittari.at", (d.at or now).encode()),
                    ],
                )
                for d in letters
            ),
        )

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        found: list[tuple[int, DeadLetter]] = []
        for m in self._read_whole(self._partitions(DEAD_LETTER_TOPIC)):
            headers = _text_headers(m.headers())
            letter = DeadLetter(
                headers.get("mittari.origin", ""),
                m.value() or b"",
                headers.get("mittari.reason", ""),
                headers.get("mittari.at", ""),
            )
            found.append((m.timestamp()[1], letter))
        found.sort(key=lambda pair: pair[0], reverse=True)
        return [letter for _, letter in found[:limit]]

    def _read_whole(self, partitions: list[TopicPartition]) -> list[Message]:
        """Every record the partitions hold now, from their start to their end (30 s at most)."""
        marks = self._watermarks(partitions)
        starts = {tp: low for tp, (low, _) in marks.items()}
        ends = {tp: high for tp, (_, high) in marks.items()}
        reader = self._reader()
        try:
            reader.assign([TopicPartition(tp.topic, tp.partition, OFFSET_BEGINNING) for tp in partitions])
            return list(self._read_on(reader, starts, ends, partitions[0].topic))
        except KafkaException as exc:
            raise TransientError(f"{partitions[0].topic} cannot be read: {exc}") from exc
        finally:
            reader.close()

    def _read_on(self, reader: Consumer, next_of: dict[TP, int], ends: dict[TP, int], what: str) -> Iterator[Message]:
        """The records of the reader's partitions from ``next_of`` (updated as they come) to ``ends``, for 30 s
        at most."""
        deadline = time.monotonic() + 30
        while any(next_of[tp] < end for tp, end in ends.items()):
            if time.monotonic() > deadline:
                raise TransientError(f"{what} could not be read to its end")
            for m in reader.consume(500, 0.5):
                if m.error() is None:
                    next_of[(self._short(m.topic() or ""), m.partition() or 0)] = (m.offset() or 0) + 1
                    yield m

    # -- erasure and retention ---------------------------------------------------------------------
    def erase(self, subject_id: str, reason: str, at: str) -> Erasure:
        """A tombstone on the compacted erasure topic; records in the event topics cannot be deleted one by one."""
        already = subject_id in self.erased()
        if not already:
            self.append(ERASURE_TOPIC, [Outgoing(subject_id, json.dumps({"reason": reason, "at": at}).encode())])
            self._erased[subject_id] = ErasedSubject(subject_id, reason, at)
        return Erasure(subject_id, already, events_erased=0, dead_letters_erased=0)

    def erased(self) -> dict[str, ErasedSubject]:
        """The deny-list, read on from where the last call stopped (one end-offset request when nothing is new).

        Offsets in a compacted topic have gaps, but the newest record is never compacted away, so reading
        until the last record before the end reaches the end.
        """
        try:
            if self._erasure_reader is None:
                tps = self._partitions(ERASURE_TOPIC)
                self._erasure_next = {tp: low for tp, (low, _) in self._watermarks(tps).items()}
                reader = self._reader()
                reader.assign([TopicPartition(tp.topic, tp.partition, OFFSET_BEGINNING) for tp in tps])
                self._erasure_reader = reader
            reader = self._erasure_reader
            ends = {tp: high for tp, (_, high) in self._watermarks(reader.assignment()).items()}
            for m in self._read_on(reader, self._erasure_next, ends, "the erasure topic"):
                subject = _text(m.key())
                try:  # a record that is not Mittari's still erases its key: the deny-list errs on the side of it
                    data = json.loads(m.value() or b"{}")
                except ValueError:
                    data = {}
                if not isinstance(data, dict):
                    data = {}
                self._erased[subject] = ErasedSubject(subject, str(data.get("reason", "")), str(data.get("at", "")))
        except KafkaException as exc:
            raise TransientError(f"the erasure topic cannot be read: {exc}") from exc
        return dict(self._erased)

    def drop_raw(self, before: datetime) -> RawDropped:
        """Kafka records cannot be rewritten: ``raw`` ages out with each topic's ``retention.ms``."""
        return RawDropped(0, 0)

    def close(self) -> None:
        if self._erasure_reader is not None:
            self._erasure_reader.close()
            self._erasure_reader = None
        for group in list(self._consumers):
            self._drop_consumer(group)
        with self._lock:
            for observer in self._observers.values():
                observer.close()
            self._observers.clear()
        self._meta.close()
        self._producer.flush(SEND_TIMEOUT_S)
        self._producer.close()


class _Assignments:
    """Keeps a group's :class:`Continuity` to the partitions the consumer holds after each rebalance.

    The callbacks run inside the consumer's ``consume``, on the worker's thread. Under the eager protocol
    (librdkafka's default strategies) every partition is revoked before each assignment and an assignment
    starts each partition at the group's committed offset, so every partition assigned is pending: its
    first record must be at that offset.
    """

    def __init__(self, owner: KafkaLog, group: str, continuity: Continuity) -> None:
        self.owner = owner
        self.group = group
        self.continuity = continuity

    def _moved(self) -> None:
        self.owner._assignments[self.group] = self.owner._assignments.get(self.group, 0) + 1

    def on_assign(self, _consumer: Consumer, assigned: list[TopicPartition]) -> None:
        self._moved()
        held = [(self.owner._short(tp.topic), tp.partition) for tp in assigned]
        self.continuity.clear()
        self.continuity.assigned(held)
        log.info("partitions assigned", extra=fields(group=self.group, partitions=sorted(held)))

    def on_revoke(self, _consumer: Consumer, revoked: list[TopicPartition]) -> None:
        self._moved()
        log.info("partitions revoked", extra=fields(group=self.group, partitions=len(revoked)))

    def on_lost(self, _consumer: Consumer, lost: list[TopicPartition]) -> None:
        self._moved()
        self.continuity.clear()  # evicted: another member may read them before they come back
        log.warning("partitions lost: the group went on without this member", extra=fields(group=self.group))


def _within_record(letter: DeadLetter) -> DeadLetter:
    if len(letter.raw) <= DEAD_LETTER_RAW_BYTES:
        return letter
    reason = f"{letter.reason} (raw cut to its first {DEAD_LETTER_RAW_BYTES} of {len(letter.raw)} bytes)"
    return DeadLetter(letter.origin, letter.raw[:DEAD_LETTER_RAW_BYTES], reason, letter.at)


def _text(value: str | bytes | None) -> str:
    """A key or header as text; bytes that are not UTF-8 (a hostile producer) read with replacement characters."""
    return value.decode(errors="replace") if isinstance(value, bytes) else (value or "")


def _text_headers(headers: Headers | dict[str, str | bytes | None] | None) -> dict[str, str]:
    pairs = headers.items() if isinstance(headers, dict) else headers or []
    return {k: _text(v) for k, v in pairs}


def _client_error(error: KafkaError) -> None:
    """librdkafka's errors outside any request (a broker unreachable, all brokers down): it retries by itself,
    so they are logged, and the requests that fail because of them raise."""
    log.warning("Kafka client error", extra=fields(error=str(error), fatal=error.fatal()))


def delete_topics(url: str, namespace: str) -> None:
    """Delete a namespace's topics (benchmarks and tests clean up after themselves)."""
    admin = AdminClient({"bootstrap.servers": url.removeprefix("kafka://")})
    mine = [t for t in admin.list_topics(timeout=REQUEST_TIMEOUT_S).topics if t.startswith(namespace + ".")]
    if mine:
        for future in admin.delete_topics(mine, operation_timeout=REQUEST_TIMEOUT_S).values():
            future.result()


def from_url(url: str, namespace: str, partitions: int = 3, raw_retention_days: int = 90) -> KafkaLog:
    servers = [s for s in url.removeprefix("kafka://").strip("/").split(",") if s]
    return KafkaLog(servers, namespace=namespace, partitions=partitions, dead_letter_retention_days=raw_retention_days)
