"""``mittari forget`` on Kafka + Elasticsearch + CKAN, including after a restart and a replay from offset 0.

Kafka keeps the subject's records (a delete-retention topic cannot drop one
key), so here the compacted ``{ns}.erasures`` deny-list is what keeps the item
out: the counters show the worker dropping its records on every replay.
"""

import json

import pytest

from api import create_app
from figures.indicators import Indicators
from ingest.events import TOPICS, encode_event, topic_for
from ingest.log import Outgoing, open_log
from ingest.reindex import reindex
from ingest.worker import GROUP, Worker
from publisher.ckan_target import CkanTarget
from publisher.publish import publish
from search.index import open_index
from search.query import SearchQuery
from tests import services
from tests.builders import T0, feedback_item
from tests.contract.test_publish import CkanView, purge_namespace

pytestmark = pytest.mark.integration

PERSONAL = {"name": "Maija Meikäläinen", "email": "maija.m@example.fi", "phone": "+358 40 765 4321"}
GONE = "fb-forget-me"


def events():
    out = []
    for i in range(7):
        out += feedback_item(f"fb-{i}", T0, respond_hours=2 + i, service="171", text=f"Katuvalo {i} rikki")
    out += [{**e, "raw": PERSONAL} for e in feedback_item(GONE, T0, 4, service="171", text="Kaide heiluu pahasti")]
    return out


def put(log, items):
    for e in items:
        log.append(topic_for(e["type"]), [Outgoing(e["subject_id"], encode_event(e), e["event_id"])])


def city_n(view, code="feedback_closed_share", period="2026-03"):
    package = view.package(code)
    resource = next(r for r in package["resources"] if r.get("mittari_role") == "csv")
    rows = view.target.call("datastore_search", {"resource_id": resource["id"], "limit": 32000})["records"]
    return {r["period"]: int(r["n"]) for r in rows if r["breakdown"] == "city"}.get(period)


def test_forget_on_kafka_elasticsearch_and_ckan(make_settings, clock, runner):
    base = make_settings("kafka", "elasticsearch")
    settings = services.ckan_settings(base).with_overrides(namespace=base.namespace)
    ckan = CkanTarget.from_settings(settings)
    view = CkanView(ckan)
    log, index = open_log(settings), open_index(settings)
    try:
        put(log, events())
        Worker(log, index).run(until_caught_up=True)
        publish(Indicators(index, settings, clock), settings, ckan)
        assert city_n(view) == 8
        assert index.get(GONE) is not None

        from mittari import cli

        env = {
            "MITTARI_EVENT_LOG": settings.event_log,
            "MITTARI_SEARCH": settings.search,
            "MITTARI_NAMESPACE": settings.namespace,
            "MITTARI_LOG_LEVEL": "WARNING",
        }
        forgot = runner.invoke(cli, ["forget", GONE, "--reason", "erasure request 17"], env=env)
        assert forgot.exit_code == 0, forgot.output
        assert "1 document(s) removed" in forgot.output and "tombstone written" in forgot.output
        again = runner.invoke(cli, ["forget", GONE], env=env)
        assert again.exit_code == 0 and "already on the deny-list" in again.output

        publish(Indicators(index, settings, clock), settings, ckan)
        assert city_n(view) == 7
        app = create_app(settings, clock=clock)
        client = app.test_client()
        assert client.get(f"/v1/feedback/{GONE}").status_code == 404
        assert index.search(SearchQuery(q="kaide")).total == 0
        assert json.loads(client.get("/v1/status").get_data())["counters"]["erasures"] == 1
    finally:
        index.close()
        log.close()

    # a restart: new clients, the worker's group replayed from offset 0, a late event, a brand-new group
    log, index = open_log(settings), open_index(settings)
    try:
        assert log.erased()[GONE].reason == "erasure request 17"
        put(log, [{**feedback_item(GONE, T0, 9)[0], "event_id": "late-one", "raw": PERSONAL}])
        log.reset(GROUP, TOPICS)
        Worker(log, index).run(until_caught_up=True)
        Worker(log, index, group="a-new-consumer").run(until_caught_up=True)
        assert index.get(GONE) is None
        assert index.get("fb-3") is not None
        assert index.stats()["counters"]["forgotten_events_ignored"] == 2 * 5  # 4 events + the late one, twice
        assert not any(GONE in d.origin or b"maija" in d.raw for d in log.dead_letters())
    finally:
        index.close()
        log.close()

    # a reindex replays the whole log into a new index: the deny-list applies there too
    reindex(settings, echo=lambda _: None)
    index = open_index(settings, readonly=True)
    try:
        assert index.get(GONE) is None
        assert index.stats()["documents"]["feedback"] == 7
    finally:
        index.close()
    index = open_index(settings, readonly=True)
    try:
        publish(Indicators(index, settings, clock), settings, ckan)
        assert city_n(view) == 7
    finally:
        index.close()
        purge_namespace(ckan)
        ckan.close()


def test_kafka_erasure_topic_is_compacted_and_dead_letters_age_out(make_settings):
    from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

    from ingest.log import DeadLetter

    settings = make_settings("kafka", "sqlite").with_overrides(raw_retention_days=7)
    log = open_log(settings)
    try:
        log.erase("fb-x", "asked", "2026-06-01T00:00:00+00:00")
        log.dead_letter([DeadLetter("feedback[0]@1", b"{}", "bad")])
    finally:
        log.close()
    admin = AdminClient({"bootstrap.servers": settings.event_log.removeprefix("kafka://")})
    ns = settings.namespace
    found = {
        resource.name: {name: entry.value for name, entry in future.result().items()}
        for resource, future in admin.describe_configs(
            [
                ConfigResource(ResourceType.TOPIC, f"{ns}.erasures"),
                ConfigResource(ResourceType.TOPIC, f"{ns}.dead-letters"),
            ]
        ).items()
    }
    partitions = admin.list_topics(topic=f"{ns}.erasures", timeout=30).topics[f"{ns}.erasures"].partitions
    assert found[f"{ns}.erasures"]["cleanup.policy"] == "compact"
    assert len(partitions) == 1
    assert found[f"{ns}.dead-letters"]["retention.ms"] == str(7 * 86_400_000)
