"""The history over HTTP: ?as_of on the indicator endpoints, GET /v1/corrections (JSON, CSV, paging, bad
input), and caching that keys on the history's own position (api/http_cache.py)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from core.clock import FixedClock
from figures.indicators import Indicators
from figures.published import record
from history.store import HistoryStore, open_history
from tests.builders import T0, feedback_item
from tests.conftest import ingest, read_json

CODE = "feedback_response_time_median"
FIRST = datetime(2026, 6, 1, 6, 0, tzinfo=UTC)  # 09:00 in Helsinki
SECOND = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)  # 10:00 in Helsinki


@pytest.fixture
def store(settings) -> Iterator[HistoryStore]:  # type: ignore[no-untyped-def]
    opened = open_history(settings)
    yield opened
    opened.close()


def march(log, worker) -> None:  # type: ignore[no-untyped-def]
    events = []
    for i in range(12):
        events += feedback_item(
            f"fb-{i:02d}", T0 + timedelta(hours=i), respond_hours=2 + i, service="171" if i % 2 else "210"
        )
    ingest(log, worker, events)


def late(log, worker) -> None:  # type: ignore[no-untyped-def]
    ingest(log, worker, feedback_item("fb-late", T0 + timedelta(days=3), respond_hours=40, service="210"))


def record_at(index, settings, store, moment: datetime) -> None:  # type: ignore[no-untyped-def]
    record(Indicators(index, settings, FixedClock(moment)), store)


@pytest.fixture
def restated(log, worker, index, settings, store):  # type: ignore[no-untyped-def]
    march(log, worker)
    record_at(index, settings, store, FIRST)
    late(log, worker)
    record_at(index, settings, store, SECOND)
    return store


def test_as_of_answers_the_old_value_in_the_same_shape(restated, app_for):
    client = app_for().test_client()
    now = read_json(client.get(f"/v1/indicators/{CODE}"))
    then = client.get(f"/v1/indicators/{CODE}?as_of=2026-06-01T09:30")
    assert then.status_code == 200
    body = read_json(then)
    assert [c["value"] for c in body["series"]] == [7.5]
    assert [c["value"] for c in now["series"]] == [8.0]
    assert body["as_of"]["requested"] == "2026-06-01T09:30"
    assert body["as_of"]["recorded_at"] == "2026-06-01T06:00:00.000000Z"
    assert body["as_of"]["definition_versions"] == [1]
    assert "target" in body["as_of"]["not_available"]
    assert set(now) - {"as_of"} <= set(body)  # every part of today's answer is there
    assert body["series"][0].keys() == now["series"][0].keys()
    later = read_json(client.get(f"/v1/indicators/{CODE}?as_of=2026-06-01T10:00"))
    assert [c["value"] for c in later["series"]] == [8.0]


def test_the_overview_as_of(restated, app_for):
    client = app_for().test_client()
    body = read_json(client.get("/v1/indicators?as_of=2026-06-01T09:30"))
    median = next(i for i in body["items"] if i["code"] == CODE)
    assert median["current"]["value"] == 7.5
    assert body["as_of"]["recorded_at"] == "2026-06-01T06:00:00.000000Z"
    assert "score" in body
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/indicators?as_of=2026-06-01T09:30&format=csv").text)))
    assert next(r for r in rows if r["code"] == CODE)["value"] == "7.5"


def test_as_of_as_csv_gives_the_rows_published_then(restated, app_for):
    client = app_for().test_client()
    response = client.get(f"/v1/indicators/{CODE}?as_of=2026-06-01T09:30&format=csv&service=171")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows and all(r["service_code"] == "171" for r in rows)
    assert "items" not in rows[0] and "events" not in rows[0]
    assert rows[0]["recorded_at"] == "2026-06-01T06:00:00.000000Z"


@pytest.mark.parametrize("bad", ["yesterday", "2026-02-30", "2026-06-01T24:00", "2026-06"])
def test_a_bad_as_of_is_a_400_naming_it(restated, app_for, bad):
    response = app_for().test_client().get(f"/v1/indicators/{CODE}?as_of={bad}")
    assert response.status_code == 400
    assert response.mimetype == "application/problem+json"
    assert read_json(response)["parameter"] == "as_of"


def test_before_the_first_recording_is_a_clear_404(restated, app_for):
    client = app_for().test_client()
    for path in (f"/v1/indicators/{CODE}?as_of=2026-05-01", "/v1/indicators?as_of=2026-05-01"):
        response = client.get(path)
        assert response.status_code == 404
        assert "history begins 2026-06-01T06:00:00.000000Z" in read_json(response)["detail"]


def test_as_of_before_anything_was_recorded(log, worker, app_for):
    march(log, worker)
    response = app_for().test_client().get(f"/v1/indicators/{CODE}?as_of=2026-06-01")
    assert response.status_code == 404
    assert "nothing has been recorded yet" in read_json(response)["detail"]


def test_corrections_json_and_csv(restated, app_for):
    client = app_for().test_client()
    body = read_json(client.get(f"/v1/corrections?indicator={CODE}"))
    city = next(c for c in body["items"] if c["breakdown"] == "city")
    assert (city["old"]["value"], city["new"]["value"]) == (7.5, 8.0)
    assert city["reasons"] == {"events_added": 4}
    assert city["old_recorded_at"] == "2026-06-01T06:00:00.000000Z"
    assert city["recorded_at"] == "2026-06-01T07:00:00.000000Z"
    assert "events" not in city["old"] and "items" not in city["old"]
    rows = list(csv.DictReader(io.StringIO(client.get(f"/v1/corrections?indicator={CODE}&format=csv").text)))
    flat = next(r for r in rows if r["breakdown"] == "city")
    assert (flat["old_value"], flat["new_value"], flat["events_added"]) == ("7.5", "8.0", "4")


def test_corrections_page_by_cursor(restated, app_for):
    client = app_for().test_client()
    everything = [c["id"] for c in read_json(client.get("/v1/corrections?size=1000"))["items"]]
    assert len(everything) > 2
    seen, url = [], "/v1/corrections?size=2"
    while url:
        page = read_json(client.get(url))
        seen += [c["id"] for c in page["items"]]
        url = page["next"]
    assert seen == everything


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("size=0", "size"), ("size=5000", "size"), ("cursor=%%%", "cursor"), ("since=x", "since"), ("until=1", "until")],
)
def test_bad_correction_parameters_are_400s(restated, app_for, query, parameter):
    response = app_for().test_client().get(f"/v1/corrections?{query}")
    assert response.status_code == 400
    assert read_json(response)["parameter"] == parameter


def test_an_unknown_parameter_is_refused(restated, app_for):
    response = app_for().test_client().get("/v1/corrections?indicatr=x")
    assert response.status_code == 400


def test_a_new_correction_is_not_hidden_by_a_304_or_a_stored_answer(log, worker, index, settings, store, app_for):
    """The late event is ingested before the first request; only the recording comes after it, so the index
    generation is the same for both requests and only the history's position tells them apart."""
    march(log, worker)
    record_at(index, settings, store, FIRST)
    late(log, worker)
    client = app_for().test_client()
    paths = ("/v1/corrections", f"/v1/indicators/{CODE}?as_of=2026-06-02")
    first = {path: client.get(path) for path in paths}
    assert read_json(first["/v1/corrections"])["items"] == []
    assert [c["value"] for c in read_json(first[paths[1]])["series"]] == [7.5]
    assert client.get(paths[0], headers={"If-None-Match": first[paths[0]].headers["ETag"]}).status_code == 304
    assert client.get(paths[0]).headers["X-Mittari-Cache"] == "hit"
    record_at(index, settings, store, SECOND)
    for path in paths:
        again = client.get(path, headers={"If-None-Match": first[path].headers["ETag"]})
        assert again.status_code == 200
        assert again.headers["X-Mittari-Cache"] == "miss"
    assert read_json(client.get(paths[0]))["items"]
    assert [c["value"] for c in read_json(client.get(paths[1]))["series"]] == [8.0]
