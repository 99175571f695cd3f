"""Aggregate-only streams (cases, surveys, outcomes) answer no item-level query: no hit, facet, item or small total."""

from __future__ import annotations

from tests.builders import T0, at, ev, feedback_item
from tests.conftest import ingest, read_json


def _city(log, worker):
    events = feedback_item("fb-1", T0, 3, service="171", area="Suur-Tapiola", text="Katuvalo pimeänä")
    for i in range(3):
        events.append(ev("service.case_opened", f"case-{i}", at(days=1), service_code="210", area="Vanha-Espoo"))
    for i in range(2):
        events.append(
            ev(
                "service.survey_response",
                f"survey-{i}",
                at(days=2),
                service_code="210",
                score=3,
                scale_min=1,
                scale_max=5,
            )
        )
    events.append(
        ev(
            "service.outcome_measured",
            "outcome-1",
            at(days=3),
            indicator_code="pupil_wellbeing",
            value=70,
            unit="%",
            period="2026-03",
            area="Vanha-Espoo",
            sample_size=2,
        )
    )
    ingest(log, worker, events)


def test_no_search_hit_facet_or_item_over_aggregate_only_streams(log, worker, app_for):
    _city(log, worker)
    client = app_for().test_client()
    body = read_json(client.get("/v1/search?size=50"))
    assert {item["type"] for item in body["items"]} == {"feedback"}
    assert body["total"] == 1
    for values in body["facets"].values():
        assert not {v["value"] for v in values} & {"case", "survey", "outcome", "210", "Vanha-Espoo"}, body["facets"]
    for doc_type in ("case", "survey", "outcome"):
        assert client.get(f"/v1/search?type={doc_type}").status_code == 400
    assert read_json(client.get("/v1/search?service=210"))["total"] == 0
    assert read_json(client.get("/v1/search?area=Vanha-Espoo"))["total"] == 0
    for subject in ("case-0", "survey-0", "outcome-1"):
        assert client.get(f"/v1/feedback/{subject}").status_code == 404
        assert client.get(f"/v1/decisions/{subject}").status_code == 404
        assert client.get(f"/v1/initiatives/{subject}").status_code == 404
    for page in ("/en/feedback/?service=210", "/en/feedback/?area=Vanha-Espoo", "/feeds/decisions.atom"):
        text = client.get(page).get_data(as_text=True)
        assert "case-0" not in text and "survey-0" not in text and "outcome-1" not in text


def test_status_gives_no_small_count_of_an_aggregate_only_stream(log, worker, app_for):
    _city(log, worker)
    documents = read_json(app_for().test_client().get("/v1/status"))["documents"]
    assert documents["feedback"] == 1  # feedback items are public one by one
    assert documents["case"] is None and documents["survey"] is None and documents["outcome"] is None


def test_small_service_counts_of_cases_are_withheld_with_a_companion(log, worker, app_for):
    events = []
    for service, count in (("171", 9), ("210", 7), ("410", 2)):
        events += [ev("service.case_opened", f"c{service}-{i}", at(days=1), service_code=service) for i in range(count)]
    ingest(log, worker, events)
    page = app_for().test_client().get("/en/services/").get_data(as_text=True)
    # 410 (2) is withheld, and 210 (7, the next smallest) with it: the total of cases is no secret
    assert page.count("withheld (under 5)") == 1 and page.count("withheld (protects a small figure)") == 1
    assert ">9<" in page


def test_indicator_json_and_page_say_whether_the_items_are_public(log, worker, app_for):
    _city(log, worker)
    client = app_for().test_client()
    closed = read_json(client.get("/v1/indicators/feedback_closed_share"))["disclosure"]
    waiting = read_json(client.get("/v1/indicators/service_waiting_time"))["disclosure"]
    assert closed["items_public"] is True and waiting["items_public"] is False
    assert closed["min_cell_count"] == 5 and "public one by one" in closed["note"]
    listed = read_json(client.get("/v1/indicators"))["items"]
    assert all("items_public" in item["disclosure"] for item in listed)
    phrases = {
        "fi": ("julkisia yksitellen", "yksittäisiä tietoja ei julkaista"),
        "sv": ("offentlig en och en", "enskilda uppgifterna"),
        "en": ("public one by one", "individual records behind this indicator are not published"),
    }
    for lang, (public, aggregate) in phrases.items():
        assert public in client.get(f"/{lang}/indicators/feedback_closed_share").get_data(as_text=True)
        assert aggregate in client.get(f"/{lang}/indicators/service_waiting_time").get_data(as_text=True)
