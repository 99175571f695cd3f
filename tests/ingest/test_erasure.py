"""Forgetting a subject and raw-record retention on the embedded log, and the worker's deny-list."""

import json
from datetime import UTC, datetime

from core.clock import FixedClock
from ingest.erasure import drop_old_raw, forget
from ingest.events import TOPICS, encode_event
from ingest.log import DeadLetter, Outgoing
from ingest.sqlite_log import SqliteLog
from ingest.worker import GROUP, REDACTION_VERSION, Worker
from tests.builders import T0, at, feedback_item, received
from tests.conftest import append, ingest

PERSONAL = {"email": "maija.m@example.fi", "phone": "+358 40 765 4321", "name": "Maija Meikäläinen"}


def with_raw(event, raw=PERSONAL):
    return {**event, "raw": raw}


def test_erase_deletes_the_subjects_events_and_dead_letters_and_nothing_else(log, index, worker, clock):
    ingest(log, worker, feedback_item("fb-keep", T0, 2) + [with_raw(e) for e in feedback_item("fb-gone", T0, 3)])
    log.dead_letter(
        [
            DeadLetter("subject:fb-gone:x", b'{"subject_id": "fb-gone", "email": "maija.m@example.fi"}', "bad"),
            DeadLetter("feedback[0]@99", b'{"service_request_id": "fb-gone"}', "not JSON"),
            DeadLetter("feedback[0]@98", b'{"subject_id": "fb-keep"}', "bad"),
            DeadLetter("subject:fb-gone-too:y", b"{'subject_id': 'fb-gone-too'}", "another subject"),
            DeadLetter("index:fb-gone", b'[{"event_id": "e1"}]', "rejected by the index"),
        ]
    )
    report = forget(log, index, "fb-gone", "erasure request 2026-17", clock)
    assert (report.already, report.documents_removed, report.events_erased, report.dead_letters_erased) == (
        False,
        1,
        4,
        3,
    )
    assert not report.unknown
    assert index.get("fb-gone") is None and index.get("fb-keep") is not None
    raw_rows = log._db.execute("SELECT key, value FROM records").fetchall()
    assert {key for key, _ in raw_rows} == {"fb-keep"}
    assert all(b"maija" not in bytes(value) for _, value in raw_rows)
    assert [d.origin for d in log.dead_letters()] == ["subject:fb-gone-too:y", "feedback[0]@98"]
    stored = log.erased()["fb-gone"]
    assert (stored.reason, stored.at) == ("erasure request 2026-17", clock.now().isoformat())
    assert index.stats()["counters"]["erasures"] == 1

    again = forget(log, index, "fb-gone", "twice", clock)
    assert again.already and (again.documents_removed, again.events_erased, again.dead_letters_erased) == (0, 0, 0)
    assert "already on the deny-list" in " ".join(again.lines())


def test_forgetting_an_unknown_id_says_so_and_still_denies_it(log, index, worker, clock):
    report = forget(log, index, "fb-nobody", "asked", clock)
    assert report.unknown
    assert "nothing was stored about fb-nobody" in "\n".join(report.lines())
    ingest(log, worker, feedback_item("fb-nobody", T0, 2))  # its events arrive after the request
    assert index.get("fb-nobody") is None


class DenyListOnly:
    """The embedded log seen as Kafka sees erasure: the records stay, only the deny-list keeps them out."""

    def __init__(self, log, denied):
        self._log, self._denied = log, denied

    def __getattr__(self, name):
        return getattr(self._log, name)

    def erased(self):
        return {s: self._log.erased().get(s) for s in self._denied}


