"""The embedded index's stats keep the document counts per generation, yet never show old ones."""

from __future__ import annotations

from datetime import UTC, datetime

from search.sqlite_index import SqliteIndex
from tests.builders import feedback_item
from tests.conftest import ingest

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_stats_follow_every_write_and_every_counter(log, worker, index, settings):
    ingest(log, worker, feedback_item("fb-1", T0, 3))
    reader = SqliteIndex(settings.data_dir / "index.sqlite", readonly=True)
    assert reader.stats()["documents"] == {"feedback": 1}
    assert reader.stats()["documents"] == {"feedback": 1}  # kept for this generation
    ingest(log, worker, feedback_item("fb-2", T0, 4) + feedback_item("fb-3", T0, 5))
    assert reader.stats()["documents"] == {"feedback": 3}  # a new generation counts again
    ingest(log, worker, feedback_item("fb-3", T0, 5))  # the same events again
    assert reader.stats()["counters"] == index.stats()["counters"]
    index.forget(["fb-1"])
    assert reader.stats()["documents"] == {"feedback": 2}
    assert reader.stats()["counters"]["erasures"] == 1
