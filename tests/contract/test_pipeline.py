"""The whole read path gives identical answers on every backend pair, from the same events.

Search pages, facets, documents, every indicator and the API's JSON are compared
between the embedded pair (SQLite log, SQLite index) and the real one
(Kafka, Elasticsearch). Cursors are opaque and differ by backend; the pages
they lead to must not.
"""

from datetime import date
from typing import Any

import pytest

from api import create_app
from figures.indicators import Filters, Indicators
from ingest.demo_data import generate
from ingest.importer import append_events
from ingest.log import open_log
from ingest.worker import Worker
from search.index import open_index
from search.query import SearchQuery
from tests.services import backend_settings

pytestmark = pytest.mark.contract

PAIRS = [
    pytest.param(("kafka", "elasticsearch"), id="kafka+elasticsearch", marks=pytest.mark.integration),
    pytest.param(("sqlite", "elasticsearch"), id="sqlite+elasticsearch", marks=pytest.mark.integration),
]
QUERIES = [
    SearchQuery(size=7),
    SearchQuery(q="katuvalo", size=5),
    SearchQuery(q="paivakoti", types=("feedback",), size=50),
    SearchQuery(sort="oldest", service="171", size=9),
    SearchQuery(q="kaupunginhallitus", sort="relevance", size=4),
    SearchQuery(area="Suur-Tapiola", status="resolved", size=25),
]
URLS = [
    "/v1/search?q=katuvalo&size=5&sort=newest",
    "/v1/search?type=feedback&service=210&format=csv",
    "/v1/indicators",
    "/v1/indicators/feedback_response_time_median?service=171",
    "/v1/indicators/resident_satisfaction?area=Suur-Tapiola&from=2025-06",
    "/v1/indicators/health_care_within_14_days",
    "/v1/indicators/feedback_closed_share?format=csv",
    "/v1/initiatives?size=50",
    "/v1/catalog",
    "/v1/indicators/feedback_response_time_median/cells?period=2025-10&size=7",
    "/v1/indicators/feedback_closed_share/cells?period=2025-11&service=171&format=csv",
    "/v1/indicators/service_waiting_time/cells?period=2025-10",
]
EVENTS = list(generate(4000, seed=11, until=date(2026, 1, 1)))


def answers(settings, clock) -> dict[str, Any]:
    log, index = open_log(settings), open_index(settings)
    try:
        append_events(log, ((f"t#{i}", e) for i, e in enumerate(EVENTS)))
        Worker(log, index, batch_size=700).run(until_caught_up=True)
        out: dict[str, Any] = {"stats": index.stats()["documents"]}
        for n, query in enumerate(QUERIES):
            pages, cursor = [], None
            while True:
                page = index.search(SearchQuery(**{**query.__dict__, "cursor": cursor}))
                pages.append(([i["id"] for i in page.items], page.total, page.facets))
                cursor = page.next_cursor
                if not cursor or len(pages) > 40:
                    break
            if query.sort == "relevance":
                # Scores are each engine's own BM25, so only the results, totals and facets must agree,
                # not their order (see the README's note on relevance).
                pages = [(sorted(i for ids, _, _ in pages for i in ids), pages[0][1], pages[0][2])]
            out[f"search{n}"] = pages
        one = next(iter(index.search(SearchQuery(types=("feedback",), size=1)).items))["id"]
        out["doc"] = index.get(one).body
        indicators = Indicators(index, settings, clock)
        out["overview"] = indicators.overview()
        out["details"] = {i.code: indicators.detail(i.code, Filters()) for i in indicators.definitions()}
        client = create_app(settings, index=index, clock=clock).test_client()
        out["api"] = {}
        for url in URLS:
            response = client.get(url)
            assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
            body = response.get_json(silent=True)
            if isinstance(body, dict):
                body.pop("next_cursor", None)
                body.pop("next", None)
                if "recipe" in body:  # the generation is each index's own label; the rest must agree
                    body["recipe"].pop("generation")
            out["api"][url] = body if body is not None else response.get_data(as_text=True)
        return out
    finally:
        log.close()
        index.close()


@pytest.fixture(scope="module")
def baseline_cache() -> dict[str, Any]:
    return {}


@pytest.mark.parametrize("pair", PAIRS)
def test_identical_answers_on_every_backend(pair, settings, clock, make_settings, baseline_cache):
    if "embedded" not in baseline_cache:
        baseline_cache["embedded"] = answers(settings, clock)
    expected = baseline_cache["embedded"]
    got = answers(make_settings(*pair), clock)
    assert got["stats"] == expected["stats"]
    for key in expected:
        if key == "api":
            for url in URLS:
                assert got["api"][url] == expected["api"][url], url
        assert got[key] == expected[key], key


def test_backend_settings_switch_only_urls(settings):
    real = backend_settings(settings, "sqlite", "sqlite")
    assert real == settings
