"""What is worth subscribing to: new decisions, answered initiatives, and indicators that crossed
their target (met one month, not met the next, or the other way). The API renders these as Atom."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from figures.governance import decisions, initiatives
from figures.indicators import Filters, Indicators
from search.index import Index

LIMIT = 50


def new_decisions(index: Index, *, body: str | None = None, service: str | None = None) -> list[dict[str, Any]]:
    return decisions(index, body=body, service=service, limit=LIMIT if not (body or service) else 20_000)[:LIMIT]


def answered_initiatives(index: Index, now: datetime, *, body: str | None = None) -> list[dict[str, Any]]:
    answered = [i for i in initiatives(index, now, body=body) if i.get("answered_at")]
    return sorted(answered, key=lambda i: i["answered_at"], reverse=True)[:LIMIT]


def target_crossings(indicators: Indicators, *, service: str | None = None) -> list[dict[str, Any]]:
    """Each month an indicator went from met to not met, or back, newest first."""
    out: list[dict[str, Any]] = []
    for indicator in indicators.definitions():
        previous: dict[str, Any] | None = None
        for cell in indicators.series(indicator, Filters(service=service)):
            if cell["status"] not in ("met", "not_met"):
                continue
            if previous is not None and previous["status"] != cell["status"]:
                out.append(
                    {
                        "code": indicator.code,
                        "name": indicator.name,
                        "unit": indicator.unit,
                        "service": service,
                        "period": cell["period"],
                        "from": previous["status"],
                        "to": cell["status"],
                        "value": cell["value"],
                        "target": cell["target"],
                        "provisional": cell["provisional"],
                        "final_from": cell["final_from"],
                    }
                )
            previous = cell
    return sorted(out, key=lambda c: (c["period"], c["code"]), reverse=True)[:LIMIT]
