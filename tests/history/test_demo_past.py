"""The demo's past (ingest/demo_past.py): phases cut at past moments, late survey answers held back, and a
demo whose history holds corrections with events added."""

from __future__ import annotations

from datetime import UTC, date, datetime

from history.store import open_history
from ingest.demo_data import generate
from ingest.demo_past import late_month, past_moments, phases
from mittari import cli

TZ = "Europe/Helsinki"


def test_moments_are_the_fifth_of_the_months_before_and_in_the_past():
    moments = past_moments(date(2026, 11, 29), datetime(2026, 11, 29, tzinfo=UTC), TZ)
    assert [m.date().isoformat() for m in moments] == ["2026-08-05", "2026-09-05", "2026-10-05"]
    assert all(m.hour == 9 for m in moments)
    assert past_moments(date(2026, 11, 29), datetime(2026, 9, 1, tzinfo=UTC), TZ)[-1].month == 8


def test_every_event_lands_in_one_phase_before_its_moment_except_the_late_ones():
    events = list(generate(6000, seed=4, until=date(2026, 11, 1)))
    moments = past_moments(date(2026, 11, 1), datetime(2026, 11, 2, tzinfo=UTC), TZ)
    late = late_month(moments, TZ)
    assert late == "2026-06"
    cut = list(phases(events, moments, TZ))
    assert [m for m, _ in cut] == [*moments, None]
    placed = sorted(i for _, phase in cut for i, _ in phase)
    assert placed == list(range(len(events)))
    held = 0
    for n, (moment, phase) in enumerate(cut):
        for _, event in phase:
            at = datetime.fromisoformat(event["occurred_at"].replace("Z", "+00:00"))
            if moment is not None and at >= moment:
                raise AssertionError(f"{event['event_id']} occurs after its phase's moment")
            if n == 2 and event["type"] == "service.survey_response" and at < moments[0]:
                held += 1  # a June answer arriving in September
    assert held > 0


def test_the_demo_records_its_past_with_late_answers_as_corrections(runner, tmp_path):
    result = runner.invoke(
        cli,
        ["--data-dir", str(tmp_path / "data"), "demo", "--events", "6000", "--until", "2026-11-01", "--no-serve"],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert result.output.count("history: recorded at") == 4
    from core.settings import load_settings

    store = open_history(load_settings({}, data_dir=str(tmp_path / "data" / "demo")), readonly=True)
    restated = [
        c
        for c in store.corrections(indicator="resident_satisfaction", size=1000)
        if c["period"] == "2026-06" and c["breakdown"] == "city"
    ]
    store.close()
    assert len(restated) == 1
    assert restated[0]["reasons"]["events_added"] > 0
    assert restated[0]["old"]["provisional"] is False
    assert restated[0]["old"]["value"] != restated[0]["new"]["value"]
