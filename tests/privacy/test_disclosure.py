"""The disclosure method on small tables worked by hand: primary, companions, the exact audit, bands."""

from __future__ import annotations

from privacy.disclosure import Span, band, determined, protect


def one_margin(counts: dict[str, int]):
    cells = {k: {k} for k in counts} | {"total": set(counts)}
    return cells, [("total", sorted(counts))]


def test_a_small_cell_gets_the_next_smallest_as_companion():
    counts = {"a": 2, "b": 6, "c": 9, "d": 0}
    cells, equations = one_margin(counts)
    result = protect(cells, counts, equations, 5)
    assert result.primary == {"a"}
    assert result.withheld == {"a", "b"}  # the empty cell protects nothing; 2 + 6 >= 5


def test_companions_are_added_until_the_group_reaches_the_threshold():
    counts = {"a": 1, "b": 1, "c": 2, "d": 20}
    cells, equations = one_margin(counts)
    result = protect(cells, counts, equations, 5)
    assert result.withheld == {"a", "b", "c", "d"}  # 1 + 1 + 2 < 5, so d too; the total stays


def test_a_lone_small_part_withholds_its_total():
    counts = {"a": 3, "b": 0}
    cells, equations = one_margin(counts)
    assert protect(cells, counts, equations, 5).withheld == {"a", "total"}


def test_the_audit_catches_a_cell_the_margins_miss():
    # Small cells forming two cycles joined by a bridge (0, 2): every row and column has two or
    # more of them, so the margins rule is content, yet the bridge is a difference of published
    # figures. Threshold 2 keeps the group rule out of the way.
    small = {(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (0, 2)}
    atoms = {(r, c): 1 if (r, c) in small else 10 for r in range(4) for c in range(4)}
    cells = {("cell", r, c): {(r, c)} for r, c in atoms}
    cells |= {("row", r): {(r, c) for c in range(4)} for r in range(4)}
    cells |= {("col", c): {(r, c) for r in range(4)} for c in range(4)}
    cells["total"] = set(atoms)
    equations = [(("row", r), [("cell", r, c) for c in range(4)]) for r in range(4)]
    equations += [(("col", c), [("cell", r, c) for r in range(4)]) for c in range(4)]
    equations += [("total", [("row", r) for r in range(4)]), ("total", [("col", c) for c in range(4)])]
    primary_only = [k for k in cells if k[0] != "cell" or (k[1], k[2]) not in small]
    assert determined(cells, primary_only, [("cell", 0, 2)]) == {("cell", 0, 2)}  # the bridge falls
    result = protect(cells, atoms, equations, 2)
    published = [k for k in cells if k not in result.withheld]
    assert not determined(cells, published, [("cell", r, c) for r, c in small])
    assert len(result.withheld) > len(small)


def test_a_hidden_category_is_protected_when_small_and_never_published():
    counts = {"a": 8, "b": 9, "unknown": 1}
    cells, equations = one_margin(counts)
    result = protect(cells, counts, equations, 5, hidden={"unknown"})
    assert result.withheld == {"unknown", "a"} and result.primary == {"unknown"}
    published = [k for k in cells if k not in result.withheld]
    assert not determined(cells, published, ["unknown"])


def test_a_large_companion_that_is_computable_anyway_is_published():
    # b is the only companion for a, but c = b: publishing c gives b, so b protects nothing and a
    # needs another companion; b itself is then shown since it is known anyway.
    atoms = {"x": 2, "y": 7, "z": 8}
    cells = {"a": {"x"}, "b": {"y"}, "c": {"y"}, "d": {"z"}, "total": {"x", "y", "z"}}
    equations = [("total", ["a", "b", "d"])]
    result = protect(cells, atoms, equations, 5)
    published = [k for k in cells if k not in result.withheld]
    assert not determined(cells, published, ["a"])
    assert "d" in result.withheld


def test_span_is_exact():
    span = Span()
    span.add({1, 2})
    span.add({2, 3})
    assert not span.contains({1})
    span.add({1, 3})  # over the rationals 1 = ((1+2) - (2+3) + (1+3)) / 2
    assert span.contains({1}) and span.contains({2}) and span.contains({1, 2, 3})


def test_bands():
    assert band(1, 5) == "<5" and band(4, 5) == "<5" and band(5, 5) == "≥5" and band(300, 10) == "≥10"


def test_service_counts_protect_items_that_name_no_service():
    from figures.service_catalog import protected_counts

    # 2 cases name no service: with 171 and 210 shown, the total less them would give the 2
    assert protected_counts({"171": 9, "210": 7}, 5, unnamed=2) == {"171": 9, "210": None}
    assert protected_counts({"171": 9, "210": 7}, 5) == {"171": 9, "210": 7}
    assert protected_counts({"171": 9, "210": 7, "410": 2}, 5) == {"171": 9, "210": None, "410": None}
