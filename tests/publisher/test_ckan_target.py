"""The CKAN target: the metadata mapping (unit), and against a real CKAN: metadata and DataStore
as a reader finds them, clear refusals, a portal that dies mid-publish, and the debounced watcher."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
from ckanapi import RemoteCKAN
from ckanapi.errors import NotAuthorized, NotFound

from core.errors import ConfigError, PublishRefused, TransientError
from core.settings import Settings
from figures.indicators import Indicators
from publisher.ckan_target import CkanTarget, choose_license, dataset_name, normalise, package_dict
from publisher.publish import build_datasets, publish
from publisher.watch import watch
from search.index import open_index
from tests import services
from tests.builders import T0, feedback_item
from tests.conftest import ingest
from tests.contract.test_publish import as_table, purge_namespace

# -- the mapping, without a server ------------------------------------------------


def _dataset(populated: Any, settings: Settings, clock: Any, code: str = "feedback_closed_share") -> Any:
    datasets, _ = build_datasets(Indicators(populated, settings, clock), settings)
    return next(d for d in datasets if d.code == code)


def test_plain_ckan_gets_finnish_fields_and_translations_as_extras(populated, settings, clock):
    package = package_dict("m-x", _dataset(populated, settings, clock), settings, "org-1", "CC-BY-4.0", None)
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert package["title"] == "Suljetut palautteet"
    assert extras["title_sv"] == "Avslutad respons" and extras["title_en"] == "Feedback closed"
    assert extras["notes_en"].startswith("Share of the month's feedback")
    assert "feedback" in extras["provenance"] and "2026.1" in extras["provenance"]
    assert package["maintainer_email"] == settings.contact_email and package["license_id"] == "CC-BY-4.0"
    assert extras["temporal_start"] == "2026-03-01" and extras["spatial_text"] == settings.publisher_name
    assert {"mittari", "indikator", "indicator"} <= {t["name"] for t in package["tags"]}
    assert "resources" not in package  # patching with resources would drop the ones left out


def test_a_fluent_portal_gets_translated_fields_at_the_top_level(populated, settings, clock):
    schema = {"title_translated", "notes_translated", "keywords", "collection_type", "maintainer_email"}
    package = package_dict("m-x", _dataset(populated, settings, clock), settings, "org-1", "CC-BY-4.0", schema)
    assert package["title_translated"] == {
        "fi": "Suljetut palautteet",
        "sv": "Avslutad respons",
        "en": "Feedback closed",
    }
    assert set(package["notes_translated"]) == {"fi", "sv", "en"}
    assert package["keywords"]["sv"] == ["indikator", "invånarorientering"]
    assert package["collection_type"] == "Open Data" and "tags" not in package
    assert "title_sv" not in {e["key"] for e in package["extras"]}


def test_licence_ids_follow_the_portal():
    assert choose_license("CC-BY-4.0", ["cc-by-4.0", "cc-by"]) == "cc-by-4.0"
    assert choose_license("CC-BY-4.0", ["cc-by", "odc-odbl"]) == "cc-by"
    with pytest.raises(ConfigError, match="MITTARI_LICENSE"):
        choose_license("CC-BY-4.0", ["odc-odbl"])


def test_names_are_valid_ckan_names():
    assert dataset_name("t1a", "feedback_response_time_p90") == "t1a-feedback-response-time-p90"


def test_an_unreachable_portal_is_retried_with_backoff_then_reported(settings):
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    slow = settings.with_overrides(ckan_retry_seconds=30)
    target = CkanTarget("http://127.0.0.1:9", "token", "org", slow, sleep=sleep, clock=lambda: now[0])
    with pytest.raises(TransientError, match=r"organization_show.*resumes"):
        target.publish([], {})
    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]  # doubling, capped at 10 s, within the 30 s budget


def test_missing_settings_say_which(settings):
    with pytest.raises(ConfigError, match="MITTARI_CKAN_URL, MITTARI_CKAN_TOKEN and MITTARI_CKAN_ORG"):
        CkanTarget("", "", "", settings)


# -- against a real CKAN ----------------------------------------------------------


@pytest.fixture
def ckan(settings: Settings) -> Iterator[CkanTarget]:
    target = CkanTarget.from_settings(services.ckan_settings(settings))
    yield target
    purge_namespace(target)
    target.close()


def anonymous() -> RemoteCKAN:
    return RemoteCKAN(services.ckan_url())


def datastore_table(ckan: CkanTarget, code: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    package = ckan.call("package_show", {"id": dataset_name(ckan.settings.namespace, code)})
    resource = next(r for r in package["resources"] if r["mittari_role"] == "csv")
    return resource, ckan.call("datastore_search", {"resource_id": resource["id"], "limit": 32000})["records"]


def assert_portal_equals_api(ckan: CkanTarget, populated: Any, app: Any, clock: Any) -> None:
    """Every dataset public, complete and equal to the API, with its hash switched."""
    datasets, _ = build_datasets(Indicators(populated, ckan.settings, clock), ckan.settings)
    for dataset in datasets:
        package = anonymous().action.package_show(id=dataset_name(ckan.settings.namespace, dataset.code))
        assert package["private"] is False and package["state"] == "active"
        _, records = datastore_table(ckan, dataset.code)
        served = app.test_client().get(f"/v1/indicators/{dataset.code}?format=csv").get_data(as_text=True)
        expected = [normalise(r, dataset) for r in csv.DictReader(io.StringIO(served))]
        assert as_table([normalise(r, dataset) for r in records], dataset) == as_table(expected, dataset)


@pytest.mark.integration
def test_metadata_resources_and_data_dictionary_as_a_reader_finds_them(populated, ckan, app_for, clock):
    publish(Indicators(populated, ckan.settings, clock), ckan.settings, ckan)
    name = dataset_name(ckan.settings.namespace, "feedback_response_time_median")
    package = anonymous().action.package_show(id=name)  # public, no token
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert package["title"] == "Palautteen vastausaika (mediaani)"
    assert extras["title_sv"] == "Svarstid på respons (median)"
    assert extras["title_en"] == "Time to first response (median)"
    assert package["license_id"] == "CC-BY-4.0" and package["license_url"].startswith("https://creativecommons.org")
    assert package["maintainer"] == ckan.settings.publisher_name
    assert package["maintainer_email"] == ckan.settings.contact_email
    assert package["organization"]["name"] == ckan.organization
    for key in ("collection_type", "provenance", "frequency", "temporal_start", "temporal_end", "spatial_text"):
        assert extras[key], key
    assert "UPDATE_CONT" in extras["frequency"] and "feedback" in extras["provenance"]
    roles = {r["mittari_role"]: r for r in package["resources"]}
    assert roles["api"]["url"].endswith("/v1/indicators/feedback_response_time_median")
    csv_resource = roles["csv"]
    assert csv_resource["datastore_active"] is True and csv_resource["format"] == "CSV"
    downloaded = requests.get(csv_resource["url"], timeout=30).content
    served = app_for().test_client().get("/v1/indicators/feedback_response_time_median?format=csv").get_data()
    assert downloaded == served  # the portal's file is byte for byte what the API serves
    info = anonymous().action.datastore_info(id=csv_resource["id"])
    described = {f["id"]: f.get("info", {}) for f in info["fields"]}
    assert "hours" in described["unit"]["notes"] and described["value"]["notes"]
    assert all(described[name]["notes"] for name in ("indicator", "period", "n", "suppressed", "status"))
    assert_portal_equals_api(ckan, populated, app_for(), clock)


@pytest.mark.integration
def test_validation_errors_name_the_field(populated, ckan, clock):
    bad = ckan.settings.with_overrides(contact_email="not an address")
    target = CkanTarget(bad.ckan_url, bad.ckan_token, bad.ckan_org, bad)
    with pytest.raises(PublishRefused) as refused:
        publish(Indicators(populated, bad, clock), bad, target)
    assert refused.value.action == "package_create"
    assert "maintainer_email" in refused.value.fields or "author_email" in refused.value.fields
    assert "maintainer_email" in str(refused.value) or "author_email" in str(refused.value)


@pytest.mark.integration
def test_a_token_without_rights_is_reported_as_such(populated, ckan, clock):
    target = CkanTarget(ckan.url, "not-a-valid-token", ckan.organization, ckan.settings)
    with pytest.raises(PublishRefused, match="MITTARI_CKAN_TOKEN") as refused:
        publish(Indicators(populated, ckan.settings, clock), ckan.settings, target)
    assert refused.value.action in {"package_show", "package_create", "organization_show", "license_list"}


@pytest.mark.integration
def test_ckan_killed_mid_publish_leaves_nothing_half_visible_and_the_next_publish_completes(
    populated, ckan, app_for, clock
):
    settings = ckan.settings.with_overrides(ckan_batch_size=10, ckan_retry_seconds=1)
    upserted: list[str] = []

    def crash_on_third_upsert(action: str, dataset: str) -> None:
        if action == "datastore_upsert":
            upserted.append(dataset)
            if len(upserted) == 3:
                services.kill_ckan()

    target = CkanTarget(
        settings.ckan_url, settings.ckan_token, settings.ckan_org, settings, on_call=crash_on_third_upsert
    )
    try:
        with pytest.raises(TransientError, match="resumes"):
            publish(Indicators(populated, settings, clock), settings, target)
    finally:
        services.start_ckan()
    cut_off = upserted[-1]
    with pytest.raises((NotAuthorized, NotFound)):
        anonymous().action.package_show(id=cut_off)  # still private: half-built, so nobody sees it
    package = ckan.call("package_show", {"id": cut_off})
    assert package["private"] is True and not any(e["key"] == "mittari_content_hash" for e in package["extras"])
    done_before = upserted[0]
    assert done_before != cut_off and anonymous().action.package_show(id=done_before)["private"] is False
    report = publish(Indicators(populated, settings, clock), settings, CkanTarget.from_settings(settings))
    assert cut_off in report.changed and done_before in report.unchanged
    assert_portal_equals_api(ckan, populated, app_for(), clock)


@pytest.mark.integration
def test_a_portal_restarted_during_an_update_is_waited_for_and_the_update_completes(
    populated, log, worker, ckan, app_for, clock
):
    publish(Indicators(populated, ckan.settings, clock), ckan.settings, ckan)
    events = []
    for i in range(7):
        events += feedback_item(f"fb-late-{i}", T0 + timedelta(days=31, hours=i), respond_hours=300, service="210")
    ingest(log, worker, events)
    restarted = threading.Event()

    def restart() -> None:
        services.start_ckan()
        restarted.set()

    def crash_on_first_upsert(action: str, dataset: str) -> None:
        if action == "datastore_upsert" and not restarted.is_set() and not hasattr(crash_on_first_upsert, "done"):
            crash_on_first_upsert.done = True  # type: ignore[attr-defined]
            services.kill_ckan()
            threading.Thread(target=restart, daemon=True).start()

    settings = ckan.settings
    target = CkanTarget(
        settings.ckan_url, settings.ckan_token, settings.ckan_org, settings, on_call=crash_on_first_upsert
    )
    report = publish(Indicators(populated, settings, clock), settings, target)  # retries through the restart
    assert restarted.wait(120)
    assert dataset_name(settings.namespace, "feedback_response_time_median") in report.changed
    assert_portal_equals_api(ckan, populated, app_for(), clock)


@pytest.mark.integration
def test_ingested_changes_reach_the_portal_after_the_debounce_in_one_publish(populated, log, worker, ckan, clock):
    reports: list[Any] = []
    published = threading.Condition()

    def on_publish(report: Any) -> None:
        with published:
            reports.append(report)
            published.notify_all()

    stop = threading.Event()
    reader = open_index(ckan.settings, readonly=True)
    watcher = threading.Thread(
        target=watch,
        args=(reader, ckan.settings, ckan),
        kwargs={"debounce": 1.0, "poll": 0.05, "stop": stop, "on_publish": on_publish},
        daemon=True,
    )
    watcher.start()
    try:
        with published:
            assert published.wait_for(lambda: len(reports) == 1, timeout=120), "no publish at start"
        for burst in range(3):  # three ingests in quick succession: one burst
            events = []
            for i in range(3):
                events += feedback_item(f"fb-b{burst}-{i}", T0 + timedelta(days=61, hours=i), respond_hours=50)
            ingest(log, worker, events)
            time.sleep(0.2)
        with published:
            assert published.wait_for(lambda: len(reports) == 2, timeout=120), "the change was never published"
        _, records = datastore_table(ckan, "feedback_response_time_median")
        may = [r for r in records if r["period"] == "2026-05" and r["breakdown"] == "city"]
        assert may and float(may[0]["value"]) == 50.0 and may[0]["n"] == 9
        time.sleep(2.5)  # more than two debounce periods: nothing more to publish
        assert len(reports) == 2
        assert dataset_name(ckan.settings.namespace, "feedback_response_time_median") in reports[1].changed
    finally:
        stop.set()
        watcher.join(30)
        reader.close()


@pytest.mark.integration
def test_changed_metadata_is_patched_and_the_resources_stay(populated, ckan, clock):
    publish(Indicators(populated, ckan.settings, clock), ckan.settings, ckan)
    name = dataset_name(ckan.settings.namespace, "feedback_closed_share")
    before = ckan.call("package_show", {"id": name})
    moved = ckan.settings.with_overrides(contact_email="avoindata@example.org")
    report = publish(Indicators(populated, moved, clock), moved, CkanTarget.from_settings(moved))
    assert name in report.changed
    after = ckan.call("package_show", {"id": name})
    assert after["maintainer_email"] == "avoindata@example.org"
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in before["resources"]]  # none dropped
    assert after["resources"][0]["datastore_active"] is True
