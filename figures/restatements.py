"""Corrections as readers see them: newest first, paged by number, counted per indicator, and their reasons
in words (fi/sv/en) — for the corrections page, its Atom feed and the corrections dataset.

Why beside ``figures/as_published.py``: the facade pages corrections oldest first by cursor, which suits
an API client following them; a reader wants the newest first and page numbers, and the feed wants the
latest few. The history holds few corrections (a final value changes rarely), so they are read whole,
once per history position, and reversed here; the store's own order and paging stay as they are.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from typing import Any

from core.errors import BadQuery, NotFound
from figures.as_published import MAX_CORRECTIONS_PAGE, PublishedHistory, public_correction

_REASONS: dict[str, dict[str, str]] = {
    "events_added": {
        "fi": "{n} uutta tai korjattua tapahtumaa (myöhästyneitä tai korjattuja tietueita)",
        "sv": "{n} nya eller rättade händelser (sena eller rättade poster)",
        "en": "{n} events added (late events or corrected records)",
    },
    "items_removed": {
        "fi": "{n} tapausta poistui luvusta",
        "sv": "{n} fall föll bort ur siffran",
        "en": "{n} items removed from the figure",
    },
    "erasures": {
        "fi": "{n} tapausta poistettiin pyynnöstä (ei tunnisteita)",
        "sv": "{n} fall raderades på begäran (utan id)",
        "en": "{n} items erased on request (no ids)",
    },
    "definition": {
        "fi": "määritelmä muuttui: v{old} → v{new}",
        "sv": "definitionen ändrades: v{old} → v{new}",
        "en": "definition changed: v{old} → v{new}",
    },
    "counts_withheld": {
        "fi": "määriä ei näytetä, koska luku on tai oli salattu",
        "sv": "antal visas inte, eftersom siffran är eller var skyddad",
        "en": "counts not shown: the figure is or was withheld",
    },
    "unknown": {
        "fi": "syy ei näy historiasta",
        "sv": "orsaken syns inte i historiken",
        "en": "the history does not show why",
    },
}


def reasons_text(reasons: Mapping[str, Any], lang: str) -> list[str]:
    """Why a value changed, as phrases in a language (never ids: the reasons hold counts only)."""
    phrases = []
    for name in ("events_added", "items_removed", "erasures"):
        if reasons.get(name):
            phrases.append(_REASONS[name][lang].format(n=reasons[name]))
    definition = reasons.get("definition")
    if isinstance(definition, Mapping):
        phrases.append(_REASONS["definition"][lang].format(old=definition.get("from"), new=definition.get("to")))
    if reasons.get("counts_withheld"):
        phrases.append(_REASONS["counts_withheld"][lang])
    return phrases or [_REASONS["unknown"][lang]]


class Restatements:
    """Every correction of the history, newest first, read once per history position."""

    def __init__(self, history: PublishedHistory) -> None:
        self.history = history
        self._cached: tuple[str, list[dict[str, Any]]] | None = None
        self._lock = threading.Lock()

    def newest_first(self) -> list[dict[str, Any]]:
        position = self.history.position()
        with self._lock:
            if self._cached and self._cached[0] == position:
                return self._cached[1]
        found: list[dict[str, Any]] = []
        after: tuple[str, str] | None = None
        while True:
            page = self.history.store.corrections(None, None, None, after, MAX_CORRECTIONS_PAGE)
            found += [public_correction(c) for c in page]
            if len(page) < MAX_CORRECTIONS_PAGE:
                break
            after = (page[-1]["recorded_at"], page[-1]["id"])
        found.reverse()
        with self._lock:
            self._cached = (position, found)
        return found

    def counts(self) -> Counter[str]:
        """Corrections per indicator code."""
        return Counter(c["indicator"] for c in self.newest_first())

    def page(self, indicator: str | None, number: int, size: int) -> dict[str, Any]:
        """Page ``number`` (from 1) of the corrections, newest first, narrowed to one indicator."""
        if number < 1:
            raise BadQuery("page", "must be 1 or more")
        chosen = [c for c in self.newest_first() if not indicator or c["indicator"] == indicator]
        pages = max(1, -(-len(chosen) // size))
        if number > pages:
            raise NotFound(f"page {number} of {pages}: there are {len(chosen)} corrections")
        return {
            "items": chosen[(number - 1) * size : number * size],
            "total": len(chosen),
            "page": number,
            "pages": pages,
        }
