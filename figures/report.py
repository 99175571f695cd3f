"""The meeting report: resident-centricity figures for one body's meeting, beside the financial ones.

For a council, board or committee and a month: indicators off target (city-wide, and for the
services the body decides on), their trend, the body's open initiatives, its decisions in the
month and the most common feedback topics. The same data feeds the printable page and
``mittari report``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from figures.governance import decisions, initiatives
from figures.indicators import Filters, Indicators
from figures.service_catalog import catalog

TREND_MONTHS = 6


def trend(series: list[dict[str, Any]], direction: str) -> str:
    """improving, worsening or steady: the month against the mean of the three before it."""
    values = [s["value"] for s in series if s["value"] is not None]
    if len(values) < 2:
        return "unknown"
    last, before = values[-1], values[-4:-1]
    base = sum(before) / len(before)
    if base == 0 or abs(last - base) / abs(base) < 0.02:
        return "steady"
    better = last > base if direction == "higher" else last < base
    return "improving" if better else "worsening"


def build(indicators: Indicators, body: str, period: str, now: datetime) -> dict[str, Any]:
    body_decisions = decisions(indicators, body=body)
    services = sorted({s for d in body_decisions for s in d.get("services") or []})
    names = {s["code"]: s["name"] for s in catalog(indicators)}
    scopes: list[tuple[str | None, str | None]] = [(None, None)] + [(s, names.get(s, s)) for s in services]
    off_target = []
    for indicator in indicators.definitions():
        for service, service_name in scopes:
            series = [s for s in indicators.series(indicator, Filters(service=service)) if s["period"] <= period]
            cell = next((s for s in series if s["period"] == period), None)
            if cell is None or cell["status"] != "not_met":
                continue
            off_target.append(
                {
                    "code": indicator.code,
                    "name": indicator.name,
                    "unit": indicator.unit,
                    "service": service,
                    "service_name": service_name,
                    "value": cell["value"],
                    "target": cell["target"],
                    "n": cell["n"],
                    "provisional": cell["provisional"],
                    "final_from": cell["final_from"],
                    "trend": trend(series[-TREND_MONTHS:], indicator.direction),
                    "recent": series[-TREND_MONTHS:],
                }
            )
    open_initiatives = [
        i for i in initiatives(indicators, now, body=body) if i["status"] in ("submitted", "being_prepared")
    ]
    month_decisions = [d for d in body_decisions if str(d.get("date", "")).startswith(period)]
    topics: Counter[str] = Counter()
    for (month, code, _, _), summary in indicators.cells("feedback").items():
        if month == period and (not services or (code or None) in services):
            topics[names.get(code, code or "?")] += summary["items"]
    minimum = indicators.settings.min_cell_count
    return {
        "body": body,
        "period": period,
        "services": [{"code": s, "name": names.get(s, s)} for s in services],
        "off_target": off_target,
        "open_initiatives": open_initiatives,
        "decisions": month_decisions,
        "topics": [{"topic": t, "n": n} for t, n in topics.most_common(5) if n >= minimum],
        "feedback_total": None if 0 < sum(topics.values()) < minimum else sum(topics.values()),
    }
