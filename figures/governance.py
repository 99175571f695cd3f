"""Read-time views of governance documents: initiatives with how long each has waited,
decisions by the body that made them, and the list of bodies (council, boards, committees).

Initiatives and decisions number in the hundreds or low thousands a year for a city,
so they are read whole, once per index generation, by the read model
(``Indicators.documents``) and filtered here; the index needs no field for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.times import parse
from figures.indicators import Indicators

INITIATIVE_ORDER = ("submitted", "being_prepared", "answered", "withdrawn")


def with_waiting(initiative: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The initiative with ``days_waiting``: until its answer, or until now while it is open."""
    end = parse(initiative["answered_at"]) if initiative.get("answered_at") else now
    waited = (end - parse(initiative["submitted_at"])).total_seconds() / 86400
    return {**initiative, "days_waiting": round(max(0.0, waited), 1)}


def initiatives(read: Indicators, now: datetime, *, body: str | None = None) -> list[dict[str, Any]]:
    """Initiatives (of one responsible body if given), open ones first and the longest waiting first."""
    items = [with_waiting(i, now) for i in read.documents("initiative")]
    if body:
        items = [i for i in items if (i.get("responsible_body") or "") == body]
    rank = {status: n for n, status in enumerate(INITIATIVE_ORDER)}
    return sorted(items, key=lambda i: (rank.get(i["status"], 9), -i["days_waiting"], i["id"]))


def decisions(
    read: Indicators,
    *,
    body: str | None = None,
    service: str | None = None,
    indicator: str | None = None,
) -> list[dict[str, Any]]:
    """Decisions, newest first, of one body and/or concerning one service or indicator."""
    return select_decisions(read.documents("decision"), body=body, service=service, indicator=indicator)


def select_decisions(
    items: list[dict[str, Any]], *, body: str | None = None, service: str | None = None, indicator: str | None = None
) -> list[dict[str, Any]]:
    """The decisions among ``items`` that match every filter given (for a caller that has read them all)."""
    if indicator:
        items = [d for d in items if indicator in (d.get("indicators") or [])]
    if body:
        items = [d for d in items if d.get("body") == body]
    if service:
        items = [d for d in items if service in (d.get("services") or [])]
    return items


def bodies(initiative_list: list[dict[str, Any]], decision_list: list[dict[str, Any]]) -> list[str]:
    """Every council, board and committee that appears as a responsible or deciding body."""
    names = {i.get("responsible_body") for i in initiative_list} | {d.get("body") for d in decision_list}
    return sorted(n for n in names if n)


def all_bodies(read: Indicators, now: datetime) -> list[str]:
    """Every body in the index's initiatives and decisions."""
    return bodies(initiatives(read, now), decisions(read))
