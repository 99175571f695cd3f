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


def add_applied(streams: dict[str, StreamPosition], events: Iterable[Mapping[str, Any]]) -> None:
    """Count events applied to the index into their streams (the topic their type belongs on)."""
    for event in events:
        stream = EVENT_TYPES[event["type"]][0]
        step = StreamPosition(1, (), event.get("occurred_at"))
        streams[stream] = streams[stream].merged(step) if stream in streams else step


def batch_position(
    streams: Mapping[str, StreamPosition], offsets: Mapping[TopicPartition, int]
) -> dict[str, StreamPosition]:
    """The batch's position: its applied events per stream and, per partition, the next offset after the
    highest one consumed (dead-lettered records are consumed too, so a stream can advance with no event
    applied)."""
    position = dict(streams)
    for (topic, partition), offset in offsets.items():
        step = StreamPosition(0, ((partition, offset),), None)
        position[topic] = position[topic].merged(step) if topic in position else step
    return position
