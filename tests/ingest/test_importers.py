import json
from pathlib import Path

import pytest

from ingest.jsonl import import_jsonl
from ingest.open311 import import_open311, location, request_events
from ingest.worker import Worker
from search.query import SearchQuery
from tests.builders import T0, received


def helsinki_requests_from_fixture(path: Path) -> list[dict]:
    """The Helsinki Django fixture back into the GeoReport v2 + extensions shape it was synced from."""
    rows = json.loads(path.read_text())
    tasks: dict[int, list[dict]] = {}
    media: dict[int, list[str]] = {}
    for row in rows:
        if row["model"] == "api.task":
            tasks.setdefault(row["fields"]["feedback"], []).append(
                {k: v for k, v in row["fields"].items() if k != "feedback"}
            )
        if row["model"] == "api.mediaurl":
            media.setdefault(row["fields"]["feedback"], []).append(row["fields"]["media_url"])
    out = []
    for row in rows:
        if row["model"] != "api.feedback":
            continue
        f = row["fields"]
        lon, lat = (None, None)
        if f.get("location"):
            lon, lat = f["location"].split("(")[1].rstrip(")").split()
        out.append(
            {
                **{
                    k: f[k]
                    for k in (
                        "service_request_id",
                        "status",
                        "status_notes",
                        "service_code",
                        "service_name",
                        "description",
                        "agency_responsible",
                        "requested_datetime",
                        "updated_datetime",
                        "expected_datetime",
                        "address_string",
                        "media_url",
                    )
                },
                "lat": lat,
                "long": lon,
                "media_urls": media.get(row["pk"], []),
                "extended_attributes": {
                    "title": f["title"],
                    "detailed_status": f["detailed_status"],
                    "tasks": tasks.get(row["pk"], []),
                },
            }
        )
    return out


def test_helsinki_request_with_tasks(samples):
    from zoneinfo import ZoneInfo

    record = json.loads((samples / "json/open311_helsinki_request_with_tasks.json").read_text())
    events, reason = request_events(record, source="helsinki", timezone=ZoneInfo("Europe/Helsinki"))
    assert reason is None
    kinds = [(e["type"], e["payload"].get("state")) for e in events]
    assert kinds == [
        ("feedback.received", None),
        ("feedback.status_changed", "in_process"),
        ("feedback.response_given", None),
        ("feedback.status_changed", "closed"),
    ]
    # transitions come from the task history, not from updated_datetime (2016-03-24T16:06:40+02:00)
    assert events[1]["occurred_at"] == "2016-03-22T13:32:04Z"  # the first task handed on
    assert events[3]["occurred_at"] == "2016-03-23T13:20:48Z"
    assert events[3]["payload"]["time_approximate"] is False
    assert events[0]["payload"]["lat"] == pytest.approx(60.451667)  # swapped in the source
    assert events[0]["payload"]["service_name"] is None  # empty in the source
    assert events[0]["raw"] == record


def test_swapped_and_missing_coordinates():
    assert location({"lat": "22.27", "long": "60.45"}) == (60.45, 22.27)
    assert location({"lat": "60.19", "long": "24.95"}) == (60.19, 24.95)
    assert location({"lat": 0, "long": 0}) == (None, None)
    assert location({"lat": 39.16, "long": -86.53}) == (39.16, -86.53)
    assert location({}) == (None, None)


def test_helsinki_fixture_maps_detailed_states(samples, log, index, tmp_path):
    requests = helsinki_requests_from_fixture(
        samples / "json/helsinki_feedback_open311_sync_django_fixture_sample.json"
    )
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(requests, ensure_ascii=False))
    report = import_open311(log, str(path), source="helsinki")
    assert report.records == 150 and report.refused == 0
    Worker(log, index).run(until_caught_up=True)
    counts = {f["value"]: f["count"] for f in index.search(SearchQuery(size=1)).facets["status"]}
    # the fixture has 12 'REQUIRES_NO_ACTION' among closed items and 13 'SCHEDULED_LATER'
    closed_no_action = sum(
        1
        for r in requests
        if r["status"] == "closed" and "REQUIRES_NO_ACTION" in r["extended_attributes"]["detailed_status"]
    )
    scheduled = sum(
        1
        for r in requests
        if r["status"] == "closed" and "SCHEDULED_LATER" in r["extended_attributes"]["detailed_status"]
    )
    assert counts["closed_without_action"] == closed_no_action
    assert counts["scheduled_later"] == scheduled
    assert sum(counts.values()) == 150
    assert counts.get("resolved", 0) > 0 and counts.get("closed", 0) > 0


@pytest.mark.parametrize(
    ("name", "records"),
    [
        ("json/open311_bloomington_requests.json", 21),
        ("json/open311_chicago_requests.json", 2),
        ("xml/open311_sanfrancisco_requests.xml", 56),
        ("xml/open311_toronto_requests.xml", 2),
    ],
)
def test_other_cities_import(samples, log, index, name, records):
    report = import_open311(log, str(samples / name), source="city", timezone="UTC")
    assert report.records == records
    assert report.refused == 0
    Worker(log, index).run(until_caught_up=True)
    assert index.stats()["documents"]["feedback"] == records


def test_reimport_adds_nothing(samples, log):
    path = str(samples / "json/open311_bloomington_requests.json")
    first = import_open311(log, path, source="bloomington")
    second = import_open311(log, path, source="bloomington")
    assert first.appended == first.events > 0
    assert second.appended == 0 and second.already_present == first.events


def test_bad_records_are_refused_and_reported_the_rest_go_in(log, tmp_path):
    good = {
        "service_request_id": "ok-1",
        "service_code": "1",
        "description": "Reikä tiessä",
        "requested_datetime": "2026-01-05T10:00:00+02:00",
        "status": "open",
    }
    records = [
        good,
        {**good, "service_request_id": ""},
        {**good, "service_request_id": "bad-date", "requested_datetime": "eilen"},
        "not an object",
        {**good, "service_request_id": "ok-2"},
    ]
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(records))
    report = import_open311(log, str(path))
    assert report.records == 5
    assert report.refused == 3
    assert report.appended == 2
    reasons = [d.reason for d in log.dead_letters()]
    assert any("service_request_id" in r for r in reasons)
    assert any("'eilen'" in r for r in reasons)
    assert "3 refused" in report.summary()


def test_windows_1252_text_is_decoded(log, index, tmp_path):
    record = {
        "service_request_id": "enc-1",
        "service_code": "1",
        "description": "Katu on jäässä",
        "requested_datetime": "2026-01-05T10:00:00",
    }
    path = tmp_path / "requests.json"
    path.write_bytes(json.dumps([record], ensure_ascii=False).encode("cp1252"))
    import_open311(log, str(path), source="x")
    Worker(log, index).run(until_caught_up=True)
    assert index.get("x:enc-1").body["description"] == "Katu on jäässä"
    assert index.get("x:enc-1").body["received_at"] == "2026-01-05T08:00:00Z"  # naive times read in Helsinki time


def test_jsonl_import_keeps_good_lines(log, tmp_path):
    good = received("fb-1", T0)
    lines = [
        json.dumps(good),
        "{broken",
        json.dumps({**good, "event_id": "e2", "payload": {}}),
        "",
        json.dumps({**good, "event_id": "e3", "subject_id": "fb-2"}),
    ]
    path = tmp_path / "events.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = import_jsonl(log, path)
    assert (report.records, report.appended, report.refused) == (4, 2, 2)
    origins = sorted(d.origin for d in log.dead_letters())
    assert origins == ["import:events events.jsonl#2", "import:events events.jsonl#3"]
