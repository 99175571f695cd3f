"""The history port's contract (history/store.py), on the embedded store and on Elasticsearch."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.settings import Settings
from history.sqlite_store import SqliteHistory
from history.store import HistoryStore, history_path, open_history

pytestmark = pytest.mark.contract

HISTORY_BACKENDS = [
    pytest.param("sqlite", id="sqlite-history"),
    pytest.param("elasticsearch", id="elasticsearch", marks=pytest.mark.integration),
]

T1 = "2026-11-01T10:00:00.000000Z"
T2 = "2026-11-05T10:00:00.000000Z"
T3 = "2026-11-09T10:00:00.000000Z"


@pytest.fixture(params=HISTORY_BACKENDS)
def history_settings(request: pytest.FixtureRequest, make_settings: Callable[[str, str], Settings]) -> Settings:
    return make_settings("sqlite", request.param)


@pytest.fixture
def store(history_settings: Settings) -> Iterator[HistoryStore]:
    opened = open_history(history_settings)
    yield opened
    opened.close()


def row(recorded_at: str, value: float | None, *, indicator: str = "a", period: str = "2026-10", **extra: Any) -> dict:
    return {
        "indicator": indicator,
        "period": period,
        "breakdown": extra.pop("breakdown", "city"),
        "service_code": extra.pop("service_code", ""),
        "area": "",
        "value": value,
        "n": 10,
        "provisional": False,
        "recorded_at": recorded_at,
        **extra,
    }


def correction(old: str, new: str, *, indicator: str = "a", period: str = "2026-10") -> dict:
    return {
        "indicator": indicator,
        "period": period,
        "breakdown": "city",
        "service_code": "",
        "area": "",
        "old_recorded_at": old,
        "recorded_at": new,
        "old": {"value": 1.0},
        "new": {"value": 2.0},
        "reasons": {"events_added": 1},
    }


def values(found: dict) -> dict:
    return {key: r["value"] for key, r in found.items()}


def test_an_empty_history_answers_empty(store: HistoryStore) -> None:
    assert store.latest() == {}
    assert store.as_of(T3) == {}
    assert store.last_recorded_at() is None
    assert store.first_recorded_at() is None
    assert store.corrections() == []


def test_latest_is_the_last_row_of_every_key(store: HistoryStore) -> None:
    store.append([row(T1, 1.0), row(T1, 5.0, period="2026-09")])
    store.append([row(T2, 2.0)])
    found = store.latest()
    assert values(found) == {("a", "2026-10", "city", "", ""): 2.0, ("a", "2026-09", "city", "", ""): 5.0}
    assert found[("a", "2026-10", "city", "", "")]["recorded_at"] == T2
    assert found[("a", "2026-10", "city", "", "")]["n"] == 10  # the row comes back as given, with its id
    assert found[("a", "2026-10", "city", "", "")]["id"]


def test_as_of_answers_what_was_recorded_then_boundaries_inclusive(store: HistoryStore) -> None:
    store.append([row(T1, 1.0)])
    store.append([row(T2, 2.0), row(T2, 7.0, period="2026-11")])
    key = ("a", "2026-10", "city", "", "")
    assert store.as_of("2026-10-31T23:59:59.999999Z") == {}
    assert values(store.as_of(T1)) == {key: 1.0}  # recorded exactly then: included
    assert values(store.as_of("2026-11-05T09:59:59.999999Z")) == {key: 1.0}
    assert values(store.as_of(T2)) == {key: 2.0, ("a", "2026-11", "city", "", ""): 7.0}
    assert store.last_recorded_at("2026-11-05T09:59:59.999999Z") == T1
    assert store.last_recorded_at(T2) == T2
    assert store.last_recorded_at() == T2
    assert store.first_recorded_at() == T1


def test_narrowed_to_one_indicator(store: HistoryStore) -> None:
    store.append([row(T1, 1.0), row(T1, 3.0, indicator="b")])
    assert values(store.latest("b")) == {("b", "2026-10", "city", "", ""): 3.0}
    assert values(store.as_of(T1, "a")) == {("a", "2026-10", "city", "", ""): 1.0}


def test_appending_the_same_recording_again_appends_nothing(store: HistoryStore) -> None:
    rows = [row(T1, 1.0), row(T1, 1.0, breakdown="service", service_code="171")]
    assert store.append(rows, [correction(T1, T2)]) == 3
    position = store.position()
    assert store.append(rows, [correction(T1, T2)]) == 0
    assert store.position() == position
    assert len(store.latest()) == 2
    assert len(store.corrections()) == 1


def test_the_position_moves_with_every_append_and_only_then(store: HistoryStore) -> None:
    first = store.position()
    store.append([row(T1, 1.0)])
    second = store.position()
    assert second != first
    assert store.position() == second
    store.append([], [correction(T1, T2)])
    assert store.position() not in (first, second)


def test_rows_are_kept_not_replaced(store: HistoryStore) -> None:
    store.append([row(T1, 1.0)])
    store.append([row(T2, 2.0)])
    store.append([row(T3, 3.0)])
    assert values(store.as_of(T1)) == {("a", "2026-10", "city", "", ""): 1.0}
    assert values(store.as_of(T2)) == {("a", "2026-10", "city", "", ""): 2.0}


def test_corrections_page_in_order_each_exactly_once(store: HistoryStore) -> None:
    moments = [f"2026-11-{day:02d}T10:00:00.000000Z" for day in range(1, 8)]
    made = [correction(moments[i], moments[i + 1], period=f"2026-0{p}") for i in range(6) for p in (1, 2)]
    store.append([], made)
    seen: list[tuple[str, str]] = []
    after = None
    while page := store.corrections(after=after, size=5):
        seen += [(c["recorded_at"], c["id"]) for c in page]
        after = seen[-1]
    assert len(seen) == len(set(seen)) == 12
    assert seen == sorted(seen)
    window = store.corrections(since=moments[2], until=moments[3])
    assert {c["recorded_at"] for c in window} == {moments[2], moments[3]}
    assert store.corrections(indicator="b") == []
    assert all(c["reasons"] == {"events_added": 1} for c in store.corrections(indicator="a"))


def test_a_row_without_its_key_or_a_stamp_is_refused(store: HistoryStore) -> None:
    with pytest.raises(ValueError, match="period"):
        store.append([{"indicator": "a", "recorded_at": T1}])
    with pytest.raises(ValueError, match="stamp"):
        store.append([row("2026-11-01T10:00:00Z", 1.0)])


def test_a_readonly_store_before_the_first_recording_is_empty(history_settings: Settings) -> None:
    reader = open_history(history_settings, readonly=True)
    try:
        assert reader.latest() == {}
        assert reader.corrections() == []
        assert reader.last_recorded_at() is None
        empty = reader.position()
        writer = open_history(history_settings)
        writer.append([row(T1, 1.0)])
        writer.close()
        assert values(reader.latest()) == {("a", "2026-10", "city", "", ""): 1.0}
        assert reader.position() != empty
    finally:
        reader.close()


def test_the_embedded_store_refuses_update_and_delete(settings: Settings) -> None:
    store = SqliteHistory(history_path(settings.search))
    store.append([row(T1, 1.0)], [correction(T1, T2)])
    store.close()
    conn = sqlite3.connect(history_path(settings.search))
    try:
        for statement in (
            "UPDATE published SET body = '{}'",
            "DELETE FROM published",
            "UPDATE corrections SET recorded_at = ''",
            "DELETE FROM corrections",
        ):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(statement)
    finally:
        conn.close()
    reopened = SqliteHistory(history_path(settings.search), readonly=True)
    assert values(reopened.latest()) == {("a", "2026-10", "city", "", ""): 1.0}
    reopened.close()


def test_history_sits_beside_the_index() -> None:
    assert history_path("sqlite:////data/index.sqlite") == "/data/index.history.sqlite"
    assert history_path("sqlite:////data/index") == "/data/index.history.sqlite"


def test_reading_and_appending_cross_page_boundaries(store: HistoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    """Elasticsearch reads and writes in pages (``_PAGE``); a small page makes every boundary show."""
    from history import es_store

    monkeypatch.setattr(es_store, "_PAGE", 3)
    moments = [f"2026-11-0{day}T10:00:00.000000Z" for day in range(1, 5)]
    for n, moment in enumerate(moments):
        assert store.append([row(moment, float(n), period=f"2026-0{p}") for p in range(1, 8)]) == 7
    assert len(store.latest()) == 7
    assert set(values(store.latest()).values()) == {3.0}
    assert set(values(store.as_of(moments[1])).values()) == {1.0}
    assert store.append([row(moments[3], 3.0, period=f"2026-0{p}") for p in range(1, 8)]) == 0
