"""The city's services as the data knows them: code, name and how much feedback each gets,
and how long first responses take (the distribution behind the medians)."""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from figures.indicators import Indicators
from privacy import disclosure

TOTAL = ("total",)  # the key of a known total among per-code cells
UNNAMED = ""  # items that name no service: part of the total, never shown on their own

#: upper bounds (hours) of the response-time bands; the last band is open-ended
RESPONSE_BANDS = (4, 24, 72, 120, 240, 720)


def catalog(indicators: Indicators) -> list[dict[str, Any]]:
    """Services with feedback or cases, most feedback first; the name is the one most often given.

    Computed once per generation in the read model's snapshot (most pages show it); callers must not
    change it."""
    snap = indicators.snapshot()
    found: list[dict[str, Any]] = snap.memo(("service_catalog",), lambda: _catalog(indicators))
    return found


def _catalog(indicators: Indicators) -> list[dict[str, Any]]:
    names: dict[str, Counter[str]] = defaultdict(Counter)
    feedback: Counter[str] = Counter()
    cases: Counter[str] = Counter()
    unnamed = Counter({"feedback": 0, "cases": 0})
    for (_, code, _, _), summary in indicators.cells("feedback").items():
        if code:
            feedback[code] += summary["items"]
            names[code].update(summary["names"])
        else:
            unnamed["feedback"] += summary["items"]
    for (_, code, _, _), summary in indicators.cells("case").items():
        if code:
            cases[code] += summary["items"]
        else:
            unnamed["cases"] += summary["items"]
    codes = set(feedback) | set(cases)
    minimum = indicators.settings.min_cell_count
    shown_feedback = protected_counts(feedback, minimum, unnamed["feedback"])
    shown_cases = protected_counts(cases, minimum, unnamed["cases"])

    return sorted(
        (
            {
                "code": code,
                "name": names[code].most_common(1)[0][0] if names[code] else code,
                "feedback": shown_feedback.get(code, 0),
                "feedback_band": _band_of(shown_feedback.get(code, 0), feedback[code], minimum),
                "cases": shown_cases.get(code, 0),
                "cases_band": _band_of(shown_cases.get(code, 0), cases[code], minimum),
            }
            for code in codes
        ),
        key=lambda s: (-feedback[s["code"]], -cases[s["code"]], s["code"]),
    )


def protected_counts(counts: Mapping[str, int], minimum: int, unnamed: int = 0) -> dict[str, int | None]:
    """Counts per service with small ones withheld (None) and, since the total is known (the city's
    count of items), a companion withheld with each, so no withheld count is the total less the rest.
    ``unnamed`` items (no service) are a hidden part of the total, protected like the others."""
    atoms = {**counts, UNNAMED: unnamed}
    cells: dict[Any, set[Any]] = {code: {code} for code in atoms}
    cells[TOTAL] = set(atoms)
    protection = disclosure.protect(cells, atoms, [(TOTAL, sorted(atoms))], minimum, hidden={UNNAMED})
    return {code: (None if code in protection.withheld and n else n) for code, n in counts.items()}


def _band_of(shown: int | None, count: int, minimum: int) -> str | None:
    return disclosure.band(count, minimum) if shown is None else None


def service(indicators: Indicators, code: str) -> dict[str, Any] | None:
    return next((s for s in catalog(indicators) if s["code"] == code), None)


def response_distribution(indicators: Indicators, service_code: str | None = None) -> list[dict[str, Any]]:
    """How many answered items got their first response within each band of hours.

    The bands are a distribution whose total is published (the service's answered count),
    so a band withheld alone would be the total less the shown bands: the bands go through
    the same disclosure control as indicator cells, and a withheld band gives a count band.
    """
    counts = [0] * (len(RESPONSE_BANDS) + 1)
    for (_, code, _, _), summary in indicators.cells("feedback").items():
        if service_code and code != service_code:
            continue
        for values in (summary["hours"], summary["hours_unreceived"]):  # sorted: count each band by bisection
            below = 0
            for i, bound in enumerate(RESPONSE_BANDS):
                upto = bisect.bisect_right(values, bound)
                counts[i] += upto - below
                below = upto
            counts[len(RESPONSE_BANDS)] += len(values) - below
    minimum = indicators.settings.min_cell_count
    protected = protected_counts({str(i): count for i, count in enumerate(counts)}, minimum)
    out = []
    lower = 0
    for i, count in enumerate(counts):
        upper = RESPONSE_BANDS[i] if i < len(RESPONSE_BANDS) else None
        withheld = protected[str(i)] is None
        out.append(
            {
                "from": lower,
                "to": upper,
                "n": None if withheld else count,
                "n_band": disclosure.band(count, minimum) if withheld else None,
                "suppressed": withheld,
            }
        )
        lower = upper or lower
    return out
