"""Small, readable event builders for tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from ingest.events import make_event

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
_ids = itertools.count(1)


def at(hours: float = 0, days: float = 0) -> datetime:
    return T0 + timedelta(hours=hours, days=days)


def ev(
    kind: str, subject: str, when: datetime, seq: int = 0, event_id: str | None = None, **payload: Any
) -> dict[str, Any]:
    return make_event(
        kind, subject, when, payload, source="test", event_id=event_id or f"{subject}:{kind}:{next(_ids)}", sequence=seq
    )


def received(
    subject: str,
    when: datetime,
    service: str = "171",
    area: str = "Suur-Tapiola",
    text: str = "Katuvalo rikki",
    title: str = "Palaute",
    **extra: Any,
) -> dict[str, Any]:
    return ev(
        "feedback.received", subject, when, service_code=service, area=area, title=title, description=text, **extra
    )


def state(subject: str, when: datetime, value: str, seq: int = 1) -> dict[str, Any]:
    return ev("feedback.status_changed", subject, when, seq, state=value)


def response(subject: str, when: datetime, text: str = "Kiitos, korjattu.", seq: int = 2) -> dict[str, Any]:
    return ev("feedback.response_given", subject, when, seq, text=text, responding_unit="Kadut")


def feedback_item(
    subject: str, start: datetime, respond_hours: float | None, final: str | None = "resolved", **kw: Any
) -> list[dict[str, Any]]:
    """A feedback item: received, answered after respond_hours, then closed one hour later in `final`."""
    events = [received(subject, start, **kw), state(subject, start + timedelta(hours=0.5), "in_process")]
    if respond_hours is not None:
        events.append(response(subject, start + timedelta(hours=respond_hours)))
        if final:
            events.append(state(subject, start + timedelta(hours=respond_hours + 1), final, seq=3))
    return events
