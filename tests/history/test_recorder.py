"""The recorder (figures/published.py): rows only for what changed, corrections only for final values, and
reasons that say why without revealing a withheld cell's count."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from core.clock import FixedClock
from core.errors import MittariError
from core.settings import Settings
from figures.indicators import Indicators
from figures.published import record
from history.store import HistoryStore, open_history, stamp
from search.index import Index
from tests.builders import T0, feedback_item
from tests.conftest import ingest

CITY = ("feedback_response_time_median", "2026-03", "city", "", "")


@pytest.fixture
def store(settings: Settings) -> Iterator[HistoryStore]:
    opened = open_history(settings)
    yield opened
    opened.close()


def march(log, worker, count: int = 12) -> None:  # type: ignore[no-untyped-def]
    events = []
    for i in range(count):
        events += feedback_item(
            f"fb-{i:02d}", T0 + timedelta(hours=i), respond_hours=2 + i, service="171" if i % 2 else "210"
        )
    ingest(log, worker, events)


def test_a_first_recording_keeps_every_published_cell_and_no_correction(log, worker, index, settings, store):
    march(log, worker)
    clock = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
    done = record(Indicators(index, settings, clock), store)
    assert done.cells > 0
    assert done.rows == done.cells
    assert done.corrections == 0
    row = store.latest()[CITY]
    assert row["value"] == 7.5  # median of 2..13 hours
    assert row["n"] == 12
    assert row["provisional"] is False
    assert row["events"] == 12 * 4  # received, in_process, response, resolved
    assert row["items"] == 12
    assert row["version"] == 1
    assert row["inputs_sha256"]
    assert row["recorded_at"] == stamp(clock.now())


def test_recording_again_with_nothing_changed_appends_nothing(log, worker, index, settings, store):
    march(log, worker)
    clock = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
    record(Indicators(index, settings, clock), store)
    position = store.position()
    clock.advance(3600)
    again = record(Indicators(index, settings, clock), store)
    assert (again.rows, again.corrections) == (0, 0)
    assert store.position() == position


def test_a_clock_not_after_the_last_recording_is_refused(log, worker, index, settings, store):
    march(log, worker)
    clock = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
    record(Indicators(index, settings, clock), store)
    with pytest.raises(MittariError, match="not after the last recording"):
        record(Indicators(index, settings, clock), store)


def test_a_late_event_in_a_final_month_is_a_correction_and_the_old_value_stays(log, worker, index, settings, store):
    march(log, worker)
    clock = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
    first = record(Indicators(index, settings, clock), store)
    clock.advance(86400)
    ingest(log, worker, feedback_item("fb-late", T0 + timedelta(days=3), respond_hours=40, service="210"))
    second = record(Indicators(index, settings, clock), store)
    assert second.corrections > 0
    found = [c for c in store.corrections() if (c["indicator"], c["period"], c["breakdown"]) == CITY[:3]]
    assert len(found) == 1
    city = found[0]
    assert (city["old"]["value"], city["new"]["value"]) == (7.5, 8.0)
    assert (city["old"]["n"], city["new"]["n"]) == (12, 13)
    assert city["reasons"] == {"events_added": 4}
    assert (city["old_recorded_at"], city["recorded_at"]) == (first.recorded_at, second.recorded_at)
    assert store.as_of(first.recorded_at)[CITY]["value"] == 7.5
    assert store.latest()[CITY]["value"] == 8.0


def test_a_withheld_side_gives_no_counts(log, worker, index, settings, store):
    """An area of 4 items (withheld) gains a fifth: its n may not show through the reasons."""
    events = []
    for i in range(12):
        events += feedback_item(f"fb-{i:02d}", T0 + timedelta(hours=i), respond_hours=2, area="A" if i < 4 else "B")
    ingest(log, worker, events)
    clock = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
    record(Indicators(index, settings, clock), store)
    key = ("feedback_response_time_median", "2026-03", "area", "", "A")
    assert store.latest()[key]["suppressed"] is True
    clock.advance(86400)
    ingest(log, worker, feedback_item("fb-late", T0 + timedelta(days=3), respond_hours=2, area="A"))
    record(Indicators(index, settings, clock), store)
    found = [c for c in store.corrections() if (c["indicator"], c["breakdown"], c["area"]) == (key[0], "area", "A")]
    assert len(found) == 1
    assert found[0]["reasons"] == {"counts_withheld": True, "disclosure": {"from": "withheld", "to": "published"}}
    assert found[0]["old"]["suppressed"] is True
    assert found[0]["old"]["n"] is None
    assert found[0]["new"]["n"] == 5
    # area B (8 items) was withheld only so that A could not be computed as city minus B: its own items are
    # the same, and the correction says that the change came from elsewhere
    other = [c for c in store.corrections() if (c["indicator"], c["breakdown"], c["area"]) == (key[0], "area", "B")]
    assert len(other) == 1
    assert other[0]["reasons"] == {
        "counts_withheld": True,
        "disclosure": {"from": "withheld", "to": "published"},
        "same_inputs": True,
    }
    assert other[0]["new"]["n"] == 8


def test_provisional_changes_are_rows_not_corrections(log, worker, index, settings, store):
    march(log, worker)
    clock = FixedClock(datetime(2026, 3, 20, tzinfo=UTC))
    record(Indicators(index, settings, clock), store)
    assert store.latest()[CITY]["provisional"] is True
    clock.advance(86400)
    ingest(log, worker, feedback_item("fb-late", T0 + timedelta(days=3), respond_hours=40, service="210"))
    moved = record(Indicators(index, settings, clock), store)
    assert moved.rows > 0
    assert moved.corrections == 0
    clock.advance(86400 * 60)  # March becomes final: a new row, still no correction
    final = record(Indicators(index, settings, clock), store)
    assert final.rows > 0
    assert final.corrections == 0
    assert store.latest()[CITY]["provisional"] is False


def test_an_erasure_is_counted_without_ids(log, worker, index: Index, settings, store):
    march(log, worker)
    clock = FixedClock(datetime(2026, 6, 1, tzinfo=UTC))
    record(Indicators(index, settings, clock), store)
    clock.advance(86400)
    index.forget(["fb-03"])
    record(Indicators(index, settings, clock), store)
    city = next(c for c in store.corrections() if (c["indicator"], c["period"], c["breakdown"]) == CITY[:3])
    assert city["reasons"] == {"items_removed": 1, "erasures": 1}
    assert "fb-03" not in repr(store.corrections())


def test_a_cell_that_disappears_is_recorded_absent(log, worker, index: Index, settings, store):
    events = []
    for i in range(12):
        events += feedback_item(f"fb-{i:02d}", T0 + timedelta(hours=i), respond_hours=2, service="171")
    events += feedback_item("fb-april", T0 + timedelta(days=40), respond_hours=2, service="171")
    ingest(log, worker, events)
    clock = FixedClock(datetime(2026, 7, 1, tzinfo=UTC))
    first = record(Indicators(index, settings, clock), store)
    april = ("feedback_response_time_median", "2026-04", "city", "", "")
    assert april in store.latest()
    clock.advance(86400)
    index.forget(["fb-april"])
    record(Indicators(index, settings, clock), store)
    assert store.latest()[april]["absent"] is True
    assert store.as_of(first.recorded_at)[april]["absent"] is False
