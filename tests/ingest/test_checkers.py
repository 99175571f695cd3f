"""The worker with helper processes checking the next batch (``MITTARI_INGEST_CHECKERS``): same contracts.

Documents, cells, counters and dead letters must be what the worker alone makes of the same log;
a refused record is refused with the same reason; a subject forgotten while its records were being
checked ahead is still never indexed; a transient error in a helper commits nothing.
"""

import hashlib
import json
from collections import Counter
from datetime import date

import pytest

from core.errors import TransientError
from ingest.checking import Checkers
from ingest.demo_data import generate
from ingest.events import encode_event, topic_for
from ingest.log import ErasedSubject, Outgoing
from ingest.worker import GROUP, Worker, check
from search.index import open_index
from tests.builders import T0, feedback_item, received
from tests.conftest import append
from tests.ingest.test_poison_records import DEEP, HUGE_NUMBER, poisoned


def _fill(log, events, extra=()):
    for i, event in enumerate(events):
        log.append(topic_for(event["type"]), [Outgoing(event["subject_id"], encode_event(event), f"d{i}")])
    for topic, key, value in extra:
        log.append(topic, [Outgoing(key, value)])


def _state(index, log):
    """Everything the index and the log's dead letters hold, as one digest and the parts to show on failure."""
    docs = sorted(
        json.dumps([d.id, d.version, d.facts, d.body, d.events, d.redaction_version], sort_keys=True)
        for d in index.get_many([h for h in _ids(index)]).values()
    )
    cells = {t: sorted((a, json.dumps(s, sort_keys=True)) for a, s in index.cells(t)) for t in ("feedback", "case")}
    letters = sorted((d.origin, d.raw, d.reason) for d in log.dead_letters())
    counters = index.stats()["counters"]
    return hashlib.sha256(repr((docs, cells)).encode()).hexdigest(), letters, counters, len(docs)


def _ids(index):
    conn = index._read_conn()
    return [r[0] for r in conn.execute("SELECT id FROM docs")]


@pytest.fixture
def pair(tmp_path, settings):
    """Two logs and indexes with the same records: one for the worker alone, one for it with helpers."""
    from ingest.log import open_log

    made = []
    for name in ("alone", "helped"):
        s = settings.with_overrides(data_dir=tmp_path / name, event_log="", search="")
        made.append((open_log(s), open_index(s)))
    yield made
    for log, index in made:
        log.close()
        index.close()


def test_helpers_make_the_same_documents_cells_counters_and_dead_letters(pair):
    events = list(generate(1500, seed=3, until=date(2026, 1, 1)))
    extra = [
        ("feedback", "deep", DEEP),
        ("feedback", "huge", HUGE_NUMBER.encode()),
        ("feedback", "not-json", b"{nope"),
        ("service", "wrong-topic", encode_event(received("fb-w", T0))),
    ]
    (log_a, index_a), (log_b, index_b) = pair
    _fill(log_a, events, extra)
    _fill(log_b, events, extra)
    indexed_a = Worker(log_a, index_a, batch_size=200).run(until_caught_up=True)
    indexed_b = Worker(log_b, index_b, batch_size=200, checkers=2).run(until_caught_up=True)
    assert indexed_a == indexed_b > 1000
    alone, helped = _state(index_a, log_a), _state(index_b, log_b)
    assert helped[3] == alone[3] > 0
    assert helped[1] == alone[1] and len(alone[1]) == 4  # the same refusals, word for word
    assert helped[2] == alone[2]
    assert helped[0] == alone[0]
    assert log_b.committed(GROUP, ("feedback", "service", "governance")) == log_a.committed(
        GROUP, ("feedback", "service", "governance")
    )


def test_a_record_that_breaks_redaction_in_a_helper_is_refused_alone(log, index, monkeypatch):
    import ingest.worker as worker_module

    real = worker_module.redact_event

    def breaks_on_one(event, counts):
        if event["subject_id"] == "poison":
            raise KeyError("something no one foresaw")
        return real(event, counts)

    monkeypatch.setattr(worker_module, "redact_event", breaks_on_one)  # before the helpers fork: they have it too
    for key, value in poisoned(encode_event(received("poison", T0))):
        log.append("feedback", [Outgoing(key, value)])
    Worker(log, index, batch_size=2, checkers=1).run(until_caught_up=True)
    assert index.get("fb-a") is not None and index.get("fb-b") is not None and index.get("poison") is None
    (letter,) = log.dead_letters()
    assert "KeyError" in letter.reason and "something no one foresaw" in letter.reason


def test_a_transient_error_in_a_helper_commits_nothing(log, index, monkeypatch):
    import ingest.worker as worker_module

    def unavailable(event, counts):
        raise TransientError("store away")

    monkeypatch.setattr(worker_module, "redact_event", unavailable)
    append(log, feedback_item("fb-t", T0, 2))
    worker = Worker(log, index, batch_size=50, checkers=1)
    worker.log.wait = lambda group, seconds, stop: stop.set()  # one retry, then stop instead of backing off
    worker.run(until_caught_up=True)
    assert log.dead_letters() == []
    assert log.committed(GROUP, worker.topics).get(("feedback", 0), 0) == 0
    assert index.get("fb-t") is None


def test_a_subject_forgotten_while_checked_ahead_is_never_indexed(log, index, clock):
    from ingest.erasure import forget

    append(log, feedback_item("fb-first", T0, 2))
    append(log, feedback_item("fb-race", T0, 2))
    worker = Worker(log, index, batch_size=2, checkers=1)
    real_prepare = worker._prepare

    def forget_first(records, overlay, checked=None):
        if any(r.key == "fb-race" for r in records) and not log.erased():
            forget(log, index, "fb-race", "asked while checked ahead", clock)
        return real_prepare(records, overlay, checked)

    worker._prepare = forget_first
    worker.run(until_caught_up=True)
    assert index.get("fb-first") is not None
    assert index.get("fb-race") is None
    # its second batch was polled and sent to the helper before the forget: dropped all the same
    assert index.stats()["counters"]["forgotten_events_ignored"] == len(feedback_item("fb-race", T0, 2)) == 4
    assert log.dead_letters() == []


def test_an_erased_subjects_records_are_not_sent_to_the_helpers(log, index, monkeypatch):
    append(log, feedback_item("fb-gone", T0, 2) + feedback_item("fb-kept", T0, 1))
    # erased after its records were appended, before they are polled (the log drops them from then on)
    monkeypatch.setattr(log, "erased", lambda: {"fb-gone": ErasedSubject("fb-gone", "asked", T0.isoformat())})
    sent = []
    real = Checkers.submit

    def recording(self, check_fn, records):
        sent.extend(records)
        return real(self, check_fn, records)

    monkeypatch.setattr(Checkers, "submit", recording)
    Worker(log, index, batch_size=50, checkers=1).run(until_caught_up=True)
    assert [r is None for r in sent] == [True] * 4 + [False] * 4
    assert index.get("fb-kept") is not None and index.get("fb-gone") is None
    assert index.stats()["counters"]["forgotten_events_ignored"] == 4


def test_check_answers_the_event_or_the_reason():
    event, found = check("feedback", encode_event(received("fb-c", T0, text="soita 040 765 4321")))
    assert event["subject_id"] == "fb-c" and "raw" not in event
    assert isinstance(found, Counter) and sum(found.values()) >= 1
    assert "belong on topic feedback" in check("service", encode_event(received("fb-c", T0)))
    assert check("feedback", b"{nope").startswith("not JSON")
