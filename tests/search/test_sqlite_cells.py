"""The embedded index's cells on an index made before them, when the city's time zone changes, and their markers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.clock import FixedClock
from core.settings import load_settings
from figures.indicators import Filters, Indicators
from ingest.events import validate_event
from ingest.fold import fold
from search import cells
from search.cells import SUMMARY_FORMAT, from_rows
from search.sqlite_index import SqliteIndex
from tests.builders import at, feedback_item, received


def doc_of(events):
    return fold(events[0]["subject_id"], [validate_event(e) for e in events])


def test_an_index_from_before_cells_is_read_by_scan_then_given_cells_by_the_worker(tmp_path):
    path = tmp_path / "index.sqlite"
    writer = SqliteIndex(path)
    writer.write(
        [
            doc_of(feedback_item("fb-1", at(days=0), respond_hours=5)),
            doc_of(feedback_item("fb-2", at(days=40), respond_hours=9, service="210")),
        ]
    )
    expected = from_rows("feedback", writer.scan("feedback"), "Europe/Helsinki")
    assert dict(writer.cells("feedback")) == expected and len(expected) == 2
    conn = writer._conn()  # make it an index from before cells: no table, no atom columns
    conn.executescript(
        "DROP TABLE cells; DROP INDEX docs_cell; DELETE FROM meta WHERE key = 'cells_timezone';"
        + "".join(
            f"ALTER TABLE docs DROP COLUMN {c};" for c in ("cell_month", "cell_service", "cell_area", "cell_code")
        )
    )
    writer.close()
    reader = SqliteIndex(path, readonly=True)
    assert dict(reader.cells("feedback")) == expected  # an API worker started before the ingest worker
    SqliteIndex(path).close()  # the worker opens it: atom columns added and every cell built
    reader.close()
    reader = SqliteIndex(path, readonly=True)
    assert dict(reader.cells("feedback")) == expected
    assert set(reader.stored_cells("feedback")) == set(expected)
    reader.close()


def test_a_new_time_zone_moves_documents_to_their_months_there(tmp_path):
    path = tmp_path / "index.sqlite"
    late_evening = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # April already in Helsinki, still March in UTC
    helsinki = SqliteIndex(path)
    helsinki.write([doc_of([received("fb-1", late_evening)])])
    assert [atom[0] for atom, _ in helsinki.cells("feedback")] == ["2026-04"]
    generation = helsinki.generation()
    helsinki.close()
    utc = SqliteIndex(path, timezone="UTC")
    assert [atom[0] for atom, _ in utc.cells("feedback")] == ["2026-03"]
    assert utc.generation() != generation  # readers' cached figures notice
    utc.close()


def test_cells_from_before_markers_are_read_whole_until_a_writer_adds_their_digests(tmp_path):
    """A file whose cells have no digest column: a reader cannot tell what moved (None: read ``cells``); the
    worker's open adds the column from the digests inside the summaries, and then markers are those digests
    with the cells' stamp."""
    path = tmp_path / "index.sqlite"
    writer = SqliteIndex(path)
    writer.write([doc_of(feedback_item("fb-1", at(days=0), respond_hours=5)), doc_of([received("fb-2", at(days=40))])])
    expected = dict(writer.cells("feedback"))
    conn = writer._conn()
    conn.execute("ALTER TABLE cells DROP COLUMN digest")
    writer.close()
    reader = SqliteIndex(path, readonly=True)
    assert reader.changed_cells("feedback", {}) is None
    reader.close()
    SqliteIndex(path).close()  # the worker opens it
    reader = SqliteIndex(path, readonly=True)
    found = reader.changed_cells("feedback", {})
    assert found is not None
    markers, changed = found
    assert changed == expected
    stamp = f"Europe/Helsinki|{SUMMARY_FORMAT}"  # the time zone and summary format the cells were built with
    assert markers == {atom: f"{summary['digest']}|{stamp}" for atom, summary in expected.items()}
    reader.close()


def test_a_cell_written_without_its_digest_is_read_every_time(tmp_path):
    """A summary written by a Mittari that does not keep the digest column (NULL): never taken as unchanged."""
    path = tmp_path / "index.sqlite"
    index = SqliteIndex(path)
    index.write([doc_of(feedback_item("fb-1", at(days=0), respond_hours=5))])
    found = index.changed_cells("feedback", {})
    assert found is not None
    markers, _ = found
    index._conn().execute("UPDATE cells SET digest = NULL")
    again = index.changed_cells("feedback", markers)
    assert again is not None
    assert again[0] == {} and again[1] == dict(index.cells("feedback"))
    index.close()


