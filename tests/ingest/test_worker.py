import json

import pytest

from ingest.events import encode_event
from ingest.log import Outgoing
from ingest.worker import GROUP, Worker, batch_size_for
from search.query import SearchQuery
from tests.builders import T0, at, ev, feedback_item, received, state
from tests.conftest import append, ingest


def snapshot(index):
    """Every document as stored, for comparing two index states."""
    docs = {}
    for doc_type in ("feedback", "case", "survey", "outcome", "target", "decision", "initiative", "meeting"):
        for row in index.scan(doc_type):
            doc = index.get(row["id"])
            docs[doc.id] = (doc.version, json.dumps(doc.body, sort_keys=True))
    return docs


def test_a_late_received_cannot_reopen_a_closed_item(log, index, worker):
    events = feedback_item("fb-1", T0, respond_hours=5, final="resolved")
    late_received, rest = events[0], events[1:]
    ingest(log, worker, rest)
    assert index.get("fb-1").status == "resolved"
    ingest(log, worker, [late_received])
    doc = index.get("fb-1")
    assert doc.status == "resolved"
    assert doc.body["timeline"][0]["state"] == "received"
    assert index.stats()["counters"]["late_events"] == 1


def test_a_late_state_change_stays_in_its_place(log, index, worker):
    ingest(log, worker, [received("fb-2", T0), state("fb-2", at(hours=9), "resolved")])
    ingest(log, worker, [state("fb-2", at(hours=1), "in_process")])
    doc = index.get("fb-2")
    assert doc.status == "resolved"
    assert [t["state"] for t in doc.body["timeline"]] == ["received", "in_process", "resolved"]


def test_replaying_the_log_changes_nothing(log, index, worker):
    ingest(log, worker, feedback_item("fb-3", T0, respond_hours=4))
    before = snapshot(index)
    log.reset(GROUP, worker.topics)
    worker.run(until_caught_up=True)
    assert snapshot(index) == before
    assert index.stats()["counters"]["duplicates_ignored"] == 4


def test_redactions_are_counted_for_applied_events_only(log, index, worker):
    """What redaction found is counted with the event it found it in once that event is applied: a replay,
    a redelivered batch or a refused event adds nothing to the published redaction counts."""
    ingest(log, worker, [ev("service.case_opened", "case-r", at(), service_code="210")])
    append(log, [received("fb-r", T0, text="Henkilötunnukseni on 131052-308T")])
    append(log, [received("case-r", at(hours=1), text="Henkilötunnukseni on 131052-308T")])  # refused: a case
    worker.run(until_caught_up=True)
    assert "cannot apply" in log.dead_letters()[0].reason
    assert index.stats()["counters"]["identity_code"] == 1
    log.reset(GROUP, worker.topics)
    worker.run(until_caught_up=True)
    assert index.stats()["counters"]["identity_code"] == 1
    assert index.stats()["counters"]["duplicates_ignored"] == 2  # the case's event and fb-r's


def test_crash_between_index_and_commit_loses_and_duplicates_nothing(log, index, settings):
    events = feedback_item("fb-4", T0, respond_hours=4) + feedback_item("fb-5", T0, respond_hours=8)
    append(log, events)

    class Crash(Exception):
        pass

    crashing = Worker(log, index, batch_size=100)
    real_commit = log.commit
    log.commit = lambda *a, **k: (_ for _ in ()).throw(Crash("power cut"))  # type: ignore[method-assign]
    with pytest.raises(Crash):
        crashing.run(until_caught_up=True)
    assert log.committed(GROUP, crashing.topics)[("feedback", 0)] == 0  # nothing committed
    assert index.get("fb-4") is not None  # ...though the index took the batch
    log.commit = real_commit  # type: ignore[method-assign]

    restarted = Worker(log, index, batch_size=100)
    restarted.run(until_caught_up=True)
    assert log.committed(GROUP, restarted.topics)[("feedback", 0)] == len(events)
    fb4 = index.get("fb-4")
    assert fb4.version == 4
    assert len(fb4.body["timeline"]) == 4
    assert index.stats()["counters"]["events_indexed"] == len(events)
    assert index.search(SearchQuery(size=10)).total == 2


