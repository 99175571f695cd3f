"""Done when (issue #12, point 4): a late event that changes a month that was final when recorded shows up
as a correction with its reason in GET /v1/corrections, on the corrections page, in its Atom feed and in
the published corrections dataset, and ?as_of=<before> still answers the old value, on the
embedded pair and on Kafka + Elasticsearch, through the whole path (log → worker → index → recorder →
history → API)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from api import create_app
from core.clock import FixedClock
from figures.indicators import Indicators
from figures.published import record
from history.store import open_history
from ingest.events import encode_event, topic_for
from ingest.log import Outgoing, open_log
from ingest.worker import Worker
from publisher.publish import build_datasets
from search.index import open_index
from tests.builders import T0, feedback_item
from tests.conftest import read_json

pytestmark = pytest.mark.contract

PAIRS = [
    pytest.param(("sqlite", "sqlite"), id="sqlite"),
    pytest.param(("kafka", "elasticsearch"), id="kafka+elasticsearch", marks=pytest.mark.integration),
]
CODE = "feedback_response_time_median"


def put(log, events) -> None:  # type: ignore[no-untyped-def]
    for event in events:
        log.append(topic_for(event["type"]), [Outgoing(event["subject_id"], encode_event(event), event["event_id"])])


@pytest.mark.parametrize("pair", PAIRS)
def test_a_late_event_in_a_final_month_is_a_correction_and_as_of_keeps_the_old_value(pair, make_settings):
    settings = make_settings(*pair)
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
        put(log, feedback_item("fb-late", T0 + timedelta(days=3), respond_hours=40))  # a late item in March
        worker.run(until_caught_up=True)
        clock.advance(3600)
        record(Indicators(index, settings, clock), store)
        clock.advance(3600)
        reader = open_index(settings, readonly=True)
        client = create_app(settings, index=reader, clock=clock).test_client()

        corrections = read_json(client.get(f"/v1/corrections?indicator={CODE}"))["items"]
        city = next(c for c in corrections if c["breakdown"] == "city" and c["period"] == "2026-03")
        assert (city["old"]["value"], city["new"]["value"]) == (7.5, 8.0)
        assert (city["old"]["n"], city["new"]["n"]) == (12, 13)
        assert city["old"]["provisional"] is False
        assert city["reasons"] == {"events_added": 4}
        assert city["old_recorded_at"] == "2026-06-01T06:00:00.000000Z"
        assert city["recorded_at"] == "2026-06-01T07:00:00.000000Z"

        before = read_json(client.get(f"/v1/indicators/{CODE}?as_of=2026-06-01T09:30"))  # 06:30 UTC
        assert [(c["period"], c["value"], c["n"]) for c in before["series"]] == [("2026-03", 7.5, 12)]
        assert before["as_of"]["recorded_at"] == "2026-06-01T06:00:00.000000Z"
        now = read_json(client.get(f"/v1/indicators/{CODE}"))
        assert [(c["period"], c["value"], c["n"]) for c in now["series"]] == [("2026-03", 8.0, 13)]
        csv_before = client.get(f"/v1/indicators/{CODE}?as_of=2026-06-01T09:30&format=csv").text
        assert "2026-03,city,,,7.5," in csv_before

        # the same correction on the page, in the feed and in the published dataset
        page = client.get(f"/en/corrections/?indicator={CODE}")
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        assert "7.5" in text and "8.0" in text and "March 2026" in text
        feed = client.get(f"/en/feeds/corrections.atom?indicator={CODE}")
        assert feed.status_code == 200 and feed.mimetype == "application/atom+xml"
        entries = ET.fromstring(feed.get_data()).findall("{http://www.w3.org/2005/Atom}entry")
        assert entries and any("7.5" in ET.tostring(e, encoding="unicode") for e in entries)
        datasets, catalog = build_datasets(Indicators(reader, settings, clock), settings, store)
        (published,) = [d for d in datasets if d.code == "corrections"]
        row = next(r for r in published.rows if r["indicator"] == CODE and r["breakdown"] == "city")
        assert (row["old_value"], row["new_value"], row["events_added"]) == (7.5, 8.0, 4)
        assert any(d["dct:identifier"] == "corrections" for d in catalog["dcat:dataset"])
        reader.close()
    finally:
        store.close()
        index.close()
        log.close()
