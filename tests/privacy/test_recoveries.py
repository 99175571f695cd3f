"""The three recoveries of withheld cells found against the demo (issue #9), as regression tests.

Each attack uses only what the API and pages publish (``n`` and ``value``) and
returns what it recovers, or None. Before disclosure control each one recovered
a withheld cell exactly: one resident's rating by range differencing, an
area's month as the city less the other areas, and a response-time band as
the service's total less the shown bands.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from figures.indicators import Indicators
from figures.service_catalog import response_distribution
from tests.builders import ev, feedback_item
from tests.conftest import ingest, read_json


def _item(subject: str, when: datetime, area: str, hours: float = 5, score: int | None = None, service: str = "171"):
    events = feedback_item(subject, when, hours, service=service, area=area)
    if score is not None:
        events.append(
            ev("feedback.rating", subject, when + timedelta(days=1), 9, score=score, scale_min=1, scale_max=5)
        )
    return events


def _when(month: str, day: int = 5) -> datetime:
    return datetime(int(month[:4]), int(month[5:7]), day, 9, tzinfo=UTC)


def _difference(bigger: dict, smaller: dict) -> tuple[int, float] | None:
    """Count and sum of what one published total has over another, if both are published."""
    if bigger["n"] is None or smaller["n"] is None or bigger["value"] is None or smaller["value"] is None:
        return None
    n = bigger["n"] - smaller["n"]
    return n, bigger["n"] * bigger["value"] - smaller["n"] * smaller["value"]


def test_a_withheld_month_cannot_be_had_by_differencing_two_ranges(log, worker, app_for):
    events = []
    for i, month in enumerate(("2024-12", "2025-01", "2025-03", "2025-05", "2025-07")):
        events += _item(f"k{i}", _when(month), "Suur-Kauklahti", score=3)
    events += _item("k-aug", _when("2025-08"), "Suur-Kauklahti", score=5)  # one resident's own rating: 100
    for i in range(40):
        events += _item(f"t{i}", _when(f"2025-{1 + i % 8:02d}", 10), "Suur-Tapiola", score=1 + i % 5)
    ingest(log, worker, events)
    client = app_for().test_client()
    url = "/v1/indicators/resident_satisfaction?area=Suur-Kauklahti&from=2024-12&to="
    long, short = (read_json(client.get(url + to))["overall"] for to in ("2025-08", "2025-07"))
    assert _difference(long, short) is None
    august = next(c for c in read_json(client.get(url + "2025-08"))["series"] if c["period"] == "2025-08")
    assert august["n"] is None and august["value"] is None and august["n_band"] == "<5"


def test_a_withheld_area_cannot_be_had_as_the_city_less_the_other_areas(log, worker, app_for):
    events = _item("lone", _when("2026-02"), "Vanha-Espoo")
    for area in ("Suur-Tapiola", "Suur-Leppävaara", "Suur-Matinkylä"):
        events += [e for i in range(6) for e in _item(f"{area}-{i}", _when("2026-02", 3 + i), area)]
    ingest(log, worker, events)
    client = app_for().test_client()
    code = "feedback_closed_share"

    def february(query: str) -> dict:
        body = read_json(client.get(f"/v1/indicators/{code}?{query}"))
        return next(c for c in body["series"] if c["period"] == "2026-02")

    city = february("")
    others = [february(f"area={a}") for a in ("Suur-Tapiola", "Suur-Leppävaara", "Suur-Matinkylä")]
    recovered = None
    if city["n"] is not None and all(o["n"] is not None for o in others):
        recovered = city["n"] - sum(o["n"] for o in others)
    assert recovered is None
    assert february("area=Vanha-Espoo")["n"] is None
    breakdown = read_json(client.get(f"/v1/indicators/{code}?from=2026-02&to=2026-02"))["breakdown"]["area"]
    assert sum(1 for b in breakdown if b["n"] is None) >= 2  # the same month, as a breakdown


def test_a_withheld_response_band_cannot_be_had_as_the_total_less_the_shown_bands(
    log, worker, index, settings, clock, app_for
):
    events = []
    for i, hours in enumerate([10] * 6 + [48] * 5 + [800]):  # 4–24 h, 24–72 h, and one over 720 h
        events += _item(f"d{i}", _when("2026-02", 1 + i), "Suur-Tapiola", hours=hours, service="310")
    ingest(log, worker, events)
    client = app_for().test_client()
    total = read_json(client.get("/v1/indicators/feedback_response_time_median?service=310"))["overall"]["n"]
    bands = response_distribution(Indicators(index, settings, clock), "310")
    hidden = [b for b in bands if b["n"] is None]
    assert hidden, bands
    recovered = None
    if total is not None and len(hidden) == 1:
        recovered = total - sum(b["n"] for b in bands if b["n"] is not None)
    assert recovered is None
    assert all(b["n_band"] in ("<5", "≥5") for b in hidden)
    page = client.get("/en/services/310").get_data(as_text=True)
    assert "withheld (protects a small figure)" in page and "withheld (under 5)" in page
