"""The ingest worker: log → validate → redact → fold → index → commit.

One loop shape for every log backend. Offsets are committed only after the
index has durably taken the batch, so a crash anywhere before the commit means
the batch is delivered again, and folding (idempotent by event id) makes the
second delivery a no-op. Invalid events go to the dead-letter store with the
reason and the batch goes on. Records of a subject on the log's deny-list
(``mittari forget``) are dropped before anything else looks at them, whatever
offset they are read from, and only counted (``forgotten_events_ignored``): never
indexed, never dead-lettered with their content. SIGTERM only sets a flag: the loop finishes its
batch, commits and returns.
"""

from __future__ import annotations

import gc
import json
import logging
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from core.clock import Clock, SystemClock
from core.errors import InvalidEvent, TransientError
from core.logs import fields
from core.settings import Settings
from ingest.checking import Checked, Checkers
from ingest.events import EVENT_TYPES, TOPICS, parse_event
from ingest.fold import DOC_TYPE_OF_EVENT, MAX_EVENTS_PER_ITEM, MAX_ITEM_BYTES, event_bytes, fold, order_key
from ingest.log import DeadLetter, EventLog, Record, TopicPartition
from ingest.position import Applied, batch_position
from privacy.enforce import PersonalDataInId, redact_event
from privacy.redact import MARKERS, REDACTION_VERSION
from search.index import Document, Index, LogPosition

log = logging.getLogger(__name__)

GROUP = "indexer"

#: A batch's documents go to the index in parts of at most this many bytes of events (``event_bytes``; one
#: item may exceed it alone), each part one durable write with its own counters and position. A document
#: carries its events again in its public body and search terms: its Elasticsearch source measured 2.3
#: times its events over the 20,000-event demo and up to 4.2 for an item of long texts with a long title, so
#: a part stays near 30 MB and below 70 MB with the largest item added (``MAX_ITEM_BYTES``), under
#: Elasticsearch's 100 MB request limit. Demo events are 350 bytes, so a 20,000-event batch is one part.
PART_BYTES = 12 * 1024 * 1024


@dataclass
class BatchResult:
    records: int = 0
    indexed_events: int = 0
    documents: int = 0
    dead_lettered: int = 0
    duplicates: int = 0
    late_events: int = 0
    stale_writes: int = 0
    forgotten: int = 0
    offsets: dict[TopicPartition, int] = field(default_factory=dict)
    applied: Applied = field(default_factory=Applied)  # events applied per stream (ingest/position.py)


@dataclass
class Change:
    """One document a batch writes and what it applies: the events new to it, how many of them are late, and
    the bytes of events the item now holds (what parts are cut by)."""

    doc: Document
    fresh: list[dict[str, Any]]
    late: int
    size: int
    redacted: Counter[str] = field(default_factory=Counter)  # what redaction found in the fresh events


@dataclass
class Part:
    """Documents written in one durable step, with the counters and log position that step carries."""

    docs: list[Document]
    counters: dict[str, int]
    position: LogPosition


@dataclass
class Batch:
    """A batch between its stages: prepared (folded), written to the index, finished (committed)."""

    records: Sequence[Record]
    result: BatchResult
    started: float
    docs: list[Document] = field(default_factory=list)
    letters: list[DeadLetter] = field(default_factory=list)
    counters: Counter[str] = field(default_factory=Counter)
    parts: list[Part] = field(default_factory=list)


def batch_size_for(settings: Settings, index: Index) -> int:
    """Events a worker takes per batch: ``MITTARI_REMOTE_BATCH_SIZE`` on a remote index, else ``MITTARI_BATCH_SIZE``.

    A batch rewrites, whole, every document it adds an event to, and recomputes every cell it
    touches from all of that cell's items; on Elasticsearch each write also waits for a refresh
    and reads the touched cells' items back over the network. So a remote index wants fewer,
    larger batches (measured in README "Performance → Ingest"); the embedded index, where a write
    is local and the worker does not overlap it with the next batch, keeps the smaller default.
    """
    return settings.remote_batch_size if index.remote else settings.batch_size


def _origin(record: Record) -> str:
    """Where a dead-lettered record came from: written only for refused records."""
    return f"{record.topic}[{record.partition}]@{record.offset}"


def refusal_reason(exc: BaseException) -> str:
    """Why an unexpected exception refused a record, short enough for a dead letter's header."""
    return f"record could not be processed: {type(exc).__name__}: {str(exc)[:300]}"


