import csv
import io
import json

import pytest

from api.response_cache import ResponseCache
from tests.conftest import SECRETS, read_json

PROBLEM = "application/problem+json"


def problem_of(response, status, parameter=None):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = read_json(response)
    assert body["status"] == status and body["title"] and body["type"]
    if parameter:
        assert body["parameter"] == parameter
        assert parameter in [p["name"] for p in body["invalid-params"]]
    return body


# --- search -----------------------------------------------------------------------
def test_search_returns_items_total_facets_and_cursor(client):
    body = read_json(client.get("/v1/search?q=katuvalo&size=5"))
    assert body["total"] == 14  # 12 feedback + the decision + an initiative
    assert len(body["items"]) == 5
    assert body["next_cursor"] and body["next"].startswith("/v1/search?")
    assert {f["value"] for f in body["facets"]["type"]} == {"feedback", "decision", "initiative"}
    item = body["items"][0]
    assert set(item) == {"id", "type", "title", "excerpt", "date", "status", "service_code", "area", "url"}


@pytest.mark.parametrize(
    "query",
    [
        "q=katuvalo&size=5",
        "q=katuvalo&size=5&facets=false",
        "type=feedback&size=4&sort=oldest",
        "type=feedback&service=171&area=Vanha-Espoo&status=resolved",
        "q=nothing-matches-this",
        "q=%3Cscript%3E&type=decision",
        "",
    ],
)
def test_search_answers_exactly_what_its_schema_dumps(client, query):
    """/v1/search skips the schema's dump (api/formats.json_as_dumped): its bytes must be what the dump gives,
    so a field of the wrong type or one the schema does not declare would show up here."""
    from flask import current_app

    from api import schemas

    response = client.get(f"/v1/search?{query}")
    assert response.status_code == 200
    body = json.loads(response.get_data())
    with client.application.app_context():
        dumped = current_app.json.response(schemas.SearchResponse().dump(body)).get_data()  # what smorest sends
    assert response.get_data() == dumped


def test_search_pages_with_next_links(client):
    ids, url = [], "/v1/search?type=feedback&size=4"
    while url:
        body = read_json(client.get(url))
        ids += [i["id"] for i in body["items"]]
        url = body["next"]
    assert len(ids) == len(set(ids)) == 13


def test_search_filters(client):
    body = read_json(client.get("/v1/search?type=feedback&service=171&area=Vanha-Espoo&status=resolved"))
    assert body["total"] == 3
    assert all(i["service_code"] == "171" and i["area"] == "Vanha-Espoo" for i in body["items"])
    assert read_json(client.get("/v1/search?from=2026-03-03&to=2026-03-03"))["total"] == 2  # the decision and meeting


def test_search_says_whether_its_total_is_exact(client, monkeypatch):
    faceted = read_json(client.get("/v1/search?q=katuvalo"))
    assert (faceted["total"], faceted["total_relation"]) == (14, "eq")
    assert read_json(client.get("/v1/search?q=katuvalo&facets=false"))["total_relation"] == "eq"
    monkeypatch.setattr("search.sqlite_index.TOTAL_EXACT_UP_TO", 10)  # counting stops there without facets
    # the same requests are asked again: the worker's kept answers (api/response_cache.py) must not answer them
    monkeypatch.setitem(client.application.extensions, "mittari_responses", ResponseCache(0))
    bounded = read_json(client.get("/v1/search?q=katuvalo&facets=false"))
    assert (bounded["total"], bounded["total_relation"]) == (10, "gte")
    assert read_json(client.get("/v1/search?q=katuvalo"))["total"] == 14  # facets count every match anyway
    page = client.get("/fi/feedback/?q=katuvalo").get_data(as_text=True)
    assert "10+" in page  # the tracker shows a lower bound as one


def test_search_as_csv(client):
    for response in (
        client.get("/v1/search?type=feedback&format=csv"),
        client.get("/v1/search?type=feedback", headers={"Accept": "text/csv"}),
    ):
        assert response.mimetype == "text/csv"
        rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
        assert len(rows) == 13
        assert rows[0]["url"].startswith("/v1/feedback/")


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("size=0", "size"),
        ("size=100000", "size"),
        ("size=ten", "size"),
        ("type=cases", "type"),
        ("sort=random", "sort"),
        ("from=yesterday", "from"),
        ("to=2026-13-01", "to"),
        ("from=2026-05-01&to=2026-04-01", "from"),
        ("cursor=%00%00", "cursor"),
        ("statsu=open", "statsu"),
        ("q=" + "x" * 600, "q"),
        ("format=xml", "format"),
        ("facets=maybe", "facets"),
    ],
)
def test_search_bad_parameters_are_400_naming_the_parameter(client, query, parameter):
    problem_of(client.get(f"/v1/search?{query}"), 400, parameter)


def test_query_syntax_is_just_words(client):
    for q in ('"', "NEAR(a b)", "a* OR b", "col:value", "-- ;DROP TABLE docs"):
        response = client.get("/v1/search", query_string={"q": q})
        assert response.status_code == 200


