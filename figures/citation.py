"""Pinned citations: a URL with ``as_of`` and the definition version, and a short text to paste, that
reproduce a shown figure later (issue #12, point 5).

Why the history and not the clock: a citation must point at a *recording* that holds the shown value.
Citing "now" would break when the history has not yet recorded the index's current figures (the
recorder runs at publishing, on ``mittari history record`` and on every generation with ``--watch``):
following such a URL later would answer the previous recording's value. So a live figure is citable
only when the history's latest row for its cell holds the same value, n, withholding and definition
version; the citation then names the newest recording (as a minute in the city's time zone, which
``as_of`` reads as the end of that minute). Otherwise the answer says it is not citable yet and why —
the read side never records (the API and pages are read-only), and recording on demand would let
readers decide when the city's history grows. A figure read with ``as_of`` is already pinned: its
citation keeps the ``as_of`` it was read with.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from core.errors import NotFound
from figures.as_published import PublishedHistory
from figures.indicators import Filters, Indicator
from figures.published import definition_version
from history.store import Key, Row

LANGUAGES = ("fi", "sv", "en")
#: what must be the same in the live cell and the recorded row for the recording to hold the shown figure
SAME = ("value", "n", "suppressed")

_WORDS: dict[str, dict[str, str]] = {
    "published": {"fi": "julkaistu", "sv": "publicerad", "en": "as published"},
    "definition": {"fi": "määritelmä", "sv": "definition", "en": "definition"},
    "provisional": {"fi": "ennakkotieto", "sv": "preliminärt", "en": "provisional"},
    "withheld": {"fi": "ei julkaistu (alle {n} tapausta)", "sv": "ej publicerat (färre än {n} fall)",
                 "en": "withheld (fewer than {n} items)"},
    "service": {"fi": "palvelu {code}", "sv": "tjänst {code}", "en": "service {code}"},
    "area": {"fi": "alue {code}", "sv": "område {code}", "en": "area {code}"},
    "at": {"fi": "klo", "sv": "kl.", "en": "at"},
}  # fmt: skip
_UNITS: dict[str, dict[str, str]] = {"d": {"fi": "pv", "sv": "d", "en": "days"}, "points": {"fi": "pistettä"}}
NOT_RECORDED = (
    "not citable yet: the history has not recorded these figures (it records at publishing, on `mittari history "
    "record` and with `mittari publish --watch`); a citation appears after the next recording"
)
NO_VALUE = "nothing to cite: the shown month has no value"


def number(value: float | int, lang: str) -> str:
    """One decimal, the language's decimal mark (no thousands separator: a pasted figure stays one token)."""
    text = f"{value:.1f}"
    return text.replace(".", ",") if lang in ("fi", "sv") else text


def unit_text(unit: str, lang: str) -> str:
    return _UNITS.get(unit, {}).get(lang, unit)


def local_minute(stamp: str, timezone: str) -> str:
    """A stored recording time as the ``as_of`` that names its minute in the city's time zone."""
    moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=ZoneInfo("UTC"))
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


def check_version(requested: int | None, versions: list[int], when: str) -> None:
    """A citation's ``definition_version`` must be one the answered values were computed with."""
    if requested is not None and requested not in versions:
        shown = ", ".join(f"v{v}" for v in versions) or "none"
        raise NotFound(f"the values {when} were computed with definition {shown}, not v{requested}")