def check(topic: str, value: bytes) -> Checked:
    """One record from the log: the redacted event and what was redacted, or why it is refused.

    Never raises for the record's own faults (one record must never stop the log), only for a
    transient store error. Run here or in a helper process (``ingest/checking.py``).
    """
    # empty without Counter.__init__, whose Python-level update cost 1 µs an event (a Counter holds only its items)
    found: Counter[str] = Counter.__new__(Counter)
    try:
        event = parse_event(value)
        if EVENT_TYPES[event["type"]][0] != topic:
            raise InvalidEvent(f"{event['type']} events belong on topic {EVENT_TYPES[event['type']][0]}")
        event.pop("raw", None)  # the source record stays in the log; it never reaches the index
        redact_event(event, found)  # by the publication policy (privacy/policy.py)
    except InvalidEvent as exc:
        return exc.reason
    except PersonalDataInId as exc:
        return str(exc)
    except TransientError:
        raise
    except Exception as exc:  # refused with the reason
        return refusal_reason(exc)
    return event, found


class Worker:
    def __init__(
        self,
        log: EventLog,
        index: Index,
        *,
        batch_size: int = 5000,
        group: str = GROUP,
        topics: Sequence[str] = TOPICS,
        clock: Clock | None = None,
        pipelined: bool | None = None,
        checkers: int = 0,
    ) -> None:
        self.log = log
        self.index = index
        self.batch_size = batch_size
        self.group = group
        self.topics = tuple(topics)
        self.clock = clock or SystemClock()
        self.stop = threading.Event()
        self.pipelined = index.remote if pipelined is None else pipelined
        self.checkers = checkers  # helper processes checking the next batch (ingest/checking.py); 0: none

    def process(self, records: Sequence[Record]) -> BatchResult:
        """Fold and index one batch, then commit its offsets. Raises before committing on any failure."""
        batch = self._prepare(records, {})
        self._write(batch)
        return self._finish(batch)

    def _prepare(
        self,
        records: Sequence[Record],
        in_flight: Mapping[str, Document],
        checked: Sequence[Checked | None] | None = None,
    ) -> Batch:
        """Validate, redact and fold (CPU only, plus one read of the stored documents).

        ``in_flight`` holds documents of a batch still being written: they are
        newer than what the index can show yet. ``checked`` holds what helper
        processes made of the records (``ingest/checking.py``), one per record in
        order; without it (or for a record they did not read) the records are checked here.
        """
        batch = Batch(records=records, result=BatchResult(records=len(records)), started=self.clock.monotonic())
        by_subject: dict[str, list[dict[str, Any]]] = {}
        found_in: dict[int, Counter[str]] = {}  # by id() of the event: what redaction found, where it found any
        erased = self.log.erased()
        for i, record in enumerate(records):
            if record.key in erased:  # decided now, whatever a helper read: a forget may have come since
                batch.result.forgotten += 1
                continue
            outcome = checked[i] if checked is not None else None
            if outcome is None:
                outcome = check(record.topic, record.value)
            if isinstance(outcome, str):  # refused: the reason goes with the record to the dead letters
                batch.letters.append(DeadLetter(_origin(record), record.value, outcome))
                continue
            event, found = outcome
            if event["subject_id"] in erased:
                batch.result.forgotten += 1
                continue
            if found:  # most records have nothing redacted; counted once the event is applied
                found_in[id(event)] = found
            by_subject.setdefault(event["subject_id"], []).append(event)
        result = batch.result
        offsets = result.offsets
        for topic, partition, offset, _, _ in records:  # dead-lettered records are consumed too
            tp = (topic, partition)
            if offset >= offsets.get(tp, 0):  # the next offset after the highest read (no max(): 0.4 µs a record)
                offsets[tp] = offset + 1
        unknown = [s for s in by_subject if s not in in_flight]
        existing = {**self.index.get_many(unknown), **{s: in_flight[s] for s in by_subject if s in in_flight}}
        changes: list[Change] = []
        for subject_id, incoming in by_subject.items():
            change = self._fold_subject(subject_id, incoming, existing.get(subject_id), batch.letters, result)
            if change is not None:
                changes.append(change)
                batch.docs.append(change.doc)
                result.indexed_events += len(change.fresh)
                result.late_events += change.late
                result.applied.add(change.fresh)
                if found_in:
                    for event in change.fresh:
                        if id(event) in found_in:
                            change.redacted.update(found_in[id(event)])
                    batch.counters.update(change.redacted)
        batch.counters.update(
            events_indexed=result.indexed_events,
            dead_lettered=len(batch.letters),
            duplicates_ignored=result.duplicates,
            late_events=result.late_events,
            forgotten_events_ignored=result.forgotten,
        )
        batch.parts = _parts(changes, batch.counters, result)
        return batch

    def _write(self, batch: Batch) -> None:
        """Index the batch's documents, part by part: the only step that may run beside the next batch's
        preparation."""
        for part in batch.parts:
            written = self.index.write(part.docs, part.counters, part.position)
            batch.result.documents += written.written + self._merge_conflicts(part.docs, written.ignored_ids)
            batch.result.stale_writes += written.ignored_older
            if written.rejected:
                by_id = {d.id: d for d in part.docs}
                for doc_id, reason in written.rejected:  # the index refused these: keep their events, with why
                    events = json.dumps(by_id[doc_id].events, ensure_ascii=False).encode()
                    batch.letters.append(DeadLetter(f"index:{doc_id}", events, reason))

    def _finish(self, batch: Batch) -> BatchResult:
        """Dead letters, then the commit: only after the index has durably taken the batch."""
        result = batch.result
        if batch.letters:
            self.log.dead_letter(batch.letters)
        result.dead_lettered = len(batch.letters)
        self.log.commit(self.group, result.offsets)
        log.info(
            "batch indexed",
            extra=fields(
                group=self.group,
                offsets={f"{t}[{p}]": o for (t, p), o in result.offsets.items()},
                records=result.records,
                indexed=result.indexed_events,
                documents=result.documents,
                dead_lettered=result.dead_lettered,
                duplicates=result.duplicates,
                late=result.late_events,
                ignored_as_older=result.stale_writes,
                redacted=sum(v for k, v in batch.counters.items() if k in MARKERS),
                ms=round((self.clock.monotonic() - batch.started) * 1000, 1),
            ),
        )
        return result

    def _merge_conflicts(self, docs: Sequence[Document], ignored_ids: Sequence[str]) -> int:
        """Documents the index kept because its copy was not older: merge our events into its copy.

        With one worker per partition this happens only when the stored copy was
        changed by someone else (a worker that lost the partition mid-batch) or
        was read stale; a plain read-merge-write repairs both, and a copy that
        already holds every event is left alone.
        """
        if not ignored_ids:
            return 0
        mine = {d.id: d for d in docs}
        pending = list(ignored_ids)
        written = 0
        for _ in range(5):
            if not pending:
                return written
            stored = self.index.get_many(pending)
            again = []
            for doc_id in pending:
                theirs = stored.get(doc_id)
                if theirs is None:  # refused as older yet absent: deleted by `forget` with the highest version
                    continue
                merged = {e["event_id"]: e for e in [*(theirs.events if theirs else []), *mine[doc_id].events]}
                if len(merged) > theirs.version:
                    again.append(fold(doc_id, merged.values()))
            if not again:
                return written
            result = self.index.write(again)
            written += result.written
            pending = result.ignored_ids
        raise TransientError(f"documents {pending[:5]} keep changing while being written")

    def _fold_subject(
        self,
        subject_id: str,
        incoming: list[dict[str, Any]],
        previous: Document | None,
        letters: list[DeadLetter],
        result: BatchResult,
    ) -> Change | None:
        prior = previous.events if previous else []
        known = {e["event_id"] for e in prior}
        held = sum(event_bytes(e) for e in prior)
        doc_type = previous.type if previous else DOC_TYPE_OF_EVENT[incoming[0]["type"]]
        fresh: list[dict[str, Any]] = []
        for event in incoming:
            if event["event_id"] in known:
                result.duplicates += 1
                continue
            if DOC_TYPE_OF_EVENT[event["type"]] != doc_type:
                letters.append(
                    DeadLetter(
                        f"subject:{subject_id}:{event['event_id']}",
                        repr(event).encode(),
                        f"subject {subject_id} is a {doc_type}; a {event['type']} event cannot apply to it",
                    )
                )
                continue
            if len(known) >= MAX_EVENTS_PER_ITEM:  # in log order, so live ingest and a reindex refuse the same
                letters.append(
                    DeadLetter(
                        f"subject:{subject_id}:{event['event_id']}",
                        repr(event).encode(),
                        f"subject {subject_id} already holds {len(known)} events; an item holds at most"
                        f" {MAX_EVENTS_PER_ITEM}",
                    )
                )
                continue
            size = event_bytes(event)
            if held + size > MAX_ITEM_BYTES:  # in log order too; a smaller later event may still fit
                letters.append(
                    DeadLetter(
                        f"subject:{subject_id}:{event['event_id']}",
                        repr(event).encode(),
                        f"subject {subject_id} holds {held} bytes of events and this one is {size}; an item"
                        f" holds at most {MAX_ITEM_BYTES}",
                    )
                )
                continue
            held += size
            known.add(event["event_id"])
            fresh.append(event)
        if not fresh:
            return None
        doc: Document | None
        try:
            doc = fold(subject_id, [*prior, *fresh])
        except TransientError:
            raise
        except Exception:  # some event breaks the fold: find it, refuse it, keep the rest
            doc, fresh = self._fold_refusing(subject_id, prior, fresh, letters)
            if doc is None:
                return None
            held = sum(event_bytes(e) for e in [*prior, *fresh])
        late = 0
        if prior:
            newest = max(order_key(e) for e in prior)
            late = sum(1 for e in fresh if order_key(e) < newest)
        # the document is only as well redacted as its oldest events: a reindex lifts them all
        assert doc is not None
        doc.redaction_version = min(previous.redaction_version, REDACTION_VERSION) if previous else REDACTION_VERSION
        return Change(doc, fresh, late, held)

    @staticmethod
    def _fold_refusing(
        subject_id: str, prior: list[dict[str, Any]], fresh: list[dict[str, Any]], letters: list[DeadLetter]
    ) -> tuple[Document | None, list[dict[str, Any]]]:
        """Fold the new events one at a time, dead-lettering each one the fold cannot take.

        Only reached when a fold failed, so the quadratic cost is paid for broken subjects alone.
        """
        accepted: list[dict[str, Any]] = []
        doc = None
        for event in sorted(fresh, key=order_key):
            try:
                doc = fold(subject_id, [*prior, *accepted, event])
            except Exception as exc:  # the one event at fault goes to the dead letters
                letters.append(
                    DeadLetter(f"subject:{subject_id}:{event['event_id']}", repr(event).encode(), refusal_reason(exc))
                )
                continue
            accepted.append(event)
        return doc, accepted

    def run_once(self) -> BatchResult | None:
        records = self.log.poll(self.group, self.topics, self.batch_size, timeout=0.5)
        if not records:
            return None
        try:
            return self.process(records)
        except BaseException:
            self.log.rewind(self.group, self.topics)
            raise

    def run(self, *, until_caught_up: bool = False, idle_wait: float = 1.0, max_backoff: float = 30.0) -> int:
        """Process batches until caught up (``until_caught_up``) or until :attr:`stop` is set.

        With a remote index, pipelined with one write in flight: while the index takes batch N,
        batch N+1 is polled, validated and folded (on two cores the CPU work and
        the index overlap). Log calls stay on this thread (a Kafka consumer is
        not thread-safe); N is committed only after its write returned.
        Transient backend errors are retried with backoff, nothing committed
        meanwhile. Returns the number of events indexed.

        While it runs, what existed before it (modules, patterns, dictionaries, a caller's data) is
        frozen out of the garbage collector: each batch allocates hundreds of thousands of objects,
        and every full collection they trigger would otherwise walk all of that again.
        """
        gc.freeze()
        checkers = Checkers(self.checkers) if self.checkers > 0 else None
        try:
            return self._run(until_caught_up, idle_wait, max_backoff, checkers)
        finally:
            if checkers is not None:
                checkers.close()
            gc.unfreeze()

    def _poll(
        self, checkers: Checkers | None, ahead: list[tuple[list[Record], list[Future[Any]]]]
    ) -> tuple[list[Record], list[Checked | None] | None]:
        """The next batch to prepare. With helper processes, one batch is polled ahead and checked there
        (``ahead``) while this one is folded and written; records of erased subjects are not sent."""
        records = [] if self.stop.is_set() else self.log.poll(self.group, self.topics, self.batch_size, 0.5)
        if checkers is None:
            return list(records), None
        if records:
            erased = self.log.erased()
            sent = [None if r.key in erased else (r.topic, r.value) for r in records]
            ahead.append((list(records), checkers.submit(check, sent)))
        if not ahead or (records and len(ahead) < 2):
            return [], None
        polled, futures = ahead.pop(0)
        return polled, Checkers.collect(futures)

    def _recover(self, backoff: float, max_backoff: float) -> bool:
        """After a transient failure: back to the committed offsets, then wait ``backoff`` seconds.

        The failure may be the log's own (a broker restarting under a commit), and then the rewind and the
        wait fail too. They are retried with a growing pause until the log answers, never skipped: polling
        on from the uncommitted position would pass over the failed batch, and letting the error out of
        the retry path used to end the worker's thread. False if the worker is told to stop meanwhile.
        """
        while True:
            try:
                self.log.rewind(self.group, self.topics)
                self.log.wait(self.group, backoff, self.stop)
                return True
            except TransientError as exc:
                log.warning("event log unavailable, retrying", extra=fields(error=str(exc), retry_in_s=backoff))
                if self.stop.wait(backoff):
                    return False
                backoff = min(backoff * 2, max_backoff)

    def _run(self, until_caught_up: bool, idle_wait: float, max_backoff: float, checkers: Checkers | None) -> int:
        indexed = 0
        backoff = 0.5
        ahead: list[tuple[list[Record], list[Future[Any]]]] = []  # polled, being checked by the helpers
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="index-writer") as writer:
            in_flight: tuple[Batch, Future[None]] | None = None
            while True:
                try:
                    records, checked = self._poll(checkers, ahead)
                    overlay = {d.id: d for d in in_flight[0].docs} if in_flight else {}
                    batch = self._prepare(records, overlay, checked) if records else None
                    if in_flight is not None:
                        previous, future = in_flight
                        in_flight = None
                        future.result()
                        indexed += self._finish(previous).indexed_events
                    if batch is not None and not self.pipelined:
                        # a local index gains nothing from overlap, only GIL contention
                        self._write(batch)
                        indexed += self._finish(batch).indexed_events
                    elif batch is not None:
                        in_flight = (batch, writer.submit(self._write, batch))
                except TransientError as exc:
                    if in_flight is not None:
                        in_flight[1].exception()  # let the write settle; its batch is delivered again
                        in_flight = None
                    ahead.clear()  # polled ahead: delivered again after the rewind
                    log.warning("backend unavailable, retrying", extra=fields(error=str(exc), retry_in_s=backoff))
                    if not self._recover(backoff, max_backoff):
                        break  # told to stop while the log was unreachable: nothing was committed
                    backoff = min(backoff * 2, max_backoff)
                    continue
                except BaseException:
                    if in_flight is not None:
                        in_flight[1].exception()
                    self.log.rewind(self.group, self.topics)
                    raise
                backoff = 0.5
                if in_flight is None and batch is None and not ahead:
                    if until_caught_up or self.stop.is_set():
                        break
                    self.log.wait(self.group, idle_wait, self.stop)
        return indexed


