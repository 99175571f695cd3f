"""``late_count``: the bisection over stored received times agrees with judging each time on its own."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from core.times import iso, parse
from figures.indicators import late_count

EPOCH = datetime(2024, 1, 1, tzinfo=UTC)
seconds = st.integers(min_value=0, max_value=3 * 365 * 86400)


def one_by_one(received: list[str], now: datetime, target: float) -> int:
    """The rule as written before: each time parsed and its wait compared in hours."""
    return sum(1 for r in received if (now - parse(r)).total_seconds() / 3600 > target)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(seconds, max_size=40),
    seconds,
    st.integers(min_value=0, max_value=999_999),
    st.one_of(st.integers(min_value=1, max_value=2000), st.floats(min_value=0.0001, max_value=2000)),
)
def test_the_bisection_counts_what_judging_each_time_counts(
    offsets: list[int], now_offset: int, micro: int, target: float
) -> None:
    received = sorted(iso(EPOCH + timedelta(seconds=s)) for s in offsets)
    now = EPOCH + timedelta(seconds=now_offset, microseconds=micro)
    assert late_count(received, now, target) == one_by_one(received, now, target)


def test_times_exactly_at_the_target_are_not_late_and_a_second_more_are() -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    received = [iso(now - timedelta(hours=72, seconds=1)), iso(now - timedelta(hours=72)), iso(now)]
    assert late_count(received, now, 72) == 1
    assert late_count(received, now + timedelta(microseconds=1), 72) == 2


def test_a_time_in_another_form_is_judged_one_by_one() -> None:
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)
    received = ["2026-03-01T00:00:00.500000Z", "2026-03-09T12:00:00+00:00"]
    assert late_count(received, now, 72) == one_by_one(received, now, 72) == 1