class Citations:
    """Builds citations for one app; the history's latest rows are read once per history position."""

    def __init__(self, history: PublishedHistory) -> None:
        self.history = history
        self.settings = history.settings
        self._latest: dict[tuple[str, str], tuple[dict[Key, Row], str | None]] = {}
        self._lock = threading.Lock()

    def _latest_rows(self, code: str) -> tuple[dict[Key, Row], str | None]:
        """The indicator's latest rows and the newest recording, read once per history position."""
        key = (self.history.position(), code)
        with self._lock:
            found = self._latest.get(key)
        if found is None:
            found = (self.history.store.latest(code), self.history.store.last_recorded_at())
            with self._lock:
                if len(self._latest) > 64:
                    self._latest.clear()
                self._latest[key] = found
        return found

    def live(self, indicator: Indicator, filters: Filters, cell: Mapping[str, Any] | None) -> dict[str, Any]:
        """The citation of a live (today's) cell, or why it cannot be cited yet."""
        version = definition_version(indicator)
        if not cell or (cell.get("value") is None and not cell.get("suppressed")):
            return _uncitable(version, NO_VALUE)
        breakdown = "service" if filters.service else "area" if filters.area else "city"
        key: Key = (indicator.code, str(cell["period"]), breakdown, filters.service or "", filters.area or "")
        rows, newest = self._latest_rows(indicator.code)
        row = rows.get(key)
        if (
            row is None
            or row.get("absent")
            or int(row.get("version") or 1) != version
            or any(_plain(row.get(name)) != _plain(cell.get(name)) for name in SAME)
        ):
            return _uncitable(version, NOT_RECORDED)
        moment = local_minute(newest or str(row["recorded_at"]), self.settings.timezone)
        return self._citation(indicator, filters, cell, version, moment)

    def pinned(
        self, indicator: Indicator, filters: Filters, cell: Mapping[str, Any] | None, block: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The citation of a cell read with ``as_of``: the same ``as_of``, the version it was recorded with."""
        versions = list(block.get("definition_versions") or [definition_version(indicator)])
        version = max(versions)
        if not cell or (cell.get("value") is None and not cell.get("suppressed")):
            return _uncitable(version, NO_VALUE)
        return self._citation(indicator, filters, cell, version, str(block["requested"]))

    def _citation(
        self, indicator: Indicator, filters: Filters, cell: Mapping[str, Any], version: int, as_of: str
    ) -> dict[str, Any]:
        query = {"as_of": as_of, "definition_version": str(version)}
        query.update({k: v for k, v in (("service", filters.service), ("area", filters.area)) if v})
        base = self.settings.base_url.rstrip("/")
        encoded = urlencode(query)
        return {
            "citable": True,
            "reason": None,
            "as_of": as_of,
            "definition_version": version,
            "period": cell["period"],
            "value": cell.get("value"),
            "n": cell.get("n"),
            "provisional": bool(cell.get("provisional")),
            "url": f"{base}/v1/indicators/{indicator.code}?{encoded}",
            "pages": {lang: f"{base}/{lang}/indicators/{indicator.code}?{encoded}" for lang in LANGUAGES},
            "text": {lang: self.text(indicator, filters, cell, version, as_of, lang) for lang in LANGUAGES},
        }

    def text(
        self, indicator: Indicator, filters: Filters, cell: Mapping[str, Any], version: int, as_of: str, lang: str
    ) -> str:
        """ "Espoo, Feedback answered on time, 2026-10, 76.7 % (n = 288), as published 2026-11-05 at 14:00;
        definition v2"."""
        parts = [self.city(), indicator.name[lang]]
        if filters.service:
            parts.append(_WORDS["service"][lang].format(code=filters.service))
        if filters.area:
            parts.append(_WORDS["area"][lang].format(code=filters.area))
        parts.append(str(cell["period"]))
        if cell.get("suppressed") or cell.get("value") is None:
            figure = _WORDS["withheld"][lang].format(n=self.settings.min_cell_count)
        else:
            figure = f"{number(cell['value'], lang)} {unit_text(indicator.unit, lang)}"
            if cell.get("n") is not None:
                figure += f" (n = {cell['n']})"
        if cell.get("provisional"):
            figure += f" ({_WORDS['provisional'][lang]})"
        parts.append(figure)
        day, _, minute = as_of.partition("T")
        when = f"{day} {_WORDS['at'][lang]} {minute}" if minute else day
        return f"{', '.join(parts)}, {_WORDS['published'][lang]} {when}; {_WORDS['definition'][lang]} v{version}"

    def city(self) -> str:
        return self.settings.city_name or self.settings.publisher_name


def _uncitable(version: int, reason: str) -> dict[str, Any]:
    return {"citable": False, "reason": reason, "definition_version": version}


def _plain(value: Any) -> Any:
    """Equal as a reader sees them: a missing flag is false (but 0 is not None)."""
    return None if value is False or value == "" else value
