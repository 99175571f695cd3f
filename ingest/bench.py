"""Benchmarks: end-to-end events per second from the event log to searchable documents.

Commands (``mittari bench ingest``), never timed tests: figures depend on the
machine, so they are printed and the README records what was measured.
With ``--backend kafka-es`` the same run also bulk-indexes the same documents
straight into Elasticsearch, to show what the pipeline costs on top of it.
"""

from __future__ import annotations

import os
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from core.settings import Settings
from ingest import bounded_json
from ingest.demo_data import generate
from ingest.events import TOPICS, encode_event, validate_event
from ingest.fold import fold
from ingest.importer import append_events
from ingest.log import EventLog, lag, open_log
from ingest.worker import GROUP, Worker, batch_size_for
from privacy.enforce import redact_event
from search.index import Index, open_index
from search.query import SearchQuery


def bench_ingest(
    settings: Settings,
    events: int,
    backend: str = "embedded",
    echo: Callable[[str], None] = print,
    months: int = 24,
) -> dict[str, float]:
    """Append ``events`` demo events over ``months`` months, then time the worker from log to searchable."""
    with tempfile.TemporaryDirectory(prefix="mittari-bench-") as tmp:
        if backend == "embedded":
            settings = settings.with_overrides(data_dir=Path(tmp), event_log="", search="")
        else:
            settings = settings.with_overrides(namespace=f"bench{uuid.uuid4().hex[:8]}")
            echo(f"namespace: {settings.namespace} (its topics and indices are deleted at the end)")
        demo = list(generate(events, seed=7, until=date(2026, 1, 1), months=months))
        echo(f"{len(demo):,} demo events over {months} months ({len(demo) / months:,.0f} a month)")
        log = open_log(settings)
        index = open_index(settings)
        batch = batch_size_for(settings, index)
        records = ((f"bench#{i}", e) for i, e in enumerate(demo))
        timed = _append_and_index(log, index, records, batch, settings.ingest_checkers)
        appended_s, indexed, ingest_s, rate = timed.appended_s, timed.indexed, timed.ingest_s, timed.rate
        append_rate = timed.appended / appended_s
        echo(f"appended {timed.appended} events to the log in {appended_s:.2f} s ({append_rate:,.0f} events/s)")
        found = index.search(SearchQuery(size=1, facets=False)).total
        echo(
            f"indexed {indexed} events into {sum(index.stats()['documents'].values())} documents in {ingest_s:.2f} s"
            f" (batches of {batch:,} events)"
        )
        echo(
            f"end-to-end (log to searchable): {rate:,.0f} events/s; lag after: {lag(log, GROUP, TOPICS)}; "
            f"searchable: {found}"
        )
        cpu_us = timed.ingest_cpu_s / max(indexed, 1) * 1e6
        echo(
            f"worker process CPU: {cpu_us:.1f} µs an event ({timed.ingest_cpu_s:.2f} s; helpers and servers not in it)"
        )
        figures = {"events": float(indexed), "seconds": ingest_s, "events_per_second": rate, "cpu_us_an_event": cpu_us}
        if settings.ingest_checkers:
            figures["helpers_cpu_s"] = timed.helpers_cpu_s
            helpers_us = timed.helpers_cpu_s / max(indexed, 1) * 1e6
            echo(f"helper processes' CPU: {helpers_us:.1f} µs an event ({timed.helpers_cpu_s:.2f} s)")
        if timed.server_cpu_s is not None:
            figures["server_cpu_s"] = timed.server_cpu_s
            own = timed.ingest_cpu_s + timed.helpers_cpu_s
            echo(_cpu_account("pipeline", ingest_s, own, timed.server_cpu_s))
        if backend != "embedded":
            # like for like: the straight bulk is cut by the same rule from the same batch size as the pipeline
            straight = _straight_bulk(settings, demo, batch, echo)
            figures["straight_events_per_second"] = straight
            echo(f"ratio end-to-end / straight bulk: {rate / straight:.2f}")
        log.close()  # before its topics go: a consumer still open would log every topic it lost
        index.close()
        if backend != "embedded":
            _drop(settings)
        return figures


