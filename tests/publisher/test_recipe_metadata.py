"""Published datasets carry the recipe: per row the definition version and the inputs' hash (described in the
data dictionary), per dataset the definition's hash and the log position (catalog, CKAN extras)."""

import csv
import io
import json

from figures.definition_versions import current
from figures.indicators import Indicators
from figures.recipe import definition_sha256
from publisher.ckan_target import package_dict
from publisher.publish import build_datasets, publish
from publisher.target import open_target
from tests.builders import T0, feedback_item
from tests.conftest import ingest

CODE = "feedback_closed_share"


def test_rows_and_data_dictionary_carry_the_definition_version_and_the_inputs_hash(populated, settings, clock):
    indicators = Indicators(populated, settings, clock)
    publish(indicators, settings, open_target(None, settings))
    package = json.loads((settings.publish_dir / "datapackage.json").read_text())
    resource = next(r for r in package["resources"] if r["name"] == CODE)
    fields = {f["name"]: f for f in resource["schema"]["fields"]}
    assert (
        fields["definition_version"]["type"] == "integer" and "version" in fields["definition_version"]["description"]
    )
    assert fields["inputs_sha256"]["type"] == "string" and "SHA-256" in fields["inputs_sha256"]["description"]
    rows = list(csv.DictReader(io.StringIO((settings.publish_dir / f"{CODE}.csv").read_text())))
    city = next(r for r in rows if r["breakdown"] == "city" and r["period"] == "2026-03")
    published = next(c for c in indicators.series(indicators.definition(CODE), _all()) if c["period"] == "2026-03")
    assert city["definition_version"] == "1"
    assert city["inputs_sha256"] == published["inputs_sha256"] and len(city["inputs_sha256"]) == 64


def test_dataset_metadata_names_the_definition_hash_and_the_log_position(populated, settings, clock):
    indicators = Indicators(populated, settings, clock)
    datasets, catalog = build_datasets(indicators, settings)
    node = next(d for d in catalog["dcat:dataset"] if d["dct:identifier"] == CODE)
    indicator = indicators.definition(CODE)
    assert node["dct:conformsTo"]["dct:identifier"] == f"sha256:{definition_sha256(indicator)}"
    assert node["dct:conformsTo"]["owl:versionInfo"] == str(current(CODE).version)
    position = json.loads(node["dct:provenance"]["rdfs:comment"])
    stored = populated.log_position()
    assert position == {s: stored[s].as_dict() for s in ("feedback", "governance")}
    assert f"version 1 (sha256 {definition_sha256(indicator)})" in node["dct:provenance"]["rdfs:label"]
    dataset = next(d for d in datasets if d.code == CODE)
    extras = {e["key"]: e["value"] for e in package_dict("m-x", dataset, settings, "org", "CC-BY-4.0", None)["extras"]}
    assert extras["mittari_definition_version"] == "1"
    assert extras["mittari_definition_sha256"] == definition_sha256(indicator)
    assert json.loads(extras["mittari_log_position"]) == position


def test_an_event_moves_the_published_log_position_of_the_indicators_reading_its_stream(
    populated, log, worker, settings, clock
):
    before = _positions(Indicators(populated, settings, clock), settings)
    ingest(log, worker, feedback_item("fb-late", T0, respond_hours=4))
    after = _positions(Indicators(populated, settings, clock), settings)
    assert after[CODE]["feedback"]["events"] == before[CODE]["feedback"]["events"] + 4
    assert after["service_waiting_time"] == before["service_waiting_time"]  # reads no feedback


def _positions(indicators, settings):
    _, catalog = build_datasets(indicators, settings)
    return {  # the indicators' datasets (the corrections dataset has no log position of its own)
        d["dct:identifier"]: json.loads(d["dct:provenance"]["rdfs:comment"])
        for d in catalog["dcat:dataset"]
        if d["dct:identifier"] != "corrections"
    }


def _all():
    from figures.indicators import Filters

    return Filters()
