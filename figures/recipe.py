"""The recipe of a published value: which definition, which parameters, which log position, when.

A figure can only be checked or pinned when everything it was made from is named.
Every indicator answer carries its recipe::

    {"definition": {"id", "version", "sha256"},
     "parameters": {"timezone", "response_target_hours", "min_cell_count", "final_after"},
     "log_position": {stream: {"events", "offset", "newest_event_at"}},  # the streams it depends on
     "computed_at": ISO-8601 UTC (the injected clock), "generation": the index generation}

and every cell its ``inputs_sha256`` (figures/indicators.py): together they say that this value is
what *this version* of the definition gives over *these* items with *these* parameters, read at
that log position. The definition's hash is over its canonical content (:func:`canonical_definition`),
recorded per version in ``figures/definition_versions.json``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from core.settings import Settings
from core.times import iso
from core.vocabulary import STREAM_OF_TYPE
from figures import provisional
from figures.indicators import Indicator, Indicators


def canonical_definition(indicator: Indicator) -> dict[str, Any]:
    """Everything a definition decides, as data: what its hash and its version cover."""
    rule = provisional.rule_for(indicator.code, indicator.sources)
    return {
        "id": indicator.code,
        "name": dict(sorted(indicator.name.items())),
        "definition": dict(sorted(indicator.definition.items())),
        "method": dict(sorted(indicator.method.items())),
        "unit": indicator.unit,
        "direction": indicator.direction,
        "class": indicator.kind,
        "sources": list(indicator.sources),
        "compute": indicator.compute.__name__,
        "final_after": {
            "days_after_month_end": rule.days,
            "plus_response_target": rule.response_target,
            "reason": dict(sorted(rule.reason.items())),
        },
    }


def definition_sha256(indicator: Indicator) -> str:
    """SHA-256 of the canonical definition as JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(canonical_definition(indicator), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def definition(indicator: Indicator) -> dict[str, Any]:
    """The definition a value was made by: its id (the code), version and content hash."""
    return {"id": indicator.code, "version": indicator.version, "sha256": definition_sha256(indicator)}


def parameters(indicator: Indicator, settings: Settings) -> dict[str, Any]:
    """The settings a value depends on besides the definition (core/settings.py)."""
    rule = provisional.rule_for(indicator.code, indicator.sources)
    return {
        "timezone": settings.timezone,
        "response_target_hours": settings.response_target_hours,
        "min_cell_count": settings.min_cell_count,
        "final_after": rule.describe(settings.response_target_hours),
    }


def streams_of(indicator: Indicator) -> tuple[str, ...]:
    """The streams an indicator's answers depend on: those of its sources, and governance (the targets)."""
    return tuple(sorted({STREAM_OF_TYPE[t] for t in indicator.sources if t in STREAM_OF_TYPE} | {"governance"}))


def log_position(indicators: Indicators, indicator: Indicator) -> dict[str, dict[str, Any]]:
    """How far each stream the indicator depends on was applied when its figures' snapshot was read."""
    position = indicators.snapshot().log_position
    return {stream: position[stream].as_dict() for stream in streams_of(indicator) if stream in position}


def recipe(indicators: Indicators, indicator: Indicator) -> dict[str, Any]:
    """The recipe of an indicator's answer, at the read model's current snapshot."""
    snap = indicators.snapshot()
    return {
        "definition": definition(indicator),
        "parameters": parameters(indicator, indicators.settings),
        "log_position": log_position(indicators, indicator),
        "computed_at": iso(indicators.computed_at()),
        "generation": snap.generation,
    }


def published_recipe(indicators: Indicators, indicator: Indicator) -> dict[str, Any]:
    """What the published dataset's metadata names: the definition and the log position, without the time
    of computing or the generation, so republishing unchanged data writes nothing."""
    return {"definition": definition(indicator), "log_position": log_position(indicators, indicator)}