# --- documents ----------------------------------------------------------------------
def test_feedback_item(client):
    body = read_json(client.get("/v1/feedback/fb-03"))
    assert body["status"] == "resolved"
    assert [t["state"] for t in body["timeline"]] == ["received", "in_process", "response_given", "resolved"]
    assert body["response"]["text"] == "Kiitos, korjattu."
    assert body["first_response_hours"] == 5.0
    assert "events" not in body and "facts" not in body


def test_unknown_ids_are_404(client):
    problem_of(client.get("/v1/feedback/nope"), 404)
    problem_of(client.get("/v1/decisions/fb-03"), 404)  # exists, but is not a decision
    problem_of(client.get("/v1/indicators/nope"), 404)
    problem_of(client.get("/v1/nothing-here"), 404)


def test_decision(client):
    body = read_json(client.get("/v1/decisions/dec-1"))
    assert body["case_id"] == "ESP/2026/1" and body["services"] == ["171"]


def test_initiatives_with_waiting_times(client):
    body = read_json(client.get("/v1/initiatives"))
    by_id = {i["id"]: i for i in body["items"]}
    assert by_id["in-2"]["status"] == "answered" and by_id["in-2"]["days_waiting"] == 90.0
    assert by_id["in-1"]["status"] == "submitted"
    assert by_id["in-1"]["days_waiting"] == 121.0  # 30 days before T0 until the test clock's 1 June
    assert read_json(client.get("/v1/initiatives?status=answered"))["total"] == 1
    problem_of(client.get("/v1/initiatives?status=lost"), 400, "status")
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/initiatives?format=csv").get_data(as_text=True))))
    assert {r["id"] for r in rows} == {"in-1", "in-2"}
    assert read_json(client.get("/v1/initiatives/in-1"))["signatories"] == ["A", "B"]


# --- indicators ---------------------------------------------------------------------
def test_indicator_list(client):
    body = read_json(client.get("/v1/indicators"))
    codes = {i["code"] for i in body["items"]}
    assert {"feedback_response_time_median", "feedback_closed_share", "resident_satisfaction"} <= codes
    closed = next(i for i in body["items"] if i["code"] == "feedback_closed_share")
    inputs_hash = closed["current"].pop("inputs_sha256")
    assert len(inputs_hash) == 64 and int(inputs_hash, 16) >= 0  # figures/indicators.py inputs_sha256
    assert closed["current"] == {
        "period": "2026-03",
        "value": 100.0,
        "n": 13,
        "n_band": None,
        "suppressed": False,
        "reason": None,
        "target": None,
        "status": "no_target",
        "provisional": False,  # the clock says 1 June
        "final_from": "2026-04-19T21:00:00Z",  # 1 April in Helsinki (UTC+3), plus 120 h and 14 days
    }
    assert closed["class"] == "output"
    rows = list(csv.DictReader(io.StringIO(client.get("/v1/indicators?format=csv").get_data(as_text=True))))
    assert {r["code"] for r in rows} == codes


def test_indicator_detail_and_filters(client):
    body = read_json(client.get("/v1/indicators/feedback_response_time_median?service=210"))
    assert body["filters"]["service"] == "210"
    assert body["series"][0]["n"] == 6
    assert body["series"][0]["value"] == 7.0  # responses after 2, 4, 6, 8, 10, 12 hours
    # service 410 has one item, so 171 (6, the next smallest) is withheld with it: the city less 171
    # and 210 would otherwise give 410
    city = read_json(client.get("/v1/indicators/feedback_response_time_median"))
    by_service = {b["key"]: b for b in city["breakdown"]["service"]}
    assert (by_service["410"]["n"], by_service["410"]["n_band"]) == (None, "<5")
    assert (by_service["171"]["n"], by_service["171"]["n_band"]) == (None, "≥5")
    assert by_service["210"]["n"] == 6 and city["overall"]["n"] == 13
    # a service within an area is never published: it would let the margins be differenced
    assert body["breakdown"]["area"] == []
    assert [b["key"] for b in body["breakdown"]["service"]] == ["210"]
    for query in ("service=210&area=Vanha-Espoo", "service=210&area=Vanha-Espoo&format=csv"):
        problem_of(client.get(f"/v1/indicators/feedback_closed_share?{query}"), 400, "area")
    for query, parameter in (("service=999", "service"), ("area=Atlantis", "area")):
        for path in ("/v1/indicators/feedback_closed_share", "/v1/indicators"):
            problem_of(client.get(f"{path}?{query}"), 400, parameter)
            problem_of(client.get(f"{path}?{query}&format=csv"), 400, parameter)
    # a total over a range that is not a calendar month, quarter or year is not served
    ranged = read_json(client.get("/v1/indicators/feedback_closed_share?from=2026-02&to=2026-03"))
    assert ranged["overall"]["value"] is None and ranged["overall"]["n"] is None
    assert ranged["overall"]["reason"].startswith("totals over a range")
    assert ranged["breakdown"] == {"service": [], "area": []}
    problem_of(client.get("/v1/indicators/feedback_closed_share?from=March"), 400, "from")
    problem_of(client.get("/v1/indicators/feedback_closed_share?from=2026-05&to=2026-01"), 400, "from")