def test_index_failure_commits_nothing_and_is_retried(log, index, worker, monkeypatch):
    from core.errors import TransientError

    append(log, feedback_item("fb-6", T0, respond_hours=2))
    calls = {"n": 0}
    real_write = index.write

    def flaky(docs, counters=None, position=None):
        calls["n"] += 1
        if calls["n"] == 1:
            raise TransientError("index is restarting")
        return real_write(docs, counters, position)

    monkeypatch.setattr(index, "write", flaky)
    monkeypatch.setattr(log, "wait", lambda group, seconds, stop=None: None)  # no real sleeping in tests
    worker.run(until_caught_up=True)
    assert calls["n"] == 2
    assert index.get("fb-6").version == 4
    assert log.committed(GROUP, worker.topics)[("feedback", 0)] == 4


def test_a_log_unreachable_while_recovering_is_waited_for_not_fatal(log, index, worker, monkeypatch):
    """A broker restarting under a commit fails the commit, and then the rewind and the wait too: the worker
    retries them until the log answers and then ingests the batch, instead of ending on the error."""
    from core.errors import TransientError

    append(log, feedback_item("fb-down", T0, respond_hours=2))
    real_commit, real_rewind = log.commit, log.rewind
    calls = {"commit": 0, "rewind": 0}

    def commit(group, offsets):
        calls["commit"] += 1
        if calls["commit"] == 1:
            raise TransientError("commit for indexer failed: broker restarting")
        return real_commit(group, offsets)

    def rewind(group, topics):
        calls["rewind"] += 1
        if calls["rewind"] <= 2:
            raise TransientError("rewind for indexer failed: broker restarting")
        return real_rewind(group, topics)

    monkeypatch.setattr(log, "commit", commit)
    monkeypatch.setattr(log, "rewind", rewind)
    monkeypatch.setattr(log, "wait", lambda group, seconds, stop=None: None)
    monkeypatch.setattr(worker.stop, "wait", lambda seconds: False)  # no real sleeping in tests
    assert worker.run(until_caught_up=True) == 0  # the first write took the events; the second found them
    assert calls["rewind"] == 3
    assert log.committed(GROUP, worker.topics)[("feedback", 0)] == 4
    assert index.get("fb-down").version == 4


def test_invalid_records_go_to_dead_letters_and_the_rest_goes_in(log, index, worker):
    good_before = received("fb-7", T0)
    good_after = received("fb-8", T0)
    wrong_schema = ev("feedback.received", "fb-9", T0, description="no service code")
    wrong_topic = ev("governance.meeting_held", "m-1", T0, body="Valtuusto")
    log.append("feedback", [Outgoing("fb-7", encode_event(good_before))])
    log.append("feedback", [Outgoing("x", b"this is not json")])
    log.append("feedback", [Outgoing("fb-9", encode_event(wrong_schema))])
    log.append("feedback", [Outgoing("y", encode_event({**good_before, "type": "feedback.unknown", "event_id": "u"}))])
    log.append("feedback", [Outgoing("m-1", encode_event(wrong_topic))])
    log.append("feedback", [Outgoing("z", b'{"pad": "' + b"x" * 300_000 + b'"}')])
    log.append("feedback", [Outgoing("fb-8", encode_event(good_after))])
    worker.run(until_caught_up=True)
    assert index.get("fb-7") is not None and index.get("fb-8") is not None
    letters = log.dead_letters()
    reasons = " | ".join(d.reason for d in letters)
    assert len(letters) == 5
    for expected in ("not JSON", "service_code", "type", "belong on topic governance", "limit"):
        assert expected in reasons
    assert any(d.raw == b"this is not json" for d in letters)
    assert log.committed(GROUP, worker.topics)[("feedback", 0)] == 7
    assert index.stats()["counters"]["dead_lettered"] == 5


def test_a_subject_cannot_change_type(log, index, worker):
    ingest(log, worker, [received("same-id", T0)])
    ingest(log, worker, [ev("service.case_opened", "same-id", at(hours=1), service_code="210")])
    assert index.get("same-id").type == "feedback"
    assert "cannot apply" in log.dead_letters()[0].reason


