"""``mittari bench history``: what keeping the history costs — a recording beside the dataset rows that
publishing computes anyway, and ``as_of`` and corrections answers beside today's — measured side by side
in one run (ratios hold on a loaded machine; absolute figures do not).

The recordings go to a scratch history in a temporary folder, never to the installation's own; the
answers read the installation's history (record it first: ``mittari demo`` does).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import click

from core.clock import FixedClock, SystemClock
from core.logs import configure
from core.settings import Settings
from figures.datasets import indicator_rows
from figures.indicators import Indicators
from figures.published import record
from history.sqlite_store import SqliteHistory
from history.store import open_history
from search.index import open_index


def bench_history(settings: Settings, runs: int, echo: Callable[[str], None]) -> None:
    index = open_index(settings, readonly=True)
    try:
        clock = FixedClock(SystemClock().now())
        rows = 0
        started = time.perf_counter()
        indicators = Indicators(index, settings, clock)
        for indicator in indicators.definitions():
            rows += len(indicator_rows(indicators, indicator))
        dataset_ms = (time.perf_counter() - started) * 1000
        with tempfile.TemporaryDirectory() as scratch:
            store = SqliteHistory(Path(scratch) / "history.sqlite")
            started = time.perf_counter()
            first = record(Indicators(index, settings, clock), store)
            first_ms = (time.perf_counter() - started) * 1000
            clock.advance(1)
            started = time.perf_counter()
            again = record(Indicators(index, settings, clock), store)
            again_ms = (time.perf_counter() - started) * 1000
            clock.advance(1)
            warm = Indicators(index, settings, clock)
            for indicator in warm.definitions():
                indicator_rows(warm, indicator)
            started = time.perf_counter()
            record(warm, store)
            warm_ms = (time.perf_counter() - started) * 1000
            store.close()
    finally:
        index.close()
    echo(f"{rows:,} published cells ({settings.search})")
    echo(f"  dataset rows, fresh read model (what publish computes):       {dataset_ms:8.0f} ms")
    echo(f"  first recording, fresh read model ({first.rows:,} rows appended):  {first_ms:8.0f} ms")
    echo(f"  recording again, nothing changed, fresh read model:           {again_ms:8.0f} ms ({again.rows} rows)")
    echo(f"  recording after publish computed the rows (shared model):     {warm_ms:8.0f} ms")
    _answers(settings, runs, echo)


def _answers(settings: Settings, runs: int, echo: Callable[[str], None]) -> None:
    from api import create_app

    history = open_history(settings, readonly=True)
    last = history.last_recorded_at()
    history.close()
    if last is None:
        echo("no history recorded here: run `mittari history record` (or `mittari demo`) to time as_of answers")
        return
    moment = (SystemClock().now() - timedelta(days=45)).strftime("%Y-%m-%d")
    client = create_app(settings.with_overrides(response_cache_bytes=0)).test_client()
    code = "feedback_closed_share"
    echo(f"server time through the Flask test client, answer store off, median of {runs} warm requests:")
    for label, path in (
        ("detail today", f"/v1/indicators/{code}"),
        ("detail as_of", f"/v1/indicators/{code}?as_of={moment}"),
        ("overview today", "/v1/indicators"),
        ("overview as_of", f"/v1/indicators?as_of={moment}"),
        ("corrections, 100", "/v1/corrections?size=100"),
        ("corrections CSV, 1000", "/v1/corrections?size=1000&format=csv"),
    ):
        status = client.get(path).status_code
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - started) * 1000)
        echo(f"  {label:22} {path:58} {status} {statistics.median(times):8.1f} ms")


@click.command("history")
@click.option("--runs", default=20, show_default=True, help="Warm requests per answer.")
@click.pass_obj
def bench_history_cmd(settings: Settings, runs: int) -> None:
    """What the history costs: a recording beside publishing's own computation, as_of answers beside today's."""
    configure("WARNING")  # one request log line per timed request would bury the figures
    bench_history(settings, runs, click.echo)
