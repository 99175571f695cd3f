"""The Kafka event log (kafka-python), for a city's scale: many producers, several workers per group.

Topics are ``{namespace}.{family}`` with several partitions; events are keyed
by subject id, so one item's events stay in order within a partition. Offsets
are committed only explicitly, after the index has the batch. A rebalance can
only happen inside ``poll`` — after the previous batch was committed and before
the next is taken — so a revoked partition never has an uncommitted batch that
was indexed elsewhere; the new owner resumes from the committed offset.

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
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.errors import CommitFailedError, KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata, TopicPartition

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

log = logging.getLogger(__name__)

DEAD_LETTER_TOPIC = "dead-letters"
JOIN_TIMEOUT_S = 30.0
#: filling a batch from further polls (:meth:`KafkaLog._fill`): how long one poll may wait for more records,
#: and how long the filling may take in all
FILL_WAIT_S = 0.1
FILL_LIMIT_S = 2.0
#: a consumer that hands over nothing while its group has records waiting and commits nothing is replaced after
#: this long (:meth:`KafkaLog._watch_stall`)
STALL_S = 120.0


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
        self._erasure_reader: KafkaConsumer | None = None
        self._erased: dict[str, ErasedSubject] = {}
        self._consumers: dict[str, KafkaConsumer] = {}
        self._continuity: dict[str, Continuity] = {}  # per group: where each partition's next record starts
        self._stalled: dict[str, tuple[float, dict[TP, int]]] = {}  # per group: since when, at which commits
        self.consumers_replaced = 0
        self._known_topics: set[str] = set()
        self._lock = threading.Lock()
        try:
            self._admin = KafkaAdminClient(bootstrap_servers=self.servers, client_id=f"{namespace}-admin")
            self._producer = KafkaProducer(
                bootstrap_servers=self.servers,
                client_id=f"{namespace}-producer",
                acks="all",
                enable_idempotence=True,
                linger_ms=5,
                batch_size=512 * 1024,
                max_request_size=2 * 1024 * 1024,
            )
        except KafkaError as exc:
            raise TransientError(f"Kafka at {','.join(self.servers)} cannot be reached: {exc}") from exc

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
        specs = {name: self._topic_spec(name) for name in missing}
        try:
            self._admin.create_topics(specs, raise_errors=False, wait_for_metadata=True)
        except TopicAlreadyExistsError:
            pass
        except KafkaError as exc:
            raise TransientError(f"topics {missing} cannot be created: {exc}") from exc
        self._known_topics.update(missing)

    def _topic_spec(self, name: str) -> dict[str, object]:
        """Event topics: the broker's retention; dead letters: the raw retention; erasures: compacted, one partition."""
        if name == self._t(ERASURE_TOPIC):
            return {"num_partitions": 1, "replication_factor": 1, "configs": {"cleanup.policy": "compact"}}
        spec: dict[str, object] = {"num_partitions": self.partitions, "replication_factor": 1}
        if name == self._t(DEAD_LETTER_TOPIC):
            spec["configs"] = {"retention.ms": str(self.dead_letter_retention_ms)}
        return spec

    def _partitions(self, topic: str) -> list[TopicPartition]:
        self._ensure_topics([topic])
        consumer = self._plain_consumer()
        try:
            numbers = consumer.partitions_for_topic(self._t(topic)) or set()
        finally:
            consumer.close()
        return [TopicPartition(self._t(topic), p) for p in sorted(numbers)]

    def _plain_consumer(self, group: str | None = None) -> KafkaConsumer:
        return KafkaConsumer(
            bootstrap_servers=self.servers,
            group_id=self._g(group) if group else None,
            enable_auto_commit=False,
            client_id=f"{self.namespace}-reader",
        )

    # -- producing ---------------------------------------------------------------------------------
    def append(self, topic: str, records: Sequence[Outgoing]) -> int:
        self._ensure_topics([topic])
        name = self._t(topic)
        try:
            futures = [self._producer.send(name, key=r.key.encode(), value=r.value) for r in records]
            self._producer.flush(timeout=60)
            for future in futures:
                future.get(timeout=60)
        except KafkaError as exc:
            raise TransientError(f"append to {name} failed: {exc}") from exc
        return len(records)

    # -- consuming ---------------------------------------------------------------------------------
    def _consumer(self, group: str, topics: Sequence[str]) -> KafkaConsumer:
        consumer = self._consumers.get(group)
        if consumer is None:
            self._ensure_topics(topics)
            consumer = KafkaConsumer(
                bootstrap_servers=self.servers,
                group_id=self._g(group),
                client_id=f"{self.namespace}-{group}",
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                max_poll_interval_ms=300_000,
                session_timeout_ms=10_000,
                heartbeat_interval_ms=3_000,
                fetch_max_bytes=32 * 1024 * 1024,
                # 1 MB a partition (about 1,700 demo records), not 8: a batch then takes every partition's
                # stretch of time evenly instead of one partition's months, so each month's cells are
                # recomputed fewer times (200,000 events: 7,204 atom summaries instead of 12,262)
                max_partition_fetch_bytes=1024 * 1024,
                # a rejoin right after a broker restart can be assigned nothing, the leader's metadata lacking
                # the topics' partitions ("No partition metadata"); the next metadata refresh corrects the
                # assignment, so it comes after 30 s rather than the client's default 5 minutes
                metadata_max_age_ms=30_000,
            )
            listener = _Assignments(self, consumer, self._continuity.setdefault(group, Continuity()))
            consumer.subscribe([self._t(t) for t in topics], listener=listener)
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

        One ``KafkaConsumer.poll`` hands over what its completed fetches hold, often one partition's
        fetch (200,000 demo records asked for in batches of 20,000 came in 11 batches, the first folding
        into 5,189 documents where a whole batch makes about 14,000), so the batch is filled from
        further polls while records keep arriving (:meth:`_fill`): the worker's batch size, not the
        fetch size, decides how many records a write takes. Past ``max_bytes`` the batch is cut and
        the consumer sent back to the first record left out of each partition (:meth:`_within`). A
        partition whose records do not continue where the last ones ended is sent back to the first one
        missing (:meth:`_continuous`). After :data:`JOIN_TIMEOUT_S` with nothing, [] too, and the
        consumer is checked for a stall (:meth:`_watch_stall`).
        """
        consumer = self._consumer(group, topics)
        deadline = time.monotonic() + max(timeout, JOIN_TIMEOUT_S)
        try:
            while True:
                batch = consumer.poll(timeout_ms=int(max(timeout, 0.2) * 1000), max_records=max_records)
                records = self._records(batch)
                if records:
                    records = self._within(consumer, self._fill(consumer, records, max_records, max_bytes), max_bytes)
                    records = self._continuous(consumer, group, records)
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
        except KafkaError as exc:
            raise TransientError(f"poll for {group} failed: {exc}") from exc
        self._watch_stall(group, topics)
        return []

    def _watch_stall(self, group: str, topics: Sequence[str]) -> None:
        """Replace the group's consumer when it has handed over nothing for :data:`STALL_S` while the group's
        committed offsets are behind the log's ends and have not moved: nobody in the group is reading.

        A consumer can stay stuck after a broker restart: seen here with kafka-python 3.0.12 as a rejoin
        whose assignment was computed without the topics' metadata ("No partition metadata"), and as
        assigned partitions that were never fetched again; the worker then polled an empty log for
        minutes with thousands of records waiting. Only the group's committed offsets tell a stuck
        consumer from one with no partitions to read in a group where others read them, so the check runs
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
        stuck = self._consumers.pop(group, None)
        self._continuity.pop(group, None)
        if stuck is not None:
            try:
                stuck.close(autocommit=False)
            except KafkaError as exc:  # it is being dropped: a failed leave only delays the next rebalance
                log.info("stuck consumer did not close cleanly", extra=fields(group=group, error=str(exc)))
        self._consumer(group, topics)

    def _records(self, batch: Mapping[TopicPartition, Sequence[Any]]) -> list[Record]:
        return [
            Record(self._short(tp.topic), tp.partition, m.offset, (m.key or b"").decode(), m.value)
            for tp, messages in sorted(batch.items(), key=lambda kv: (kv[0].topic, kv[0].partition))
            for m in messages
        ]

    def _fill(
        self, consumer: KafkaConsumer, records: list[Record], max_records: int, max_bytes: int = MAX_BATCH_BYTES
    ) -> list[Record]:
        """More records after ``records``, up to ``max_records``, while a poll brings some within
        :data:`FILL_WAIT_S`, for :data:`FILL_LIMIT_S` at most (a trickle of records must not hold a batch back).

        Each poll continues every partition where the previous one stopped, so appending keeps the
        order within each partition. Nothing is committed here: if the group rebalances inside one of
        these polls, the worker's commit is refused and the batch is read again from the committed
        offsets, as with a rebalance in the first poll (folding is idempotent by event id).
        """
        limit = time.monotonic() + FILL_LIMIT_S
        held = sum(len(r.value or b"") for r in records)  # a null value (a tombstone) is dead-lettered later
        while len(records) < max_records and held < max_bytes and time.monotonic() < limit:
            more = self._records(
                consumer.poll(timeout_ms=int(FILL_WAIT_S * 1000), max_records=max_records - len(records))
            )
            if not more:
                break
            records += more
            held += sum(len(r.value or b"") for r in more)
        return records

    def _within(self, consumer: KafkaConsumer, records: list[Record], max_bytes: int) -> list[Record]:
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
        first_left: dict[tuple[str, int], int] = {}
        for record in left:
            first_left.setdefault((record.topic, record.partition), record.offset)
        for (topic, partition), offset in first_left.items():
            consumer.seek(TopicPartition(self._t(topic), partition), offset)
        return kept

    def _continuous(self, consumer: KafkaConsumer, group: str, records: list[Record]) -> list[Record]:
        """``records`` without any partition's records after a gap, and that partition sent back to the gap
        (ingest/continuity.py: a position the client moved past records it never handed over). A partition
        newly assigned is expected at the group's committed offset (one offset fetch a partition, after
        each rebalance only)."""
        continuity = self._continuity.setdefault(group, Continuity())
        for topic, partition in sorted(continuity.pending):  # newly assigned: where the group left it
            continuity.expect((topic, partition), consumer.committed(TopicPartition(self._t(topic), partition)))
        kept, back = continuity.check(records)
        for (topic, partition), offset in back.items():
            consumer.seek(TopicPartition(self._t(topic), partition), offset)
        return kept

    @staticmethod
    def _at_end(consumer: KafkaConsumer, assigned: set[TopicPartition]) -> bool:
        ends = consumer.end_offsets(list(assigned))
        return all(consumer.position(tp) >= ends[tp] for tp in assigned if tp not in consumer.paused())

    def commit(self, group: str, offsets: Mapping[TP, int]) -> None:
        consumer = self._consumers.get(group)
        if consumer is None:
            consumer = self._consumers[group] = self._plain_consumer(group)
        payload = {TopicPartition(self._t(t), p): OffsetAndMetadata(o, "", -1) for (t, p), o in offsets.items()}
        try:
            consumer.commit(payload)
        except CommitFailedError as exc:
            raise TransientError(f"commit for {group} refused after a rebalance: {exc}") from exc
        except KafkaError as exc:
            raise TransientError(f"commit for {group} failed: {exc}") from exc

    def committed(self, group: str, topics: Sequence[str]) -> dict[TP, int]:
        consumer = self._plain_consumer(group)
        try:
            result: dict[TP, int] = {}
            for topic in topics:
                for tp in self._partitions(topic):
                    result[(topic, tp.partition)] = consumer.committed(tp) or 0
            return result
        except KafkaError as exc:
            raise TransientError(f"committed offsets for {group} unavailable: {exc}") from exc
        finally:
            consumer.close()

    def end_offsets(self, topics: Sequence[str]) -> dict[TP, int]:
        consumer = self._plain_consumer()
        try:
            tps = [tp for topic in topics for tp in self._partitions(topic)]
            return {(self._short(tp.topic), tp.partition): end for tp, end in consumer.end_offsets(tps).items()}
        except KafkaError as exc:
            raise TransientError(f"end offsets unavailable: {exc}") from exc
        finally:
            consumer.close()

    def rewind(self, group: str, topics: Sequence[str]) -> None:
        consumer = self._consumers.get(group)
        if consumer is None:
            return
        try:
            assigned = consumer.assignment()
            if assigned:
                consumer.resume(*assigned)
            continuity = self._continuity.setdefault(group, Continuity())
            for tp in assigned:
                committed = consumer.committed(tp)
                if committed is None:
                    consumer.seek_to_beginning(tp)
                else:
                    consumer.seek(tp, committed)
                continuity.expect((self._short(tp.topic), tp.partition), committed)
        except KafkaError as exc:
            raise TransientError(f"rewind for {group} failed: {exc}") from exc

    def wait(self, group: str, seconds: float, stop: threading.Event | None = None) -> None:
        """Wait while keeping the group membership: partitions paused, poll still called.

        A poll here hands nothing over. Pausing does not make sure of that: a rebalance inside the poll
        assigns partitions anew, unpaused, and the same poll may fetch and return their records, moving
        their positions past them. Any records it returns are therefore given back, each partition sent
        back to its first one. Dropping them lost them: the next batch started after them and its commit
        covered them (seen as events missing after a broker restart, `test_kafka_broker_restart_mid_ingest`).
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
                    consumer.pause(*assigned)
                given = consumer.poll(timeout_ms=int(min(1.0, max(0.05, deadline - time.monotonic())) * 1000))
                for tp, messages in given.items():
                    if messages:
                        consumer.seek(tp, messages[0].offset)
        except KafkaError as exc:
            log.warning("poll while paused failed", extra=fields(group=group, error=str(exc)))
        finally:
            paused = consumer.paused()
            if paused:
                consumer.resume(*paused)

    def reset(self, group: str, topics: Sequence[str]) -> None:
        consumer = self._consumers.pop(group, None)
        if consumer is not None:
            consumer.close()
        self._continuity.pop(group, None)
        try:
            self._admin.delete_groups([self._g(group)])
        except KafkaError as exc:
            log.info("group had nothing to delete", extra=fields(group=group, error=str(exc)))

    # -- dead letters ------------------------------------------------------------------------------
    def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        self._ensure_topics([DEAD_LETTER_TOPIC])
        name = self._t(DEAD_LETTER_TOPIC)
        now = datetime.now(UTC).isoformat()
        try:
            futures = [
                self._producer.send(
                    name,
                    key=d.origin.encode(),
                    value=d.raw,
                    headers=[
                        ("mittari.reason", d.reason.encode()),
                        ("mittari.origin", d.origin.encode()),
                        ("mittari.at", (d.at or now).encode()),
                    ],
                )
                for d in letters
            ]
            self._producer.flush(timeout=60)
            for future in futures:
                future.get(timeout=60)
        except KafkaError as exc:
            raise TransientError(f"dead letters could not be written: {exc}") from exc

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        tps = self._partitions(DEAD_LETTER_TOPIC)
        consumer = self._plain_consumer()
        try:
            consumer.assign(tps)
            consumer.seek_to_beginning(*tps)
            ends = consumer.end_offsets(tps)
            found: list[tuple[int, DeadLetter]] = []
            deadline = time.monotonic() + 30
            while any(consumer.position(tp) < ends[tp] for tp in tps) and time.monotonic() < deadline:
                for messages in consumer.poll(timeout_ms=500).values():
                    for m in messages:
                        headers = {k: v.decode() for k, v in (m.headers or [])}
                        letter = DeadLetter(
                            headers.get("mittari.origin", ""),
                            m.value,
                            headers.get("mittari.reason", ""),
                            headers.get("mittari.at", ""),
                        )
                        found.append((m.timestamp, letter))
            found.sort(key=lambda pair: pair[0], reverse=True)
            return [letter for _, letter in found[:limit]]
        finally:
            consumer.close()

    # -- erasure and retention ---------------------------------------------------------------------
    def erase(self, subject_id: str, reason: str, at: str) -> Erasure:
        """A tombstone on the compacted erasure topic; records in the event topics cannot be deleted one by one."""
        already = subject_id in self.erased()
        if not already:
            self.append(ERASURE_TOPIC, [Outgoing(subject_id, json.dumps({"reason": reason, "at": at}).encode())])
            self._erased[subject_id] = ErasedSubject(subject_id, reason, at)
        return Erasure(subject_id, already, events_erased=0, dead_letters_erased=0)

    def erased(self) -> dict[str, ErasedSubject]:
        """The deny-list, read on from where the last call stopped (one end-offset request when nothing is new)."""
        try:
            if self._erasure_reader is None:
                tps = self._partitions(ERASURE_TOPIC)
                self._erasure_reader = self._plain_consumer()
                self._erasure_reader.assign(tps)
                self._erasure_reader.seek_to_beginning(*tps)
            reader = self._erasure_reader
            tps = list(reader.assignment())
            ends = reader.end_offsets(tps)
            deadline = time.monotonic() + 30
            while any(reader.position(tp) < ends[tp] for tp in tps):
                if time.monotonic() > deadline:
                    raise TransientError("the erasure topic could not be read to its end")
                for messages in reader.poll(timeout_ms=500).values():
                    for m in messages:
                        subject = (m.key or b"").decode()
                        data = json.loads(m.value) if m.value else {}
                        self._erased[subject] = ErasedSubject(subject, data.get("reason", ""), data.get("at", ""))
        except KafkaError as exc:
            raise TransientError(f"the erasure topic cannot be read: {exc}") from exc
        return dict(self._erased)

    def drop_raw(self, before: datetime) -> RawDropped:
        """Kafka records cannot be rewritten: ``raw`` ages out with each topic's ``retention.ms``."""
        return RawDropped(0, 0)

    def close(self) -> None:
        if self._erasure_reader is not None:
            self._erasure_reader.close()
        for consumer in self._consumers.values():
            consumer.close()
        self._consumers.clear()
        self._producer.close()
        self._admin.close()


class _Assignments(ConsumerRebalanceListener):  # type: ignore[misc]  # kafka-python has no type hints
    """Keeps a group's :class:`Continuity` to the partitions the consumer holds after each rebalance."""

    def __init__(self, owner: KafkaLog, consumer: KafkaConsumer, continuity: Continuity) -> None:
        self.owner = owner
        self.consumer = consumer
        self.continuity = continuity

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Nothing yet: under the eager protocol every partition is revoked before each assignment, and one
        assigned again with no other member in between keeps its position, so its expectation holds."""

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """``assigned`` is only the added partitions under the cooperative protocol: the whole assignment,
        already in place when this is called, is what to keep."""
        held = self.consumer.assignment()
        self.continuity.assigned((self.owner._short(tp.topic), tp.partition) for tp in held)

    def on_partitions_lost(self, lost: set[TopicPartition]) -> None:
        self.continuity.clear()  # evicted: another member may read them before they come back


def from_url(url: str, namespace: str, partitions: int = 3, raw_retention_days: int = 90) -> KafkaLog:
    servers = [s for s in url.removeprefix("kafka://").strip("/").split(",") if s]
    return KafkaLog(servers, namespace=namespace, partitions=partitions, dead_letter_retention_days=raw_retention_days)
