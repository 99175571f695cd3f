"""An indicator's ``n`` is the n its ``compute`` gives, for every built-in definition and any atoms."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from figures.indicators import BUILT_IN, Context

values = st.lists(st.floats(min_value=0, max_value=5000, allow_nan=False), max_size=12).map(sorted)
summary = st.fixed_dictionaries(
    {},
    optional={
        "hours": values,
        "waiting_days": values,
        "satisfaction": st.lists(st.sampled_from([0.0, 25.0, 50.0, 75.0, 100.0]), max_size=8),
        "unanswered": st.lists(st.sampled_from(["2026-01-02T03:04:05Z", "2026-02-27T10:00:00Z"]), max_size=4).map(
            sorted
        ),
        "received": st.integers(min_value=0, max_value=50),
        "closed": st.integers(min_value=0, max_value=50),
        "reopened": st.integers(min_value=0, max_value=50),
    },
)
CTX = Context(now=datetime(2026, 3, 1, tzinfo=UTC), response_target_hours=72)


@settings(max_examples=200, deadline=None)
@given(st.lists(summary, max_size=6))
def test_n_is_the_n_compute_gives(summaries: list[dict[str, Any]]) -> None:
    for indicator in BUILT_IN:
        assert indicator.n(summaries, CTX) == indicator.compute(summaries, CTX)[1], indicator.code


def test_the_values_are_not_merged_for_n() -> None:
    """The median's n comes from the lists' lengths: a summary whose list cannot be sorted still has one."""
    median = next(i for i in BUILT_IN if i.code == "feedback_response_time_median")
    assert median.count is not None
    assert median.n([{"hours": [object(), object()]}, {"hours": [1.0]}], CTX) == 3
