"""The read side of the history: what was published at a moment (``as_of``), and the corrections.

Why a facade: the API, the pages, the feeds and the publisher all need the same answers ("what did
the city publish on 5 November?", "what was restated, and why?"), in the shapes they already serve
for today's figures, so the views stay thin and every output agrees. It reads only the history
(``history/``), never the index: what was published then is what was recorded then, not a
recomputation (a recomputation would use today's items and today's definitions).

What the history keeps is the published dataset rows (every month, city-wide, per service and per
area), so ``as_of`` answers series and single-month breakdowns and totals exactly; range totals
(a quarter, a year, the whole history), the target's decision and the score's inputs beyond the
recorded cells are not kept, and an answer lists what it cannot give under ``as_of.not_available``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from core.errors import BadQuery, NotFound
from core.settings import Settings
from figures import definition_versions, provisional
from figures.indicators import Filters, Indicator, Indicators, check_scope, describe, disclosure_note
from history.store import HistoryStore, Key, Row, stamp

#: ``YYYY-MM-DD`` or ``YYYY-MM-DDTHH:MM`` in the city's time zone
MOMENT = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}))?$", re.ASCII)
MAX_CORRECTIONS_PAGE = 1000
CACHED_MOMENTS = 64
NOT_KEPT = "not kept in the history: only monthly cells are recorded (city-wide, per service and per area)"


class PublishedHistory:
    """What was published when, and what was corrected, read from the history store."""

    def __init__(self, store: HistoryStore, indicators: Indicators, settings: Settings) -> None:
        self.store = store
        self.indicators = indicators
        self.settings = settings
        self._cache: OrderedDict[tuple[str, str], dict[Key, Row]] = OrderedDict()
        self._lock = threading.Lock()

    def position(self) -> str:
        """Changes whenever the history does: cached answers that read it must key on it."""
        return self.store.position()

    # -- moments -----------------------------------------------------------------------------------
    def moment(self, value: str, parameter: str = "as_of", *, end: bool = True) -> str:
        """A ``YYYY-MM-DD[THH:MM]`` in the city's time zone as a stamp: the end of the named day or minute
        (``end``; what was published on 5 November includes the whole day), else its start."""
        found = MOMENT.match(value.strip()) if isinstance(value, str) else None
        if not found:
            raise BadQuery(parameter, "must be YYYY-MM-DD or YYYY-MM-DDTHH:MM (in the city's time zone)")
        year, month, day, hour, minute = found.groups()
        whole_day = hour is None
        try:
            local = datetime(
                int(year),
                int(month),
                int(day),
                23 if whole_day and end else int(hour or 0),
                59 if whole_day and end else int(minute or 0),
                59 if end else 0,
                999999 if end else 0,
                tzinfo=ZoneInfo(self.settings.timezone),
            )
            return stamp(local)
        except (ValueError, OverflowError) as exc:  # 2026-02-30; 0001-01-01T00:00 east of UTC is before year 1
            raise BadQuery(parameter, f"is not a usable date: {exc}") from exc

    def _rows_as_of(self, moment: str) -> dict[Key, Row]:
        """Every cell's row as of a moment (absent cells left out), cached per history position."""
        key = (self.position(), moment)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        rows = {k: r for k, r in self.store.as_of(moment).items() if not r.get("absent")}
        with self._lock:
            self._cache[key] = rows
            while len(self._cache) > CACHED_MOMENTS:
                self._cache.popitem(last=False)
        return rows

    def _as_of(self, requested: str) -> tuple[str, dict[Key, Row], dict[str, Any]]:
        moment = self.moment(requested)
        recorded_at = self.store.last_recorded_at(moment)
        if recorded_at is None:
            first = self.store.first_recorded_at()
            since = f"; the history begins {first}" if first else "; nothing has been recorded yet"
            raise NotFound(f"nothing was published as of {requested}{since}")
        block = {"requested": requested, "moment": moment, "recorded_at": recorded_at}
        return moment, self._rows_as_of(moment), block

    # -- indicators as of a moment -----------------------------------------------------------------
    def detail(self, code: str, filters: Filters, as_of: str) -> dict[str, Any]:
        """``Indicators.detail`` as it was published at ``as_of``, with an ``as_of`` block."""
        indicator = self.indicators.definition(code)
        check_scope(filters)
        _, rows, block = self._as_of(as_of)
        mine = [r for r in rows.values() if r["indicator"] == code]
        if not mine:
            raise NotFound(f"indicator {code!r} had no published values as of {as_of}")
        not_available = ["target"]
        single = filters.month_from if filters.month_from and filters.month_from == filters.month_to else None
        breakdown: dict[str, list[dict[str, Any]]] = {"service": [], "area": []}
        if single is None:
            not_available += ["overall", "breakdown"]
        else:
            if not filters.area:
                breakdown["service"] = _breakdown(mine, single, "service", "service_code", filters.service)
            if not filters.service:
                breakdown["area"] = _breakdown(mine, single, "area", "area", filters.area)
        summary = self._summary(indicator, mine, filters, single)
        return {
            **summary,
            "filters": {
                "service": filters.service,
                "area": filters.area,
                "from": filters.month_from,
                "to": filters.month_to,
            },
            "series": _series(mine, filters),
            "breakdown": breakdown,
            "recipe": _recipe_then(indicator, mine, block),
            "as_of": {
                **block,
                **_versions(mine),
                "not_available": [*not_available, "recipe.parameters", "recipe.log_position"],
            },
        }

    def overview(self, filters: Filters, as_of: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """``Indicators.overview`` as published at ``as_of``: the summaries and the ``as_of`` block."""
        check_scope(filters)
        _, rows, block = self._as_of(as_of)
        by_indicator: dict[str, list[Row]] = {}
        for row in rows.values():
            by_indicator.setdefault(row["indicator"], []).append(row)
        single = filters.month_from if filters.month_from and filters.month_from == filters.month_to else None
        items = [
            self._summary(indicator, by_indicator[indicator.code], filters, single)
            for indicator in self.indicators.definitions()
            if indicator.code in by_indicator
        ]
        not_available = ["target"] + ([] if single else ["overall"])
        return items, {**block, "not_available": not_available}

    def dataset_rows(self, code: str, as_of: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        """The indicator's published dataset rows as of a moment (figures/datasets.py's columns)."""
        self.indicators.definition(code)
        _, rows, block = self._as_of(as_of)
        mine = sorted(
            (r for r in rows.values() if r["indicator"] == code),
            key=lambda r: (_BREAKDOWNS.get(r["breakdown"], 9), r["service_code"], r["area"], r["period"]),
        )
        if not mine:
            raise NotFound(f"indicator {code!r} had no published values as of {as_of}")
        return [_public_row(r) for r in mine], block

    def _summary(self, indicator: Indicator, rows: list[Row], filters: Filters, single: str | None) -> dict[str, Any]:
        series = _series(rows, filters)
        latest = next((s for s in reversed(series) if not s["suppressed"]), series[-1] if series else None)
        final = next((s for s in reversed(series) if s["value"] is not None and not s["provisional"]), None)
        overall: dict[str, Any]
        month = next((s for s in series if s["period"] == single), None) if single else None
        if month is not None:
            overall = {k: month[k] for k in _OVERALL}
        else:
            overall = {
                "value": None,
                "n": None,
                "n_band": None,
                "suppressed": True,
                "reason": NOT_KEPT,
                "provisional": None,
                "final_from": None,
                "inputs_sha256": None,
            }
        return {
            **describe(indicator),
            "current": latest,
            "latest_final": final,
            "final_after": provisional.rule_for(indicator.code, indicator.sources).describe(
                self.settings.response_target_hours
            ),
            "overall": overall,
            "target": None,
            "status": latest["status"] if latest else "no_target",
            "disclosure": disclosure_note(indicator, self.settings.min_cell_count),
        }

    # -- corrections -------------------------------------------------------------------------------
    def corrections(
        self,
        indicator: str | None = None,
        since: str | None = None,
        until: str | None = None,
        cursor: str | None = None,
        size: int = 100,
    ) -> dict[str, Any]:
        """One page of corrections, oldest first, and the cursor of the next page (None: the last page)."""
        if size < 1 or size > MAX_CORRECTIONS_PAGE:
            raise BadQuery("size", f"must be between 1 and {MAX_CORRECTIONS_PAGE}")
        low = self.moment(since, "since", end=False) if since else None
        high = self.moment(until, "until") if until else None
        if low and high and low > high:
            raise BadQuery("since", "must not be after 'until'")
        after = decode_cursor(cursor) if cursor else None
        page = self.store.corrections(indicator or None, low, high, after, size + 1)
        items = [public_correction(c) for c in page[:size]]
        more = len(page) > size
        return {"items": items, "next_cursor": encode_cursor(page[size - 1]) if more else None}


_BREAKDOWNS = {"city": 0, "service": 1, "area": 2}
_CELL = ("value", "n", "n_band", "suppressed", "reason", "provisional", "final_from", "inputs_sha256")
_OVERALL = _CELL


def _cell(row: Mapping[str, Any]) -> dict[str, Any]:
    """A recorded row as a series cell (the live answer's shape)."""
    return {
        "period": row["period"],
        "value": row.get("value"),
        "n": row.get("n"),
        "n_band": row.get("n_band") or None,
        "suppressed": bool(row.get("suppressed")),
        "reason": row.get("reason") or None,
        "provisional": row.get("provisional"),
        "final_from": row.get("final_from") or None,
        "inputs_sha256": row.get("inputs_sha256"),
        "target": row.get("target"),
        "status": row.get("status") or "no_target",
    }


def _series(rows: list[Row], filters: Filters) -> list[dict[str, Any]]:
    if filters.service:
        wanted = ("service", filters.service, "")
    elif filters.area:
        wanted = ("area", "", filters.area)
    else:
        wanted = ("city", "", "")
    cells = [
        _cell(r)
        for r in rows
        if (r["breakdown"], r["service_code"], r["area"]) == wanted
        and (not filters.month_from or r["period"] >= filters.month_from)
        and (not filters.month_to or r["period"] <= filters.month_to)
    ]
    return sorted(cells, key=lambda c: c["period"])


def _breakdown(rows: list[Row], month: str, breakdown: str, field: str, only: str | None) -> list[dict[str, Any]]:
    cells = [
        {"key": r[field], **{k: v for k, v in _cell(r).items() if k in _CELL}}
        for r in rows
        if r["breakdown"] == breakdown and r["period"] == month and (not only or r[field] == only)
    ]
    return sorted(cells, key=lambda c: c["key"])


def _recipe_then(indicator: Indicator, rows: list[Row], block: Mapping[str, Any]) -> dict[str, Any]:
    """The recipe as far as the history knows it: the definition version the shown values were recorded
    with (its hash from the registry of versions), the moment and the generation they were recorded at.
    The settings and the log position of then are not kept, and the answer says so (``not_available``)."""
    versions = sorted({int(r.get("version") or 1) for r in rows})
    version = versions[-1] if versions else indicator.version
    recorded = {v.version: v.sha256 for v in definition_versions.registry().get(indicator.code, ())}
    latest = max(rows, key=lambda r: str(r.get("recorded_at") or ""), default=None)
    return {
        "definition": {"id": indicator.code, "version": version, "sha256": recorded.get(version)},
        "computed_at": block.get("recorded_at"),
        "generation": latest.get("generation") if latest else None,
    }


def _versions(rows: list[Row]) -> dict[str, Any]:
    """The definition versions the recorded values were computed with."""
    return {"definition_versions": sorted({int(r.get("version") or 1) for r in rows})}


#: what a recorded row shows a reader: the dataset's columns, the content hash, the version and the time
PUBLIC_ROW = (
    "indicator",
    "period",
    "breakdown",
    "service_code",
    "area",
    "value",
    "unit",
    "n",
    "n_band",
    "suppressed",
    "reason",
    "provisional",
    "final_from",
    "target",
    "status",
    "inputs_sha256",
    "version",
    "recorded_at",
)


def _public_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """Never the internal inputs (items, events): a withheld cell's counts would show through them."""
    return {name: row.get(name) for name in PUBLIC_ROW}


def public_correction(correction: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": correction["id"],
        **{name: correction.get(name) for name in ("indicator", "period", "breakdown", "service_code", "area")},
        "unit": correction.get("unit"),
        "old": dict(correction.get("old") or {}),
        "new": dict(correction.get("new") or {}),
        "recorded_at": correction["recorded_at"],
        "old_recorded_at": correction["old_recorded_at"],
        "reasons": dict(correction.get("reasons") or {}),
    }


def encode_cursor(correction: Mapping[str, Any]) -> str:
    """The next page starts after this correction: its (recorded_at, id), neither of which is secret."""
    raw = json.dumps([correction["recorded_at"], correction["id"]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        recorded_at, correction_id = json.loads(raw)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise BadQuery("cursor", "is not a cursor this API gave") from exc
    if not isinstance(recorded_at, str) or not isinstance(correction_id, str):
        raise BadQuery("cursor", "is not a cursor this API gave")
    return recorded_at, correction_id