MEDIAN = "feedback_response_time_median"


def six_answers_of_five_hours(path: Path, before_markers: bool = False) -> None:
    """An index of six feedback items, each answered in 5 hours (one atom): the median is 5."""
    writer = SqliteIndex(path)
    writer.write([doc_of(feedback_item(f"fb-{n}", at(days=n), respond_hours=5)) for n in range(6)])
    if before_markers:
        writer._conn().execute("ALTER TABLE cells DROP COLUMN digest")
    writer.close()


def reader_of(path: Path, tmp_path: Path) -> tuple[SqliteIndex, Indicators]:
    settings = load_settings({}, data_dir=str(tmp_path / "data"), base_url="http://x.test")
    reader = SqliteIndex(path, readonly=True)
    return reader, Indicators(reader, settings, FixedClock(at(days=60) + timedelta(hours=1)))


def release_keeping_tenths_of_hours(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    """The next release: response times kept in tenths of hours (the summary format bumped), and its worker
    opening the index, which rebuilds every summary; the items, and so every digest, stay as they were."""
    summarise = cells._summary

    def tenths(doc_type: str, rows: list[Any]) -> dict[str, Any]:
        summary = summarise(doc_type, rows)
        return {**summary, "hours": [h * 10 for h in summary.get("hours", [])]} if doc_type == "feedback" else summary

    monkeypatch.setattr(cells, "_summary", tenths)
    monkeypatch.setattr(cells, "SUMMARY_FORMAT", SUMMARY_FORMAT + 1)
    SqliteIndex(path).close()


def overall(indicators: Indicators) -> Any:
    return indicators.summary(indicators.definition(MEDIAN), Filters())["overall"]["value"]


def test_a_rebuild_for_a_new_summary_format_is_read_again_and_nothing_kept_outlives_it(tmp_path, monkeypatch):
    """The digests name the items, not the summary's format: a worker that rebuilds every summary for a new
    format keeps every digest, yet a reader must take the new summaries, and no value computed from the old
    ones (kept under the same digests) may be served after it."""
    path = tmp_path / "index.sqlite"
    six_answers_of_five_hours(path)
    reader, indicators = reader_of(path, tmp_path)
    assert overall(indicators) == 5.0
    release_keeping_tenths_of_hours(monkeypatch, path)
    snapshot = indicators.snapshot()
    assert {h for s in snapshot.cells["feedback"].values() for h in s["hours"]} == {50.0}
    assert overall(indicators) == 50.0
    reader.close()


def test_a_worker_adding_markers_and_a_new_format_at_once_leaves_no_kept_value(tmp_path, monkeypatch):
    """An upgrade: the reader first reads an old file whole (no markers), then the worker adds the digest column
    and rebuilds every summary for a new format in one open; the reader's first marked read must not keep a
    value computed from the old summaries under the same digests."""
    path = tmp_path / "index.sqlite"
    six_answers_of_five_hours(path, before_markers=True)
    reader, indicators = reader_of(path, tmp_path)
    assert overall(indicators) == 5.0  # read whole: no markers yet
    release_keeping_tenths_of_hours(monkeypatch, path)  # its worker also adds the digest column
    assert overall(indicators) == 50.0
    reader.close()


def test_a_computation_on_a_snapshot_from_before_a_rebuild_keeps_its_results_apart(tmp_path, monkeypatch):
    """A request still computing on the snapshot read before a rebuild for a new summary format stores its
    values and tables after the new snapshot cleared what was kept: they must not be found by the new one."""
    path = tmp_path / "index.sqlite"
    six_answers_of_five_hours(path)
    reader, indicators = reader_of(path, tmp_path)
    old = indicators.snapshot()  # held by a request (or the warmer) that has not computed yet
    release_keeping_tenths_of_hours(monkeypatch, path)
    new = indicators.snapshot()
    assert new.epoch != old.epoch
    late = indicators._summary(old, indicators.definition(MEDIAN), Filters())  # the request finishes late
    assert late["overall"]["value"] == 5.0
    assert overall(indicators) == 50.0
    reader.close()