def test_indicator_csv_is_the_dataset(client):
    text = client.get("/v1/indicators/feedback_closed_share?format=csv").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["breakdown"] == "city" and rows[0]["value"] == "100.0" and rows[0]["n"] == "13"
    assert {r["breakdown"] for r in rows} == {"city", "service", "area"}


def test_catalog_is_dcat_ap(client):
    response = client.get("/v1/catalog")
    assert response.mimetype == "application/ld+json"
    catalog = read_json(response)
    assert catalog["@type"] == "dcat:Catalog"
    dataset = next(d for d in catalog["dcat:dataset"] if d["dct:identifier"] == "feedback_closed_share")
    assert dataset["dct:license"]["@id"] == "http://creativecommons.org/licenses/by/4.0/"
    assert {t["@language"] for t in dataset["dct:title"]} == {"fi", "sv", "en"}
    assert (
        dataset["dcat:distribution"][0]["dcat:downloadURL"]["@id"]
        == "http://mittari.test/v1/indicators/feedback_closed_share?format=csv"
    )


# --- the whole API ----------------------------------------------------------------
def test_openapi_and_docs(client):
    spec = read_json(client.get("/v1/openapi.json"))
    assert spec["openapi"].startswith("3.")
    for path in ("/v1/search", "/v1/feedback/{feedback_id}", "/v1/initiatives", "/v1/indicators/{code}", "/v1/catalog"):
        assert path in spec["paths"]
    params = {p["name"] for p in spec["paths"]["/v1/search"]["get"]["parameters"]}
    assert {"q", "type", "service", "area", "status", "from", "to", "size", "cursor"} <= params
    page = client.get("/v1/docs").get_data(as_text=True)
    assert "GET /v1/search" in page and 'id="problem-bad-parameter"' in page


def test_read_only_cors_and_request_ids(client):
    response = client.get("/v1/search")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Request-Id"]
    for method in (client.post, client.put, client.delete, client.patch):
        problem_of(method("/v1/search"), 405)
    assert client.options("/v1/search").status_code == 200


def test_health_and_readiness(client, app_for, tmp_path, settings):
    assert read_json(client.get("/healthz")) == {"status": "ok"}
    assert client.get("/readyz").status_code == 200
    missing = app_for().test_client()
    from search.index import open_index

    nowhere = settings.with_overrides(search=f"sqlite:///{tmp_path}/absent/index.sqlite")
    broken = app_for(index=open_index(nowhere, readonly=True)).test_client()
    assert broken.get("/readyz").status_code == 503
    assert broken.get("/healthz").status_code == 200
    assert missing.get("/readyz").status_code == 200


def test_status_counts_ingest(client):
    body = read_json(client.get("/v1/status"))
    assert body["documents"]["feedback"] == 13
    assert body["counters"]["events_indexed"] > 50


def test_landing_page_is_the_finnish_overview(client):
    response = client.get("/")
    assert response.status_code == 302 and response.location.endswith("/fi/")
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert '<html lang="fi">' in page
    assert "Suljetut palautteet" in page  # the closed-share indicator's Finnish name


def test_personal_data_appears_in_no_response(client):
    urls = [
        "/v1/search?q=olen",
        "/v1/search?format=csv&size=100",
        "/v1/feedback/fb-pii",
        "/v1/initiatives",
        "/v1/indicators",
        "/v1/catalog",
        "/fi/",
        "/fi/feedback/?q=olen",
        "/sv/feedback/fb-pii",
        "/en/services/410",
        "/fi/feeds/decisions.atom",
        "/v1/status",
    ]
    for url in urls:
        text = client.get(url).get_data(as_text=True)
        for secret in SECRETS:
            assert secret not in text, (url, secret)
    assert "[REDACTED:email]" in client.get("/v1/feedback/fb-pii").get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/v1/search",
        "/v1/feedback/fb-01",
        "/v1/decisions/dec-1",
        "/v1/initiatives",
        "/v1/initiatives/in-1",
        "/v1/indicators",
        "/v1/indicators/feedback_closed_share",
        "/v1/catalog",
    ],
)
def test_every_endpoint_refuses_unknown_parameters(client, path):
    assert client.get(path).status_code == 200
    problem_of(client.get(f"{path}?colour=red"), 400, "colour")


GARBAGE = ["", "%", "%ZZ", "'", '"', "\x00", "a" * 2000, "-1", "1e309", "null", "[]", "{}", "ä" * 50]


@pytest.mark.parametrize(
    "path", ["/v1/search", "/v1/initiatives", "/v1/indicators", "/v1/indicators/feedback_closed_share"]
)
def test_no_user_input_yields_a_500(client, path):
    params = ["q", "type", "service", "area", "status", "from", "to", "size", "cursor", "sort", "format", "facets", "x"]
    for name in params:
        for value in GARBAGE:
            response = client.get(path, query_string={name: value})
            assert response.status_code < 500, (path, name, value, response.get_data(as_text=True)[:200])
            if response.status_code >= 400:
                assert response.mimetype == PROBLEM
                json.loads(response.get_data(as_text=True))
