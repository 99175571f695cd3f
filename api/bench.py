"""``mittari bench pages``: server time of the public pages on a data set, measured in-process.

"Cold" is the first request of a fresh app: it reads every document the indicators need from
the index and compiles the templates, as the first request after a restart does (and, without
the template part, the first after each index change). "Warm" is every later request until
the index changes. Times are server time: the WSGI call from request to the last byte of the
body, no network.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from core.settings import Settings

PAGES = (
    "/fi/",
    "/fi/indicators/feedback_response_time_median",
    "/fi/services/",
    "/fi/feedback/",
    "/fi/initiatives/",
    "/fi/decisions/",
    "/fi/report?body=Tekninen+lautakunta&period={period}",
)


def _timed(client: Any, path: str) -> float:
    start = time.perf_counter()
    client.get(path)
    return (time.perf_counter() - start) * 1000


def bench_pages(settings: Settings, runs: int, echo: Callable[[str], None]) -> dict[str, float]:
    from api import create_app
    from search.index import open_index

    index = open_index(settings, readonly=True)
    try:
        documents = index.stats()["documents"]
    finally:
        index.close()
    if not documents:
        raise SystemExit(f"no documents in {settings.search}: run `mittari demo --no-serve` first")
    echo(f"data: {settings.search} – {sum(documents.values()):,} documents {documents}")
    cold = []
    for _ in range(5):
        app = create_app(settings)
        client = app.test_client()
        cold.append(_timed(client, "/fi/"))
    app = create_app(settings)
    client = app.test_client()
    period = app.extensions["mittari"].clock.now().strftime("%Y-%m")
    figures = {"overview cold median": statistics.median(cold)}
    echo(f"{'page':58} {'median ms':>10} {'p95 ms':>8}")
    echo(f"{'/fi/ (cold: fresh app, first request)':58} {statistics.median(cold):10.1f} {max(cold):8.1f}")
    for page in PAGES:
        path = page.format(period=period)
        for _ in range(2):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)
        times = sorted(_timed(client, path) for _ in range(runs))
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        figures[path] = statistics.median(times)
        echo(f"{path:58} {statistics.median(times):10.1f} {p95:8.1f}")
    return figures
