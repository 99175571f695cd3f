"""``mittari reindex`` on the embedded index: built beside, swapped by a link, readers follow without a restart.

This is how an upgrade of the redaction rules reaches documents already indexed.
"""

import ingest.worker as worker_module
from ingest.reindex import reindex
from ingest.worker import Worker
from search.sqlite_index import SqliteIndex
from tests.builders import T0, at, feedback_item, received
from tests.conftest import append
from tests.conftest import ingest as ingest_events
from tests.ingest.test_worker import snapshot


def test_reindex_rebuilds_beside_and_swaps_under_live_readers_and_writer(settings, log, index, monkeypatch):
    settings = settings.with_overrides(batch_size=3)
    path = settings.data_dir / "index.sqlite"
    monkeypatch.setattr(worker_module, "REDACTION_VERSION", 1)
    live = Worker(log, index, batch_size=3)
    ingest_events(log, live, [e for i in range(6) for e in feedback_item(f"fb-{i}", at(hours=i), 2)])
    reader = SqliteIndex(path, readonly=True)  # as an API worker: open before, never reopened by hand
    before = snapshot(reader)
    counters = reader.stats()["counters"]
    assert reader.stats()["redaction_versions"] == {1: 6}

    seen_during_build: list[int] = []
    finish = Worker._finish

    def watching(self, batch):
        if self.group.startswith("reindex"):
            seen_during_build.append(reader.stats()["documents"].get("feedback", 0))
        return finish(self, batch)

    monkeypatch.setattr(Worker, "_finish", watching)
    monkeypatch.setattr(worker_module, "REDACTION_VERSION", 2)  # the redaction rules were upgraded
    messages: list[str] = []
    built = reindex(settings, echo=messages.append)

    assert path.is_symlink() and path.resolve().name == "index.sqlite.v2"
    assert built.endswith("index.sqlite.v2") and (settings.data_dir / "index.sqlite.v1").exists()
    assert seen_during_build and set(seen_during_build) == {6}  # readers never saw a half-built index
    assert reader.stats()["redaction_versions"] == {2: 6}  # the same reader now reads the new file
    assert snapshot(reader) == before
    assert reader.stats()["counters"] == counters  # live counters carried over, the replay added none
    assert "readers and the worker now use it" in messages[-1]

    # the live worker, whose connection was opened before the swap, now writes to the new file
    ingest_events(log, live, [received("fb-new", at(days=1))])
    assert reader.get("fb-new") is not None
    assert reader.stats()["counters"]["events_indexed"] == counters["events_indexed"] + 1

    reindex(settings, drop_old=True, echo=messages.append)
    assert path.resolve().name == "index.sqlite.v3"
    assert not (settings.data_dir / "index.sqlite.v2").exists()
    assert reader.get("fb-new") is not None and reader.get("fb-0") is not None
    reader.close()


def test_reindex_of_an_empty_place_builds_the_first_index(settings, log):
    append(log, [received("fb-1", T0)])
    reindex(settings, echo=lambda _: None)
    reader = SqliteIndex(settings.data_dir / "index.sqlite", readonly=True)
    assert reader.get("fb-1") is not None
    reader.close()
