"""An indicator as a protected table: the cells the API and the datasets publish, and which are withheld.

Every indicator is a table over month × service × area. What Mittari publishes
of it is: the city, each service and each area (never a service within an
area), for every month, calendar quarter, calendar year and the whole history.
Those are all the periods the API serves: a request's ``from``/``to`` only
choose which months are shown, and a total over the range is served only when
the range is exactly one calendar month, quarter or year (or there is no
range). So the table below holds every figure that can be published, its
additivity equations are known, and ``privacy.disclosure.protect`` decides which
cells are withheld; every reader (JSON, CSV, pages, published files, CKAN) looks
the cells up here.

Items without a service or an area form a hidden category: never published on
its own, but protected like any other cell since it is the city less the rest.

**One calendar year at a time, then the whole history.** Cells of a year (its
months, quarters and the year) rest on that year's atoms only; the only cells
that join years are the whole-history totals. So each year is protected on its
own (primary, companions, exact audit, all within the year), and a
whole-history cell is then published exactly when every non-empty year cell it
adds up (the same service or area, or the city, in each year) is published.
Why that is as safe as one problem over the whole history (an attacker adds and
subtracts published figures, i.e. works in their span):

- a published whole-history cell is the sum of published year cells, so it adds
  nothing to the span: the span is the direct sum of the years' spans;
- atoms of different years are different coordinates, so a vector within one
  year is in that direct sum exactly when it is in its own year's span: each
  year's audit (no withheld cell of the year in its span) holds for the whole;
- a withheld whole-history cell has a withheld, non-empty year part, which is
  outside its year's span, so the whole-history cell is outside the span too
  (its year parts would have to be in their years' spans one by one). A small
  one has only small non-empty year parts, all withheld.

What it costs in publication: a service's or area's whole-history figure is
withheld when one of its years is, where one problem over the whole history
could have withheld another year instead. What it buys: the protection of a
year depends on that year's atom counts only, and is kept under a digest of
them (``figures/protection_store.py``), so a batch that touches this year
recomputes this year, a new hour recomputes only years whose counts moved, and
the cost no longer grows with the length of the history.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

from privacy.disclosure import Protection, protect

ALL = "*"  # the margin: every service, or every area
UNKNOWN = ""  # items with no service or no area: a hidden category
WHOLE = "all"  # the whole history as a period

Key = tuple[str, str, str]  # (period, service, area)

#: changes whenever the method (here or in privacy/disclosure.py) could withhold differently, so no block
#: stored by an older version is ever found again
METHOD_VERSION = "year-blocks-1"


@dataclass(frozen=True)
class Block:
    """One calendar year's protection: its withheld cells (hidden ones included) and of those the small ones."""

    withheld: frozenset[Key]
    primary: frozenset[Key]


class BlockStore(Protocol):
    """Where year blocks are kept between index generations (and processes), by :func:`block_digest`."""

    def get(self, digest: str) -> Block | None: ...

    def put(self, digest: str, block: Block) -> None: ...


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
    """Counts per cell and the withheld pattern; ``atoms`` are the summaries behind each atom (search/cells.py),
    ``members`` the atoms of each month's cells (longer periods are read through their months)."""

    protection: Protection
    months: tuple[str, ...]
    services: tuple[str, ...]
    areas: tuple[str, ...]
    atoms: Mapping[tuple[str, str, str], list[Any]]
    members: dict[Key, list[tuple[str, str, str]]]
    periods: dict[str, list[str]]  # every period of the table with its months

    def count(self, key: Key) -> int:
        return int(self.protection.counts.get(key, 0))

    def withheld(self, key: Key) -> bool:
        return key in self.protection.withheld and self.count(key) > 0

    def small(self, key: Key) -> bool:
        return key in self.protection.primary

    def summaries_of(self, key: Key) -> list[Any]:
        """The summaries of every atom in a cell, atoms in order."""
        period, service, area = key
        months = self.periods.get(period, ())
        return [
            summary
            for month in months
            for atom in sorted(self.members.get((month, service, area), ()))
            for summary in self.atoms[atom]
        ]


