"""Keeps the indicator cache warm in a serving process.

Figures are computed once per index generation. Without this, the first reader after each
ingested batch waits for the whole computation (a few hundred milliseconds on the demo data);
with it, a daemon thread notices the new generation within ``interval`` seconds and computes
them first. It also runs the unfiltered faceted search once, so the embedded index counts the
facets of ``/v1/search`` (cached per generation) before a reader asks. Started by ``mittari
serve`` in each gunicorn worker, not in tests.
"""

from __future__ import annotations

import logging
import threading

from core.errors import MittariError
from core.logs import fields
from figures.indicators import Indicators
from search.query import SearchQuery

log = logging.getLogger(__name__)


def start(indicators: Indicators, interval: float = 2.0) -> threading.Event:
    stop = threading.Event()

    def run() -> None:
        seen: str | None = None
        while not stop.is_set():
            try:
                generation = indicators.index.generation()
                if generation != seen:
                    indicators.warm()
                    indicators.index.search(SearchQuery(size=1))  # facet counts of the default search
                    seen = generation
                    log.info("indicator cache warmed", extra=fields(generation=generation))
            except MittariError as exc:
                log.warning("cache warming failed; will retry", extra=fields(error=str(exc)))
            stop.wait(interval)

    threading.Thread(target=run, name="mittari-cache-warmer", daemon=True).start()
    return stop
