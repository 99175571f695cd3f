"""The demo city's past: its events cut at a few past moments, so the demo can record what it would have
published then, with a few survey answers delivered late, so its history holds real corrections.

Why: a freshly generated city has no history; ``as_of``, the corrections and everything built on them
would show nothing. ``mittari demo`` logs and indexes each phase and records the history at the
phase's moment with an injected clock (figures/published.py), as a city running Mittari for months
would have. Pure data shaping: no I/O here.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.times import month_of

#: how many past recordings (one a month, on the 5th at 09:00 in the city)
PAST_RECORDINGS = 3
#: one survey answer in so many of the late month arrives after the second recording
LATE_EVERY = 8

Indexed = tuple[int, dict[str, Any]]


def past_moments(end: date, now: datetime, timezone: str, count: int = PAST_RECORDINGS) -> list[datetime]:
    """The 5th of each of the ``count`` months before ``end``'s month, 09:00 in the city, all before ``now``."""
    zone = ZoneInfo(timezone)
    moments = []
    year, month = end.year, end.month
    for _ in range(count):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        moments.append(datetime.combine(date(year, month, 5), time(9, 0), tzinfo=zone))
    return sorted(m for m in moments if m < now)


def late_month(moments: Sequence[datetime], timezone: str) -> str | None:
    """The month whose late survey answers restate it: final well before the second recording (the month
    before the one 60 days earlier ends more than 60 days before it, beyond every indicator's final_after),
    or None without enough moments."""
    if len(moments) < 3:
        return None
    year, month = map(int, month_of((moments[1] - timedelta(days=60)).isoformat(), timezone).split("-"))
    year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return f"{year:04d}-{month:02d}"


def phases(
    events: Sequence[dict[str, Any]], moments: Sequence[datetime], timezone: str
) -> Iterator[tuple[datetime | None, list[Indexed]]]:
    """(moment, the events to log before recording at it), in order, each event with its place in ``events``;
    the last phase (moment None) holds the rest. Events occur before the moment of their phase, except the
    held-back survey answers of :func:`late_month`, which arrive just before the third recording."""
    late = late_month(moments, timezone)
    held: list[Indexed] = []
    surveys = 0
    out: list[list[Indexed]] = [[] for _ in range(len(moments) + 1)]
    for i, event in enumerate(events):
        if late and event["type"] == "service.survey_response" and month_of(event["occurred_at"], timezone) == late:
            surveys += 1
            if surveys % LATE_EVERY == 0:
                held.append((i, event))
                continue
        at = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))
        phase = next((n for n, cut in enumerate(moments) if at < cut), len(moments))
        out[phase].append((i, event))
    if held:
        out[2] = held + out[2]
    for n, moment in enumerate([*moments, None]):
        yield moment, out[n]
