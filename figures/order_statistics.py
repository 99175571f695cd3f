"""Exact order statistics (median, nearest-rank percentile) of many sorted lists taken together, without merging.

A cell's median or 90th percentile is one value of the sorted union of its atoms' sorted lists
(search/cells.py). Merging the lists first costs time and memory in proportion to every value the cell
holds, and some cells hold every value there is: the whole history's cell, which each indicator's overall
figure reads at every index generation. So a cold overview grew with history (issue 11). Selection finds
the k-th value instead in rounds of one pair of bisections per list, each round dropping at least a quarter
of the values still in play, and never builds the union.

Exact, not approximate: :func:`kth_smallest` returns the very object ``sorted(concatenation)[k]`` would (that
sort is stable, so among equal values the earlier list comes first), so an integer stays an integer and a
published value keeps its bytes. Values must be totally ordered, as finite numbers are: ingest refuses
``NaN`` and infinities (ingest/compiled_schema.py), and every list must already be sorted.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

#: below this many values in all, concatenating and sorting (in C) is cheaper than selection's rounds
MERGE_BELOW = 4096


def kth_smallest(lists: Sequence[Sequence[float]], k: int) -> float:
    """The value at 0-based position ``k`` of the lists' sorted union (the lists each sorted)."""
    total = sum(len(values) for values in lists)
    if not 0 <= k < total:
        raise IndexError(f"position {k} of {total} values")
    filled = [values for values in lists if values]
    if len(filled) == 1:
        return filled[0][k]
    if total < MERGE_BELOW:
        merged = [value for values in filled for value in values]
        merged.sort()
        return merged[k]
    return _select(filled, k)


def median(lists: Sequence[Sequence[float]]) -> float:
    """The median of the lists' values together (the mean of the middle two for an even number)."""
    total = sum(len(values) for values in lists)
    mid = total // 2
    if total % 2:
        return kth_smallest(lists, mid)
    return (kth_smallest(lists, mid - 1) + kth_smallest(lists, mid)) / 2


def nearest_rank(lists: Sequence[Sequence[float]], pct: float) -> float:
    """The nearest-rank percentile of the lists' values together: the smallest value with at least ``pct`` %
    of the values at or below it."""
    total = sum(len(values) for values in lists)
    return kth_smallest(lists, max(0, math.ceil(pct / 100 * total) - 1))


def _select(lists: Sequence[Sequence[float]], k: int) -> float:
    """Selection over windows ``[lo, hi)`` of each list that still hold candidates (``below`` values lie before
    every window). Each round's pivot is the weighted median of the windows' middle values, so at least a
    quarter of the candidates are at or below it and a quarter at or above: whichever side the k-th value is
    not on is dropped. Values equal to the answer are never dropped (only values strictly beyond a pivot on
    the far side are), so when the k-th value equals the pivot its object is found among the equal runs, in
    list order, as a stable sort would order them. Once fewer than :data:`MERGE_BELOW` values are in play, they
    are merged and sorted: every value equal to the answer is among them, in list order, so the stable sort
    places the same object at the answer's rank."""
    lo = [0] * len(lists)
    hi = [len(values) for values in lists]
    live = list(range(len(lists)))  # lists with a non-empty window, in list order
    below = 0
    while True:
        in_play = sum(hi[i] - lo[i] for i in live)
        if in_play < MERGE_BELOW:  # few left: merge what is in play (in list order, so a stable sort keeps ties)
            left = [value for i in live for value in lists[i][lo[i] : hi[i]]]
            left.sort()
            return left[k - below]
        pivot = _weighted_middle(lists, lo, hi, live)
        starts, ends = [], []
        less = equal_or_less = 0
        for i in live:
            values = lists[i]
            start = bisect.bisect_left(values, pivot, lo[i], hi[i])
            end = bisect.bisect_right(values, pivot, start, hi[i])
            starts.append(start)
            ends.append(end)
            less += start - lo[i]
            equal_or_less += end - lo[i]
        if k < below + less:
            for i, start in zip(live, starts, strict=True):
                hi[i] = start
        elif k < below + equal_or_less:
            among_equal = k - below - less
            for i, start, end in zip(live, starts, ends, strict=True):
                if among_equal < end - start:
                    return lists[i][start + among_equal]
                among_equal -= end - start
            raise AssertionError("unreachable: the equal runs hold the k-th value")
        else:
            for i, end in zip(live, ends, strict=True):
                below += end - lo[i]
                lo[i] = end
        live = [i for i in live if lo[i] < hi[i]]


def _weighted_middle(lists: Sequence[Sequence[float]], lo: list[int], hi: list[int], live: list[int]) -> float:
    """The middle value of the window whose middle is the median of all windows' middles, each weighted by its
    window's size."""
    middles = sorted((lists[i][(lo[i] + hi[i]) // 2], hi[i] - lo[i]) for i in live)
    total = sum(size for _, size in middles)
    seen = 0
    for value, size in middles:
        seen += size
        if 2 * seen >= total:
            return value
    raise AssertionError("unreachable: the windows are not empty")
