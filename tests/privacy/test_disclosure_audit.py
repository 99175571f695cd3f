"""The audit's shortcuts (leaving out sums of published cells, eliminating only the groups asked about)
give exactly the answer of one plain elimination over every published cell, on random tables.

The reference is the attacker's own elimination (``tests/privacy/attack.py``: rational arithmetic, written
apart from ``privacy.disclosure``), run over every published cell at once.
"""

from __future__ import annotations

import random
from collections.abc import Hashable

from hypothesis import given, settings
from hypothesis import strategies as st

from figures import indicator_table
from privacy.disclosure import determined
from tests.privacy.attack import Span


def plain_determined(cells, published, asked) -> set:
    span = Span()
    for key in published:
        span.add(cells[key])
    return {key for key in asked if cells[key] and not span.reduce(cells[key])}


def random_counts(seed: int, months: int, services: int, areas: int, empty: float, small: float) -> dict:
    rng = random.Random(seed)
    counts = {}
    for m in range(months):
        month = f"{2024 + (10 + m) // 12}-{(10 + m) % 12 + 1:02d}"
        for s in ["", *(f"s{i}" for i in range(services))]:
            for a in ["", *(f"a{i}" for i in range(areas))]:
                roll = rng.random()
                counts[(month, s, a)] = 0 if roll < empty else rng.randint(1, 4) if roll < empty + small else 9
    return counts


tables = st.builds(
    random_counts,
    seed=st.integers(0, 2**32),
    months=st.integers(1, 16),
    services=st.integers(1, 4),
    areas=st.integers(1, 3),
    empty=st.floats(0, 0.7),
    small=st.floats(0, 0.5),
)


def quarter(month: str) -> str:
    return f"{month[:4]}-Q{(int(month[5:7]) - 1) // 3 + 1}"


def table_of(counts: dict) -> tuple[dict, list]:
    """Every publishable cell (month, quarter, year, whole history × city, service, area, hidden ones) with its
    non-empty atoms, and the additivity equations between them; written here, apart from indicator_table."""
    months = sorted({a[0] for a in counts})
    services = sorted({a[1] for a in counts})
    areas = sorted({a[2] for a in counts})
    periods = {m: (m, quarter(m), m[:4], "all") for m in months}
    categories = [("*", "*")] + [(s, "*") for s in services] + [("*", a) for a in areas]
    every = sorted({p for m in months for p in periods[m]})
    cells: dict = {(p, s, a): set() for p in every for s, a in categories}
    for atom, n in counts.items():
        if n:
            for p in periods[atom[0]]:
                for s, a in (("*", "*"), (atom[1], "*"), ("*", atom[2])):
                    cells[(p, s, a)].add(atom)
    equations = []
    for p in every:
        equations.append(((p, "*", "*"), [(p, s, "*") for s in services]))
        equations.append(((p, "*", "*"), [(p, "*", a) for a in areas]))
    for s, a in categories:
        for q in sorted({quarter(m) for m in months}):
            equations.append(((q, s, a), [(m, s, a) for m in months if quarter(m) == q]))
        for y in sorted({m[:4] for m in months}):
            equations.append(((y, s, a), [(q, s, a) for q in sorted({quarter(m) for m in months if m[:4] == y})]))
        equations.append((("all", s, a), [(y, s, a) for y in sorted({m[:4] for m in months})]))
    return {key: frozenset(atoms) for key, atoms in cells.items()}, equations


@settings(max_examples=60, deadline=None)
@given(tables, st.integers(0, 2**32))
def test_the_audit_answers_as_one_plain_elimination(counts, seed):
    cells, equations = table_of(counts)
    rng = random.Random(seed)
    keys = sorted(cells, key=repr)
    for share in (0.02, 0.1, 0.4):
        withheld = {key for key in keys if rng.random() < share}
        published = [key for key in keys if key not in withheld]
        asked = [key for key in keys if key in withheld]
        assert determined(cells, published, asked, equations) == plain_determined(cells, published, asked)


@settings(max_examples=80, deadline=None)
@given(tables)
def test_a_protected_table_hides_every_withheld_cell_from_a_plain_elimination(counts):
    cells, _ = table_of(counts)
    table = indicator_table.build({atom: [n] for atom, n in counts.items()}, lambda summaries: summaries[0], 5)
    protection = table.protection
    assert {key for key, n in protection.counts.items() if n} == {key for key, atoms in cells.items() if atoms}
    assert all(protection.counts[key] == sum(counts[a] for a in atoms) for key, atoms in cells.items() if atoms)
    published = [key for key in cells if not table.withheld(key)]
    assert not any(indicator_table.UNKNOWN in key[1:] and cells[key] for key in published)  # hidden: never
    small = [key for key, atoms in cells.items() if 0 < sum(counts[a] for a in atoms) < 5]
    assert all(table.withheld(key) and table.small(key) for key in small)
    shown_withheld = [key for key in cells if table.withheld(key) and indicator_table.UNKNOWN not in key[1:]]
    # no small cell (hidden ones included) and no withheld published cell follows from the published ones
    assert not plain_determined(cells, published, [*small, *shown_withheld])


def test_an_equation_that_does_not_hold_is_not_used():
    # "t" claims to be a + b but is a + c: were it taken at its word, t would be dropped as redundant and
    # c (which only t reveals, with a published) would look undetermined
    cells: dict[Hashable, frozenset] = {
        "a": frozenset({1}),
        "b": frozenset({2}),
        "c": frozenset({3}),
        "t": frozenset({1, 3}),
    }
    wrong = [("t", ["a", "b"]), ("t", ["a", "a"])]
    assert determined(cells, ["a", "b", "t"], ["c"], wrong) == {"c"}
    # overlapping parts whose sizes add up are no sum either: {1} + {1, 2} is not {1, 2, 3}
    cells |= {"u": frozenset({1, 2, 3}), "v": frozenset({1, 2})}
    assert determined(cells, ["a", "v", "u"], ["c"], [("u", ["a", "v"])]) == {"c"}


def test_a_cell_spanning_two_groups_needs_both_parts():
    cells = {"x": frozenset({1, 2}), "y": frozenset({2}), "z": frozenset({3, 4}), "ask": frozenset({1, 3})}
    assert determined(cells, ["x", "y"], ["ask"]) == set()  # 1 is known, 3 is not
    cells["w"] = frozenset({4})
    assert determined(cells, ["x", "y", "z", "w"], ["ask"]) == {"ask"}
