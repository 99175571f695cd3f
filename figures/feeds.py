"""What is worth subscribing to: new decisions, answered initiatives, and indicators that crossed
their target (met one month, not met the next, or the other way). The API renders these as Atom."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from figures.governance import decisions, initiatives
from figures.indicators import Filters, Indicators

LIMIT = 50


def new_decisions(read: Indicators, *, body: str | None = None, service: str | None = None) -> list[dict[str, Any]]:
    return decisions(read, body=body, service=service)[:LIMIT]


def answered_initiatives(read: Indicators, now: datetime, *, body: str | None = None) -> list[dict[str, Any]]:
    answered = [i for i in initiatives(read, now, body=body) if i.get("answered_at")]
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