def test_an_item_holds_at_most_its_bound_of_events_and_the_rest_are_dead_lettered(
    log, index, worker, monkeypatch, tmp_path, settings
):
    """Past MAX_EVENTS_PER_ITEM a subject's further events are refused with the reason, in log order, so a
    source flooding one subject id neither grows its document nor slows every later fold; the same events
    are refused whether they come in one batch or several (a reindex refuses what live ingest did)."""
    import ingest.worker as worker_module
    from search.sqlite_index import SqliteIndex

    monkeypatch.setattr(worker_module, "MAX_EVENTS_PER_ITEM", 4)
    flood = [received("fb-flood", T0)] + [
        state("fb-flood", at(hours=h), "in_process" if h % 2 else "received", seq=h) for h in range(1, 7)
    ]
    ingest(log, worker, flood[:3])
    ingest(log, worker, [*flood[3:], received("fb-other", T0)])
    doc = index.get("fb-flood")
    assert doc.version == 4 and [e["event_id"] for e in doc.events] == [e["event_id"] for e in flood[:4]]
    refused = [letter for letter in log.dead_letters() if "fb-flood" in letter.origin]
    assert sorted(letter.origin for letter in refused) == sorted(f"subject:fb-flood:{e['event_id']}" for e in flood[4:])
    assert all("already holds 4 events; an item holds at most 4" in letter.reason for letter in refused)
    assert index.get("fb-other").version == 1  # other items of the batch go on

    one_batch = SqliteIndex(str(tmp_path / "again.sqlite"), timezone=settings.timezone)
    again = Worker(log, one_batch, batch_size=50, group="again")
    again.run(until_caught_up=True)
    assert [e["event_id"] for e in one_batch.get("fb-flood").events] == [e["event_id"] for e in doc.events]
    one_batch.close()


def test_an_item_holds_at_most_its_bound_of_bytes_and_the_rest_are_dead_lettered(
    log, index, worker, monkeypatch, tmp_path, settings
):
    """Past MAX_ITEM_BYTES of events an item refuses the events that do not fit, in log order, with the
    reason (a smaller later one may still fit); one batch or several refuse the same events."""
    import ingest.worker as worker_module
    from ingest.fold import event_bytes
    from search.sqlite_index import SqliteIndex

    first = received("fb-big", T0, text="a" * 3000)
    long_ = [ev("feedback.response_given", "fb-big", at(hours=h), h, text="b" * 3000) for h in (1, 2)]
    short = ev("feedback.response_given", "fb-big", at(hours=3), 3, text="c")
    flood = [first, *long_, short]

    def size(event):  # as the worker measures it: the event as checked (validated, redacted)
        return event_bytes(worker_module.check("feedback", encode_event(event))[0])

    bound = size(first) + size(long_[0]) + size(short) + 10  # room for one long event and the short one
    monkeypatch.setattr(worker_module, "MAX_ITEM_BYTES", bound)
    ingest(log, worker, flood[:2])
    ingest(log, worker, [*flood[2:], received("fb-small", T0)])
    doc = index.get("fb-big")
    assert [e["event_id"] for e in doc.events] == [first["event_id"], long_[0]["event_id"], short["event_id"]]
    (refused,) = [letter for letter in log.dead_letters() if "fb-big" in letter.origin]
    assert refused.origin == f"subject:fb-big:{long_[1]['event_id']}"
    assert f"holds {size(first) + size(long_[0])} bytes of events and this one is {size(long_[1])}" in refused.reason
    assert f"an item holds at most {bound}" in refused.reason
    assert index.get("fb-small").version == 1

    one_batch = SqliteIndex(str(tmp_path / "again.sqlite"), timezone=settings.timezone)
    Worker(log, one_batch, batch_size=50, group="again").run(until_caught_up=True)
    assert [e["event_id"] for e in one_batch.get("fb-big").events] == [e["event_id"] for e in doc.events]
    one_batch.close()


def test_event_bytes_measures_what_orjson_refuses_too():
    from ingest.fold import event_bytes

    plain = {"a": "ä", "n": 1}
    assert event_bytes(plain) == len(json.dumps(plain, ensure_ascii=False, separators=(",", ":")).encode())
    huge = {"n": 2**70}
    assert event_bytes(huge) == len(json.dumps(huge, separators=(",", ":")))


SECRETS = ("131052-308T", "matti@example.fi", "040 123 4567", "FI21 1234 5600 0007 85")


def test_personal_data_never_reaches_the_index(log, index, worker):
    text = "Olen {} ja {}, soita {} tai maksa {}".format(*SECRETS)
    events = [received("fb-10", T0, text=text, title=f"Soita {SECRETS[2]}")]
    events.append(ev("feedback.response_given", "fb-10", at(hours=2), 2, text=f"Vastasimme osoitteeseen {SECRETS[1]}"))
    events.append(ev("service.survey_response", "sv-1", at(), service_code="171", score=3, scale_max=5, comment=text))
    ingest(log, worker, events)
    stored = json.dumps(
        [index.get("fb-10").body, index.get("fb-10").events, index.get("sv-1").events], ensure_ascii=False
    )
    for secret in SECRETS:
        assert secret not in stored
    assert "[REDACTED:identity-code]" in stored
    assert index.search(SearchQuery(q="matti")).total == 0
    assert index.stats()["counters"]["identity_code"] == 2