def build(
    by_atom: Mapping[tuple[str, str, str], list[Any]],
    weight: Callable[[list[Any]], int],
    threshold: int,
    store: BlockStore | None = None,
) -> Table:
    """The protected table of an indicator from its atoms' summaries; ``weight`` is an atom's share of a cell's n.

    ``store`` keeps each year's protection under a digest of what it depends on (see the module's text)."""
    weights: dict[tuple[str, str, str], int] = {atom: weight(summaries) for atom, summaries in by_atom.items()}
    months = _month_range(sorted({a[0] for a in by_atom}))
    services = tuple(sorted({a[1] for a in by_atom} - {UNKNOWN}))
    areas = tuple(sorted({a[2] for a in by_atom} - {UNKNOWN}))
    categories = _categories(services, areas)
    # month cells first (three per atom), then every longer period as the sum of its months
    members: dict[Key, list[tuple[str, str, str]]] = {}
    month_counts: dict[Key, int] = {}
    for atom, n in weights.items():
        month, service, area = atom
        for key in ((month, ALL, ALL), (month, service, ALL), (month, ALL, area)):
            members.setdefault(key, []).append(atom)
            month_counts[key] = month_counts.get(key, 0) + n
    counts: dict[Key, int] = {}
    periods = _periods(months)
    for s, a in categories:
        for period, within in periods:
            counts[(period, s, a)] = sum(month_counts.get((m, s, a), 0) for m in within)
    withheld: set[Key] = set()
    primary: set[Key] = set()
    by_year: dict[str, dict[tuple[str, str, str], int]] = {}
    for atom, n in weights.items():
        if n:
            by_year.setdefault(atom[0][:4], {})[atom] = n
    small_by_year: dict[str, set[Key]] = {}
    hidden_by_year: dict[str, set[Key]] = {}
    for key, n in counts.items():
        if n and key[0] != WHOLE:
            if n < threshold:
                small_by_year.setdefault(key[0][:4], set()).add(key)
            if UNKNOWN in key[1:]:
                hidden_by_year.setdefault(key[0][:4], set()).add(key)
    for year in sorted(by_year):
        block = protect_year(by_year[year], threshold, store)
        if block.primary != small_by_year.get(year, set()) or not hidden_by_year.get(year, set()) <= block.withheld:
            block = protect_year(by_year[year], threshold, None)  # a stored block that does not fit its counts
        withheld |= block.withheld
        primary |= block.primary
    years = sorted(by_year)
    for s, a in categories:
        whole = (WHOLE, s, a)
        if not counts.get(whole):
            continue
        if UNKNOWN in (s, a) or any((y, s, a) in withheld and counts[(y, s, a)] for y in years):
            withheld.add(whole)
        if counts[whole] < threshold:
            primary.add(whole)
            withheld.add(whole)  # already so: each non-empty year part is small, hence withheld
    protection = Protection(frozenset(withheld), frozenset(primary), cast(Mapping[Hashable, int], counts))
    return Table(protection, tuple(months), services, areas, by_atom, members, dict(periods))


def _periods(months: list[str]) -> list[tuple[str, list[str]]]:
    """Every period of the table with its months: each month, quarter and year, and the whole history."""
    out: list[tuple[str, list[str]]] = [(m, [m]) for m in months]
    quarters: dict[str, list[str]] = {}
    years: dict[str, list[str]] = {}
    for m in months:
        quarters.setdefault(quarter_of(m), []).append(m)
        years.setdefault(m[:4], []).append(m)
    out += quarters.items()
    out += years.items()
    if months:
        out.append((WHOLE, list(months)))
    return out


def protect_year(weights: Mapping[tuple[str, str, str], int], threshold: int, store: BlockStore | None = None) -> Block:
    """The protection of one calendar year's cells from that year's non-empty atoms (month, service, area) → n.

    A pure function of its arguments, so it is kept in ``store`` under their digest: a stored block can only
    ever be found again for the same counts, threshold and method."""
    key = block_digest(weights, threshold)
    found = store.get(key) if store is not None else None
    if found is not None:
        return found
    months = sorted({a[0] for a in weights})
    quarter = {m: quarter_of(m) for m in months}
    quarters = sorted(set(quarter.values()))
    year = months[0][:4]
    periods = [*months, *quarters, year]
    categories = _categories(
        tuple(sorted({a[1] for a in weights} - {UNKNOWN})), tuple(sorted({a[2] for a in weights} - {UNKNOWN}))
    )
    cells: dict[Key, set[Key]] = {(p, s, a): set() for p in periods for s, a in categories}
    for atom in weights:
        month, service, area = atom
        for period in (month, quarter[month], year):
            for cell in ((period, ALL, ALL), (period, service, ALL), (period, ALL, area)):
                cells[cell].add(atom)
    services = [s for s, a in categories if a == ALL and s != ALL]
    areas = [a for s, a in categories if s == ALL and a != ALL]
    equations: list[tuple[Hashable, list[Hashable]]] = []
    for period in periods:
        equations.append(((period, ALL, ALL), [(period, s, ALL) for s in services]))
        equations.append(((period, ALL, ALL), [(period, ALL, a) for a in areas]))
    for s, a in categories:
        for q in quarters:
            equations.append(((q, s, a), [(m, s, a) for m in months if quarter[m] == q]))
        equations.append(((year, s, a), [(q, s, a) for q in quarters]))
    hidden = {cell for cell in cells if UNKNOWN in cell[1:]}
    protection = protect(cells, weights, equations, threshold, hidden)
    block = Block(cast(frozenset[Key], protection.withheld), cast(frozenset[Key], protection.primary))
    if store is not None:
        store.put(key, block)
    return block


def block_digest(weights: Mapping[tuple[str, str, str], int], threshold: int) -> str:
    """SHA-256 over what a year's protection depends on: the method's version, the threshold, the counts."""
    canonical = json.dumps(
        [METHOD_VERSION, threshold, sorted([*atom, n] for atom, n in weights.items() if n)], separators=(",", ":")
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _categories(services: tuple[str, ...], areas: tuple[str, ...]) -> list[tuple[str, str]]:
    """The city, each service, each area, and the hidden "no service" and "no area" categories."""
    return [(ALL, ALL)] + [(s, ALL) for s in (*services, UNKNOWN)] + [(ALL, a) for a in (*areas, UNKNOWN)]


def _month_range(months: list[str]) -> list[str]:
    if not months:
        return []
    out = []
    year, month = int(months[0][:4]), int(months[0][5:7])
    while f"{year:04d}-{month:02d}" <= months[-1]:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out
