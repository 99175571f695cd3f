"""Done when (issue #12, point 5): a citation taken before a late event changed a final month still
reproduces the cited figure after the correction was recorded — on the embedded pair and on Kafka +
Elasticsearch, through the whole path (log → worker → index → recorder → history → API and pages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from api import create_app
from core.clock import FixedClock
from figures.indicators import Indicators
from figures.published import record
from history.store import open_history
from ingest.log import open_log
from ingest.worker import Worker
from search.index import open_index
from tests.builders import T0, feedback_item
from tests.conftest import read_json
from tests.contract.test_corrections_end_to_end import PAIRS, put

pytestmark = pytest.mark.contract

CODE = "feedback_response_time_median"


def local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


@pytest.mark.parametrize("pair", PAIRS)
def test_a_citation_reproduces_its_figure_after_a_correction(pair, make_settings):
    settings = make_settings(*pair).with_overrides(city_name="Espoo")
    log, index, store = open_log(settings), open_index(settings), open_history(settings)
    try:
        worker = Worker(log, index, batch_size=50)
        events = []
        for i in range(12):
            events += feedback_item(f"fb-{i:02d}", T0 + timedelta(hours=i), respond_hours=2 + i)
        put(log, events)
        worker.run(until_caught_up=True)
        clock = FixedClock(datetime(2026, 6, 1, 6, 0, tzinfo=UTC))  # March has long been final
        record(Indicators(index, settings, clock), store)
        clock.advance(600)
        reader = open_index(settings, readonly=True)
        client = create_app(settings, index=reader, clock=clock).test_client()
        citation = read_json(client.get(f"/v1/indicators/{CODE}"))["citation"]
        assert citation["citable"] is True
        assert citation["text"]["en"] == (
            "Espoo, Time to first response (median), 2026-03, 7.5 h (n = 12), as published 2026-06-01 at 09:00; "
            "definition v1"
        )

        put(log, feedback_item("fb-late", T0 + timedelta(days=3), respond_hours=40))  # a late item in March
        worker.run(until_caught_up=True)
        clock.advance(3600)
        record(Indicators(index, settings, clock), store)
        clock.advance(600)
        client = create_app(settings, index=reader, clock=clock).test_client()
        assert read_json(client.get(f"/v1/indicators/{CODE}"))["current"]["value"] == 8.0
        corrections = read_json(client.get(f"/v1/corrections?indicator={CODE}"))["items"]
        assert any(c["old"]["value"] == 7.5 and c["new"]["value"] == 8.0 for c in corrections)

        followed = read_json(client.get(local(citation["url"])))
        assert (followed["current"]["period"], followed["current"]["value"], followed["current"]["n"]) == (
            "2026-03",
            7.5,
            12,
        )
        assert followed["citation"]["text"] == citation["text"]
        page = client.get(local(citation["pages"]["fi"])).get_data(as_text=True)
        assert citation["text"]["fi"] in page and "7,5 h" in page
        reader.close()
    finally:
        store.close()
        index.close()
        log.close()
