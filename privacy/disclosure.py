"""Disclosure control for published tables: which cells to withhold so that none can be recomputed.

A published table is a set of cells, each the sum of some *atoms* (the finest
cells the data has, e.g. month × service × area) and related by additivity
equations (a total is the sum of its parts: a quarter of its months, the city
of its areas). Withholding only the small cells (*primary suppression*) is not
enough: a withheld cell is often the difference between published ones.

The method here is the classic one for hierarchical tables, made exact:

1. **Primary**: every cell resting on 1 to ``threshold - 1`` items is withheld,
   and so is every cell the caller never publishes (e.g. "no area given").
2. **Secondary, by margins**: in every equation a withheld cell must have a
   withheld companion; a withheld group of parts must together rest on at
   least ``threshold`` items. The companion is the next-smallest non-empty
   published part; when there is none the total is withheld instead.
3. **Audit, exact**: the published cells' atom vectors span what an attacker
   can compute by adding and subtracting them. Each withheld cell's vector is
   tested against that span with exact (fraction-free integer) Gaussian elimination; a small
   cell that is still determined gets one more companion withheld, and a
   large secondary cell that is determined anyway is published (it adds
   nothing to what is known). Steps 2–3 repeat until the audit passes.
   The elimination leaves out published cells that are sums of other
   published ones and runs only over the groups of atoms a withheld cell
   touches; both change nothing of its answer (see ``_determined``), only
   its cost: at 200,000 demo events the elimination went from about half
   of a cold overview's profile to under a tenth.

Counts and sums share the same equations (a mean times its count is a sum),
so the same pattern protects both. Empty cells (no items) are not sensitive
and are published as zero; the audit assumes the attacker knows every empty
atom, which only makes it stricter.

This module is pure: it imports nothing from the rest of Mittari.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from math import gcd
from typing import Any

Equation = tuple[Hashable, Sequence[Hashable]]  # (total, parts)


def band(n: int, threshold: int) -> str:
    """The band published instead of a withheld count: ``<5`` for a small cell, ``≥5`` for a companion."""
    return f"<{threshold}" if n < threshold else f"≥{threshold}"


@dataclass(frozen=True)
class Protection:
    """The outcome for one table: the withheld cells, and of those the small (primary) ones."""

    withheld: frozenset[Hashable]
    primary: frozenset[Hashable]
    counts: Mapping[Hashable, int]


class Span:
    """The row space of published atom vectors, in reduced row echelon form over the integers.

    Fraction-free elimination: each row keeps integer coefficients divided by their common
    divisor, so the arithmetic is exact (as with rationals) and several times faster.
    """

    def __init__(self) -> None:
        self._rows: dict[Hashable, dict[Hashable, int]] = {}  # pivot atom → row, non-zero at the pivot

    @staticmethod
    def _combine(row: dict[Hashable, int], scale: int, factor: int, other: Mapping[Hashable, int]) -> None:
        """row := scale * row - factor * other, divided by the common divisor, in place."""
        if scale != 1:
            for col in row:
                row[col] *= scale
        for col, coef in other.items():
            value = row.get(col, 0) - factor * coef
            if value:
                row[col] = value
            else:
                row.pop(col, None)
        divisor = 0
        for value in row.values():
            divisor = gcd(divisor, value)
            if divisor == 1:
                return
        if divisor > 1:
            for col in row:
                row[col] //= divisor

    def _reduce(self, atoms: Iterable[Hashable]) -> dict[Hashable, int]:
        row = dict.fromkeys(atoms, 1)
        for pivot in [a for a in row if a in self._rows]:
            factor = row.get(pivot)
            if factor:
                basis = self._rows[pivot]
                self._combine(row, basis[pivot], factor, basis)
        return row

    def add(self, atoms: Iterable[Hashable]) -> None:
        row = self._reduce(atoms)
        if not row:
            return
        pivot = next(iter(row))
        for other in self._rows.values():
            factor = other.get(pivot)
            if factor:
                self._combine(other, row[pivot], factor, row)
        self._rows[pivot] = row

    def contains(self, atoms: Iterable[Hashable]) -> bool:
        """True when the sum over these atoms can be computed from the published rows."""
        return not self._reduce(atoms)


def determined(
    cells: Mapping[Hashable, Set[Hashable]],
    published: Iterable[Hashable],
    asked: Iterable[Hashable],
    equations: Sequence[Equation] = (),
) -> set[Hashable]:
    """The asked cells whose atom sum follows from the published cells by adding and subtracting.

    ``equations`` are optional: they change nothing of the answer, only its cost (see
    :func:`_determined`).
    """
    return _determined(cells, set(published), asked, _sums(cells, equations))


def _sums(
    cells: Mapping[Hashable, Set[Hashable]], equations: Sequence[Equation]
) -> list[tuple[Hashable, tuple[Hashable, ...]]]:
    """The equations that hold exactly over the cells' atoms: the total's atoms are the disjoint union of
    at least two non-empty parts' atoms. Others (or parts the caller got wrong) are simply not used."""
    out = []
    for total, parts in equations:
        whole = cells.get(total)
        nonempty = tuple(p for p in parts if cells.get(p))
        if not whole or len(nonempty) < 2 or sum(len(cells[p]) for p in nonempty) != len(whole):
            continue
        if set().union(*(cells[p] for p in nonempty)) == whole:
            out.append((total, nonempty))
    return out


