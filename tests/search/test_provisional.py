"""Provisional values: the rule, and the flag flipping exactly at the boundary as the clock moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.clock import FixedClock
from core.errors import BadQuery
from figures import provisional
from figures.indicators import Filters, Indicators
from tests.builders import T0, feedback_item, received
from tests.conftest import ingest

HELSINKI = "Europe/Helsinki"


def test_a_month_ends_at_midnight_in_the_city():
    assert provisional.month_end("2026-03", HELSINKI) == datetime(2026, 3, 31, 21, tzinfo=UTC)  # EEST, UTC+3
    assert provisional.month_end("2026-11", HELSINKI) == datetime(2026, 11, 30, 22, tzinfo=UTC)  # EET, UTC+2
    assert provisional.month_end("2026-12", "UTC") == datetime(2027, 1, 1, tzinfo=UTC)


def test_feedback_is_final_a_response_target_after_the_month_end():
    rule = provisional.RESPONSE
    boundary = datetime(2026, 3, 31, 21, tzinfo=UTC) + timedelta(hours=120)
    assert provisional.flag(rule, "2026-03", boundary - timedelta(seconds=1), HELSINKI, 120).provisional
    flag = provisional.flag(rule, "2026-03", boundary, HELSINKI, 120)
    assert not flag.provisional and flag.final_from == boundary
    assert flag.as_fields() == {"provisional": False, "final_from": "2026-04-05T21:00:00Z"}
    assert provisional.fields(rule, "2026-03", boundary, HELSINKI, 120) == flag.as_fields()
    assert provisional.fields(rule, "2026-03", boundary - timedelta(seconds=1), HELSINKI, 120)["provisional"]
    # the setting moves it, and so does the time zone
    assert provisional.final_from(rule, "2026-03", boundary, "UTC", 48) == datetime(2026, 4, 3, tzinfo=UTC)


def test_rules_with_days_add_them_to_the_month_end():
    assert provisional.final_from(provisional.CLOSING, "2026-03", T0, "UTC", 120) == datetime(2026, 4, 20, tzinfo=UTC)
    assert provisional.final_from(provisional.CASES, "2026-03", T0, "UTC", 120) == datetime(2026, 4, 8, tzinfo=UTC)
    assert provisional.final_from(provisional.OUTCOMES, "2026-03", T0, "UTC", 120) == datetime(2026, 5, 16, tzinfo=UTC)


def test_a_quarter_year_or_history_is_provisional_while_any_of_its_months_is():
    rule, now = provisional.RESPONSE, datetime(2026, 5, 10, tzinfo=UTC)
    may_final = provisional.final_from(rule, "2026-05", now, HELSINKI, 120)
    assert provisional.final_from(rule, "2026-Q2", now, HELSINKI, 120) == provisional.final_from(
        rule, "2026-06", now, HELSINKI, 120
    )
    assert provisional.flag(rule, "2026-Q1", now, HELSINKI, 120).provisional is False  # 1 Apr + 5 days: passed
    assert provisional.flag(rule, "2026-Q2", now, HELSINKI, 120).provisional is True  # June has not even begun
    assert provisional.final_from(rule, "2026", now, HELSINKI, 120) == provisional.final_from(
        rule, "2026-12", now, HELSINKI, 120
    )
    assert provisional.final_from(rule, "2025", now, HELSINKI, 120) < now
    assert provisional.final_from(rule, "all", now, HELSINKI, 120) == may_final  # runs to the current month
    assert provisional.flag(rule, "all", now, HELSINKI, 120).provisional is True


def test_every_built_in_indicator_has_a_rule_with_reasons_in_three_languages(index, settings, clock):
    indicators = Indicators(index, settings, clock)
    for indicator in indicators.definitions():
        rule = provisional.rule_for(indicator.code, indicator.sources)
        assert set(rule.reason) == {"fi", "sv", "en"} and all(rule.reason.values()), indicator.code
    assert provisional.rule_for("pupil_wellbeing", ("outcome",)) is provisional.OUTCOMES
    assert provisional.rule_for("feedback_answered_on_time", ("feedback",)).response_target


def test_the_choice_parameter_names_itself_when_bad():
    assert provisional.include_provisional(None) is False
    assert provisional.include_provisional("exclude") is False
    assert provisional.include_provisional("include") is True
    with pytest.raises(BadQuery) as raised:
        provisional.include_provisional("maybe")
    assert raised.value.parameter == "provisional"


def test_the_flag_flips_exactly_at_the_boundary_through_the_indicators(log, worker, index, settings):
    """One Indicators over one index while a fake clock moves: the cached series must not keep an old flag."""
    settings = settings.with_overrides(response_target_hours=48)
    events = []
    for i in range(6):
        events += feedback_item(f"m{i}", T0 + timedelta(days=20, hours=i), 5)  # late March, answered in 5 h
    events.append(received("m-open", T0 + timedelta(days=25)))
    ingest(log, worker, events)
    boundary = datetime(2026, 3, 31, 21, tzinfo=UTC) + timedelta(hours=48)  # Helsinki midnight + 48 h
    clock = FixedClock(boundary - timedelta(hours=1))
    indicators = Indicators(index, settings, clock)
    on_time = indicators.definition("feedback_answered_on_time")
    closed = indicators.definition("feedback_closed_share")

    def march(indicator):
        return indicators.series(indicator, Filters())[0]

    assert march(on_time)["provisional"] is True
    assert march(on_time)["final_from"] == "2026-04-02T21:00:00Z"
    clock.advance(3599)
    assert march(on_time)["provisional"] is True
    assert indicators.summary(on_time, Filters())["latest_final"] is None
    clock.advance(1)
    assert march(on_time)["provisional"] is False
    assert indicators.summary(on_time, Filters())["latest_final"]["period"] == "2026-03"
    # feedback closed has its own, longer rule: 48 h and 14 days
    assert march(closed)["provisional"] is True and march(closed)["final_from"] == "2026-04-16T21:00:00Z"
    # the whole history and the breakdowns carry the flag too; the history runs to the current month
    summary = indicators.summary(on_time, Filters())
    assert summary["overall"]["provisional"] is True
    march_only = Filters(month_from="2026-03", month_to="2026-03")
    breakdown = indicators.breakdown(on_time, march_only, "service_code")
    assert breakdown and all(b["provisional"] is False for b in breakdown)
    assert indicators.summary(on_time, march_only)["overall"]["provisional"] is False