def _parts(changes: Sequence[Change], counters: Counter[str], result: BatchResult) -> list[Part]:
    """The batch's documents cut into parts of at most :data:`PART_BYTES` of events, in fold order.

    Each part carries the counters and the applied position of its own documents, so whichever parts are
    durable when a worker dies, the index's counters and position describe exactly its documents: the
    redelivered batch finds the written parts' events as duplicates, which nothing counts twice. What
    belongs to the batch as a whole (dead letters, duplicates, forgotten events, the offsets consumed)
    goes with the last part, written last. One part, the usual case, carries the whole batch.
    """
    groups: list[list[Change]] = [[]]
    size = 0
    for change in changes:
        if groups[-1] and size + change.size > PART_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(change)
        size += change.size
    parts: list[Part] = []
    rest = Counter(counters)
    for group in groups[:-1]:
        applied = Applied()
        for change in group:
            applied.add(change.fresh)
        own: Counter[str] = Counter(
            events_indexed=sum(len(c.fresh) for c in group), late_events=sum(c.late for c in group)
        )
        for change in group:
            own.update(change.redacted)
        rest.subtract(own)
        parts.append(Part([c.doc for c in group], {k: v for k, v in own.items() if v}, batch_position(applied, {})))
    last = result.applied  # one part, the usual case: the batch's own count, not counted again
    if len(groups) > 1:
        last = Applied()
        for change in groups[-1]:
            last.add(change.fresh)
    parts.append(
        Part([c.doc for c in groups[-1]], {k: v for k, v in rest.items() if v}, batch_position(last, result.offsets))
    )
    return parts
