"""Order statistics of many sorted lists are exactly those of their merged union: the same value, the same object."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from figures import order_statistics
from figures.order_statistics import kth_smallest

# few distinct values, so ties across lists are common; integers and floats mixed, as equal but distinct objects
number = st.one_of(st.integers(min_value=-3, max_value=3), st.sampled_from([-1.5, 0.0, 0.5, 2.0, 2.5]))
sorted_lists = st.lists(st.lists(number, max_size=30).map(sorted), max_size=12)


def merged(lists: list[list[float]]) -> list[float]:
    """The reference: the lists concatenated in order and stably sorted."""
    return sorted(value for values in lists for value in values)


@pytest.fixture(autouse=True, params=[0, 7], ids=["selection only", "selection then merge"])
def merge_below(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Selection rounds all the way down (0), or rounds until fewer than 7 values are in play, then their merge:
    both paths of the real threshold (thousands of values) on lists small enough to generate."""
    monkeypatch.setattr(order_statistics, "MERGE_BELOW", request.param)


@settings(max_examples=400, deadline=None)
@given(sorted_lists, st.data())
def test_kth_is_the_same_object_as_in_the_stably_merged_union(lists: list[list[float]], data: st.DataObject) -> None:
    union = merged(lists)
    if not union:
        return
    k = data.draw(st.integers(min_value=0, max_value=len(union) - 1))
    found = kth_smallest(lists, k)
    assert found is union[k], (found, union[k])


@settings(max_examples=200, deadline=None)
@given(sorted_lists.filter(lambda lists: any(lists)), st.floats(min_value=0.1, max_value=100))
def test_median_and_nearest_rank_as_on_the_merged_list(lists: list[list[float]], pct: float) -> None:
    union = merged(lists)
    mid = len(union) // 2
    expected = union[mid] if len(union) % 2 else (union[mid - 1] + union[mid]) / 2
    assert order_statistics.median(lists) == expected
    assert repr(order_statistics.median(lists)) == repr(expected)  # an integer median stays an integer
    assert order_statistics.nearest_rank(lists, pct) is union[max(0, math.ceil(pct / 100 * len(union)) - 1)]


def test_many_long_lists_every_position_checked_against_the_merge() -> None:
    """The shape of a whole-history cell (many atoms, skewed values, rounded hours so ties are many)."""
    rng = random.Random(11)
    lists = [sorted(round(rng.expovariate(0.05), 1) for _ in range(rng.randint(0, 300))) for _ in range(200)]
    union = merged(lists)
    for k in [0, len(union) - 1, *rng.sample(range(len(union)), 300)]:
        assert kth_smallest(lists, k) is union[k]


@pytest.mark.parametrize("k", [-1, 3])
def test_a_position_outside_the_values_is_an_error(k: int) -> None:
    with pytest.raises(IndexError):
        kth_smallest([[1.0], [], [2.0, 3.0]], k)


def test_the_shortcut_for_few_values_agrees(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(order_statistics, "MERGE_BELOW", 4096)
    lists = [[1, 2.0, 2.0], [2, 2.0], [0.5, 2]]
    union = merged(lists)
    assert all(kth_smallest(lists, k) is union[k] for k in range(len(union)))
