"""The city's services as the data knows them: code, name and how much feedback each gets,
and how long first responses take (the distribution behind the medians)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from search.indicators import Indicators

#: upper bounds (hours) of the response-time bands; the last band is open-ended
RESPONSE_BANDS = (4, 24, 72, 120, 240, 720)


def catalog(indicators: Indicators) -> list[dict[str, Any]]:
    """Services with feedback or cases, most feedback first; the name is the one most often given."""
    names: dict[str, Counter[str]] = defaultdict(Counter)
    feedback: Counter[str] = Counter()
    cases: Counter[str] = Counter()
    for row in indicators.facts("feedback"):
        code = row.get("service_code")
        if code:
            feedback[code] += 1
            if row.get("service_name"):
                names[code][row["service_name"]] += 1
    for row in indicators.facts("case"):
        if row.get("service_code"):
            cases[row["service_code"]] += 1
    codes = set(feedback) | set(cases)
    minimum = indicators.settings.min_cell_count

    def shown(count: int) -> int | None:
        """Counts between 1 and the minimum cell are withheld like any other small aggregate."""
        return None if 0 < count < minimum else count

    return sorted(
        (
            {
                "code": code,
                "name": names[code].most_common(1)[0][0] if names[code] else code,
                "feedback": shown(feedback[code]),
                "cases": shown(cases[code]),
            }
            for code in codes
        ),
        key=lambda s: (-feedback[s["code"]], -cases[s["code"]], s["code"]),
    )


def service(indicators: Indicators, code: str) -> dict[str, Any] | None:
    return next((s for s in catalog(indicators) if s["code"] == code), None)


def response_distribution(indicators: Indicators, service_code: str | None = None) -> list[dict[str, Any]]:
    """How many answered items got their first response within each band of hours.

    Bands with fewer than the minimum cell count are reported but flagged, so a chart can
    show them without a number that singles anyone out.
    """
    counts = [0] * (len(RESPONSE_BANDS) + 1)
    for row in indicators.facts("feedback"):
        if service_code and row.get("service_code") != service_code:
            continue
        hours = row.get("first_response_hours")
        if hours is None:
            continue
        band = next((i for i, bound in enumerate(RESPONSE_BANDS) if hours <= bound), len(RESPONSE_BANDS))
        counts[band] += 1
    minimum = indicators.settings.min_cell_count
    out = []
    lower = 0
    for i, count in enumerate(counts):
        upper = RESPONSE_BANDS[i] if i < len(RESPONSE_BANDS) else None
        suppressed = 0 < count < minimum
        out.append({"from": lower, "to": upper, "n": None if suppressed else count, "suppressed": suppressed})
        lower = upper or lower
    return out
