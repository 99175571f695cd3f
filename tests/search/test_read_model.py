"""The read model: one snapshot per index generation, results labelled with the generation they were read at,
and cells that move only where the events did."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from figures.indicators import Filters, Indicators
from ingest.demo_data import generate
from tests.builders import T0, feedback_item
from tests.conftest import ingest


class WriteBetweenReads:
    """An index that lets a batch land after the reader read the generation and before it read the cells."""

    def __init__(self, inner: Any, land: Any) -> None:
        self.inner = inner
        self.land = land  # called once, at the first read of the feedback cells

    def cells(self, doc_type: str) -> Any:
        if doc_type == "feedback" and self.land is not None:
            land, self.land = self.land, None
            land()
        return self.inner.cells(doc_type)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_result_carries_the_generation_its_data_was_read_at(populated, log, worker, settings, clock):
    before = populated.generation()
    base = Indicators(populated, settings, clock).summary(
        Indicators(populated, settings, clock).definition("feedback_response_time_median"), Filters()
    )["overall"]["n"]
    index = WriteBetweenReads(
        populated, lambda: ingest(log, worker, feedback_item("fb-between", T0 + timedelta(days=1), respond_hours=2))
    )
    indicators = Indicators(index, settings, clock)  # type: ignore[arg-type]
    indicator = indicators.definition("feedback_response_time_median")
    snapshot = indicators.snapshot()
    assert populated.generation() != before  # the batch landed while the snapshot was being read
    assert snapshot.generation == populated.generation()  # labelled with the generation of what it holds
    counted = indicators.summary(indicator, Filters())["overall"]["n"]
    fresh = Indicators(populated, settings, clock).summary(indicator, Filters())["overall"]["n"]
    assert counted == fresh == base + 1  # the item that landed is counted under the label it is served with


def test_results_stay_in_the_snapshot_they_were_computed_from(populated, log, worker, settings, clock):
    indicators = Indicators(populated, settings, clock)
    indicator = indicators.definition("feedback_closed_share")
    old = indicators.snapshot()
    n = indicators.summary(indicator, Filters())["overall"]["n"]
    ingest(log, worker, feedback_item("fb-new", T0 + timedelta(days=2), respond_hours=2))
    assert indicators.summary(indicator, Filters())["overall"]["n"] == n + 1
    new = indicators.snapshot()
    assert new is not old and new.generation == populated.generation() != old.generation
    # a computation still running on the old snapshot stores its result there, never in the new one
    old.memo("late", lambda: "from the old generation")
    assert "late" not in new.cached_keys()


def test_a_late_event_rewrites_only_its_months_cells(log, worker, index, settings, clock):
    ingest(log, worker, list(generate(1500, seed=3, until=date(2026, 6, 1))))
    indicators = Indicators(index, settings, clock)
    indicator = indicators.definition("feedback_response_time_median")
    counts = dict(indicators.table(indicator).protection.counts)
    month = "2025-02"
    stored = index.stored_cells("feedback")  # type: ignore[attr-defined]
    assert sum(1 for atom in stored if atom[0] == month) > 1
    _, service, area, _ = max((a for a in stored if a[0] == month), key=lambda a: len(stored[a]))
    late = feedback_item(
        "fb-late", T0.replace(year=2025, month=2, day=10), respond_hours=1000, service=service, area=area
    )
    ingest(log, worker, late)
    after = index.stored_cells("feedback")  # type: ignore[attr-defined]
    changed = {atom for atom in set(stored) | set(after) if stored.get(atom) != after.get(atom)}
    assert changed == {(month, service, area, "")}  # byte for byte, every other atom is as it was
    table = indicators.table(indicator)
    new = table.protection.counts
    for period in (month, "2025-Q1", "2025", "all"):  # the month's cells and the periods it is part of
        assert new[(period, "*", "*")] == counts[(period, "*", "*")] + 1
        assert new[(period, service, "*")] == counts[(period, service, "*")] + 1
    assert {k for k in counts if new.get(k) != counts[k]} == {
        (p, s, a) for p in (month, "2025-Q1", "2025", "all") for s, a in (("*", "*"), (service, "*"), ("*", area))
    }
    assert any(1000.0 in summary["hours"] for summary in table.summaries_of((month, service, "*")))