def _determined(
    cells: Mapping[Hashable, Set[Hashable]],
    published: Set[Hashable],
    asked: Iterable[Hashable],
    sums: Sequence[tuple[Hashable, tuple[Hashable, ...]]],
) -> set[Hashable]:
    """:func:`determined`, exact, and cheaper than one elimination over every published cell, by two steps
    that change nothing of the answer:

    - A published cell that is the sum of other published cells by one of ``sums`` adds nothing to the
      span and is left out. No cycle can drop a cell together with the parts it rests on: every part has
      fewer atoms than its total, so by induction on size every published vector is a sum of kept ones.
      Most period totals go this way (a quarter whose months are all published).
    - The kept vectors fall into groups that share no atom (connected through shared atoms). A sum over
      atoms is in the span exactly when it touches no atom outside every group and, for each group it
      touches, its part in that group is in the span of that group's vectors: vectors of different groups
      have disjoint supports, so a combination giving it splits into one combination per group. Only the
      groups an asked cell touches are eliminated, typically the months around a withheld cell.
    """
    redundant = {
        frozenset(cells[total]) for total, parts in sums if total in published and all(p in published for p in parts)
    }
    kept = {v for v in (frozenset(cells[key]) for key in published) if v and v not in redundant}
    groups = _Groups()
    for vector in kept:
        groups.join(vector)
    members: dict[Hashable, list[frozenset[Hashable]]] = {}
    for vector in kept:
        members.setdefault(groups.find(next(iter(vector))), []).append(vector)
    spans: dict[Hashable, Span] = {}
    found = set()
    for key in asked:
        atoms = cells[key]
        if not atoms or any(a not in groups for a in atoms):
            continue
        parts: dict[Hashable, list[Hashable]] = {}
        for atom in atoms:
            parts.setdefault(groups.find(atom), []).append(atom)
        if all(_span_of(root, members, spans).contains(part) for root, part in parts.items()):
            found.add(key)
    return found


def _span_of(
    root: Hashable, members: Mapping[Hashable, list[frozenset[Hashable]]], spans: dict[Hashable, Span]
) -> Span:
    """The span of one group's vectors, eliminated the first time a cell asks about the group."""
    span = spans.get(root)
    if span is None:
        span = spans[root] = Span()
        for vector in members[root]:
            span.add(vector)
    return span


class _Groups:
    """Union-find over atoms: atoms that share a published cell, directly or through others, form one group."""

    def __init__(self) -> None:
        self._parent: dict[Hashable, Hashable] = {}

    def __contains__(self, atom: Hashable) -> bool:
        return atom in self._parent

    def find(self, atom: Hashable) -> Hashable:
        parent = self._parent
        root = atom
        while parent[root] != root:
            root = parent[root]
        while parent[atom] != root:
            parent[atom], atom = root, parent[atom]
        return root

    def join(self, atoms: Iterable[Hashable]) -> None:
        first = _NONE
        for atom in atoms:
            if atom not in self._parent:
                self._parent[atom] = atom
            root = self.find(atom)
            if first is _NONE:
                first = root
            elif root != first:
                self._parent[root] = first


