"""The recipe of every value (issue #12 point 1): definition version, parameters, log position, the hash of
the inputs, and one cell explained down to its item ids (or, for items that are not public, a commitment)."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest

from core.clock import FixedClock
from figures.datasets import FIELDS
from figures.definition_versions import current
from figures.indicators import BUILT_IN
from figures.recipe import definition_sha256
from search.cells import item_line
from tests.api.test_api import problem_of
from tests.builders import ev, feedback_item
from tests.conftest import ingest, read_json

NOW = datetime(2026, 6, 3, 12, tzinfo=UTC)
MARCH = datetime(2026, 3, 2, 8, tzinfo=UTC)
CODE = "feedback_response_time_median"


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def city(log, worker, index):
    events = []
    for i in range(12):
        events += feedback_item(
            f"f-{i:02d}",
            MARCH + timedelta(days=i),
            3 + i,
            service="171" if i % 2 else "210",
            area="Suur-Tapiola" if i < 6 else "Vanha-Espoo",
        )
    for i in range(2):  # April: two items, too few to publish
        events += feedback_item(f"g-{i}", MARCH + timedelta(days=31 + i), 4, service="171", area="Suur-Tapiola")
    for i, days in enumerate((1, 2, 3, 4, 50, 6)):
        events.append(ev("service.case_opened", f"c{i}", MARCH, service_code="210"))
        events.append(
            ev(
                "service.case_closed",
                f"c{i}",
                MARCH + timedelta(days=9),
                1,
                service_code="210",
                waiting_days=days,
                outcome="palveltu",
            )
        )
    ingest(log, worker, events)
    return index


@pytest.fixture
def client(city, app_for):
    return app_for().test_client()


def test_an_indicator_answer_carries_its_recipe(client, index, settings):
    body = read_json(client.get(f"/v1/indicators/{CODE}"))
    recipe = body["recipe"]
    indicator = next(i for i in BUILT_IN if i.code == CODE)
    assert recipe["definition"] == {
        "id": CODE,
        "version": current(CODE).version,
        "sha256": definition_sha256(indicator),
    }
    assert recipe["parameters"]["timezone"] == settings.timezone
    assert recipe["parameters"]["response_target_hours"] == settings.response_target_hours
    assert recipe["parameters"]["min_cell_count"] == settings.min_cell_count
    assert recipe["parameters"]["final_after"] == body["final_after"]
    # the streams it depends on (its sources and governance, where targets come from; no governance events yet)
    assert recipe["log_position"] == {"feedback": index.log_position()["feedback"].as_dict()}
    assert recipe["log_position"]["feedback"]["events"] == 56  # 14 items of 4 events
    assert recipe["log_position"]["feedback"]["offset"] == 56
    cases = read_json(client.get("/v1/indicators/service_waiting_time"))["recipe"]["log_position"]
    assert cases == {"service": {"events": 12, "offset": 12, "newest_event_at": "2026-03-11T08:00:00.000000Z"}}
    assert recipe["computed_at"] == "2026-06-03T12:00:00Z"  # the injected clock
    assert recipe["generation"] == index.generation()
    assert body["definition_version"] == 1
    assert all(len(c["inputs_sha256"]) == 64 for c in body["series"] if c["n"])


def test_the_list_and_the_csv_answers_name_the_definition_version_and_the_inputs(client):
    listed = read_json(client.get("/v1/indicators"))
    assert {i["code"]: i["definition_version"] for i in listed["items"]}[CODE] == 1
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/indicators?format=csv").get_data(as_text=True))))
    row = next(r for r in rows if r["code"] == CODE)
    assert row["definition_version"] == "1" and len(row["inputs_sha256"]) == 64
    detail = read_json(client.get(f"/v1/indicators/{CODE}"))
    rows = list(csv.DictReader(io.StringIO(client.get(f"/v1/indicators/{CODE}?format=csv").get_data(as_text=True))))
    march = next(r for r in rows if r["period"] == "2026-03" and r["breakdown"] == "city")
    assert march["definition_version"] == "1"
    assert march["inputs_sha256"] == next(c for c in detail["series"] if c["period"] == "2026-03")["inputs_sha256"]
    assert [name for name, _, _ in FIELDS][-2:] == ["definition_version", "inputs_sha256"]


def test_a_public_cell_lists_every_item_id_and_they_recompute_it(client, index):
    answer = read_json(client.get(f"/v1/indicators/{CODE}/cells?period=2026-03&service=210"))
    detail = read_json(client.get(f"/v1/indicators/{CODE}?service=210"))
    published = next(c for c in detail["series"] if c["period"] == "2026-03")
    assert answer["service"] == "210" and answer["area"] is None
    assert answer["cell"] == {k: published[k] for k in answer["cell"]}
    assert answer["definition"]["version"] == 1 and answer["definition"]["method"]["en"]
    assert answer["recipe"]["definition"] == detail["recipe"]["definition"]
    inputs = answer["inputs"]
    assert inputs["public"] is True and inputs["total"] == 6 and inputs["next_cursor"] is None
    ids = [i["id"] for i in inputs["items"]]
    assert ids == [f"f-{i:02d}" for i in range(0, 12, 2)]
    # anyone can fetch the items and recompute the median response time
    hours = sorted(read_json(client.get(item["url"]))["first_response_hours"] for item in inputs["items"])
    assert answer["cell"]["value"] == (hours[2] + hours[3]) / 2 == 8.0


def test_the_items_are_paged_and_the_csv_lists_them(client):
    first = read_json(client.get(f"/v1/indicators/{CODE}/cells?period=2026-03&service=210&size=4"))
    assert [i["id"] for i in first["inputs"]["items"]] == ["f-00", "f-02", "f-04", "f-06"]
    assert first["inputs"]["total"] == 6
    cursor = first["inputs"]["next_cursor"]
    second = read_json(client.get(f"/v1/indicators/{CODE}/cells?period=2026-03&service=210&size=4&cursor={cursor}"))
    assert [i["id"] for i in second["inputs"]["items"]] == ["f-08", "f-10"]
    assert second["inputs"]["next_cursor"] is None
    response = client.get(f"/v1/indicators/{CODE}/cells?period=2026-03&area=Vanha-Espoo&format=csv&size=5")
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["id"] for r in rows] == ["f-06", "f-07", "f-08", "f-09", "f-10"]
    assert rows[0]["url"] == "/v1/feedback/f-06" and rows[0]["definition_version"] == "1"
    assert len(rows[0]["inputs_sha256"]) == 64
    assert 'rel="next"' in response.headers["Link"]


def test_an_aggregate_only_cell_gives_a_commitment_that_opens_to_its_lines(client, index):
    answer = read_json(client.get("/v1/indicators/service_waiting_time/cells?period=2026-03"))
    inputs = answer["inputs"]
    assert inputs["public"] is False and "items" not in inputs
    assert inputs["commitment"] == answer["cell"]["inputs_sha256"]
    assert "auditor" in inputs["method"]
    # opening it: the items' canonical lines → the atom's digest → the commitment
    rows = sorted(index.scan("case"), key=lambda r: r["id"])
    atom = hashlib.sha256("\n".join(sorted(item_line(r) for r in rows)).encode()).hexdigest()
    assert inputs["commitment"] == hashlib.sha256(atom.encode()).hexdigest()


def test_a_withheld_cell_lists_no_ids(client):
    answer = read_json(client.get(f"/v1/indicators/{CODE}/cells?period=2026-04"))
    assert answer["cell"]["suppressed"] is True and answer["cell"]["n"] is None
    inputs = answer["inputs"]
    assert inputs["public"] is True
    assert inputs["items"] == [] and inputs["total"] is None
    assert "withheld" in inputs["withheld"]
    rows = client.get(f"/v1/indicators/{CODE}/cells?period=2026-04&format=csv").get_data(as_text=True)
    assert rows.strip().splitlines() == [
        ",".join(("indicator", "period", "service", "area", "id", "url", "definition_version", "inputs_sha256"))
    ]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("", "period"),
        ("period=2026-13", "period"),
        ("period=March", "period"),
        ("period=2026-03&service=999", "service"),
        ("period=2026-03&area=Atlantis", "area"),
        ("period=2026-03&service=171&area=Vanha-Espoo", "area"),
        ("period=2026-03&size=0", "size"),
        ("period=2026-03&size=1001", "size"),
        ("period=2026-03&size=many", "size"),
        ("period=2026-03&cursor=not-a-cursor", "cursor"),
        ("period=2026-03&cursor=WyJjYXNlIiwgIngiXQ", "cursor"),  # ["case", "x"]: not this indicator's type
        ("period=2026-03&format=xml", "format"),
    ],
)
def test_bad_parameters_are_400_naming_them(client, query, parameter):
    problem_of(client.get(f"/v1/indicators/{CODE}/cells?{query}"), 400, parameter)


def test_an_unknown_indicator_is_404(client):
    problem_of(client.get("/v1/indicators/no_such/cells?period=2026-03"), 404)


@pytest.mark.parametrize(
    ("lang", "heading", "version"),
    [
        ("fi", "Lukujen resepti", "versio 1"),
        ("sv", "Siffrornas recept", "version 1"),
        ("en", "Recipe of these figures", "version 1"),
    ],
)
def test_the_indicator_page_shows_the_recipe_and_links_each_month_to_its_explanation(client, lang, heading, version):
    indicator = next(i for i in BUILT_IN if i.code == CODE)
    page = client.get(f"/{lang}/indicators/{CODE}?service=210").get_data(as_text=True)
    assert heading in page and version in page
    assert definition_sha256(indicator) in page
    assert "56" in page.split(heading, 1)[1].split("</section>", 1)[0]  # the feedback stream's events
    assert "2026-06-03T12:00:00Z" in page  # computed at (the injected clock)
    assert f'href="/v1/indicators/{CODE}/cells?service=210&amp;period=2026-03"' in page
    explained = read_json(client.get(f"/v1/indicators/{CODE}/cells?service=210&period=2026-03"))
    assert explained["cell"]["inputs_sha256"] in page  # the link names the hash it explains
