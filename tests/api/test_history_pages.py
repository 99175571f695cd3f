"""The history's outputs on the pages: the corrections page and feed, ?as_of on the overview and the
indicator page, pinned citations (pages and /v1/indicators/<code>) and the meeting report as published."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from api import history_pages
from core.clock import FixedClock
from figures.indicators import Indicators
from figures.published import record
from history.store import HistoryStore, open_history
from tests.builders import T0, ev, feedback_item
from tests.conftest import ingest, read_json

CODE = "feedback_response_time_median"
APRIL = datetime(2026, 4, 20, 6, 0, tzinfo=UTC)  # 09:00 in Helsinki; March is final by then
MAY = datetime(2026, 5, 10, 6, 0, tzinfo=UTC)
LATER = datetime(2026, 5, 20, 6, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def store(settings) -> Iterator[HistoryStore]:  # type: ignore[no-untyped-def]
    opened = open_history(settings)
    yield opened
    opened.close()


def march(log, worker) -> None:  # type: ignore[no-untyped-def]
    """Twelve answered items in March (median 7.5 h), a target of 4 h set by the city board, one decision."""
    events = []
    for i in range(12):
        events += feedback_item(f"fb-{i:02d}", T0 + timedelta(hours=i), respond_hours=2 + i, service="171")
    events.append(
        ev(
            "governance.indicator_target_set",
            "target-1",
            datetime(2026, 1, 5, tzinfo=UTC),
            indicator_code=CODE,
            target_value=4,
            valid_from="2026-01-01",
            body="Kaupunginhallitus",
            case_id="ESP/2026/1",
            decision_id="dec-1",
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


def late(log, worker, name: str, hours: float) -> None:  # type: ignore[no-untyped-def]
    ingest(log, worker, feedback_item(name, T0 + timedelta(days=3), respond_hours=hours, service="171"))


def record_at(index, settings, store, moment: datetime) -> None:  # type: ignore[no-untyped-def]
    record(Indicators(index, settings, FixedClock(moment)), store)


@pytest.fixture
def restated(log, worker, index, settings, store):  # type: ignore[no-untyped-def]
    """March recorded in April at 7.5 h (n = 12); a late item in May makes it 8.0 h (n = 13): a correction."""
    march(log, worker)
    record_at(index, settings, store, APRIL)
    late(log, worker, "fb-late", 40)
    record_at(index, settings, store, MAY)
    return store


def html(client, path: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    return str(response.get_data(as_text=True))


def city_correction(client):  # type: ignore[no-untyped-def]
    items = read_json(client.get(f"/v1/corrections?indicator={CODE}"))["items"]
    return next(c for c in items if c["breakdown"] == "city")


# -- the corrections page --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("lang", "change", "why"),
    [
        ("fi", "7,5 h (n = 12) → 8,0 h (n = 13)", "4 uutta tai korjattua tapahtumaa"),
        ("sv", "7,5 h (n = 12) → 8,0 h (n = 13)", "4 nya eller rättade händelser"),
        ("en", "7.5 h (n = 12) → 8.0 h (n = 13)", "4 events added (late events or corrected records)"),
    ],
)
def test_the_corrections_page_shows_old_new_when_and_why(restated, app_for, lang, change, why):
    client = app_for().test_client()
    page = html(client, f"/{lang}/corrections/?indicator={CODE}")
    assert change in page
    assert why in page
    assert "<caption>" in page and '<th scope="col">' in page and '<th scope="row">' in page
    correction = city_correction(client)
    assert f'id="c-{correction["id"]}"' in page
    # first published and restated, in the city's time zone, and a link to the value as first published
    assert "09:00" in page and "as_of=2026-04-20T09:00" in page


def test_corrections_are_listed_newest_first_and_filtered_by_indicator(restated, log, worker, index, settings, app_for):
    late(log, worker, "fb-later", 60)
    record_at(index, settings, restated, LATER)
    client = app_for().test_client()
    page = html(client, f"/en/corrections/?indicator={CODE}")
    newer = page.index("8.0 h (n = 13) → ")
    older = page.index("7.5 h (n = 12) → 8.0 h (n = 13)")
    assert newer < older
    other = html(client, "/en/corrections/?indicator=feedback_closed_share")
    assert "7.5 h (n = 12)" not in other


def test_corrections_page_by_page(restated, app_for, monkeypatch):
    monkeypatch.setattr(history_pages, "CORRECTIONS_PAGE", 1)
    client = app_for().test_client()
    total = len(read_json(client.get("/v1/corrections?size=1000"))["items"])
    assert total > 1
    first = html(client, "/en/corrections/")
    assert f"Page 1 of {total}" in first and 'rel="next"' in first and 'rel="prev"' not in first
    last = html(client, f"/en/corrections/?page={total}")
    assert 'rel="prev"' in last and 'rel="next"' not in last
    assert client.get(f"/en/corrections/?page={total + 1}").status_code == 404


@pytest.mark.parametrize(
    ("query", "parameter"), [("indicator=nope", "indicator"), ("page=0", "page"), ("page=x", "page")]
)
def test_bad_corrections_arguments_are_the_pages_400(restated, app_for, query, parameter):
    response = app_for().test_client().get(f"/en/corrections/?{query}")
    assert response.status_code == 400
    assert f"<code>{parameter}</code>" in response.get_data(as_text=True)


def test_no_corrections_says_so(log, worker, app_for):
    march(log, worker)
    assert "No final figure has been corrected." in html(app_for().test_client(), "/en/corrections/")


def test_the_footer_and_the_indicator_page_link_the_corrections_with_a_count(restated, app_for):
    client = app_for().test_client()
    count = len(read_json(client.get(f"/v1/corrections?indicator={CODE}"))["items"])
    page = html(client, f"/en/indicators/{CODE}")
    assert f"This indicator&#39;s corrections ({count})" in page
    assert f'href="/en/corrections/?indicator={CODE}"' in page
    assert 'href="/fi/corrections/"' in html(client, "/fi/")


# -- the feed ----------------------------------------------------------------------------------------------
def test_the_corrections_feed_and_one_per_indicator(restated, app_for):
    client = app_for().test_client()
    response = client.get("/en/feeds/corrections.atom")
    assert response.mimetype == "application/atom+xml"
    entries = ET.fromstring(response.data).findall(f"{ATOM}entry")
    everything = read_json(client.get("/v1/corrections?size=1000"))["items"]
    assert len(entries) == len(everything)
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert "Time to first response (median), March 2026: 7.5 h (n = 12) → 8.0 h (n = 13)" in titles
    summary = next(
        e.findtext(f"{ATOM}summary") for e in entries if "March 2026: 7.5" in (e.findtext(f"{ATOM}title") or "")
    )
    assert "4 events added" in (summary or "")
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == len(ids)
    mine = ET.fromstring(client.get(f"/fi/feeds/corrections.atom?indicator={CODE}").data).findall(f"{ATOM}entry")
    assert len(mine) == len([c for c in everything if c["indicator"] == CODE])
    assert f"indicator={CODE}" in html(client, "/en/feeds/")
    assert client.get("/en/feeds/corrections.atom?indicator=nope").status_code == 400


# -- as_of on the pages --------------------------------------------------------------------------------------
def test_the_indicator_page_as_of_shows_what_was_published_then(restated, app_for):
    client = app_for().test_client()
    then = html(client, f"/en/indicators/{CODE}?as_of=2026-04-30")
    assert "Figures as published on Apr 20, 2026, 09:00." in then
    assert f'href="/en/indicators/{CODE}"' in then  # today's figures
    assert "7.5 h" in then
    assert "8.0 h" not in then
    today = html(client, f"/en/indicators/{CODE}")
    assert "8.0 h" in today and "Figures as published on" not in today


def test_the_overview_as_of(restated, app_for):
    client = app_for().test_client()
    then = html(client, "/fi/?as_of=2026-04-30")
    assert "Luvut sellaisina kuin ne julkaistiin" in then
    assert "7,5 h" in then


@pytest.mark.parametrize("path", ["/en/?as_of=yesterday", f"/en/indicators/{CODE}?as_of=2026-02-30"])
def test_a_bad_as_of_is_the_pages_400(restated, app_for, path):
    response = app_for().test_client().get(path)
    assert response.status_code == 400
    assert "<code>as_of</code>" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/en/?as_of=2026-01-01", f"/en/indicators/{CODE}?as_of=2026-01-01"])
def test_as_of_before_the_first_recording_is_a_404_saying_when_the_history_begins(restated, app_for, path):
    response = app_for().test_client().get(path)
    assert response.status_code == 404
    assert "the history begins 2026-04-20T06:00:00.000000Z" in response.get_data(as_text=True)


# -- citations -------------------------------------------------------------------------------------------------
def test_a_citation_still_reproduces_its_figure_after_a_correction(log, worker, index, settings, store, app_for):
    march(log, worker)
    record_at(index, settings, store, APRIL)
    client = app_for().test_client()
    citation = read_json(client.get(f"/v1/indicators/{CODE}"))["citation"]
    assert citation["citable"] is True
    assert (citation["period"], citation["value"], citation["n"]) == ("2026-03", 7.5, 12)
    assert citation["definition_version"] == 1
    assert citation["as_of"] == "2026-04-20T09:00"
    assert citation["text"]["en"] == (
        "Mittari demo city, Time to first response (median), 2026-03, 7.5 h (n = 12), "
        "as published 2026-04-20 at 09:00; definition v1"
    )
    assert citation["text"]["fi"].endswith("7,5 h (n = 12), julkaistu 2026-04-20 klo 09:00; määritelmä v1")
    assert citation["url"] == f"http://mittari.test/v1/indicators/{CODE}?as_of=2026-04-20T09%3A00&definition_version=1"

    late(log, worker, "fb-late", 40)  # a late event changes the final month...
    record_at(index, settings, store, MAY)  # ...and is recorded: a correction
    assert city_correction(client)["new"]["value"] == 8.0
    assert read_json(client.get(f"/v1/indicators/{CODE}"))["current"]["value"] == 8.0

    followed = read_json(client.get(_local(citation["url"])))
    assert (followed["current"]["period"], followed["current"]["value"], followed["current"]["n"]) == (
        "2026-03",
        7.5,
        12,
    )
    assert followed["citation"]["text"] == citation["text"]
    page = html(client, _local(citation["pages"]["en"]))
    assert "7.5 h" in page and citation["text"]["en"] in page


def test_figures_the_history_has_not_recorded_are_not_citable_yet(restated, log, worker, app_for):
    late(log, worker, "fb-unrecorded", 50)  # indexed, not yet recorded
    client = app_for().test_client()
    citation = read_json(client.get(f"/v1/indicators/{CODE}"))["citation"]
    assert citation["citable"] is False
    assert "not citable yet" in citation["reason"]
    assert "This figure cannot be cited yet" in html(client, f"/en/indicators/{CODE}")


def test_a_citation_names_the_city_and_the_scope(restated, settings, app_for):
    from api import create_app

    app = create_app(settings.with_overrides(city_name="Espoo"), clock=FixedClock(datetime(2026, 6, 1, tzinfo=UTC)))
    citation = read_json(app.test_client().get(f"/v1/indicators/{CODE}?service=171"))["citation"]
    assert citation["text"]["en"].startswith("Espoo, Time to first response (median), service 171, 2026-03, 8.0 h")
    assert "service=171" in citation["url"]


def test_a_citation_of_another_definition_version_is_a_404_saying_which(restated, app_for):
    client = app_for().test_client()
    for path in (
        f"/v1/indicators/{CODE}?as_of=2026-04-30&definition_version=2",
        f"/v1/indicators/{CODE}?definition_version=2",
    ):
        response = client.get(path)
        assert response.status_code == 404
        assert "definition v1, not v2" in read_json(response)["detail"]
    assert client.get(f"/en/indicators/{CODE}?definition_version=x").status_code == 400


# -- the meeting report as published ------------------------------------------------------------------------
def test_a_past_report_shows_the_period_as_published_then(restated, app_for):
    """March's report is as published at the end of April (7.5 h), not today's corrected 8.0 h."""
    client = app_for().test_client()
    page = html(client, "/en/report?body=Kaupunginhallitus&period=2026-03")
    assert "as published on Apr 30, 2026 (at the end of the following month)" in page
    assert "7.5 h" in page and "8.0 h" not in page
    asked = html(client, "/en/report?body=Kaupunginhallitus&period=2026-03&as_of=2026-05-31")
    assert "8.0 h" in asked and "(the moment asked for)" in asked


def test_a_report_without_history_by_then_shows_todays_figures_and_says_so(
    log, worker, index, settings, store, app_for
):
    march(log, worker)
    record_at(index, settings, store, MAY)  # nothing recorded by the end of April
    page = html(app_for().test_client(), "/en/report?body=Kaupunginhallitus&period=2026-03")
    assert "the report shows today&#39;s figures" in page
    assert "7.5 h" in page


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def test_a_recording_makes_a_figure_citable_without_a_stale_304_or_stored_answer(
    log, worker, index, settings, store, app_for
):
    """No batch between the two requests: only the history's position moves, and the citation with it."""
    march(log, worker)
    client = app_for().test_client()
    paths = (f"/v1/indicators/{CODE}", f"/en/indicators/{CODE}")
    first = {path: client.get(path) for path in paths}
    assert read_json(first[paths[0]])["citation"]["citable"] is False
    record_at(index, settings, store, APRIL)
    for path in paths:
        again = client.get(path, headers={"If-None-Match": first[path].headers["ETag"]})
        assert again.status_code == 200
    assert read_json(client.get(paths[0]))["citation"]["citable"] is True
    assert "This figure cannot be cited yet" not in html(client, paths[1])


def test_a_report_from_the_history_equals_todays_when_nothing_changed_since(restated, app_for):
    """The recorded rows give the report the same figures, trends and flags as the index does."""
    from figures import report

    app = app_for()
    svc = app.extensions["mittari"]
    now = svc.clock.now()
    live = report.build(svc.indicators, "Kaupunginhallitus", "2026-03", now)
    pinned = report.build(svc.indicators, "Kaupunginhallitus", "2026-03", now, svc.history, "2026-05-31")
    assert live["as_published"] is None and pinned["as_published"]["rule"] == "as_of"
    fields = ("code", "service", "value", "target", "n", "trend", "provisional", "final_from")
    assert live["off_target"]
    assert [[r[f] for f in fields] for r in pinned["off_target"]] == [
        [r[f] for f in fields] for r in live["off_target"]
    ]