@dataclass(frozen=True)
class Timed:
    """How long appending to the log took, and then the worker from the log to searchable documents.

    ``ingest_cpu_s`` is this process's CPU (user and system, every thread) while the worker ran: on a
    machine others load, wall-clock rates scatter with the CPU they leave, and CPU an event compares
    two trees where rates do not. Helper processes (``MITTARI_INGEST_CHECKERS``) and servers are not in it.
    ``helpers_cpu_s`` is what its helper processes spent (they have ended when the worker returns, which is
    when the system counts a child's CPU). ``server_cpu_s`` is what Elasticsearch's nodes spent meanwhile
    (None for the embedded index, whose work is this process's own).
    """

    appended: int
    appended_s: float
    indexed: int
    ingest_s: float
    ingest_cpu_s: float = 0.0
    server_cpu_s: float | None = None
    helpers_cpu_s: float = 0.0

    @property
    def rate(self) -> float:
        return self.indexed / self.ingest_s


def _append_and_index(
    log: EventLog, index: Index, records: Iterable[tuple[str, Any]], batch_size: int, checkers: int = 0
) -> Timed:
    """The two timed steps both benchmarks measure: append (validation included), then index until caught up."""
    started = time.perf_counter()
    report = append_events(log, records)
    appended_s = time.perf_counter() - started
    worker = Worker(log, index, batch_size=batch_size, checkers=checkers)
    with _spending(index) as spent:
        indexed = worker.run(until_caught_up=True)
    return Timed(report.appended, appended_s, indexed, spent.wall_s, spent.cpu_s, spent.server_s, spent.helpers_s)


@dataclass
class _Spent:
    """What a timed block took: wall time, this process's CPU, its ended children's, Elasticsearch's (or None)."""

    wall_s: float = 0.0
    cpu_s: float = 0.0
    helpers_s: float = 0.0
    server_s: float | None = None


@contextmanager
def _spending(index: Index) -> Iterator[_Spent]:
    """Measure the block: the figures are filled in when it ends (Elasticsearch's read before anything closes)."""
    spent = _Spent()
    wall, cpu, children, server = time.perf_counter(), time.process_time(), _children_cpu_s(), _server_cpu_s(index)
    yield spent
    spent.wall_s, spent.cpu_s = time.perf_counter() - wall, time.process_time() - cpu
    spent.helpers_s = _children_cpu_s() - children
    server_after = _server_cpu_s(index)
    spent.server_s = None if server is None or server_after is None else server_after - server


def _children_cpu_s() -> float:
    """The CPU of this process's children that have ended and been waited for (the worker's helpers, once closed)."""
    times = os.times()
    return times.children_user + times.children_system


def _server_cpu_s(index: Index) -> float | None:
    """The CPU seconds Elasticsearch's nodes have used since they started (``_nodes/stats/process``, which
    each node refreshes every second), or None for the embedded index: its work is in this process's CPU."""
    es = getattr(index, "es", None)
    if es is None:
        return None
    stats = es.nodes.stats(metric="process")
    return sum(float(node["process"]["cpu"]["total_in_millis"]) for node in stats["nodes"].values()) / 1000


def _cpu_account(name: str, wall_s: float, own_cpu_s: float, server_cpu_s: float) -> str:
    """Where the CPU of a timed step went: this process (with its helpers) and Elasticsearch, against what the
    machine's cores could give in that wall time (the share means something when Elasticsearch runs here).

    Why it is printed: a pipeline can finish no sooner than the CPU all its parts need, spread over every
    core, so these core-seconds bound the ratio to the straight bulk whatever overlaps what."""
    cores = os.cpu_count() or 1
    used = own_cpu_s + server_cpu_s
    return (
        f"{name} CPU: this process {own_cpu_s:.1f} s + Elasticsearch {server_cpu_s:.1f} s = {used:.1f} core-seconds"
        f" in {wall_s:.1f} s; {cores} cores could give {cores * wall_s:.1f} ({used / (cores * wall_s):.0%} used),"
        f" so no overlap could finish it in less than {used / cores:.1f} s (Kafka's broker not counted)"
    )