_NONE = object()


def protect(
    cells: Mapping[Any, Set[Any]],
    atom_counts: Mapping[Any, int],
    equations: Sequence[Equation],
    threshold: int,
    hidden: Set[Any] = frozenset(),
) -> Protection:
    """Choose the cells to withhold so that no small cell can be computed from the published ones.

    ``cells`` maps each cell to the atoms it sums (atoms with no items may be left out),
    ``atom_counts`` gives the items per atom, ``equations`` the additivity relations the
    caller knows of (they guide the choice of companions; the audit needs none) and
    ``hidden`` the cells never published.

    Companions are guarded lazily: a large companion gets companions of its own only
    when the audit shows that computing it would expose a small cell. Guarding every
    companion at once (the plain singleton rule) cascades through single-month quarters
    and withholds far more than needed.
    """
    nonzero = frozenset(a for a, n in atom_counts.items() if n)
    atoms = {key: nonzero.intersection(members) for key, members in cells.items()}
    counts = {key: sum(map(atom_counts.__getitem__, members)) for key, members in atoms.items()}
    primary = {key for key, n in counts.items() if 0 < n < threshold}
    withheld = set(primary) | set(hidden)
    sensitive = primary | {key for key in hidden if 0 < counts[key] < threshold}
    guarded = set(sensitive)
    sums = _sums(atoms, equations)
    while True:
        _by_margins(withheld, guarded, counts, equations, threshold)
        published = {key for key in atoms if key not in withheld}
        found = _determined(atoms, published, [key for key in withheld if counts[key]], sums)
        exposed = found & sensitive
        if not exposed:
            # a large companion that can be computed anyway is published: it adds nothing to what is known
            withheld -= found - sensitive - set(hidden)
            break
        promoted = (found - guarded) & withheld
        if promoted:  # computable companions let a small cell be computed: guard them too
            guarded |= promoted
            continue
        added = False
        for key in sorted(exposed, key=repr):
            added |= _add_companion(key, withheld, counts, equations)
        if not added:  # nothing left to withhold around it: withhold everything non-empty
            withheld |= {key for key, n in counts.items() if n}
            break
    return Protection(frozenset(withheld), frozenset(primary), counts)


def _by_margins(
    withheld: set[Hashable],
    guarded: set[Hashable],
    counts: Mapping[Hashable, int],
    equations: Sequence[Equation],
    threshold: int,
) -> None:
    """Step 2: in every equation a guarded withheld cell gets a withheld companion, and withheld parts
    beside a published total rest on at least ``threshold`` items together."""
    changed = True
    while changed:
        changed = False
        for total, parts in equations:
            hidden_parts = [p for p in parts if p in withheld and counts[p]]
            if total in withheld and counts[total]:
                if hidden_parts or total not in guarded:
                    continue
                companion = _smallest_published(parts, withheld, counts)
                if companion is not None:  # the total alone would be the sum of the published parts
                    withheld.add(companion)
                    changed = True
                continue
            if not any(p in guarded for p in hidden_parts):
                continue
            if len(hidden_parts) >= 2 and sum(counts[p] for p in hidden_parts) >= threshold:
                continue
            companion = _smallest_published(parts, withheld, counts)
            if companion is not None:
                withheld.add(companion)
            elif counts[total]:  # no part left to withhold: the total goes, and is guarded like its parts
                withheld.add(total)
                guarded.add(total)
            else:
                continue
            changed = True


def _smallest_published(
    parts: Sequence[Hashable], withheld: Set[Hashable], counts: Mapping[Hashable, int]
) -> Hashable | None:
    candidates = [p for p in parts if p not in withheld and counts[p]]
    return min(candidates, key=lambda p: (counts[p], repr(p))) if candidates else None


def _add_companion(
    key: Hashable, withheld: set[Hashable], counts: Mapping[Hashable, int], equations: Sequence[Equation]
) -> bool:
    """Withhold one more cell next to a cell the audit found determined."""
    for total, parts in equations:
        if key in parts or key == total:
            companion = _smallest_published([p for p in parts if p != key], withheld, counts)
            if companion is not None:
                withheld.add(companion)
                return True
    for total, parts in equations:
        if key in parts and total not in withheld and counts[total]:
            withheld.add(total)
            return True
    return False
