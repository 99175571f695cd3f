"""Turns request parameters (already shaped by the API's schemas) into typed, capped queries.

Errors name the parameter at fault, so the API can answer 400 with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import BadQuery
from core.settings import Settings
from core.vocabulary import SEARCHABLE_TYPES
from search.query import SearchQuery

#: Dates outside these years are refused: they hold no data and overflow date arithmetic near year 1 and 9999.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2999


def parse_bound(value: str | None, parameter: str, timezone: str) -> datetime | None:
    """A date (start of that day in the city's zone) or an ISO date-time with an offset."""
    if value is None or value == "":
        return None
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(), ZoneInfo(timezone))
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadQuery(parameter, "must be a date (YYYY-MM-DD) or a date-time with an offset") from exc
    if not EARLIEST_YEAR <= parsed.year <= LATEST_YEAR:
        raise BadQuery(parameter, f"must be a date between the years {EARLIEST_YEAR} and {LATEST_YEAR}")
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=ZoneInfo(timezone))


def parse_search(args: Mapping[str, Any], settings: Settings, *, types: tuple[str, ...] | None = None) -> SearchQuery:
    size = int(args.get("size", 20))
    if not 1 <= size <= settings.max_page_size:
        raise BadQuery("size", f"must be between 1 and {settings.max_page_size}")
    if types is None:
        raw = args.get("type") or ""
        types = tuple(t.strip() for t in raw.split(",") if t.strip()) or SEARCHABLE_TYPES
    date_to = parse_bound(args.get("to"), "to", settings.timezone)
    if date_to is not None and args.get("to") and len(args["to"]) == 10:
        from datetime import timedelta

        date_to = date_to + timedelta(days=1)  # a date bound includes the whole day
    return SearchQuery(
        q=(args.get("q") or "").strip(),
        types=types,
        service=args.get("service") or None,
        area=args.get("area") or None,
        status=args.get("status") or None,
        date_from=parse_bound(args.get("from"), "from", settings.timezone),
        date_to=date_to,
        sort=args.get("sort") or ("relevance" if args.get("q") else "newest"),
        size=size,
        cursor=args.get("cursor") or None,
        facets=bool(args.get("facets", True)),
        cursor_keys=settings.cursor_keys,
    )
