"""The meeting report: resident-centricity figures for one body's meeting, beside the financial ones.

For a council, board or committee and a month: indicators off target (city-wide, and for the
services the body decides on), their trend, the body's open initiatives, its decisions in the
month and the most common feedback topics. The same data feeds the printable page and
``mittari report``.

**A past period is shown as it was published then** (issue #12, point 4): a report is a record of what
a body was told, so a later correction must not change it. The moment is the end of the month after the
period (:func:`publication_moment`: by then the report's month has been published, and a body meets on
it within that month), or an explicit ``as_of``; the indicator figures then come from the history of
published values (``figures/as_published.py``), and the report says which moment it shows. When that
moment has not come yet, or the history holds nothing by then, the report shows today's figures and
says so. The governance parts (initiatives, decisions) and the feedback topics are read from the index:
they are documents and counts of public items, not published figures the history keeps.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import NotFound
from figures.as_published import PublishedHistory
from figures.governance import decisions, initiatives
from figures.indicators import Filters, Indicator, Indicators
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


def publication_moment(period: str) -> str:
    """The ``as_of`` a past period's report shows: the last day of the following month (read as its end)."""
    year, month = (int(part) for part in period.split("-")[:2])
    if (year, month) >= (9999, 12):  # no following month in the calendar: the moment lies in the future anyway
        return "9999-12-31"
    first_after_next = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return (first_after_next - timedelta(days=1)).isoformat()


Series = Callable[[Indicator, str | None], list[dict[str, Any]]]


def series_source(
    indicators: Indicators, history: PublishedHistory | None, period: str, now: datetime, as_of: str | None
) -> tuple[Series, dict[str, Any] | None]:
    """Where the report's figures come from: the history as of the moment (and which), or today's index."""
    rule = "as_of" if as_of else "month_end"
    moment = as_of or publication_moment(period)
    if history is not None:
        stamp = history.moment(moment)  # a BadQuery naming as_of when it is not a moment
        passed = stamp <= now.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        recorded_at = history.store.last_recorded_at(stamp) if passed or as_of else None
        if as_of and recorded_at is None:
            first = history.store.first_recorded_at()
            raise NotFound(f"nothing was published as of {as_of}" + (f"; the history begins {first}" if first else ""))
        if recorded_at is not None:
            by_scope: dict[str, dict[str, list[dict[str, Any]]]] = {}

            def published(indicator: Indicator, service: str | None) -> list[dict[str, Any]]:
                """The recorded monthly cells of one scope (the dataset rows, read once per indicator)."""
                if indicator.code not in by_scope:
                    scopes: dict[str, list[dict[str, Any]]] = {}
                    try:
                        rows, _ = history.dataset_rows(indicator.code, moment)
                    except NotFound:  # the indicator had no published values then
                        rows = []
                    for row in rows:
                        if row["breakdown"] in ("city", "service"):
                            scopes.setdefault(row["service_code"] or "", []).append(row)
                    by_scope[indicator.code] = scopes
                return sorted(by_scope[indicator.code].get(service or "", []), key=lambda r: str(r["period"]))

            return published, {"as_of": moment, "rule": rule, "recorded_at": recorded_at}
    if as_of:
        raise NotFound("this city keeps no history of published values")
    return (lambda indicator, service: indicators.series(indicator, Filters(service=service))), None


def build(
    indicators: Indicators,
    body: str,
    period: str,
    now: datetime,
    history: PublishedHistory | None = None,
    as_of: str | None = None,
) -> dict[str, Any]:
    series_of, as_published = series_source(indicators, history, period, now, as_of)
    body_decisions = decisions(indicators, body=body)
    services = sorted({s for d in body_decisions for s in d.get("services") or []})
    names = {s["code"]: s["name"] for s in catalog(indicators)}
    scopes: list[tuple[str | None, str | None]] = [(None, None)] + [(s, names.get(s, s)) for s in services]
    off_target = []
    for indicator in indicators.definitions():
        for service, service_name in scopes:
            series = [s for s in series_of(indicator, service) if s["period"] <= period]
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
        "as_published": as_published,
        "services": [{"code": s, "name": names.get(s, s)} for s in services],
        "off_target": off_target,
        "open_initiatives": open_initiatives,
        "decisions": month_decisions,
        "topics": [{"topic": t, "n": n} for t, n in topics.most_common(5) if n >= minimum],
        "feedback_total": None if 0 < sum(topics.values()) < minimum else sum(topics.values()),
    }
