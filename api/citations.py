"""The app's citation builder (figures/citation.py), made once per app and reached through ``citations()``;
the pages and the API cite the same way."""

from __future__ import annotations

from typing import Any

from flask import current_app

from api.services import services
from figures.citation import Citations, check_version
from figures.indicators import Filters


def citations() -> Citations:
    found = current_app.extensions.get("mittari_citations")
    if found is None:
        history = services().history
        assert history is not None, "create_app gives every app its history"
        found = current_app.extensions.setdefault("mittari_citations", Citations(history))
    return found  # type: ignore[no-any-return]


def cite(answer: dict[str, Any], filters: Filters, requested_version: int | None) -> dict[str, Any]:
    """An indicator answer (live or ``as_of``) with its citation; a citation's version checked against it."""
    indicator = services().indicators.definition(answer["code"])
    block = answer.get("as_of")
    if block:
        check_version(requested_version, list(block.get("definition_versions") or []), f"as of {block['requested']}")
        citation = citations().pinned(indicator, filters, answer.get("current"), block)
    else:
        citation = citations().live(indicator, filters, answer.get("current"))
        check_version(requested_version, [citation["definition_version"]], "today")
    return {**answer, "citation": citation}
