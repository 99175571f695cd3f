"""Indicator definitions as versioned data: which version of each built-in definition is in force, and why.

A published value is only checkable if the rule that made it is pinned. Each built-in
indicator's definition (its names, definition and method texts in fi/sv/en, unit,
direction, class, sources, the name of its compute rule and its provisional rule) is
hashed (:func:`figures.recipe.definition_sha256`), and ``definition_versions.json``
beside this module records, per indicator code, every version with that hash and a
short note of what changed. ``tests/figures/test_definition_versions.py`` fails when a
definition's content no longer matches its newest recorded hash, so a definition
cannot change without a new version being written down here.

Outcome indicators are defined by the reports that carry them (dynamic), not here:
they are version 1, with the hash of their reported definition.

This module holds data only (no import of ``figures.indicators``), so the indicators
can read their version from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REGISTRY_PATH = Path(__file__).with_name("definition_versions.json")
DYNAMIC_VERSION = 1  # an outcome indicator's definition comes with its reports


@dataclass(frozen=True)
class DefinitionVersion:
    version: int
    sha256: str
    note: str


@cache
def registry() -> dict[str, tuple[DefinitionVersion, ...]]:
    """Every recorded version per indicator code, oldest first."""
    raw = json.loads(REGISTRY_PATH.read_text(encoding="utf-8"))
    return {
        code: tuple(DefinitionVersion(int(v["version"]), str(v["sha256"]), str(v["note"])) for v in versions)
        for code, versions in raw.items()
    }


def current(code: str) -> DefinitionVersion | None:
    """The newest recorded version of a built-in definition; None for a code not recorded (dynamic ones)."""
    versions = registry().get(code)
    return versions[-1] if versions else None


def version_of(code: str) -> int:
    """The definition version in force for a code (dynamic codes: 1)."""
    found = current(code)
    return found.version if found else DYNAMIC_VERSION
