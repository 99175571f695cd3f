"""An indicator as a protected table: the cells the API and the datasets publish, and which are withheld.

Every indicator is a table over month × service × area. What Mittari publishes
of it is: the city, each service and each area (never a service within an
area), for every month, calendar quarter, calendar year and the whole history.
Those are all the periods the API serves: a request's ``from``/``to`` only
choose which months are shown, and a total over the range is served only when
the range is exactly one calendar month, quarter or year (or there is no
range). So the table below holds every figure that can be published, its
additivity equations are known, and ``privacy.disclosure.protect`` decides once
per index generation which cells are withheld; every reader (JSON, CSV, pages,
published files, CKAN) looks the cells up here.

Items without a service or an area form a hidden category: never published on
its own, but protected like any other cell since it is the city less the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from privacy.disclosure import Protection, protect

ALL = "*"  # the margin: every service, or every area
UNKNOWN = ""  # items with no service or no area: a hidden category
WHOLE = "all"  # the whole history as a period

Key = tuple[str, str, str]  # (period, service, area)


def quarter_of(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def served_period(month_from: str | None, month_to: str | None) -> str | None:
    """The period a range total covers, or None when the range is not one the tables protect."""
    if month_from is None and month_to is None:
        return WHOLE
    if month_from is None or month_to is None:
        return None
    if month_from == month_to:
        return month_from
    if month_from[:4] != month_to[:4]:
        return None
    first, last = int(month_from[5:7]), int(month_to[5:7])
    if (first, last) == (1, 12):
        return month_from[:4]
    if first % 3 == 1 and last == first + 2:
        return quarter_of(month_from)
    return None


@dataclass(frozen=True)
class Table:
    """Counts per cell and the withheld pattern; ``atoms`` are the summaries behind each atom (search/cells.py)."""

    protection: Protection
    months: tuple[str, ...]
    services: tuple[str, ...]
    areas: tuple[str, ...]
    atoms: dict[tuple[str, str, str], list[Any]]
    members: dict[Key, set[Key]]

    def count(self, key: Key) -> int:
        return int(self.protection.counts.get(key, 0))

    def withheld(self, key: Key) -> bool:
        return key in self.protection.withheld and self.count(key) > 0

    def small(self, key: Key) -> bool:
        return key in self.protection.primary

    def summaries_of(self, key: Key) -> list[Any]:
        """The summaries of every atom in a cell, atoms in order."""
        return [summary for atom in sorted(self.members.get(key, ())) for summary in self.atoms[atom]]


def build(
    by_atom: Mapping[tuple[str, str, str], list[Any]], weight: Callable[[list[Any]], int], threshold: int
) -> Table:
    """The protected table of an indicator from its atoms' summaries; ``weight`` is an atom's share of a cell's n."""
    atoms: dict[tuple[str, str, str], int] = {atom: weight(summaries) for atom, summaries in by_atom.items()}
    months = _month_range(sorted({a[0] for a in by_atom}))
    services = tuple(sorted({a[1] for a in by_atom} - {UNKNOWN}))
    areas = tuple(sorted({a[2] for a in by_atom} - {UNKNOWN}))
    quarters = sorted({quarter_of(m) for m in months})
    years = sorted({m[:4] for m in months})
    periods = [*months, *quarters, *years, WHOLE] if months else []
    categories = [(ALL, ALL)] + [(s, ALL) for s in (*services, UNKNOWN)] + [(ALL, a) for a in (*areas, UNKNOWN)]
    cells: dict[Key, set[Key]] = {(p, s, a): set() for p in periods for s, a in categories}
    for month, service, area in atoms:
        for period in (month, quarter_of(month), month[:4], WHOLE):
            for s, a in ((ALL, ALL), (service, ALL), (ALL, area)):
                cells[(period, s, a)].add((month, service, area))
    equations: list[tuple[Hashable, list[Hashable]]] = []
    for period in periods:
        equations.append(((period, ALL, ALL), [(period, s, ALL) for s in (*services, UNKNOWN)]))
        equations.append(((period, ALL, ALL), [(period, ALL, a) for a in (*areas, UNKNOWN)]))
    for s, a in categories:
        for quarter in quarters:
            equations.append(((quarter, s, a), [(m, s, a) for m in months if quarter_of(m) == quarter]))
        for year in years:
            equations.append(((year, s, a), [(q, s, a) for q in quarters if q.startswith(year)]))
        equations.append(((WHOLE, s, a), [(y, s, a) for y in years]))
    hidden = {key for key in cells if UNKNOWN in key[1:]}
    protection = protect(cells, atoms, equations, threshold, hidden)
    return Table(protection, tuple(months), services, areas, dict(by_atom), cells)


def _month_range(months: list[str]) -> list[str]:
    if not months:
        return []
    out = []
    year, month = int(months[0][:4]), int(months[0][5:7])
    while f"{year:04d}-{month:02d}" <= months[-1]:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
