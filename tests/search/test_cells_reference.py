"""The cells path gives the figures the old whole-scan path gave, cell for cell.

The reference below is written here from the indicators' definitions, over the
fact rows ``Index.scan`` returns (the way every figure was computed before the
index kept atom summaries): each published cell of every indicator on a demo
city must have the same value, the same n and the same withheld pattern when
computed from the stored cells.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from core.times import month_of, parse
from figures import indicator_table
from figures.indicators import Indicators
from ingest.demo_data import generate
from tests.conftest import ingest

Row = dict[str, Any]


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _hours(rows: list[Row]) -> list[float]:
    return [
        r["first_response_hours"] for r in rows if r.get("has_received") and r.get("first_response_hours") is not None
    ]


def _share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def reference(code: str, now: datetime, target: int) -> Callable[[list[Row]], tuple[float | None, int]]:
    """An indicator's value and n over fact rows, from its written definition."""

    def median_response(rows: list[Row]) -> tuple[float | None, int]:
        values = _hours(rows)
        return (_median(values) if values else None), len(values)

    def p90_response(rows: list[Row]) -> tuple[float | None, int]:
        values = sorted(_hours(rows))  # nearest rank: the smallest value with 90 % at or below it
        return (values[math.ceil(0.9 * len(values)) - 1] if values else None), len(values)

    def answered_on_time(rows: list[Row]) -> tuple[float | None, int]:
        on_time = judged = 0
        for r in rows:
            if not r.get("has_received"):
                continue
            if r.get("first_response_hours") is not None:
                judged += 1
                on_time += r["first_response_hours"] <= target
            elif not r.get("responded") and (now - parse(r["date"])).total_seconds() / 3600 > target:
                judged += 1
        return _share(on_time, judged), judged

    def received_share(fact: str) -> Callable[[list[Row]], tuple[float | None, int]]:
        def share(rows: list[Row]) -> tuple[float | None, int]:
            counted = [r for r in rows if r.get("has_received")]
            return _share(sum(1 for r in counted if r.get(fact)), len(counted)), len(counted)

        return share

    def mean_of(fact: str) -> Callable[[list[Row]], tuple[float | None, int]]:
        def mean(rows: list[Row]) -> tuple[float | None, int]:
            values = [r[fact] for r in rows if r.get(fact) is not None]
            return (math.fsum(values) / len(values) if values else None), len(values)

        return mean

    def median_of(fact: str) -> Callable[[list[Row]], tuple[float | None, int]]:
        def med(rows: list[Row]) -> tuple[float | None, int]:
            values = [r[fact] for r in rows if r.get(fact) is not None]
            return (_median(values) if values else None), len(values)

        return med

    def outcome(rows: list[Row]) -> tuple[float | None, int]:
        weights = [int(r["sample_size"]) if r.get("sample_size") is not None else 1 for r in rows]
        total = sum(weights)
        if not rows or total == 0:
            return None, 0
        return math.fsum(r["value"] * w for r, w in zip(rows, weights, strict=True)) / total, total

    built_in: dict[str, Callable[[list[Row]], tuple[float | None, int]]] = {
        "feedback_response_time_median": median_response,
        "feedback_response_time_p90": p90_response,
        "feedback_answered_on_time": answered_on_time,
        "feedback_closed_share": received_share("closed"),
        "feedback_reopened_share": received_share("reopened_or_recontacted"),
        "resident_satisfaction": mean_of("satisfaction"),
        "service_waiting_time": median_of("waiting_days"),
    }
    return built_in.get(code, outcome)


@pytest.fixture
def demo_city(log, worker, index, settings, clock):
    ingest(log, worker, list(generate(4000, seed=7, until=date(2026, 6, 1))))
    return Indicators(index, settings, clock)


def test_every_published_cell_equals_the_scan_reference(demo_city):
    indicators = demo_city
    ctx = indicators._context()
    tz = indicators.settings.timezone
    facts = {t: list(indicators.index.scan(t)) for t in ("feedback", "survey", "case", "outcome")}
    definitions = indicators.definitions()
    outcome_codes = sorted({r["indicator_code"] for r in facts["outcome"]})
    assert [i.code for i in definitions][7:] == sorted(
        outcome_codes, key=lambda c: min(r["id"] for r in facts["outcome"] if r["indicator_code"] == c)
    )
    compared = withheld = 0
    for indicator in definitions:
        compute = reference(indicator.code, ctx.now, ctx.response_target_hours)
        by_atom: dict[tuple[str, str, str], list[Row]] = {}
        for doc_type in indicator.sources:
            for row in facts[doc_type]:
                if indicator.dynamic and row["indicator_code"] != indicator.code:
                    continue
                month = row["period"] if doc_type == "outcome" else month_of(row["date"], tz)
                by_atom.setdefault((month, row.get("service_code") or "", row.get("area") or ""), []).append(row)
        expected = indicator_table.build(
            by_atom, lambda rows, f=compute: sum(f([r])[1] for r in rows), indicators.settings.min_cell_count
        )
        table = indicators.table(indicator)
        assert table.protection.counts == expected.protection.counts, indicator.code
        assert table.protection.withheld == expected.protection.withheld, indicator.code
        assert (table.months, table.services, table.areas) == (expected.months, expected.services, expected.areas)
        for key, n in expected.protection.counts.items():
            if not n or indicator_table.UNKNOWN in key[1:]:
                continue
            cell = indicators._cell(indicators.snapshot(), indicator, table, key, ctx)
            if expected.withheld(key):
                withheld += 1
                assert cell["suppressed"] and cell["value"] is None and cell["n"] is None, (indicator.code, key)
                continue
            value, n_items = compute(expected.summaries_of(key))
            assert cell["n"] == n_items, (indicator.code, key)
            assert cell["value"] == (round(value, 2) if value is not None else None), (indicator.code, key)
            compared += 1
    assert compared > 2000 and withheld > 0  # the demo city exercises both
