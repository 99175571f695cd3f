"""The attacker's tools: read every figure the API publishes for an indicator, and solve for withheld ones.

Written independently of ``privacy.disclosure`` (its own elimination), so a
mistake there is not repeated here. The unknowns are the atomic cells
(month × service × area): their counts, and for a mean or share their sums
(value × n). Every published figure is one equation over them with 0/1
coefficients, for counts and sums alike, so one row space answers both: a
withheld cell's count *and* sum are determined exactly when its 0/1 vector is
in the span of the published figures' vectors. Atoms with no items are taken
as known zeros, which only helps the attacker.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

Atom = tuple[str, str, str]  # (month, service or "", area or "")


@dataclass(frozen=True)
class Figure:
    label: str
    atoms: frozenset[Atom]
    n: int | None
    value: float | None
    suppressed: bool
    reason: str | None


def read(client: Any, url: str) -> Any:
    response = client.get(url)
    assert response.status_code == 200, (url, response.get_data(as_text=True))
    return json.loads(response.get_data(as_text=True))


def _quarter(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def _months_of(period: str, months: list[str]) -> set[str]:
    return {m for m in months if period in ("all", m, m[:4], _quarter(m))}


def _select(universe: Iterable[Atom], months: set[str], service: str | None, area: str | None) -> frozenset[Atom]:
    return frozenset(
        a
        for a in universe
        if a[0] in months and (service is None or a[1] == service) and (area is None or a[2] == area)
    )


def collect(client: Any, code: str, universe: set[Atom], months: list[str], thorough: bool = True) -> list[Figure]:
    """Every figure the API serves for one indicator: each filter, each period, series, totals, breakdowns, CSV."""
    services = sorted({a[1] for a in universe} - {""})
    areas = sorted({a[2] for a in universe} - {""})
    years = sorted({m[:4] for m in months})
    quarters = sorted({_quarter(m) for m in months})
    ranges: list[tuple[str | None, str | None]] = [(None, None)]
    ranges += [(f"{y}-01", f"{y}-12") for y in years]
    ranges += [(f"{q[:4]}-{3 * int(q[-1]) - 2:02d}", f"{q[:4]}-{3 * int(q[-1]):02d}") for q in quarters]
    # arbitrary ranges, as in the original attack: from the first month to each month, and from each to the last
    arbitrary = [(months[0], m) for m in months[1:-1]] + [(m, months[-1]) for m in months[1:-1]]
    city_only = [(m, m) for m in months] + arbitrary
    figures: list[Figure] = []

    def add(label: str, cell: dict[str, Any], selected: frozenset[Atom]) -> None:
        figures.append(
            Figure(label, selected, cell.get("n"), cell.get("value"), bool(cell.get("suppressed")), cell.get("reason"))
        )

    scopes: list[tuple[str | None, str | None]] = [(None, None)] + [(s, None) for s in services]
    scopes += [(None, a) for a in areas]
    for service, area in scopes:
        for first, last in ranges + (city_only if (service, area) == (None, None) or thorough else []):
            query = {"service": service, "area": area, "from": first, "to": last}
            url = f"/v1/indicators/{code}?" + "&".join(f"{k}={v}" for k, v in query.items() if v)
            body = read(client, url)
            chosen = {m for m in months if (first is None or m >= first) and (last is None or m <= last)}
            add(f"{url} overall", body["overall"], _select(universe, chosen, service, area))
            if body["current"]:
                cur = body["current"]
                add(f"{url} current", cur, _select(universe, {cur["period"]}, service, area))
            for cell in body["series"]:
                add(f"{url} {cell['period']}", cell, _select(universe, {cell["period"]}, service, area))
            for cell in body["breakdown"]["service"]:
                add(f"{url} service {cell['key']}", cell, _select(universe, chosen, cell["key"], area))
            for cell in body["breakdown"]["area"]:
                add(f"{url} area {cell['key']}", cell, _select(universe, chosen, service, cell["key"]))
    text = client.get(f"/v1/indicators/{code}?format=csv").get_data(as_text=True)
    for row in csv.DictReader(io.StringIO(text)):
        cell = {
            "n": int(row["n"]) if row["n"] else None,
            "value": float(row["value"]) if row["value"] else None,
            "suppressed": row["suppressed"] == "true",
            "reason": row["reason"] or None,
        }
        selected = _select(universe, {row["period"]}, row["service_code"] or None, row["area"] or None)
        add(f"csv {row['breakdown']} {row['service_code']}{row['area']} {row['period']}", cell, selected)
    listing = read(client, "/v1/indicators")
    for item in listing["items"]:
        if item["code"] == code:
            add("list overall", item["overall"], frozenset(universe))
            if item["current"]:
                add("list current", item["current"], _select(universe, {item["current"]["period"]}, None, None))
    return figures


def agree(figures: list[Figure]) -> None:
    """The same cell says the same thing wherever it is published (JSON, CSV, list)."""
    seen: dict[frozenset[Atom], Figure] = {}
    for figure in figures:
        if figure.reason and figure.reason.startswith("totals over a range"):
            continue
        first = seen.setdefault(figure.atoms, figure)
        assert (figure.n, figure.value, figure.suppressed) == (first.n, first.value, first.suppressed), (
            figure.label,
            first.label,
        )


class Span:
    """Exact row space of 0/1 vectors over the atoms (reduced row echelon form, rational arithmetic)."""

    def __init__(self) -> None:
        self.rows: dict[Atom, dict[Atom, Fraction]] = {}

    def reduce(self, atoms: Iterable[Atom]) -> dict[Atom, Fraction]:
        row = {a: Fraction(1) for a in atoms}
        for pivot in [a for a in row if a in self.rows]:
            factor = row.get(pivot, Fraction(0))
            if factor:
                for col, coef in self.rows[pivot].items():
                    row[col] = row.get(col, Fraction(0)) - factor * coef
                row = {c: v for c, v in row.items() if v}
        return row

    def add(self, atoms: Iterable[Atom]) -> None:
        row = self.reduce(atoms)
        if not row:
            return
        pivot = min(row)
        row = {c: v / row[pivot] for c, v in row.items()}
        for other in self.rows.values():
            factor = other.get(pivot)
            if factor:
                for col, coef in row.items():
                    other[col] = other.get(col, Fraction(0)) - factor * coef
                for col in [c for c, v in other.items() if not v]:
                    del other[col]
        self.rows[pivot] = row


def recoverable(figures: list[Figure], truth: dict[Atom, int]) -> list[Figure]:
    """The withheld figures whose count and sum follow from the published ones."""
    nonzero = {a for a, n in truth.items() if n}
    span = Span()
    for vector in {f.atoms & nonzero for f in figures if f.n is not None}:
        span.add(vector)
    withheld = [f for f in figures if f.suppressed and f.n is None and not f.reason.startswith("totals over a range")]
    exposed = {v for v in {f.atoms & nonzero for f in withheld} if v and not span.reduce(v)}
    return [f for f in withheld if f.atoms & nonzero in exposed]
