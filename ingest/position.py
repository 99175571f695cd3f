"""The log position a batch advances the index by, per stream (log topic): what a figure's recipe cites.

The worker counts the events it *applies* (new to the index after folding: duplicates of a redelivered
batch and refused events are not counted), the highest offset it consumed and the newest ``occurred_at``
among the applied events; the index merges them into its stored position in the same durable step as the
documents (search/index.py). Counting applied events, not records, keeps a replay from inflating it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ingest.events import EVENT_TYPES
from ingest.log import TopicPartition
from search.index import StreamPosition


class Applied:
    """The events a batch applied, per stream: how many and the newest ``occurred_at`` (cheap to add to:
    it is called for every subject folded)."""

    __slots__ = ("counts", "newest")

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self.newest: dict[str, str] = {}

    def add(self, events: Iterable[Mapping[str, Any]]) -> None:
        counts, newest = self.counts, self.newest
        for event in events:
            stream = EVENT_TYPES[event["type"]][0]
            counts[stream] = counts.get(stream, 0) + 1
            when = event.get("occurred_at")
            if when and (stream not in newest or when > newest[stream]):
                newest[stream] = when


def batch_position(applied: Applied, offsets: Mapping[TopicPartition, int]) -> dict[str, StreamPosition]:
    """The batch's position: its applied events per stream and, per partition, the next offset after the
    highest one consumed (dead-lettered records are consumed too, so a stream can advance with no event
    applied)."""
    position = {s: StreamPosition(n, (), applied.newest.get(s)) for s, n in applied.counts.items()}
    for (topic, partition), offset in offsets.items():
        step = StreamPosition(0, ((partition, offset),), None)
        position[topic] = position[topic].merged(step) if topic in position else step
    return position
