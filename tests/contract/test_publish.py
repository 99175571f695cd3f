"""The publishing contract, on a local folder and on a real CKAN portal.

Each target is read back through its own means (files; ckanapi against CKAN) and
compared with what the API serves for the same indicator.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, Protocol

import pytest

from core.clock import FixedClock
from core.settings import Settings
from figures.indicators import Indicators
from publisher.ckan_target import CkanTarget, dataset_name, normalise
from publisher.local_target import LocalTarget
from publisher.publish import build_datasets, publish
from publisher.target import Dataset, Target
from tests import services
from tests.builders import T0, feedback_item
from tests.conftest import ingest

TARGETS = [
    pytest.param("local", id="local"),
    pytest.param("ckan", id="ckan", marks=pytest.mark.integration),
]


class View(Protocol):
    """What a reader of the target sees."""

    def name(self, code: str) -> str: ...
    def rows(self, dataset: Dataset) -> list[dict[str, Any]]: ...
    def titles(self, code: str) -> dict[str, str]: ...
    def license(self, code: str) -> str: ...
    def exists(self, code: str) -> bool: ...
    def stamp(self) -> Any: ...


class LocalView:
    def __init__(self, target: LocalTarget) -> None:
        self.folder = target.folder

    def name(self, code: str) -> str:
        return f"{code}.csv"

    def rows(self, dataset: Dataset) -> list[dict[str, Any]]:
        text = (self.folder / f"{dataset.code}.csv").read_text()
        return [normalise(row, dataset) for row in csv.DictReader(io.StringIO(text))]

    def titles(self, code: str) -> dict[str, str]:
        catalog = json.loads((self.folder / "catalog.jsonld").read_text())
        node = next(d for d in catalog["dcat:dataset"] if d["dct:identifier"] == code)
        return {t["@language"]: t["@value"] for t in node["dct:title"]}

    def license(self, code: str) -> str:
        return str(json.loads((self.folder / "datapackage.json").read_text())["licenses"][0]["name"])

    def exists(self, code: str) -> bool:
        return (self.folder / f"{code}.csv").exists()

    def stamp(self) -> Any:
        return {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(self.folder.iterdir())}


class CkanView:
    """Reads as a member of the public would, plus the activity stream an editor sees."""

    def __init__(self, target: CkanTarget) -> None:
        self.target = target
        self.namespace = target.settings.namespace

    def name(self, code: str) -> str:
        return dataset_name(self.namespace, code)

    def package(self, code: str) -> dict[str, Any]:
        return dict(self.target.call("package_show", {"id": self.name(code)}))

    def rows(self, dataset: Dataset) -> list[dict[str, Any]]:
        package = self.package(dataset.code)
        resource = next(r for r in package["resources"] if r.get("mittari_role") == "csv")
        page = self.target.call("datastore_search", {"resource_id": resource["id"], "limit": 32000, "sort": "_id"})
        return [normalise(record, dataset) for record in page["records"]]

    def titles(self, code: str) -> dict[str, str]:
        package = self.package(code)
        extras = {e["key"]: e["value"] for e in package["extras"]}
        return {"fi": package["title"], "sv": extras["title_sv"], "en": extras["title_en"]}

    def license(self, code: str) -> str:
        return str(self.package(code)["license_url"])

    def exists(self, code: str) -> bool:
        return bool(self.package(code)["state"] == "active")

    def stamp(self) -> Any:
        found = self.target.call(
            "package_search", {"fq": f"name:{self.namespace}\\-*", "include_private": True, "rows": 1000}
        )
        return {
            p["name"]: (
                p["metadata_modified"],
                len(self.target.call("package_activity_list", {"id": p["id"], "limit": 100})),
                [(r["id"], r.get("last_modified"), r.get("hash")) for r in p["resources"]],
            )
            for p in found["results"]
        }


@pytest.fixture(params=TARGETS)
def target_and_view(request: pytest.FixtureRequest, settings: Settings) -> Iterator[tuple[Target, View, Settings]]:
    if request.param == "local":
        local = LocalTarget(settings.publish_dir, settings)
        yield local, LocalView(local), settings
        return
    ckan_settings = services.ckan_settings(settings)
    ckan = CkanTarget.from_settings(ckan_settings)
    yield ckan, CkanView(ckan), ckan_settings
    purge_namespace(ckan)
    ckan.close()


def purge_namespace(ckan: CkanTarget) -> None:
    found = ckan.call(
        "package_search", {"fq": f"name:{ckan.settings.namespace}\\-*", "include_private": True, "rows": 1000}
    )
    for package in found["results"]:
        ckan.call("dataset_purge", {"id": package["id"]})


def as_table(rows: list[dict[str, Any]], dataset: Dataset) -> dict[tuple[str, ...], dict[str, Any]]:
    """Rows keyed by primary key: a table has no order (a DataStore appends new rows at the end)."""
    table = {tuple(str(row[k]) for k in dataset.primary_key): row for row in rows}
    assert len(table) == len(rows), "duplicate primary keys"
    return table


def api_rows(app: Any, dataset: Dataset) -> list[dict[str, Any]]:
    if dataset.code == "corrections":  # the same corrections GET /v1/corrections serves, flattened as published
        from figures.corrections_dataset import flat

        served = app.test_client().get("/v1/corrections?size=1000").get_json()
        assert served["next_cursor"] is None
        return [normalise(flat(c), dataset) for c in served["items"]]
    response = app.test_client().get(f"/v1/indicators/{dataset.code}?format=csv")
    assert response.status_code == 200
    return [normalise(row, dataset) for row in csv.DictReader(io.StringIO(response.get_data(as_text=True)))]


def test_published_rows_equal_the_api_and_metadata_is_there(populated, target_and_view, app_for, clock):
    target, view, settings = target_and_view
    indicators = Indicators(populated, settings, clock)
    report = publish(indicators, settings, target)
    datasets, _ = build_datasets(indicators, settings)
    assert {view.name(d.code) for d in datasets} <= set(report.changed)
    app = app_for()
    for dataset in datasets:
        assert as_table(view.rows(dataset), dataset) == as_table(api_rows(app, dataset), dataset), dataset.code
    titles = view.titles("feedback_closed_share")
    assert titles == {"fi": "Suljetut palautteet", "sv": "Avslutad respons", "en": "Feedback closed"}
    assert "creativecommons.org/licenses/by/4.0" in view.license("feedback_closed_share") or view.license(
        "feedback_closed_share"
    ) in ("CC-BY-4.0",), "CC BY 4.0 by default"


def test_unchanged_data_changes_nothing_at_the_target(populated, target_and_view, clock):
    target, view, settings = target_and_view
    publish(Indicators(populated, settings, clock), settings, target)
    before = view.stamp()
    report = publish(Indicators(populated, settings, clock), settings, target)
    assert report.changed == [] and report.removed == []
    assert view.stamp() == before


def test_changed_events_change_only_what_they_touch(populated, log, worker, target_and_view, app_for, clock):
    target, view, settings = target_and_view
    publish(Indicators(populated, settings, clock), settings, target)
    # Seven more items in April for service 171: new rows for April, nothing else in the satisfaction-free sets.
    events = []
    for i in range(7):
        events += feedback_item(f"fb-new-{i}", T0 + timedelta(days=31, hours=i), respond_hours=200, service="171")
    ingest(log, worker, events)
    indicators = Indicators(populated, settings, clock)
    report = publish(indicators, settings, target)
    assert view.name("feedback_response_time_median") in report.changed
    assert view.name("service_waiting_time") in report.unchanged  # cases only: untouched by feedback
    app = app_for()
    datasets, _ = build_datasets(indicators, settings)
    for dataset in datasets:
        assert as_table(view.rows(dataset), dataset) == as_table(api_rows(app, dataset), dataset), dataset.code
    median = next(d for d in datasets if d.code == "feedback_response_time_median")
    april = [r for r in view.rows(median) if r["period"] == "2026-04" and r["breakdown"] == "city"]
    assert april and april[0]["value"] == 200.0 and april[0]["n"] == 7


def test_a_dataset_that_disappears_is_removed(populated, target_and_view, clock):
    target, view, settings = target_and_view
    datasets, catalog = build_datasets(Indicators(populated, settings, clock), settings)
    target.publish(datasets, catalog)
    gone = datasets[-1]
    report = target.publish(datasets[:-1], catalog)
    assert report.removed == [view.name(gone.code)]
    assert not view.exists(gone.code)
    assert view.exists(datasets[0].code)


# -- the corrections dataset (issue #12, point 4) ------------------------------------------------------------
def test_the_corrections_dataset_holds_the_corrections_and_republishing_writes_nothing(
    populated, log, worker, target_and_view, app_for, clock
):
    from datetime import UTC, datetime

    from figures import corrections_dataset
    from figures.published import record
    from history.store import open_history

    target, view, settings = target_and_view
    history = open_history(settings)
    try:
        record(Indicators(populated, settings, FixedClock(datetime(2026, 5, 1, 6, tzinfo=UTC))), history)
        late = feedback_item("fb-late", T0 + timedelta(days=2), respond_hours=300, service="171")
        ingest(log, worker, late)  # a late item in March, long final: a correction
        record(Indicators(populated, settings, FixedClock(datetime(2026, 5, 2, 6, tzinfo=UTC))), history)
        indicators = Indicators(populated, settings, clock)
        report = publish(indicators, settings, target, history)
        assert view.name("corrections") in report.changed
        datasets, catalog = build_datasets(indicators, settings, history)
        dataset = next(d for d in datasets if d.code == "corrections")
        rows = view.rows(dataset)
        assert as_table(rows, dataset) == as_table(
            [normalise(r, dataset) for r in corrections_dataset.correction_rows(history)], dataset
        )
        served = app_for().test_client().get("/v1/corrections?size=1000").get_json()["items"]
        assert {r["id"] for r in rows} == {c["id"] for c in served} and rows
        median = next(r for r in rows if r["indicator"] == "feedback_response_time_median" and r["breakdown"] == "city")
        assert median["period"] == "2026-03" and median["new_n"] == median["old_n"] + 1
        assert median["events_added"] and "events added" in median["why_en"]
        assert median["new_value"] != median["old_value"]
        assert "corrections" in {d["dct:identifier"] for d in catalog["dcat:dataset"]}

        before = view.stamp()
        again = publish(Indicators(populated, settings, clock), settings, target, history)
        assert again.changed == [] and again.removed == []
        assert view.stamp() == before
    finally:
        history.close()


def test_the_corrections_dataset_has_its_data_dictionary_in_the_folder(populated, settings, clock, tmp_path):
    from history.store import open_history

    history = open_history(settings)
    try:
        target = LocalTarget(tmp_path / "out", settings)
        publish(Indicators(populated, settings, clock), settings, target, history)
        package = json.loads((tmp_path / "out" / "datapackage.json").read_text())
        resource = next(r for r in package["resources"] if r["name"] == "corrections")
        names = [f["name"] for f in resource["schema"]["fields"]]
        assert names[:3] == ["id", "indicator", "period"] and "why_en" in names
        assert all(f["description"] for f in resource["schema"]["fields"])
        assert resource["schema"]["primaryKey"] == ["id"]
        header = (tmp_path / "out" / "corrections.csv").read_text().splitlines()
        assert header == [",".join(names)]  # no corrections yet: the header alone
        catalog = json.loads((tmp_path / "out" / "catalog.jsonld").read_text())
        node = next(d for d in catalog["dcat:dataset"] if d["dct:identifier"] == "corrections")
        assert node["dct:license"]["@id"] == "http://creativecommons.org/licenses/by/4.0/"
    finally:
        history.close()
