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
        self._maybe_land(doc_type)
        return self.inner.cells(doc_type)

    def changed_cells(self, doc_type: str, known: Any) -> Any:
        self._maybe_land(doc_type)
        return self.inner.changed_cells(doc_type, known)

    def _maybe_land(self, doc_type: str) -> None:
        if doc_type == "feedback" and self.land is not None:
            land, self.land = self.land, None
            land()

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


class CountingReads:
    """The index, counting the summaries the reader asks it for."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.read: list[Any] = []

    def changed_cells(self, doc_type: str, known: Any) -> Any:
        found = self.inner.changed_cells(doc_type, known)
        if found is not None:
            self.read += [(doc_type, atom) for atom in found[1]]
        return found

    def cells(self, doc_type: str) -> Any:
        raise AssertionError("an index that marks its cells is never read whole")

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_new_generation_reads_only_the_atoms_a_batch_moved(log, worker, index, settings, clock):
    """Issue 11: every generation read and decoded every atom's summary again; now the atoms no batch touched
    keep the summary objects already read, and the figures are those a fresh reader computes."""
    ingest(log, worker, list(generate(1500, seed=3, until=date(2026, 6, 1))))
    counting = CountingReads(index)
    indicators = Indicators(counting, settings, clock)  # type: ignore[arg-type]
    before = indicators.snapshot()
    everything = {(t, atom) for t, atoms in before.cells.items() for atom in atoms}
    assert set(counting.read) == everything and len(everything) > 20  # the first read reads all of them
    stored = index.stored_cells("feedback")  # type: ignore[attr-defined]
    month = "2025-02"
    _, service, area, _ = max((a for a in stored if a[0] == month), key=lambda a: len(stored[a]))
    counting.read.clear()
    late = feedback_item("fb-late", T0.replace(year=2025, month=2, day=10), 1000, service=service, area=area)
    ingest(log, worker, late)
    after = indicators.snapshot()
    assert after.generation != before.generation
    assert counting.read == [("feedback", (month, service, area, ""))]  # the one atom the batch moved
    for doc_type, atoms in after.cells.items():
        for atom, summary in atoms.items():
            if (doc_type, atom) not in counting.read:
                assert summary is before.cells[doc_type][atom]  # kept, not read again
    assert list(after.cells["feedback"]) == sorted(after.cells["feedback"])  # in atom order, as read whole
    fresh = Indicators(index, settings, clock)
    assert after.cells == fresh.snapshot().cells
    assert indicators.overview() == fresh.overview()


def test_figures_are_computed_again_only_where_their_items_moved(log, worker, index, settings, clock, monkeypatch):
    """Cells' values are kept across generations under their inputs' hash: after a late event, an indicator's
    compute runs for the cells that hold its month (the month, its quarter, its year, the whole range), not
    for every month again; the values are those a fresh reader computes."""
    from dataclasses import replace

    from figures import indicators as module

    ingest(log, worker, list(generate(1500, seed=3, until=date(2026, 6, 1))))
    computed: list[str] = []
    # an indicator with its own ``count``: disclosure control asks every atom for its n without computing it
    median = next(i for i in module.BUILT_IN if i.code == "feedback_response_time_median")
    assert median.count is not None

    def counted(summaries: Any, ctx: Any) -> Any:
        computed.append(module.inputs_sha256(summaries) or "")
        return median.compute(summaries, ctx)

    watched = replace(median, compute=counted)
    monkeypatch.setattr(module, "BUILT_IN", tuple(watched if i is median else i for i in module.BUILT_IN))
    settings = settings.with_overrides(min_cell_count=1)  # a small city: no cell withheld, every one computed
    indicators = Indicators(index, settings, clock)
    indicator = indicators.definition("feedback_response_time_median")
    first = indicators.series(indicator, Filters())
    assert len(computed) > 12 and len(first) > 12  # the first read computes every month
    computed.clear()
    ingest(log, worker, feedback_item("fb-late", T0.replace(year=2025, month=2, day=10), 5))
    series = indicators.series(indicator, Filters())
    indicators.summary(indicator, Filters())
    assert 1 <= len(computed) <= 2  # February 2025 and the whole range (the series holds no quarter or year)
    moved = [s["period"] for s, old in zip(series, first, strict=True) if s["inputs_sha256"] != old["inputs_sha256"]]
    assert moved == ["2025-02"]
    fresh = Indicators(index, settings, clock)
    assert series == fresh.series(fresh.definition("feedback_response_time_median"), Filters())
