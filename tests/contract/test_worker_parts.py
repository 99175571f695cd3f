"""A batch written in parts (ingest/worker.py ``PART_BYTES``) on every index backend: the same documents,
counters and log position as one write, and exact ones when the worker dies between two parts."""

from __future__ import annotations

from typing import Any

import pytest

import ingest.worker as worker_module
from core.errors import TransientError
from ingest.worker import Worker
from search.index import Index
from tests.builders import T0, feedback_item
from tests.conftest import append

ITEMS = [f"fb-part-{n}" for n in range(6)]


class Counting:
    """The real index, with its writes counted and, when asked, the n-th write failing before it starts."""

    def __init__(self, index: Index, fail_at: int | None = None) -> None:
        self.index = index
        self.fail_at = fail_at
        self.writes: list[int] = []

    def write(self, docs: Any, counters: Any = None, position: Any = None) -> Any:
        self.writes.append(len(docs))
        if len(self.writes) == self.fail_at:
            raise TransientError("the index went away between two parts")
        return self.index.write(docs, counters, position)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.index, name)


def events() -> list[dict[str, Any]]:
    return [e for item in ITEMS for e in feedback_item(item, T0, respond_hours=3)]


@pytest.mark.parametrize("fail_at", [None, 2], ids=["whole", "dies-between-parts"])
def test_parts_keep_documents_counters_and_position_exact(any_log, any_index, monkeypatch, fail_at):
    """Each item here is over the part size, so every document is its own part. Dying before the second
    part leaves the first one durable: the redelivered batch finds its events as duplicates, and the
    counters and position still count every event once."""
    monkeypatch.setattr(worker_module, "PART_BYTES", 1)
    monkeypatch.setattr(any_log, "wait", lambda group, seconds, stop=None: None)  # no real sleeping
    all_events = events()
    append(any_log, all_events)
    index = Counting(any_index, fail_at)
    Worker(any_log, index, batch_size=1000, pipelined=False).run(until_caught_up=True)  # type: ignore[arg-type]

    assert index.writes[: len(ITEMS)] == [1] * len(ITEMS)  # one document a part
    for item in ITEMS:
        assert any_index.get(item).version == 4
    counters = any_index.stats()["counters"]
    assert counters["events_indexed"] == len(all_events)
    assert counters.get("duplicates_ignored", 0) == (4 if fail_at else 0)  # the first part, delivered again
    position = any_index.log_position()["feedback"]
    assert position.events == len(all_events)
    assert position.offset == len(all_events)