def _straight_bulk(settings: Settings, demo: list[dict[str, Any]], batch: int, echo: Callable[[str], None]) -> float:
    """Bulk-index the documents the pipeline built, precomputed, straight into a fresh index.

    Bulks of ``batch // 2`` documents, where ``batch`` is the pipeline's own batch of events: when remote
    batches grew (``MITTARI_REMOTE_BATCH_SIZE``), a straight bulk left at the smaller bulks would pay a
    write's fixed cost more often than the pipeline and flatter the ratio.
    """
    by_subject: dict[str, list[dict[str, Any]]] = {}
    for raw in demo:
        event = validate_event(raw)
        redact_event(event, Counter())
        by_subject.setdefault(event["subject_id"], []).append(event)
    docs = [fold(subject, events) for subject, events in by_subject.items()]
    target = open_index(settings.with_overrides(namespace=settings.namespace + "-straight"))
    bulk = max(1, batch // 2)
    with _spending(target) as spent:
        for start in range(0, len(docs), bulk):
            target.write(docs[start : start + bulk])
    target.close()
    seconds = spent.wall_s
    if spent.server_s is not None:
        echo(_cpu_account("straight bulk", seconds, spent.cpu_s, spent.server_s))
    rate = len(demo) / seconds
    echo(
        f"straight bulk of the same {len(docs)} documents in bulks of {bulk:,}: {seconds:.2f} s "
        f"({rate:,.0f} events/s equivalent)"
    )
    return rate


def bench_stages(
    settings: Settings, events: int, runs: int = 3, echo: Callable[[str], None] = print
) -> dict[str, float]:
    """CPU per event of each step the worker takes, measured apart, without a profiler (``--stages``).

    The demo events as the log holds them are decoded, validated, redacted, folded and written
    into a fresh embedded index in batches of ``settings.batch_size`` documents; each step is timed over all
    events (``time.process_time``, best of ``runs``; the write once per run into its own file) and
    printed in µs an event. The sum is what one process spends; the end-to-end rate adds the log.
    """
    raws = [encode_event(e) for e in generate(events, seed=7, until=date(2026, 1, 1))]
    best: dict[str, float] = {}
    for _ in range(runs):
        for stage, seconds in _stage_seconds(raws, settings.timezone, settings.batch_size).items():
            best[stage] = min(best.get(stage, seconds), seconds)
    micro = {stage: seconds / len(raws) * 1e6 for stage, seconds in best.items()}
    for stage, us in micro.items():
        echo(f"{stage:>9}: {us:7.1f} µs an event")
    echo(f"{'total':>9}: {sum(micro.values()):7.1f} µs an event ({len(raws)} events, best of {runs})")
    return micro


def _stage_seconds(raws: list[bytes], timezone: str, batch_size: int) -> dict[str, float]:
    """One run of :func:`bench_stages`: process seconds per step."""
    from search.sqlite_index import SqliteIndex

    clock = time.process_time
    seconds: dict[str, float] = {}
    started = clock()
    decoded = [bounded_json.loads(r) for r in raws]
    seconds["decode"] = clock() - started
    started = clock()
    valid = [validate_event(d) for d in decoded]
    seconds["validate"] = clock() - started
    started = clock()
    for event in valid:
        redact_event(event, Counter())
    seconds["redact"] = clock() - started
    started = clock()
    by_subject: dict[str, list[dict[str, Any]]] = {}
    for event in valid:
        by_subject.setdefault(event["subject_id"], []).append(event)
    docs = [fold(subject, evs) for subject, evs in by_subject.items()]
    seconds["fold"] = clock() - started
    with tempfile.TemporaryDirectory(prefix="mittari-stages-") as tmp:
        index = SqliteIndex(str(Path(tmp) / "index.sqlite"), timezone=timezone)
        started = clock()
        for start in range(0, len(docs), batch_size):
            index.write(docs[start : start + batch_size])
        seconds["write"] = clock() - started
        index.close()
    return seconds


def _drop(settings: Settings) -> None:
    """Remove the benchmark's topics and indices."""
    index: Index = open_index(settings)
    es = getattr(index, "es", None)
    if es is not None:
        es.indices.delete(index=f"{settings.namespace}*", allow_no_indices=True, expand_wildcards="all")
    index.close()
    if settings.event_log.startswith("kafka://"):
        from ingest.kafka_log import delete_topics

        delete_topics(settings.event_log, settings.namespace)


def fill(settings: Settings, events: int, echo: Callable[[str], None] = print, seed: int = 7) -> dict[str, float]:
    """Generate ``events`` demo events into the settings' log and index them (``mittari bench scale``).

    Events are streamed from the generator to the log, so two million of them never sit in memory.
    """
    log = open_log(settings)
    index = open_index(settings)
    try:
        records = ((f"scale#{i}", e) for i, e in enumerate(generate(events, seed=seed)))
        timed = _append_and_index(log, index, records, batch_size_for(settings, index), settings.ingest_checkers)
        echo(f"generated and appended {timed.appended:,} events in {timed.appended_s:.1f} s")
        echo(
            f"ingest (log to searchable): {timed.indexed:,} events in {timed.ingest_s:.1f} s, "
            f"{timed.rate:,.0f} events/s"
        )
        return {"events": float(timed.indexed), "ingest_seconds": timed.ingest_s, "events_per_second": timed.rate}
    finally:
        log.close()
        index.close()
