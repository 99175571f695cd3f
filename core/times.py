"""Time formats the read model agrees on: stored dates are UTC ISO strings whose string order is time order."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo


def iso(value: datetime) -> str:
    """A stored date: UTC, whole seconds, 'Z'."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@lru_cache(maxsize=4096)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=200_000)
def month_of(value: str, timezone: str) -> str:
    """The calendar month (YYYY-MM) an ISO time falls in, in the city's time zone.

    No time zone is a day or more away from UTC, so a time on the 2nd to the 27th of a
    month is in that month everywhere; only the days at either end need the conversion.
    """
    if len(value) >= 10 and value[4] == "-" and "02" <= value[8:10] <= "27":
        return value[:7]
    return parse(value).astimezone(_zone(timezone)).strftime("%Y-%m")


def hours_between(start: str, end: str) -> float:
    return (parse(end) - parse(start)).total_seconds() / 3600.0
