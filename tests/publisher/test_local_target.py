import csv
import io
import json

from figures.indicators import Indicators
from publisher.publish import publish
from publisher.target import open_target
from tests.builders import at, state
from tests.conftest import SECRETS, ingest, read_json


def run_publish(populated, settings, clock):
    return publish(Indicators(populated, settings, clock), settings, open_target(None, settings))


def test_writes_csv_datapackage_and_catalog(populated, settings, clock):
    report = run_publish(populated, settings, clock)
    folder = settings.publish_dir
    names = {p.name for p in folder.iterdir()}
    assert {"datapackage.json", "catalog.jsonld", "feedback_closed_share.csv"} <= names
    assert set(report.changed) == names
    package = json.loads((folder / "datapackage.json").read_text())
    resource = next(r for r in package["resources"] if r["name"] == "feedback_closed_share")
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert fields["n"]["type"] == "integer" and fields["value"]["description"]
    assert resource["schema"]["primaryKey"] == ["indicator", "period", "breakdown", "service_code", "area"]
    assert package["licenses"][0]["name"] == "CC-BY-4.0"
    rows = list(csv.DictReader(io.StringIO((folder / "feedback_closed_share.csv").read_text())))
    assert list(rows[0]) == list(fields)
    city = [r for r in rows if r["breakdown"] == "city"]
    assert city == [{**city[0], "period": "2026-03", "value": "100.0", "n": "13", "suppressed": "false"}]


def test_unchanged_data_changes_no_file(populated, settings, clock):
    run_publish(populated, settings, clock)
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in settings.publish_dir.iterdir()}
    report = run_publish(populated, settings, clock)
    assert report.changed == [] and report.removed == []
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in settings.publish_dir.iterdir()}
    assert after == before


def test_changed_data_rewrites_only_what_changed(populated, settings, clock, log, worker):
    run_publish(populated, settings, clock)
    ingest(log, worker, [state("fb-01", at(days=3), "in_process", seq=8)])  # reopened
    report = run_publish(populated, settings, clock)
    assert "feedback_reopened_share.csv" in report.changed
    assert "feedback_closed_share.csv" in report.changed
    assert "service_waiting_time.csv" in report.unchanged


def test_published_files_hold_no_personal_data(populated, settings, clock):
    run_publish(populated, settings, clock)
    for path in settings.publish_dir.iterdir():
        text = path.read_text()
        for secret in SECRETS:
            assert secret not in text


def test_api_serves_the_published_catalog(populated, settings, clock, app_for):
    run_publish(populated, settings, clock)
    published = json.loads((settings.publish_dir / "catalog.jsonld").read_text())
    served = read_json(app_for().test_client().get("/v1/catalog"))
    assert served == published


def test_api_csv_equals_published_csv(populated, settings, clock, app_for):
    run_publish(populated, settings, clock)
    served = (
        app_for().test_client().get("/v1/indicators/feedback_response_time_median?format=csv").get_data(as_text=True)
    )
    assert served == (settings.publish_dir / "feedback_response_time_median.csv").read_text()


def test_published_csv_cells_cannot_be_formulas(log, worker, index, settings, clock):
    from tests.builders import feedback_item

    events = []
    for i in range(6):
        events += feedback_item(f"csv-{i}", at(hours=i), respond_hours=2, service="=cmd|' /C calc'!A0", area="@SUM(A1)")
    ingest(log, worker, events)
    run_publish(index, settings, clock)
    rows = list(csv.DictReader(io.StringIO((settings.publish_dir / "feedback_closed_share.csv").read_text())))
    by_service = [r for r in rows if r["breakdown"] == "service"]
    by_area = [r for r in rows if r["breakdown"] == "area"]
    assert by_service and {r["service_code"] for r in by_service} == {"'=cmd|' /C calc'!A0"}
    assert by_area and {r["area"] for r in by_area} == {"'@SUM(A1)"}
    for row in rows:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())


def test_text_cells_are_neutralised_but_numbers_stay_numbers():
    from publisher.target import Dataset

    fields = (("name", "string", ""), ("value", "number", ""), ("flag", "boolean", ""))
    rows = [
        {"name": "-2+3", "value": -3.5, "flag": True},
        {"name": "+1", "value": -1, "flag": None},
        {"name": "\tx", "value": 0.0, "flag": False},
    ]
    dataset = Dataset(code="t", metadata={}, fields=fields, primary_key=("name",), rows=rows)
    got = list(csv.reader(io.StringIO(dataset.csv_bytes().decode())))
    assert got == [["name", "value", "flag"], ["'-2+3", "-3.5", "true"], ["'+1", "-1", ""], ["'\tx", "0.0", "false"]]