def test_the_worker_never_brings_a_forgotten_subject_back(log, index, worker, clock):
    ingest(log, worker, feedback_item("fb-a", T0, 2) + feedback_item("fb-b", T0, 3))
    forget(log, index, "fb-b", "asked", clock)
    # a late event and an invalid record for it: the embedded log does not even take them
    append(log, [received("fb-b", at(days=3), text="Olen Maija, maija.m@example.fi")])
    assert log.append("feedback", [Outgoing("fb-b", b'{"broken": "maija.m@example.fi"')]) == 0
    worker.run(until_caught_up=True)
    log.reset(GROUP, TOPICS)  # a replay of the whole log from offset 0
    Worker(log, index, batch_size=3).run(until_caught_up=True)
    assert index.get("fb-b") is None
    assert index.get("fb-a") is not None
    assert not log._db.execute("SELECT 1 FROM records WHERE key = 'fb-b'").fetchall()
    assert index.stats()["counters"]["erasures"] == 1


def test_records_of_a_denied_subject_are_dropped_and_counted_never_dead_lettered(log, index, clock):
    """Where the records stay (Kafka), the deny-list alone keeps them out: from offset 0, late or invalid."""
    append(log, feedback_item("fb-a", T0, 2) + feedback_item("fb-b", T0, 3))
    append(log, [received("fb-b", at(days=3), text="Olen Maija, maija.m@example.fi")])
    log.append("feedback", [Outgoing("fb-b", b'{"broken": "maija.m@example.fi"')])
    log.erase("fb-unrelated", "asked", clock.now().isoformat())
    denying = DenyListOnly(log, {"fb-b"})
    Worker(denying, index, batch_size=4).run(until_caught_up=True)
    assert index.get("fb-b") is None and index.get("fb-a") is not None
    assert log.dead_letters() == []
    assert index.stats()["counters"]["forgotten_events_ignored"] == 6
    assert log.committed(GROUP, TOPICS)[("feedback", 0)] == log.end_offsets(TOPICS)[("feedback", 0)]


def test_a_batch_prepared_before_the_erasure_is_refused_by_the_index(log, index, worker, clock):
    ingest(log, worker, [received("fb-race", T0)])
    append(log, [received("fb-race", at(hours=1), event_id="late")])
    records = log.poll(GROUP, TOPICS, 10)
    batch = worker._prepare(records, {})  # prepared while fb-race was not yet forgotten
    forget(log, index, "fb-race", "asked", clock)
    worker._write(batch)
    worker._finish(batch)
    assert index.get("fb-race") is None


def test_documents_carry_the_redaction_version(log, index, worker):
    ingest(log, worker, [received("fb-v", T0)])
    assert index.get("fb-v").redaction_version == REDACTION_VERSION >= 1
    assert index.stats()["redaction_versions"] == {REDACTION_VERSION: 1}


def test_raw_older_than_the_retention_is_dropped_newer_stays(tmp_path):
    clock = FixedClock(datetime(2026, 1, 1, tzinfo=UTC))
    log = SqliteLog(tmp_path / "events.sqlite", clock=clock)
    old = with_raw(received("fb-old", T0, text="Katuvalo"))
    log.append("feedback", [Outgoing("fb-old", encode_event(old), old["event_id"])])
    log.dead_letter([DeadLetter("import:old#1", b'{"email": "old@example.fi"}', "refused")])
    clock.advance(60 * 86_400)
    new = with_raw(received("fb-new", T0))
    log.append("feedback", [Outgoing("fb-new", encode_event(new), new["event_id"])])
    log.dead_letter([DeadLetter("import:new#1", b'{"email": "new@example.fi"}', "refused")])
    clock.advance(40 * 86_400)  # the old ones are 100 days old, the new ones 40

    dropped = drop_old_raw(log, 90, clock)
    assert (dropped.events, dropped.dead_letters) == (1, 1)
    values = {key: json.loads(value) for key, value in log._db.execute("SELECT key, value FROM records")}
    assert "raw" not in values["fb-old"]
    assert values["fb-old"]["payload"]["description"] == "Katuvalo"  # the event itself is kept
    assert values["fb-new"]["raw"] == PERSONAL
    letters = {d.origin: d for d in log.dead_letters()}
    assert letters["import:old#1"].raw == b"" and letters["import:old#1"].reason == "refused"
    assert letters["import:new#1"].raw == b'{"email": "new@example.fi"}'
    assert drop_old_raw(log, 90, clock) == type(dropped)(0, 0)  # nothing left to drop
    log.close()
