"""Benchmark: end-to-end events per second from the event log to searchable documents.

A command (``mittari bench ingest``), never a timed test: figures depend on
the machine, so they are printed, and the README records what was measured.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from ingest.demo_data import generate
from ingest.events import TOPICS
from ingest.importer import append_events
from ingest.log import lag, open_log
from ingest.worker import GROUP, Worker
from search.index import open_index
from search.query import SearchQuery
from search.settings import Settings


def bench_ingest(settings: Settings, events: int, echo: Callable[[str], None] = print) -> dict[str, float]:
    """Append ``events`` demo events, then time the worker from log to searchable."""
    with tempfile.TemporaryDirectory(prefix="mittari-bench-") as tmp:
        if settings.event_log.startswith("sqlite:") and settings.search.startswith("sqlite:"):
            settings = settings.with_overrides(data_dir=Path(tmp), event_log="", search="")
        log = open_log(settings)
        index = open_index(settings)
        started = time.perf_counter()
        report = append_events(
            log, ((f"bench#{i}", e) for i, e in enumerate(generate(events, seed=7, until=date(2026, 1, 1))))
        )
        appended_s = time.perf_counter() - started
        append_rate = report.appended / appended_s
        echo(f"appended {report.appended} events to the log in {appended_s:.2f} s ({append_rate:,.0f} events/s)")
        worker = Worker(log, index, batch_size=settings.batch_size)
        started = time.perf_counter()
        indexed = worker.run(until_caught_up=True)
        ingest_s = time.perf_counter() - started
        remaining = lag(log, GROUP, TOPICS)
        found = index.search(SearchQuery(size=1, facets=False)).total
        rate = indexed / ingest_s
        echo(f"indexed {indexed} events into {sum(index.stats()['documents'].values())} documents in {ingest_s:.2f} s")
        echo(f"end-to-end (log to searchable): {rate:,.0f} events/s; lag after: {remaining}; searchable: {found}")
        log.close()
        index.close()
        return {"events": float(indexed), "seconds": ingest_s, "events_per_second": rate}
