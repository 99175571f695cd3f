"""Atom summaries: what the indicators need of each (type, month, service, area[, code]) group of documents.

An *atom* is the smallest group a published figure is made of: the documents of one
type received (or closed, or reported) in one month of the city's time zone, for one
service and one area; outcome reports are grouped by their ``indicator_code`` too,
since each code is an indicator of its own. Its *summary* keeps what every
indicator over that type needs to compute any cell from atoms exactly: counts, and
the sorted value lists where a median or a percentile must stay exact (merging the
atoms' lists gives the cell's list), the received times of still-unanswered feedback
(whether one is late depends on the time of reading), and the rating values whose
mean must not depend on the order atoms are added in.

The index writes summaries in the same step as the documents, so this lives in
``search/`` (the index may not import ``figures/``); it imports only ``core``.
Summaries are always *recomputed from the atom's stored items*, never incremented:
a replay, a duplicate or a crash between two writes cannot make them drift, and
both backends give identical summaries because both call :func:`summarise` on the
same fact rows (the rows ``Index.scan`` returns). The month is decided here, from
the document's date in the index's time zone (``settings.timezone``), the same way
on every backend; an outcome report names its own month (``period``).
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from core.times import month_of
from search.plain_json import dumps_canonical, is_plain

#: document types summarised into atoms; other types (targets, decisions...) are read item by item
CELL_TYPES = ("feedback", "case", "survey", "outcome")
UNKNOWN = ""  # no service, no area or no code: a category of its own

Atom = tuple[str, str, str, str]  # (month, service, area, indicator code); the type is asked for separately


def atom_of(doc_type: str, row: Mapping[str, Any], timezone: str) -> Atom | None:
    """The atom a fact row (id, date, service_code, area, status and the facts) belongs to; None: no cells."""
    if doc_type not in CELL_TYPES:
        return None
    if doc_type == "outcome":
        month = str(row.get("period") or "")
        code = str(row.get("indicator_code") or UNKNOWN)
    else:
        month = month_of(row["date"], timezone)
        code = UNKNOWN
    return (month, row.get("service_code") or UNKNOWN, row.get("area") or UNKNOWN, code)


#: bumped when summaries gain or change a field: the embedded index rebuilds its cells when it differs
SUMMARY_FORMAT = 2


def summarise(doc_type: str, rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The summary of one atom from its fact rows (any order: the result is sorted, so it is deterministic).

    Besides what the indicators compute from, every summary holds ``events`` (the events folded into the
    atom's items: the sum of their versions) and ``digest``, the SHA-256 of the atom's items, one canonical
    line per item (id, version and the facts the figures read) in id order. Digests are what a published
    cell's ``inputs_sha256`` is made of (figures/recipe.py): equal inputs, equal hash, on every backend; the
    lines behind a digest are what the city can open to an auditor for a stream whose items are not public.
    """
    rows = list(rows)
    summary = _summary(doc_type, rows)
    summary["events"] = sum(int(r.get("version") or 0) for r in rows)
    summary["digest"] = digest(rows)
    return summary


def digest(rows: Iterable[Mapping[str, Any]]) -> str:
    """SHA-256 over the items' canonical lines (:func:`item_line`), sorted: independent of the order read."""
    lines = sorted(item_line(r) for r in rows)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


#: what ``json.dumps(..., ensure_ascii=False, sort_keys=True, separators=(",", ":"))`` builds on every call, built
#: once (the same encoder, so the same bytes): summaries are written for every touched atom
_canonical = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def item_line(row: Mapping[str, Any]) -> str:
    """One item as it enters a digest: its fact row (id, version, date, service, area, status, facts) as
    canonical JSON (``json.dumps(row, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)``;
    written by orjson where that gives the same bytes, :mod:`search.plain_json`: every item of every touched atom
    goes through here on each write)."""
    return dumps_canonical(row)


def _summary(doc_type: str, rows: list[Mapping[str, Any]]) -> dict[str, Any]:
    if doc_type == "feedback":
        return _feedback(rows)
    if doc_type == "case":
        return {
            "items": len(rows),
            "waiting_days": sorted(r["waiting_days"] for r in rows if r.get("waiting_days") is not None),
        }
    if doc_type == "survey":
        return {
            "items": len(rows),
            "satisfaction": sorted(r["satisfaction"] for r in rows if r.get("satisfaction") is not None),
        }
    if doc_type == "outcome":
        return _outcome(rows)
    raise ValueError(f"no cells for {doc_type!r}")


def _feedback(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    items = received = closed = reopened = 0
    hours: list[float] = []
    hours_unreceived: list[float] = []  # a response time with no received event: in the service bands only
    unanswered: list[str] = []
    satisfaction: list[float] = []
    names: Counter[str] = Counter()
    for r in rows:
        items += 1
        first = r.get("first_response_hours")
        if r.get("has_received"):
            received += 1
            closed += bool(r.get("closed"))
            reopened += bool(r.get("reopened_or_recontacted"))
            if first is not None:
                hours.append(first)
            elif not r.get("responded"):
                unanswered.append(r["date"])
        elif first is not None:
            hours_unreceived.append(first)
        if r.get("satisfaction") is not None:
            satisfaction.append(r["satisfaction"])
        if r.get("service_name"):
            names[str(r["service_name"])] += 1
    return {
        "items": items,
        "received": received,
        "closed": closed,
        "reopened": reopened,
        "hours": sorted(hours),
        "hours_unreceived": sorted(hours_unreceived),
        "unanswered": sorted(unanswered),
        "satisfaction": sorted(satisfaction),
        "names": dict(sorted(names.items())),
    }


def _outcome(rows: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    measures: list[list[float]] = []
    first: Mapping[str, Any] | None = None
    for r in rows:
        weight = int(r["sample_size"]) if r.get("sample_size") is not None else 1
        measures.append([r["value"], weight])
        if first is None or r["id"] < first["id"]:
            first = r
    return {
        "items": len(measures),
        "measures": sorted(measures),
        # the definition (name, unit, direction) comes from the code's report with the smallest id
        "first": {k: first.get(k) for k in ("id", "name", "unit", "direction")} if first else None,
    }


def encode(summary: Mapping[str, Any]) -> str:
    """A summary as stored: canonical JSON, so equal summaries are equal bytes.

    Written by orjson (keys sorted) where :func:`search.plain_json.is_plain` vouches that its bytes are the
    standard encoder's: the standard encoder was a fifth of recomputing an atom (every touched atom's value
    lists, on every write). Anything else, and anything orjson refuses, takes the standard encoder, which
    also raises as before on what JSON cannot hold (unlike ``dumps_canonical``, which writes its ``str()``)."""
    if is_plain(summary):
        try:
            return orjson.dumps(summary, option=orjson.OPT_SORT_KEYS).decode()
        except orjson.JSONEncodeError:  # an integer beyond 64 bits
            pass
    return _canonical(summary)


def from_rows(doc_type: str, rows: Iterable[Mapping[str, Any]], timezone: str) -> dict[Atom, dict[str, Any]]:
    """Every atom's summary from a type's fact rows: the whole-scan way, for backends without stored cells."""
    groups: dict[Atom, list[Mapping[str, Any]]] = {}
    for row in rows:
        atom = atom_of(doc_type, row, timezone)
        if atom is not None:
            groups.setdefault(atom, []).append(row)
    return {atom: summarise(doc_type, items) for atom, items in sorted(groups.items())}
