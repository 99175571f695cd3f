"""The read side (figures/as_published.py): answers as published at a moment, and corrections paged."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from core.clock import FixedClock
from core.errors import BadQuery, NotFound
from core.settings import Settings
from figures.as_published import PublishedHistory, decode_cursor
from figures.indicators import Filters, Indicators
from figures.published import record
from history.store import HistoryStore, open_history
from tests.builders import T0, feedback_item
from tests.conftest import ingest

CODE = "feedback_response_time_median"


@pytest.fixture
def store(settings: Settings) -> Iterator[HistoryStore]:
    opened = open_history(settings)
    yield opened
    opened.close()


@pytest.fixture
def restated(log, worker, index, settings, store):  # type: ignore[no-untyped-def]
    """March recorded on 1 June (final), then a late item, recorded on 2 June."""
    events = []
    for i in range(12):
        events += feedback_item(
            f"fb-{i:02d}", T0 + timedelta(hours=i), respond_hours=2 + i, service="171" if i % 2 else "210"
        )
    ingest(log, worker, events)
    clock = FixedClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    record(Indicators(index, settings, clock), store)
    clock.advance(86400)
    ingest(log, worker, feedback_item("fb-late", T0 + timedelta(days=3), respond_hours=40, service="210"))
    record(Indicators(index, settings, clock), store)
    return PublishedHistory(store, Indicators(index, settings, clock), settings)


def test_as_of_answers_the_value_published_then(restated: PublishedHistory) -> None:
    before = restated.detail(CODE, Filters(), "2026-06-01T15:00")  # 12:00 in Helsinki is after 09:00 UTC
    after = restated.detail(CODE, Filters(), "2026-06-02T15:00")
    assert [c["value"] for c in before["series"]] == [7.5]
    assert [c["value"] for c in after["series"]] == [8.0]
    assert before["as_of"]["recorded_at"] == "2026-06-01T09:00:00.000000Z"
    assert before["as_of"]["requested"] == "2026-06-01T15:00"
    assert before["latest_final"]["value"] == 7.5
    assert "overall" in before["as_of"]["not_available"]


def test_a_day_means_the_whole_day_in_the_city(restated: PublishedHistory) -> None:
    assert restated.moment("2026-06-01") == "2026-06-01T20:59:59.999999Z"  # Helsinki is UTC+3 in summer
    assert restated.moment("2026-06-01", end=False) == "2026-05-31T21:00:00.000000Z"
    assert restated.detail(CODE, Filters(), "2026-06-01")["series"][0]["value"] == 7.5


def test_a_single_month_gives_its_breakdowns_and_total(restated: PublishedHistory) -> None:
    found = restated.detail(CODE, Filters(month_from="2026-03", month_to="2026-03"), "2026-06-01T15:00")
    assert found["overall"]["value"] == 7.5
    assert {b["key"] for b in found["breakdown"]["service"]} == {"171", "210"}
    assert found["as_of"]["not_available"] == ["target", "recipe.parameters", "recipe.log_position"]
    assert found["recipe"]["definition"]["version"] == 1 and found["recipe"]["computed_at"]


def test_before_the_first_recording_is_not_found(restated: PublishedHistory) -> None:
    with pytest.raises(NotFound, match="history begins"):
        restated.detail(CODE, Filters(), "2026-05-31")


@pytest.mark.parametrize(
    "bad",
    ["yesterday", "2026-13-01", "2026-02-30", "2026-06-01T25:00", "2026-06-01 10:00", "0001-01-01T00:00", "٢٠٢٦-06-01"],
)
def test_a_bad_moment_names_the_parameter(restated: PublishedHistory, bad: str) -> None:
    with pytest.raises(BadQuery) as raised:
        restated.moment(bad)
    assert raised.value.parameter == "as_of"


def test_the_overview_as_of(restated: PublishedHistory) -> None:
    items, block = restated.overview(Filters(), "2026-06-01T15:00")
    median = next(i for i in items if i["code"] == CODE)
    assert median["current"]["value"] == 7.5
    assert block["recorded_at"] == "2026-06-01T09:00:00.000000Z"


def test_corrections_page_with_a_cursor(restated: PublishedHistory) -> None:
    everything = restated.corrections(size=1000)["items"]
    assert everything
    seen = []
    cursor = None
    while True:
        page = restated.corrections(size=2, cursor=cursor)
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [c["id"] for c in everything]
    assert restated.corrections(indicator=CODE, size=1000)["items"]
    assert all(c["indicator"] == CODE for c in restated.corrections(indicator=CODE)["items"])
    assert restated.corrections(until="2026-06-01")["items"] == []
    assert restated.corrections(since="2026-06-02")["items"] == everything[:100]
    assert not any("events" in c["old"] or "items" in c["old"] for c in everything)


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [({"size": 0}, "size"), ({"cursor": "!!"}, "cursor"), ({"since": "x"}, "since"), ({"until": "2026-1-1"}, "until")],
)
def test_bad_correction_parameters_name_themselves(restated: PublishedHistory, kwargs, parameter) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadQuery) as raised:
        restated.corrections(**kwargs)
    assert raised.value.parameter == parameter


def test_a_cursor_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(BadQuery):
        decode_cursor("WzFd")  # [1]
