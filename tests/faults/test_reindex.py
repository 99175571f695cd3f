"""``mittari reindex`` against the real servers: a new index from the log, aliases swapped, same answers."""

import threading
from datetime import date

import pytest

from ingest.demo_data import generate
from ingest.importer import append_events
from ingest.log import lag, open_log
from ingest.reindex import reindex
from ingest.worker import GROUP, Worker
from search.index import open_index
from search.query import SearchQuery
from tests.ingest.test_worker import snapshot

pytestmark = pytest.mark.integration

EVENTS = list(generate(3000, seed=5, until=date(2026, 1, 1)))


def test_reindex_rebuilds_from_the_log_and_swaps_aliases(make_settings):
    settings = make_settings("kafka", "elasticsearch")
    log, index = open_log(settings), open_index(settings)
    append_events(log, ((str(i), e) for i, e in enumerate(EVENTS[:2000])))
    Worker(log, index).run(until_caught_up=True)
    before = snapshot(index)
    counters_before = index.stats()["counters"]

    # the live worker keeps running while the index is rebuilt
    live = Worker(log, index, batch_size=200)
    thread = threading.Thread(target=live.run, kwargs={"idle_wait": 0.2}, daemon=True)
    thread.start()
    messages: list[str] = []
    new = reindex(settings, drop_old=True, echo=messages.append)
    append_events(log, ((str(i), e) for i, e in enumerate(EVENTS[2000:], start=2000)))
    deadline = 120
    while lag(log, GROUP, ["feedback", "service", "governance"]) and deadline:
        threading.Event().wait(1)
        deadline -= 1
    live.stop.set()
    thread.join(timeout=60)

    assert new.endswith("-docs-v2")
    reader = open_index(settings, readonly=True)
    assert reader.alias_target(reader.read_alias) == new == reader.alias_target(reader.write_alias)
    assert reader.versions() == [new]  # the old one was dropped
    after = snapshot(reader)
    assert {k: v for k, v in after.items() if k in before} == before | {
        k: after[k] for k in before if after[k] != before[k]
    }
    # and the rebuilt index equals one built from scratch from all the events
    fresh = make_settings("sqlite", "sqlite")
    flog, findex = open_log(fresh), open_index(fresh)
    append_events(flog, ((str(i), e) for i, e in enumerate(EVENTS)))
    Worker(flog, findex).run(until_caught_up=True)
    assert after == snapshot(findex)
    for doc_type in ("feedback", "case", "survey", "outcome"):  # the rebuilt version has its own cells, equal too
        assert reader.stored_cells(doc_type) == findex.stored_cells(doc_type) != {}
    assert reader.search(SearchQuery(q="katuvalo")).total == findex.search(SearchQuery(q="katuvalo")).total
    assert reader.stats()["counters"]["events_indexed"] == len(EVENTS) >= counters_before["events_indexed"]
    for closable in (log, index, reader, flog, findex):
        closable.close()