def test_raw_source_record_stays_out_of_the_index(log, index, worker):
    event = received("fb-11", T0)
    event["raw"] = {"email": "secret@example.fi"}
    ingest(log, worker, [event])
    assert "secret@example.fi" not in json.dumps(index.get("fb-11").events)


def test_stop_flag_finishes_the_batch_then_returns(log, index):
    append(log, feedback_item("fb-12", T0, respond_hours=1) + feedback_item("fb-12b", T0, respond_hours=1))
    w = Worker(log, index, batch_size=2)
    original = w._finish

    def finish_then_stop(batch):
        result = original(batch)
        w.stop.set()  # as SIGTERM would, mid-run
        return result

    w._finish = finish_then_stop  # type: ignore[method-assign]
    w.run()
    committed = log.committed(GROUP, w.topics)[("feedback", 0)]
    assert committed in (2, 4)  # the batches in flight were written and committed, and no more
    assert index.get("fb-12").version == committed
    assert index.get("fb-12b") is None
    assert w.run_once() is not None  # the rest is still there for the next run


def test_a_stale_read_is_repaired_not_lost(log, index, worker, monkeypatch):
    """If the index answers 'not found' for a stored item (a recovering shard, a rebalance), no event is lost."""
    ingest(log, worker, [received("fb-13", T0), state("fb-13", at(hours=1), "in_process")])
    real_get_many = index.get_many
    calls = {"n": 0}

    def stale_once(ids):
        calls["n"] += 1
        return {} if calls["n"] == 1 else real_get_many(ids)

    monkeypatch.setattr(index, "get_many", stale_once)
    ingest(log, worker, [state("fb-13", at(hours=5), "resolved", seq=3)])
    doc = index.get("fb-13")
    assert doc.status == "resolved"
    assert doc.version == 3
    assert [t["state"] for t in doc.body["timeline"]] == ["received", "in_process", "resolved"]


def test_documents_the_index_rejects_go_to_dead_letters(log, index, worker, monkeypatch):
    """A per-document rejection (say a mapping conflict) keeps the events, with the index's reason."""
    real_write = index.write

    def refuse_one(docs, counters=None, position=None):
        kept = [d for d in docs if d.id != "fb-bad"]
        result = real_write(kept, counters, position)
        if len(kept) < len(docs):
            result.rejected.append(("fb-bad", "Elasticsearch rejected the document (400): mapper_parsing_exception"))
        return result

    monkeypatch.setattr(index, "write", refuse_one)
    ingest(log, worker, [received("fb-good", T0), received("fb-bad", T0)])
    assert index.get("fb-good") is not None and index.get("fb-bad") is None
    (letter,) = log.dead_letters()
    assert letter.origin == "index:fb-bad"
    assert "mapper_parsing_exception" in letter.reason
    assert json.loads(letter.raw)[0]["subject_id"] == "fb-bad"
    assert log.committed(GROUP, worker.topics)[("feedback", 0)] == 2


def test_the_run_freezes_older_objects_out_of_the_collector_only_while_it_runs(log, index, worker):
    import gc

    frozen_during: list[int] = []
    real_write = index.write

    def write(docs, counters=None, position=None):
        frozen_during.append(gc.get_freeze_count())
        return real_write(docs, counters, position)

    index.write = write
    ingest(log, worker, feedback_item("fb-gc", T0, respond_hours=4))
    assert frozen_during and frozen_during[0] > 0
    assert gc.get_freeze_count() == 0  # given back, so a long-lived caller (tests, a server) collects as before

    def broken(docs, counters=None, position=None):
        raise RuntimeError("index broke")

    index.write = broken
    append(log, [received("fb-gc2", T0)])
    with pytest.raises(RuntimeError):
        worker.run(until_caught_up=True)
    assert gc.get_freeze_count() == 0


def test_the_batch_size_follows_the_index(settings, index):
    """MITTARI_REMOTE_BATCH_SIZE on a remote index (Elasticsearch), MITTARI_BATCH_SIZE on the embedded one."""
    sized = settings.with_overrides(batch_size=7, remote_batch_size=11)
    assert not index.remote
    assert batch_size_for(sized, index) == 7

    class Remote:
        remote = True

    assert batch_size_for(sized, Remote()) == 11  # type: ignore[arg-type]
