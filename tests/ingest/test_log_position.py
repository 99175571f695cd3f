"""The worker records, with each batch, how far it applied each stream (ingest/position.py)."""

from core.times import parse
from ingest.log import Outgoing
from ingest.worker import GROUP
from tests.builders import T0, at, ev, feedback_item
from tests.conftest import ingest


def test_the_index_knows_the_log_position_it_was_built_to(log, index, worker):
    events = feedback_item("fb-1", T0, respond_hours=4) + feedback_item("fb-2", at(days=2), respond_hours=8)
    events.append(ev("governance.meeting_held", "m-1", at(days=1), body="Valtuusto", title="Kokous"))
    ingest(log, worker, events)
    newest = max(parse(e["occurred_at"]) for e in events if e["type"].startswith("feedback."))
    position = index.log_position()
    assert set(position) == {"feedback", "governance"}
    assert (position["feedback"].events, position["feedback"].offset) == (8, 8)
    assert parse(position["feedback"].newest_event_at) == newest == at(days=2, hours=9)
    assert (position["governance"].events, position["governance"].offset) == (1, 1)
    assert parse(position["governance"].newest_event_at) == at(days=1)


def test_a_replay_does_not_count_events_twice(log, index, worker):
    ingest(log, worker, feedback_item("fb-3", T0, respond_hours=4))
    before = index.log_position()
    log.reset(GROUP, worker.topics)
    worker.run(until_caught_up=True)
    assert index.log_position() == before
    assert before["feedback"].events == 4


def test_dead_lettered_records_advance_the_offset_but_not_the_events(log, index, worker):
    ingest(log, worker, feedback_item("fb-4", T0, respond_hours=4))
    log.append("feedback", [Outgoing("x", b"this is not json")])
    worker.run(until_caught_up=True)
    assert index.log_position()["feedback"].events == 4
    assert index.log_position()["feedback"].offset == 5


def test_every_event_type_arrives_on_the_stream_its_document_type_names():
    """figures/recipe.py names an indicator's streams by its document types (core.vocabulary.STREAM_OF_TYPE)."""
    from core.vocabulary import STREAM_OF_TYPE
    from ingest.events import EVENT_TYPES
    from ingest.fold import DOC_TYPE_OF_EVENT

    for event_type, (topic, _) in EVENT_TYPES.items():
        assert STREAM_OF_TYPE[DOC_TYPE_OF_EVENT[event_type]] == topic, event_type


def test_an_embedded_rebuild_arrives_at_the_same_log_position(settings, log, index, worker):
    from ingest.reindex import reindex
    from search.sqlite_index import SqliteIndex

    ingest(log, worker, feedback_item("fb-5", T0, respond_hours=4) + feedback_item("fb-6", T0, respond_hours=9))
    before = index.log_position()
    reindex(settings, echo=lambda _: None)
    rebuilt = SqliteIndex(settings.data_dir / "index.sqlite", readonly=True)
    assert rebuilt.log_position() == before
    assert before["feedback"].events == 8
