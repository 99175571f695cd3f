"""The cache warmer computes the indicators after each index change, so readers do not wait."""

from __future__ import annotations

import time
from typing import Any

from api import warmer
from figures.indicators import Indicators
from tests.builders import T0, feedback_item
from tests.conftest import ingest


class CountingIndex:
    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.scans = 0
        self.searches: list[Any] = []

    def search(self, query: Any) -> Any:
        self.searches.append(query)
        return self.inner.search(query)

    def scan(self, doc_type: str) -> Any:
        self.scans += 1
        return self.inner.scan(doc_type)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_readers_find_the_figures_computed_after_each_change(populated, log, worker, settings, clock):
    index = CountingIndex(populated)
    indicators = Indicators(index, settings, clock)  # type: ignore[arg-type]
    stop = warmer.start(indicators, interval=0.05)
    try:
        wait_for(lambda: index.scans > 0)
        time.sleep(0.3)
        before = index.scans
        indicators.overview()
        assert index.scans == before  # a reader computes nothing
        ingest(log, worker, feedback_item("fb-late", T0, respond_hours=9))
        wait_for(lambda: index.scans > before)
        time.sleep(0.3)
        after = index.scans
        assert any(s["overall"]["n"] == 14 for s in indicators.overview())  # the new item is counted
        assert index.scans == after
        # and the default search's facets were counted for the new generation, before any reader
        faceted = [q for q in index.searches if q.facets and not q.q and q.status is None and q.service is None]
        assert len(faceted) >= 2
    finally:
        stop.set()
