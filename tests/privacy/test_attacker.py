"""An attacker with every figure the API publishes for an indicator cannot compute a withheld cell.

For each indicator: read the JSON for every filter the API accepts (city, each
service, each area), every period total it serves (whole history, calendar
years, quarters, months, and the arbitrary ranges of the original attack), the
series and breakdowns, plus the CSV and the list; check they agree; set up the
linear system over the atomic month × service × area cells and prove with
exact rational elimination that no withheld cell's count or sum is in the span
of the published figures. Run over a small demo city and hand-made hard ones.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from core.times import month_of
from figures.indicators import Indicators
from ingest.demo_data import generate
from search.cells import summarise
from tests.builders import ev, feedback_item
from tests.conftest import ingest
from tests.privacy.attack import Atom, agree, collect, recoverable

MIN = 5


def truth(indicators: Indicators, code: str) -> dict[Atom, int]:
    """Items per atomic cell, straight from the facts (what the attacker wants to learn)."""
    indicator = indicators.definition(code)
    ctx = indicators._context()
    atoms: dict[Atom, int] = defaultdict(int)
    tz = indicators.settings.timezone
    for doc_type in indicator.sources:
        for row in indicators.index.scan(doc_type):  # the stored facts, not the cells the figures are read from
            if indicator.dynamic and row.get("indicator_code") != code:
                continue
            month = row["period"] if doc_type == "outcome" else month_of(row["date"], tz)
            atoms[(month, row.get("service_code") or "", row.get("area") or "")] += indicator.compute(
                [summarise(doc_type, [row])], ctx
            )[1]
    return dict(atoms)


def months_of(atoms: dict[Atom, int]) -> list[str]:
    present = sorted({a[0] for a in atoms})
    out, (year, month) = [], (int(present[0][:4]), int(present[0][5:7]))
    while f"{year:04d}-{month:02d}" <= present[-1]:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def attack(client, indicators: Indicators, code: str, thorough: bool = True) -> None:
    atoms = truth(indicators, code)
    if not atoms:
        return
    figures = collect(client, code, set(atoms), months_of(atoms), thorough)
    agree(figures)
    for figure in figures:
        n = sum(atoms.get(a, 0) for a in figure.atoms)
        if figure.reason and figure.reason.startswith("totals over a range"):
            assert figure.n is None and figure.value is None, figure.label
        elif 0 < n < MIN:
            assert figure.suppressed and figure.n is None and figure.value is None, figure.label
        elif figure.n is not None:
            assert figure.n == n, figure.label  # what is published is true
    found = recoverable(figures, atoms)
    assert not found, [f.label for f in found[:5]]
    assert any(f.suppressed and f.n is None for f in figures) or all(n == 0 or n >= MIN for n in atoms.values())


def month_start(year: int, month: int, day: int = 3) -> datetime:
    return datetime(year, month, day, 9, tzinfo=UTC)


def _items(prefix: str, count: int, when: datetime, service: str, area: str, hours: float = 5) -> list:
    events = []
    for i in range(count):
        events += feedback_item(f"{prefix}-{i}", when + timedelta(hours=i), hours + i, service=service, area=area)
        events.append(
            ev(
                "feedback.rating",
                f"{prefix}-{i}",
                when + timedelta(days=2),
                9,
                score=1 + i % 5,
                scale_min=1,
                scale_max=5,
            )
        )
    return events


def one_item_per_area() -> list:
    events = _items("big", 12, month_start(2026, 1), "171", "Iso")
    for n, area in enumerate(("A", "B", "C", "D", "E")):
        events += _items(f"lone{n}", 1, month_start(2026, 2, 3 + n), "171", area)
    return events + _items("feb", 6, month_start(2026, 2), "210", "Iso")


def one_month_one_response() -> list:
    events = _items("jan", 8, month_start(2025, 12), "171", "Kauklahti")
    events += _items("feb", 1, month_start(2026, 1), "171", "Kauklahti")
    events += _items("mar", 7, month_start(2026, 2), "171", "Kauklahti")
    return events + _items("other", 9, month_start(2026, 1), "210", "Tapiola")


def lone_service() -> list:
    events = _items("a", 9, month_start(2026, 1), "171", "Tapiola") + _items(
        "b", 9, month_start(2026, 2), "171", "Tapiola"
    )
    events += _items("c", 7, month_start(2026, 2), "210", "Leppävaara")
    return events + _items("lone", 1, month_start(2026, 2, 20), "999", "Leppävaara")


HARD = {
    "one_item_per_area": one_item_per_area,
    "one_month_one_response": one_month_one_response,
    "lone_service": lone_service,
}


@pytest.mark.parametrize("city", sorted(HARD))
def test_no_withheld_cell_can_be_computed_in_a_hard_city(city, log, worker, index, settings, clock, app_for):
    ingest(log, worker, HARD[city]())
    client = app_for().test_client()
    indicators = Indicators(index, settings, clock)
    for code in ("feedback_closed_share", "resident_satisfaction", "feedback_response_time_median"):
        attack(client, indicators, code)


DEMO = list(generate(2500, seed=9, until=date(2026, 1, 1)))


def test_no_withheld_cell_can_be_computed_in_the_demo_city(log, worker, index, settings, clock, app_for):
    ingest(log, worker, DEMO)
    client = app_for().test_client()
    indicators = Indicators(index, settings, clock)
    for code in ("resident_satisfaction", "feedback_closed_share", "service_waiting_time"):
        attack(client, indicators, code, thorough=False)


def lopsided_bands() -> list:
    """A distribution where all but one band would be shown: six in 4–24 h, five in 24–72 h, one over 720 h."""
    events = []
    for i, hours in enumerate([10] * 6 + [48] * 5 + [800]):
        events += feedback_item(f"d{i}", month_start(2026, 2, 1 + i), hours, service="310", area="Tapiola")
    return events


@pytest.mark.parametrize("city", [*sorted(HARD), "lopsided_bands"])
def test_no_withheld_response_band_can_be_computed(city, log, worker, index, settings, clock):
    from figures.service_catalog import response_distribution
    from tests.privacy.attack import Span

    ingest(log, worker, (HARD | {"lopsided_bands": lopsided_bands})[city]())
    indicators = Indicators(index, settings, clock)
    services = {row["service_code"] for row in index.scan("feedback")}
    for service in sorted(services):
        bands = response_distribution(indicators, service)
        atoms = {i: ("band", str(i), service) for i, b in enumerate(bands)}
        answered = sum(
            1
            for r in index.scan("feedback")
            if r["service_code"] == service and r.get("first_response_hours") is not None
        )
        span = Span()
        if answered >= MIN:  # the service's answered count is published (as an indicator's n) unless small
            span.add({atoms[i] for i in atoms})
        for i, band in enumerate(bands):
            if band["n"] is not None:
                span.add({atoms[i]})
        hidden = [i for i, band in enumerate(bands) if band["n"] is None]
        for i in hidden:
            assert span.reduce({atoms[i]}), (service, bands)
        assert len(hidden) != 1 or answered < MIN
