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
from privacy.disclosure import determined, protect
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


def table_of(counts: dict) -> tuple[dict, list]:
    """The cells and equations indicator_table.build hands to protect, captured."""
    captured: dict = {}

    def spy(cells, atom_counts, equations, threshold, hidden):
        captured.update(cells=cells, equations=equations, hidden=hidden)
        return protect(cells, atom_counts, equations, threshold, hidden)

    original = indicator_table.protect
    indicator_table.protect = spy
    try:
        indicator_table.build({atom: [n] for atom, n in counts.items()}, lambda summaries: summaries[0], 5)
    finally:
        indicator_table.protect = original
    nonzero = {key: frozenset(a for a in atoms if counts.get(a)) for key, atoms in captured["cells"].items()}
    return nonzero, captured["equations"]


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


@settings(max_examples=60, deadline=None)
@given(tables)
def test_a_protected_table_hides_every_withheld_cell_from_a_plain_elimination(counts):
    cells, _ = table_of(counts)
    table = indicator_table.build({atom: [n] for atom, n in counts.items()}, lambda summaries: summaries[0], 5)
    protection = table.protection
    published = [key for key in cells if key not in protection.withheld]
    shown_withheld = [key for key in protection.withheld if indicator_table.UNKNOWN not in key[1:]]
    small_hidden = [key for key in protection.withheld if 0 < protection.counts[key] < 5]
    assert not plain_determined(cells, published, [*shown_withheld, *small_hidden])
    assert all(key in protection.withheld for key, n in protection.counts.items() if 0 < n < 5)


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
