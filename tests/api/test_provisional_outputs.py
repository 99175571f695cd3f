"""Provisional values in every output, and a score that does not rank young months.

The city: feedback in March, April and May 2026; March and April answered in 5 hours and
closed, May's items received late in the month and not yet answered. The clock says 3 June,
so May is provisional for every feedback indicator (its items have not had the response
target yet), while March and April are final. May's "feedback closed" is 0 % against a
target of 90 %: far from target only because it is young.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest

from api.i18n import LANGUAGES, MESSAGES, month
from core.clock import FixedClock
from core.times import parse
from figures.datasets import FIELDS
from figures.indicators import Indicators
from publisher.local_target import LocalTarget
from publisher.publish import publish
from tests.api.test_api import problem_of
from tests.builders import ev, feedback_item, received
from tests.conftest import ingest, read_json

NOW = datetime(2026, 6, 3, 12, tzinfo=UTC)
YOUNG, FINAL = "2026-05", "2026-04"


@pytest.fixture
def clock() -> FixedClock:  # overrides the suite's clock for this module's apps
    return FixedClock(NOW)


@pytest.fixture
def young_city(log, worker, index):
    events = []
    for month_start in (datetime(2026, 3, 2, 8, tzinfo=UTC), datetime(2026, 4, 2, 8, tzinfo=UTC)):
        for i in range(12):
            events += feedback_item(
                f"f-{month_start:%m}-{i}",
                month_start + timedelta(days=i),
                5,
                service="171" if i % 2 else "210",
                area="Suur-Tapiola" if i < 6 else "Vanha-Espoo",
            )
    for i in range(12):  # late May, nobody has answered yet
        events.append(
            received(
                f"f-05-{i}",
                datetime(2026, 5, 25, 8, tzinfo=UTC) + timedelta(hours=i),
                service="171" if i % 2 else "210",
                area="Suur-Tapiola" if i < 6 else "Vanha-Espoo",
            )
        )
    for n, (code, value) in enumerate((("feedback_closed_share", 90), ("feedback_response_time_median", 4))):
        events.append(
            ev(
                "governance.indicator_target_set",
                f"target-{n}",
                datetime(2026, 1, 5, tzinfo=UTC),
                indicator_code=code,
                target_value=value,
                valid_from="2026-01-01",
                body="Kaupunginhallitus",
                case_id=f"ESP/2026/{n}",
                decision_id=f"dec-t{n}",
                decision_date="2026-01-05",
            )
        )
    events.append(
        ev(
            "governance.decision_made",
            "dec-1",
            datetime(2026, 1, 5, tzinfo=UTC),
            body="Kaupunginhallitus",
            title="Palautetavoitteet",
            case_id="ESP/2026/1",
            services=["171"],
        )
    )
    ingest(log, worker, events)
    return index


@pytest.fixture
def client(young_city, app_for):
    return app_for().test_client()


def worst_of(body):
    return [(r["code"], r["period"], r["provisional"]) for r in body["score"]["worst"]]


def test_the_score_ranks_the_latest_final_month_unless_asked(client):
    body = read_json(client.get("/v1/indicators"))
    assert body["score"]["include_provisional"] is False
    assert worst_of(body) == [
        ("feedback_response_time_median", FINAL, False),  # 5 h against 4 h: 0.8
        ("feedback_closed_share", FINAL, False),  # 100 % against 90 %
    ]
    closed = next(i for i in body["items"] if i["code"] == "feedback_closed_share")
    assert closed["current"]["period"] == YOUNG and closed["current"]["provisional"] is True
    assert closed["current"]["value"] == 0.0
    assert closed["latest_final"]["period"] == FINAL and closed["latest_final"]["provisional"] is False
    with_young = read_json(client.get("/v1/indicators?provisional=include"))
    assert with_young["score"]["include_provisional"] is True
    assert worst_of(with_young)[0] == ("feedback_closed_share", YOUNG, True)
    assert with_young["score"]["score"] < body["score"]["score"]
    assert read_json(client.get("/v1/indicators?provisional=exclude"))["score"] == body["score"]


def test_a_bad_choice_is_a_400_naming_it(client):
    problem_of(client.get("/v1/indicators?provisional=maybe"), 400, "provisional")
    page = client.get("/en/?provisional=maybe")
    assert page.status_code == 400 and "provisional" in page.get_data(as_text=True)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_overview_page_names_the_month_it_ranks(client, lang):
    def worst_list(url: str) -> str:
        html = client.get(url).get_data(as_text=True)
        start = html.index(MESSAGES["worst_title"][lang])
        return html[start : html.index("</ol>", start)]

    final_only = worst_list(f"/{lang}/")
    assert month(FINAL, lang) in final_only and month(YOUNG, lang) not in final_only
    assert MESSAGES["provisional_mark"][lang] not in final_only
    assert MESSAGES["score_basis_final"][lang] in unescape(client.get(f"/{lang}/").get_data(as_text=True))
    included = worst_list(f"/{lang}/?provisional=include")
    assert month(YOUNG, lang) in included and MESSAGES["provisional_mark"][lang] in included


def test_every_json_cell_carries_the_flag(client):
    codes = [i["code"] for i in read_json(client.get("/v1/indicators"))["items"]]
    seen = 0
    for code in codes:
        body = read_json(client.get(f"/v1/indicators/{code}"))
        cells = [*body["series"], *body["breakdown"]["service"], *body["breakdown"]["area"]]
        cells += [c for c in (body["current"], body["latest_final"], body["overall"]) if c]
        for cell in cells:
            assert cell["provisional"] in (True, False), (code, cell)
            assert cell["final_from"].endswith("Z"), (code, cell)
            seen += 1
        for cell in body["series"]:
            assert cell["provisional"] is (parse(cell["final_from"]) > NOW), (code, cell)
            assert cell["provisional"] is (cell["period"] == YOUNG) or cell["period"] == FINAL, (code, cell)
        assert body["overall"]["provisional"] is True  # the whole history runs to this month
        assert set(body["final_after"]["reason"]) == {"fi", "sv", "en"}
    assert seen > 50
    ranged = read_json(client.get("/v1/indicators/feedback_closed_share?from=2026-03&to=2026-04"))
    assert ranged["overall"]["provisional"] is None and ranged["overall"]["final_from"] is None  # not served


def csv_rows(response):
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_every_csv_and_published_file_carries_the_flag(client, young_city, settings, clock):
    for code in ("feedback_closed_share", "feedback_answered_on_time"):
        rows = csv_rows(client.get(f"/v1/indicators/{code}?format=csv"))
        assert rows and {r["provisional"] for r in rows} == {"true", "false"}
        assert all(r["provisional"] == ("true" if r["period"] == YOUNG else "false") for r in rows)
        assert all(r["final_from"] for r in rows)
    listed = csv_rows(client.get("/v1/indicators?format=csv"))
    closed = next(r for r in listed if r["code"] == "feedback_closed_share")
    assert closed["provisional"] == "true" and closed["final_from"] == "2026-06-19T21:00:00Z"  # 1 June + 5 d + 14 d

    target = LocalTarget(settings.publish_dir, settings)
    publish(Indicators(young_city, settings, clock), settings, target)
    package = json.loads((settings.publish_dir / "datapackage.json").read_text())
    for resource in package["resources"]:
        if resource["name"] == "corrections":  # corrections are of final values only (figures/published.py)
            continue
        fields = {f["name"]: f for f in resource["schema"]["fields"]}
        assert fields["provisional"]["type"] == "boolean" and fields["provisional"]["description"]
        assert fields["final_from"]["description"]
    published = list(csv.DictReader(io.StringIO((settings.publish_dir / "feedback_closed_share.csv").read_text())))
    api = csv_rows(client.get("/v1/indicators/feedback_closed_share?format=csv"))
    assert published == api
    assert [name for name, _, _ in FIELDS] == list(published[0])


def test_republishing_after_a_month_becomes_final_changes_those_rows(young_city, settings, clock):
    """The flag changes with time alone: intended, and the README says so."""
    target = LocalTarget(settings.publish_dir, settings)
    publish(Indicators(young_city, settings, clock), settings, target)
    assert publish(Indicators(young_city, settings, clock), settings, target).changed == []
    clock.advance(20 * 86400)  # 23 June: May's feedback is final now
    report = publish(Indicators(young_city, settings, clock), settings, target)
    assert "feedback_closed_share.csv" in report.changed
    rows = list(csv.DictReader(io.StringIO((settings.publish_dir / "feedback_closed_share.csv").read_text())))
    may = [r for r in rows if r["period"] == YOUNG]
    assert may and {r["provisional"] for r in may} == {"false"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_page_shows_the_flag_in_words(client, lang):
    mark = MESSAGES["provisional_mark"][lang]
    final_word = MESSAGES["final_on"][lang].split(" {")[0]
    pages = [
        f"/{lang}/",
        f"/{lang}/indicators/feedback_closed_share",
        f"/{lang}/services/171",
        f"/{lang}/report?body=Kaupunginhallitus&period={YOUNG}",
    ]
    for url in pages:
        html = client.get(url).get_data(as_text=True)
        assert '<span class="provisional"' in html, url
        assert f"({mark}" in html, url
        assert f'<span class="vh">, {final_word}' in html, url  # the date for screen readers, not colour alone
    indicator = client.get(f"/{lang}/indicators/feedback_closed_share").get_data(as_text=True)
    assert MESSAGES["legend_provisional"][lang] in indicator  # the chart's legend
    assert 'stroke-dasharray="2 3"' in indicator  # May drawn dotted
    assert MESSAGES["provisional_note"][lang].split(" {")[0].split(":")[0] in indicator
    feed = client.get(f"/{lang}/feeds/indicators.atom").get_data(as_text=True)
    assert f"({mark}, {final_word}" in feed  # April met, May not: a crossing that may cross back


def test_the_openapi_document_describes_the_new_fields(client):
    doc = read_json(client.get("/v1/openapi.json"))
    schemas = doc["components"]["schemas"]
    for name in ("Cell", "Overall", "BreakdownCell"):
        assert {"provisional", "final_from"} <= set(schemas[name]["properties"]), name
    summary = schemas["IndicatorSummary"]["properties"]
    assert "latest_final" in summary and "final_after" in summary
    assert "score" in schemas["IndicatorList"]["properties"]
    params = {p["name"]: p for p in doc["paths"]["/v1/indicators"]["get"]["parameters"]}
    assert params["provisional"]["schema"]["enum"] == ["exclude", "include"]
