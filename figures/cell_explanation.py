"""One published cell explained: its definition, its recipe and what it rests on (``/v1/indicators/<code>/cells``).

For an indicator whose items are public one by one (feedback), the answer lists the ids of every item in
the cell's atoms (sorted, paged), so anyone can fetch them from ``/v1/feedback/<id>`` and recompute the
value by the published definition; the definition decides which of them count (n). For an aggregate-only
indicator (cases, surveys, outcome reports) no id is given, only the *commitment*: the cell's
``inputs_sha256``, a SHA-256 over the SHA-256 digests of its atoms, each over the canonical lines of the
atom's items (:func:`search.cells.item_line`: id, version, date, service, area, status and facts). The
city can open those lines to an auditor (``mittari cells open``), who checks that they hash to the
published commitment; the public learns nothing more than the count it was already given.

A withheld cell lists no ids: the list would give away the count that disclosure control hides.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any

from core.errors import BadQuery
from figures.indicators import Filters, Indicator, Indicators, inputs_sha256, items_public
from figures.recipe import definition, recipe
from search.cells import Atom

MAX_SIZE = 1000
DEFAULT_SIZE = 100
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")

COMMITMENT_METHOD = (
    "SHA-256 over the SHA-256 digests of the cell's atoms (month, service, area), sorted, one per line; each "
    "atom's digest is the SHA-256 of its items' canonical lines (JSON with sorted keys: id, version, date, "
    "service_code, area, status and the facts the indicators read), sorted, one per line. The items are not "
    "public one by one, so no id is listed; the city can open the lines behind this commitment to an auditor, "
    "who can check that they hash to it and recompute the value."
)
WITHHELD_NOTE = (
    "This cell is withheld by disclosure control; listing its items would give away the count it hides. "
    "Its items are counted in the published margins (the whole city, the quarter, the year)."
)


def parse_period(value: str | None) -> str:
    """A cell's month, or a 400 naming ``period``."""
    if not value or not _MONTH.fullmatch(value):
        raise BadQuery("period", "must be a month, YYYY-MM")
    return value


def parse_size(value: int | None) -> int:
    size = DEFAULT_SIZE if value is None else value
    if not 1 <= size <= MAX_SIZE:
        raise BadQuery("size", f"must be between 1 and {MAX_SIZE}")
    return size


def encode_cursor(doc_type: str, after: str) -> str:
    """Opaque to the reader: where the next page starts (the type and the last id shown)."""
    raw = json.dumps([doc_type, after], ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(value: str | None, types: tuple[str, ...]) -> tuple[str, str] | None:
    """The page position a cursor names, or a 400 naming ``cursor``."""
    if not value:
        return None
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        doc_type, after = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise BadQuery("cursor", "is not a cursor this endpoint gave out; start again without it") from exc
    if doc_type not in types or not isinstance(after, str):
        raise BadQuery("cursor", "is not a cursor this endpoint gave out; start again without it")
    return doc_type, after


def cell_atoms(indicators: Indicators, indicator: Indicator, period: str, filters: Filters) -> list[tuple[str, Atom]]:
    """The atoms (with their document type) a cell is made of, in order: the cell's inputs."""
    found = []
    cells = indicators.snapshot().cells
    for doc_type in indicator.sources:
        for atom in cells.get(doc_type, {}):
            month, service, area, code = atom
            if month != period or (indicator.dynamic and code != indicator.code):
                continue
            if filters.service and service != filters.service:
                continue
            if filters.area and area != filters.area:
                continue
            found.append((doc_type, atom))
    return found


def explain(
    indicators: Indicators,
    code: str,
    period: str | None,
    service: str | None = None,
    area: str | None = None,
    size: int | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    """The explanation of one cell (see the module docstring); BadQuery names a bad parameter."""
    indicator = indicators.definition(code)
    month = parse_period(period)
    filters = Filters(service=service or None, area=area or None)
    indicators.check_filters(filters)
    page_size = parse_size(size)
    position = decode_cursor(cursor, indicator.sources)
    cell = indicators.cell(indicator, month, filters.service, filters.area)
    atoms = cell_atoms(indicators, indicator, month, filters)
    return {
        "indicator": indicator.code,
        "period": month,
        "service": filters.service,
        "area": filters.area,
        "cell": cell,
        "definition": {
            **definition(indicator),
            "name": indicator.name,
            "definition": indicator.definition,
            "method": indicator.method,
            "unit": indicator.unit,
        },
        "recipe": recipe(indicators, indicator),
        "inputs": _inputs(indicators, indicator, cell, atoms, page_size, position),
    }


def _inputs(
    indicators: Indicators,
    indicator: Indicator,
    cell: dict[str, Any],
    atoms: list[tuple[str, Atom]],
    size: int,
    position: tuple[str, str] | None,
) -> dict[str, Any]:
    if not items_public(indicator):
        return {"public": False, "commitment": cell["inputs_sha256"], "method": COMMITMENT_METHOD}
    if cell["suppressed"]:
        return {"public": True, "items": [], "total": None, "next_cursor": None, "withheld": WITHHELD_NOTE}
    summaries = indicators.snapshot().cells
    total = sum(int(summaries[t][a].get("items") or 0) for t, a in atoms)
    items: list[dict[str, str]] = []
    next_cursor = None
    types = [t for t in indicator.sources if any(t == at for at, _ in atoms)]
    start = types.index(position[0]) if position and position[0] in types else 0
    for doc_type in types[start:]:
        after = position[1] if position and position[0] == doc_type else None
        wanted = size - len(items)
        of_type = [a for t, a in atoms if t == doc_type]
        ids = indicators.index.atom_ids(doc_type, of_type, after, wanted + 1)
        items += [{"id": i, "url": f"/v1/{doc_type}/{i}"} for i in ids[:wanted]]
        if len(ids) > wanted:
            next_cursor = encode_cursor(doc_type, items[-1]["id"])
            break
        if len(items) == size:
            rest = types[types.index(doc_type) + 1 :]
            if rest:
                next_cursor = encode_cursor(rest[0], "")
            break
    return {"public": True, "items": items, "total": total, "next_cursor": next_cursor}


def check_commitment(summaries: list[dict[str, Any]], published: str | None) -> bool:
    """True when atom summaries hash to a published ``inputs_sha256`` (for the auditor's command)."""
    return published is not None and inputs_sha256(summaries) == published
