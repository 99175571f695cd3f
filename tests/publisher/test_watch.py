"""When the watcher publishes: once at start, once per quiet burst, and never later than max_wait."""

from __future__ import annotations

from publisher.watch import Debouncer


def run(debouncer: Debouncer, timeline: list[tuple[float, str]]) -> list[float]:
    """Feed (time, generation) observations; return the times a publish happened."""
    published = []
    for now, generation in timeline:
        if debouncer.observe(generation, now):
            debouncer.published()
            published.append(now)
    return published


def test_publishes_at_start_then_once_per_burst():
    debouncer = Debouncer(debounce=5, max_wait=60, now=0)
    timeline = [(0, "g1"), (1, "g1"), (2, "g2"), (3, "g3"), (4, "g4"), (6, "g4"), (8, "g4"), (9, "g4"), (20, "g4")]
    assert run(debouncer, timeline) == [0, 9]  # the burst g2..g4 ends at 4; quiet from 4 to 9


def test_a_steady_stream_is_published_after_max_wait():
    debouncer = Debouncer(debounce=5, max_wait=12, now=0)
    timeline = [(0, "g0")] + [(t, f"g{t}") for t in range(1, 30)]  # a change every second, never quiet
    assert run(debouncer, timeline) == [0, 13, 26]


def test_nothing_changes_nothing_is_published():
    debouncer = Debouncer(debounce=5, max_wait=12, now=0)
    assert run(debouncer, [(t, "same") for t in range(0, 100, 3)]) == [0]


def test_a_failed_publish_is_tried_again_after_a_quiet_period():
    debouncer = Debouncer(debounce=5, max_wait=60, now=0)
    assert debouncer.observe("g1", 0)
    debouncer.failed(0)
    assert not debouncer.observe("g1", 3)
    assert debouncer.observe("g1", 5)
