"""The path every importer feeds: validate each event, append the valid ones, dead-letter the rest.

Nothing is silently dropped: every record read ends up appended, recognised as
already present, or refused with its reason in the dead-letter store.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from core.errors import InvalidEvent
from core.logs import fields
from ingest.events import encode_event, topic_for, validate_event
from ingest.log import DeadLetter, EventLog, Outgoing

log = logging.getLogger(__name__)

APPEND_BATCH = 5000


@dataclass
class ImportReport:
    records: int = 0  # source records read (one record may become several events)
    events: int = 0  # valid events produced
    appended: int = 0  # events new to the log
    refused: int = 0  # records or events dead-lettered
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def already_present(self) -> int:
        return self.events - self.appended

    def summary(self) -> str:
        lines = [
            f"{self.records} records read, {self.events} events valid: "
            f"{self.appended} new, {self.already_present} already in the log, {self.refused} refused"
        ]
        for reason, count in self.reasons.most_common(10):
            lines.append(f"  refused {count}×: {reason}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Refusal:
    """A source record that could not become an event at all."""

    origin: str
    raw: bytes
    reason: str


def append_events(log_: EventLog, items: Iterable[tuple[str, Any]], report: ImportReport | None = None) -> ImportReport:
    """Validate and append events given as (origin, event dict or Refusal); origin names the source record."""
    report = report or ImportReport()
    pending: dict[str, list[Outgoing]] = {}
    letters: list[DeadLetter] = []

    def flush() -> None:
        for topic, outgoing in pending.items():
            if outgoing:
                report.appended += log_.append(topic, outgoing)
        pending.clear()
        if letters:
            log_.dead_letter(letters)
            letters.clear()

    for origin, item in items:
        if isinstance(item, Refusal):
            _refuse(report, letters, item.origin, item.raw, item.reason)
            continue
        try:
            event = validate_event(item)
            # the validated event is what goes in, so times are in one canonical form
            outgoing = Outgoing(event["subject_id"], encode_event(event), event["event_id"])
        except InvalidEvent as exc:
            _refuse(report, letters, origin, refused_bytes(item), exc.reason)
            continue
        except Exception as exc:  # a record no check foresaw is refused alone, with what went wrong
            _refuse(
                report, letters, origin, refused_bytes(item), f"record could not be read: {type(exc).__name__}: {exc}"
            )
            continue
        report.events += 1
        pending.setdefault(topic_for(event["type"]), []).append(outgoing)
        if sum(len(v) for v in pending.values()) >= APPEND_BATCH:
            flush()
    flush()
    log.info(
        "import finished",
        extra=fields(records=report.records, events=report.events, appended=report.appended, refused=report.refused),
    )
    return report


def refused_bytes(item: Any) -> bytes:
    """A refused record's bytes for the dead letters, whatever it holds (lone surrogates included)."""
    try:
        return json.dumps(item, ensure_ascii=False, default=str).encode("utf-8", "backslashreplace")
    except (ValueError, TypeError, RecursionError):
        return repr(item)[:100_000].encode("utf-8", "replace")


def _refuse(report: ImportReport, letters: list[DeadLetter], origin: str, raw: bytes, reason: str) -> None:
    report.refused += 1
    report.reasons[_reason_kind(reason)] += 1
    letters.append(DeadLetter(origin, raw, reason))
    log.warning("record refused", extra=fields(origin=origin, reason=reason))


def _reason_kind(reason: str) -> str:
    """Reasons without record-specific values, so the report can count alike ones together."""
    return reason if len(reason) < 160 else reason[:157] + "..."
