"""Open datasets as rows: what the publisher writes and what a portal's DataStore holds.

One dataset per indicator: monthly values city-wide, per service and per area,
each cell with the number of items behind it and disclosure control applied
(``figures/indicator_table.py``: no withheld cell can be computed from the
published ones, and its count is given only as a band). The
same rows go to every target (local folder, CKAN), so a portal shows the same
figures as the API.
"""

from __future__ import annotations

from typing import Any

from figures.indicators import Filters, Indicator, Indicators

#: the data dictionary: (name, frictionless type, description)
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("indicator", "string", "Indicator code."),
    ("period", "string", "Calendar month, YYYY-MM, in the city's time zone."),
    ("breakdown", "string", "'city' for the whole city, 'service' or 'area' for a breakdown."),
    ("service_code", "string", "Service code when broken down by service; empty otherwise."),
    ("area", "string", "Area name when broken down by area; empty otherwise."),
    ("value", "number", "The indicator's value in its unit; empty when suppressed or not computable."),
    ("unit", "string", "Unit of value: h hours, d days, % percent, points on a 0–100 scale."),
    ("n", "integer", "How many items the value rests on; empty when the cell is withheld."),
    ("n_band", "string", "For a withheld cell: '<5' when it rests on too few items, '≥5' when withheld with one."),
    (
        "suppressed",
        "boolean",
        "True when the cell is withheld: it rests on too few items, or it would let such a cell be computed.",
    ),
    ("reason", "string", "Why a cell is withheld."),
    (
        "provisional",
        "boolean",
        "True while the month is young: its items may still finish and move the value (see final_from).",
    ),
    (
        "final_from",
        "string",
        "When the value becomes final (ISO 8601, UTC): the month's end in the city's time zone plus the "
        "indicator's final_after rule. Republishing after that date changes this row's provisional flag.",
    ),
    ("target", "number", "The target in force for the month (city-wide or the service's own); empty if none."),
    ("status", "string", "met, not_met, no_target or no_value."),
    (
        "definition_version",
        "integer",
        "The version of the indicator's definition the value was computed by; a changed definition is a new "
        "version (its content hash is in the dataset's metadata).",
    ),
    (
        "inputs_sha256",
        "string",
        "SHA-256 of the items the cell rests on (ids, versions, facts): it changes exactly when an input does. "
        "GET /v1/indicators/{indicator}/cells?period=… explains it (item ids, or the commitment behind it).",
    ),
)
PRIMARY_KEY = ("indicator", "period", "breakdown", "service_code", "area")
DEFINITIONS_VERSION = "2026.1"


def dataset_name(namespace: str, code: str) -> str:
    """An indicator's dataset name on a portal. CKAN names are lower-case letters, digits, - and _;
    the namespace keeps installations apart. The pages link to it, so it lives here."""
    return f"{namespace}-{code}".lower().replace("_", "-")[:100]


def indicator_rows(indicators: Indicators, indicator: Indicator) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    city = indicators.series(indicator, Filters())
    rows += [_row(indicator, cell, "city", None, None) for cell in city]
    services = sorted({b["key"] for b in indicators.breakdown(indicator, Filters(), "service_code")})
    for service in services:
        for cell in indicators.series(indicator, Filters(service=service)):
            rows.append(_row(indicator, cell, "service", service, None))
    areas = sorted({b["key"] for b in indicators.breakdown(indicator, Filters(), "area")})
    for area in areas:
        for cell in indicators.series(indicator, Filters(area=area)):
            rows.append(_row(indicator, cell, "area", None, area))
    return rows


def _row(
    indicator: Indicator, cell: dict[str, Any], breakdown: str, service: str | None, area: str | None
) -> dict[str, Any]:
    return {
        "indicator": indicator.code,
        "period": cell["period"],
        "breakdown": breakdown,
        "service_code": service or "",
        "area": area or "",
        "value": cell["value"],
        "unit": indicator.unit,
        "n": cell["n"],
        "n_band": cell["n_band"] or "",
        "suppressed": cell["suppressed"],
        "reason": cell["reason"] or "",
        "provisional": cell["provisional"],
        "final_from": cell["final_from"] or "",
        "target": cell["target"],
        "status": cell["status"],
        **_recipe_columns(indicator, cell),
    }


def _recipe_columns(indicator: Indicator, cell: dict[str, Any]) -> dict[str, Any]:
    """The row's recipe: which definition version made it, and the hash of its inputs (figures/recipe.py)."""
    return {"definition_version": indicator.version, "inputs_sha256": cell.get("inputs_sha256") or ""}
