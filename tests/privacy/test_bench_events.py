"""``mittari bench redaction --events N`` times the policy's redaction of demo events and says what it found."""

import copy
from collections import Counter
from datetime import date

from ingest.demo_data import generate
from privacy.bench import bench_events
from privacy.enforce import redact_event


def test_bench_events_prints_the_time_and_what_redact_event_finds():
    events = list(generate(2000, seed=7, until=date(2026, 1, 1)))
    expected: Counter[str] = Counter()
    for event in copy.deepcopy(events):
        redact_event(event, expected)
    lines: list[str] = []
    bench_events(lines.append, events, runs=1)
    assert len(lines) == 1
    assert lines[0].startswith("policy redaction of 2,000 demo events: ")
    assert "µs an event" in lines[0]
    assert expected  # the demo seeds personal data, so the count is not trivially empty
    for kind, count in expected.items():
        assert f"{kind} {count}" in lines[0]
    assert events == list(generate(2000, seed=7, until=date(2026, 1, 1)))  # the caller's events stay as they were


def test_the_digest_of_redacted_events_is_stable_and_changes_with_the_redaction(monkeypatch):
    from privacy import bench, enforce

    events = list(generate(2000, seed=7, until=date(2026, 1, 1)))
    digest = bench.redacted_digest(events)
    assert bench.redacted_digest(events) == digest  # the same events, the same redaction: the same digest
    assert events == list(generate(2000, seed=7, until=date(2026, 1, 1)))  # the caller's events stay as they were
    # a redactor that removed nothing from free text would publish something else: the digest says so
    monkeypatch.setattr(enforce, "_PLANS", {t: {f: (lambda v: (v, {})) for f in p} for t, p in enforce._PLANS.items()})
    assert bench.redacted_digest(events) != digest
