"""``mittari bench scale``, serving side: what pages and API answers cost on a big index, and the memory it takes.

The measurement runs in child processes of their own (started with ``spawn``, so they inherit
nothing of the ingest that filled the index), through the Flask test client as ``bench pages``
does: server time, no network.

1. The first child starts with no protection stored (``DATA_DIR/protection`` is emptied first):
   "cold" is its first request to a fresh app (the figures computed from the index, disclosure
   control included, templates compiled); "first" is each path's first request after that, which
   still pays for what the app keeps per index generation (facet counts, figures); median and
   p95 are over the warm requests that follow, which the app's response cache answers (identical
   GETs until the index changes), as in production. Its peak resident memory (``VmHWM``) is the
   memory one serving worker needs for all of it.
2. A second child measures only the cold overview again, now reading the protection the first
   one stored: what a restarted or added worker pays.
3. A third child runs every path with the response cache off (``response_cache_bytes=0``): the
   warm median of a request that is not a repeat (a figure memoised per generation, the page or
   answer built again), e.g. a filter no one asked for before.
"""

from __future__ import annotations

import multiprocessing
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from core.settings import Settings
from search.index import embedded_index_path

#: (label, path): the pages and API answers issue 11 measures
PATHS = (
    ("overview", "/fi/"),
    ("indicator page", "/fi/indicators/feedback_response_time_median"),
    ("feedback tracker", "/fi/feedback/"),
    ("tracker, filtered, oldest first", "/fi/feedback/?status=in_process&sort=oldest"),
    ("search size=100 (with facets)", "/v1/search?size=100"),
    ("search size=100, no facets", "/v1/search?size=100&facets=false"),
    ("search q=katu (relevance, facets)", "/v1/search?q=katu"),
    ("search q=katu, newest, no facets", "/v1/search?q=katu&sort=newest&facets=false"),
    ("search feedback in_process oldest", "/v1/search?type=feedback&status=in_process&sort=oldest"),
    ("search filtered, no facets", "/v1/search?type=feedback&status=in_process&sort=oldest&facets=false"),
    ("indicator API", "/v1/indicators/feedback_response_time_median"),
)


def measure_serving(settings: Settings, runs: int) -> dict[str, Any]:
    """The three children's figures (see the module's text)."""
    shutil.rmtree(settings.data_dir / "protection", ignore_errors=True)
    figures = _in_child(settings, runs, cold_only=False)
    figures["cold_stored"] = _in_child(settings, runs, cold_only=True)["cold"]
    uncached = _in_child(settings.with_overrides(response_cache_bytes=0), runs, cold_only=False)
    for row, other in zip(figures["rows"], uncached["rows"], strict=True):
        row["uncached_median"] = other["median"]
    return figures


def _in_child(settings: Settings, runs: int, cold_only: bool) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    queue: multiprocessing.Queue[dict[str, Any]] = context.Queue()
    child = context.Process(target=_serve_and_measure, args=(settings, runs, cold_only, queue))
    child.start()
    figures = queue.get()
    child.join()
    if "error" in figures:
        raise SystemExit(f"the serving child failed: {figures['error']}")
    return figures


def _serve_and_measure(
    settings: Settings, runs: int, cold_only: bool, queue: multiprocessing.Queue[dict[str, Any]]
) -> None:
    try:
        queue.put(_measure(settings, runs, cold_only))
    except BaseException as exc:  # the parent waits on the queue: it must hear about a failure too
        queue.put({"error": f"{type(exc).__name__}: {exc}"})
        raise


def _measure(settings: Settings, runs: int, cold_only: bool = False) -> dict[str, Any]:
    from api import create_app

    app = create_app(settings)
    client = app.test_client()
    cold = _timed(client, "/fi/")
    rows = []
    for label, path in () if cold_only else PATHS:
        first = _timed(client, path)
        _timed(client, path)
        times = sorted(_timed(client, path) for _ in range(runs))
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        rows.append({"label": label, "path": path, "first": first, "median": statistics.median(times), "p95": p95})
    return {"cold": cold, "rows": rows, "peak_rss_mb": _peak_rss_mb()}


def _timed(client: Any, path: str) -> float:
    start = time.perf_counter()
    response = client.get(path)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.get_data(as_text=True)[:300]}")
    return elapsed


def _peak_rss_mb() -> float:
    """This process's peak resident set (``VmHWM``), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def index_size_mb(settings: Settings) -> float | None:
    """Bytes on disk of the embedded index (the file its path leads to, with its WAL), in MiB; None for others."""
    path = embedded_index_path(settings)
    if path is None:
        return None
    files = [path, path.with_name(path.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / 2**20
