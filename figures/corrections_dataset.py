"""The corrections as an open dataset: one row per correction, with its data dictionary, for the local folder
and CKAN (publisher/publish.py) — the same corrections as ``GET /v1/corrections`` and the corrections page.

Rows are in the history's own order (oldest first by recording, then id): the history only ever appends,
so a republish adds rows at the end and never rewrites one, and unchanged history gives byte-identical
CSV (nothing is written). The reasons are counts only, never ids (figures/published.py); ``why_*`` says
them in words in each language (figures/restatements.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from figures.as_published import MAX_CORRECTIONS_PAGE, public_correction
from figures.restatements import reasons_text
from history.store import HistoryStore

CODE = "corrections"
PRIMARY_KEY = ("id",)
#: the data dictionary: (name, frictionless type, description)
FIELDS: tuple[tuple[str, str, str], ...] = (
    ("id", "string", "The correction's id: a digest of the cell and the two recordings it lies between."),
    ("indicator", "string", "Indicator code (its dataset holds the cell's current value)."),
    ("period", "string", "Calendar month of the corrected cell, YYYY-MM, in the city's time zone."),
    ("breakdown", "string", "'city' for the whole city, 'service' or 'area' for a breakdown."),
    ("service_code", "string", "Service code when broken down by service; empty otherwise."),
    ("area", "string", "Area name when broken down by area; empty otherwise."),
    ("unit", "string", "Unit of the values: h hours, d days, % percent, points on a 0–100 scale."),
    ("old_value", "number", "The value as first published final; empty when it was withheld."),
    ("new_value", "number", "The value as restated; empty when withheld or when the cell has no value any more."),
    ("old_n", "integer", "How many items the old value rested on; empty when withheld."),
    ("new_n", "integer", "How many items the new value rests on; empty when withheld."),
    ("old_suppressed", "boolean", "True when the old value was withheld (disclosure control)."),
    ("new_suppressed", "boolean", "True when the new value is withheld (disclosure control)."),
    ("old_version", "integer", "The indicator definition version of the old value."),
    ("new_version", "integer", "The indicator definition version of the new value."),
    ("old_recorded_at", "string", "When the old value was recorded as published (ISO 8601, UTC)."),
    ("recorded_at", "string", "When the new value was recorded: the restatement (ISO 8601, UTC)."),
    ("events_added", "integer", "How many more events the cell's items hold (late events, corrected records)."),
    ("items_removed", "integer", "How many fewer items the cell rests on (erasures, records that moved)."),
    ("erasures", "integer", "Items erased from the whole index between the two recordings (no ids)."),
    ("counts_withheld", "boolean", "True when the counts are left out because either side is withheld."),
    ("why_fi", "string", "Why, in Finnish."),
    ("why_sv", "string", "Why, in Swedish."),
    ("why_en", "string", "Why, in English."),
)


def correction_rows(store: HistoryStore) -> list[dict[str, Any]]:
    """Every correction as a dataset row, oldest first."""
    rows: list[dict[str, Any]] = []
    after: tuple[str, str] | None = None
    while True:
        page = store.corrections(None, None, None, after, MAX_CORRECTIONS_PAGE)
        rows += [flat(public_correction(c)) for c in page]
        if len(page) < MAX_CORRECTIONS_PAGE:
            return rows
        after = (page[-1]["recorded_at"], page[-1]["id"])


def flat(correction: Mapping[str, Any]) -> dict[str, Any]:
    old, new, reasons = correction["old"], correction["new"], correction["reasons"]
    definition = reasons.get("definition") or {}
    return {
        **{name: correction.get(name) or "" for name in ("id", "indicator", "period", "breakdown", "service_code")},
        "area": correction.get("area") or "",
        "unit": correction.get("unit") or "",
        **{f"old_{k}": old.get(k) for k in ("value", "n")},
        **{f"new_{k}": new.get(k) for k in ("value", "n")},
        "old_suppressed": bool(old.get("suppressed")),
        "new_suppressed": bool(new.get("suppressed")),
        "old_version": definition.get("from", old.get("version")),
        "new_version": definition.get("to", new.get("version")),
        "old_recorded_at": correction["old_recorded_at"],
        "recorded_at": correction["recorded_at"],
        **{k: reasons.get(k) for k in ("events_added", "items_removed", "erasures")},
        "counts_withheld": bool(reasons.get("counts_withheld")),
        **{f"why_{lang}": "; ".join(reasons_text(reasons, lang)) for lang in ("fi", "sv", "en")},
    }
