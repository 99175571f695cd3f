"""Indicator values against figures computed by hand on a small fixed data set."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.times import month_of
from figures.indicators import Filters, Indicators, median, nearest_rank
from tests.builders import T0, at, ev, feedback_item, received, state
from tests.conftest import ingest

RESPONSES_171 = [2, 4, 6, 8, 10, 200]  # hours, Suur-Tapiola
RESPONSES_210 = [1, 3]  # hours, Suur-Leppävaara, plus one never answered


@pytest.fixture
def city(log, worker, index, settings, clock):
    events = []
    for i, hours in enumerate(RESPONSES_171):
        events += feedback_item(f"a{i}", T0 + timedelta(hours=i), hours, service="171", area="Suur-Tapiola")
    for i, hours in enumerate(RESPONSES_210):
        events += feedback_item(f"b{i}", T0 + timedelta(hours=i), hours, service="210", area="Suur-Leppävaara")
    events.append(received("b-open", T0, service="210", area="Suur-Leppävaara"))
    # a0 is reopened after closing
    events += [state("a0", at(days=5), "in_process", seq=5), state("a0", at(days=6), "resolved", seq=6)]
    # ratings: 5/5, 4/5, 1/5 ; surveys 8 and 10 and 4 on a 4–10 scale
    for subject, score in (("a1", 5), ("a2", 4), ("a3", 1)):
        events.append(ev("feedback.rating", subject, at(days=2), 9, score=score, scale_min=1, scale_max=5))
    for i, score in enumerate((8, 10, 4)):
        events.append(
            ev(
                "service.survey_response",
                f"s{i}",
                at(days=3),
                service_code="220",
                score=score,
                scale_min=4,
                scale_max=10,
            )
        )
    for i, days in enumerate((1, 2, 3, 4, 50)):
        events.append(ev("service.case_opened", f"c{i}", at(days=1), service_code="210"))
        events.append(
            ev("service.case_closed", f"c{i}", at(days=9), 1, service_code="210", waiting_days=days, outcome="palveltu")
        )
    events.append(ev("service.case_opened", "c-open", at(days=1), service_code="210"))
    for area, value, size in (("A", 70, 100), ("B", 80, 300)):
        events.append(
            ev(
                "service.outcome_measured",
                f"o-{area}",
                at(days=30),
                indicator_code="pupil_wellbeing",
                value=value,
                unit="%",
                period="2026-03",
                area=area,
                sample_size=size,
                name={"fi": "Oppilaat voivat hyvin", "en": "Pupils feel well"},
            )
        )
    events.append(
        ev(
            "service.outcome_measured",
            "o-small",
            at(days=40),
            indicator_code="pupil_wellbeing",
            value=90,
            unit="%",
            period="2026-04",
            area="A",
            sample_size=3,
        )
    )
    for n, (value, service, decided) in enumerate(
        ((6, None, "2026-01-10"), (4, None, "2026-02-10"), (10, "171", "2026-01-05"))
    ):
        events.append(
            ev(
                "governance.indicator_target_set",
                f"t{n}",
                at(days=-60),
                indicator_code="feedback_response_time_median",
                target_value=value,
                valid_from="2026-01-01",
                service_code=service,
                body="Kaupunginhallitus",
                case_id=f"ESP/2026/{n}",
                decision_id=f"d{n}",
                decision_date=decided,
            )
        )
    ingest(log, worker, events)
    return Indicators(index, settings, clock)


def cell(ind, code, **filters):
    return ind.series(ind.definition(code), Filters(**filters))[0]


def test_response_time_median_and_p90(city):
    hours = sorted(RESPONSES_171 + RESPONSES_210)
    march = cell(city, "feedback_response_time_median")
    assert march["period"] == "2026-03"
    assert march["value"] == 5.0 == median(hours)
    assert march["n"] == 8
    assert cell(city, "feedback_response_time_p90")["value"] == 200.0 == nearest_rank(hours, 90)


def test_answered_on_time_counts_overdue_unanswered_as_late(city):
    march = cell(city, "feedback_answered_on_time")
    assert march["n"] == 9  # 8 answered + 1 unanswered long past the 120 h target
    assert march["value"] == round(100 * 7 / 9, 2)


def test_closed_and_reopened_shares(city):
    assert cell(city, "feedback_closed_share")["value"] == round(100 * 8 / 9, 2)
    assert cell(city, "feedback_reopened_share")["value"] == round(100 * 1 / 9, 2)


def test_satisfaction_rescales_each_scale(city):
    expected = (100 + 75 + 0 + 100 * 4 / 6 + 100 + 0) / 6
    march = cell(city, "resident_satisfaction")
    assert march["value"] == round(expected, 2)
    assert march["n"] == 6


def test_waiting_time_uses_closed_cases_only(city):
    march = cell(city, "service_waiting_time")
    assert (march["value"], march["n"]) == (3.0, 5)


def test_outcome_measure_weighted_by_sample_size_and_suppressed_when_small(city):
    series = city.series(city.definition("pupil_wellbeing"), Filters())
    # April rests on 3 pupils (all in area A). March (400) is withheld with it, or April would be the
    # whole history less March; and since area B (300) is shown, area A and the city are withheld for
    # every period: the city less B would give A, and A's year less its March would give April.
    assert series[0] == {**series[0], "period": "2026-03", "value": None, "n": None, "n_band": "≥5"}
    assert series[0]["reason"].startswith("withheld so that")
    assert series[1]["period"] == "2026-04"
    assert series[1]["value"] is None and series[1]["suppressed"] and series[1]["n"] is None
    assert series[1]["n_band"] == "<5"
    detail = city.detail("pupil_wellbeing", Filters())
    assert detail["overall"]["n"] is None and detail["overall"]["n_band"] == "≥5"
    areas = {b["key"]: b for b in detail["breakdown"]["area"]}
    assert (areas["B"]["value"], areas["B"]["n"]) == (80.0, 300) and areas["A"]["n"] is None
    assert city.definition("pupil_wellbeing").name["en"] == "Pupils feel well"


def test_small_cells_are_suppressed_with_a_reason(city):
    only_210 = cell(city, "feedback_response_time_median", service="210")
    assert only_210["n"] is None and only_210["n_band"] == "<5"  # the exact count is withheld too
    assert only_210["value"] is None
    assert only_210["suppressed"] is True
    assert only_210["reason"] == "fewer than 5 items"
    by_service = {
        b["key"]: b for b in city.breakdown(city.definition("feedback_response_time_median"), Filters(), "service_code")
    }
    assert by_service["210"]["value"] is None and by_service["210"]["suppressed"]
    # 171 is withheld with it: otherwise 210 would be the city (8) less 171 (6)
    assert by_service["171"]["value"] is None and by_service["171"]["n_band"] == "≥5"
    assert by_service["171"]["reason"].startswith("withheld so that")
    assert cell(city, "feedback_response_time_median")["n"] == 8


def test_newest_target_and_service_targets(city):
    indicator = city.definition("feedback_response_time_median")
    city_target = city.target_for(indicator, "2026-03", None)
    assert city_target["value"] == 4  # the 2026-02-10 decision replaced the 2026-01-10 one
    assert city_target["decision"] == {
        "body": "Kaupunginhallitus",
        "case_id": "ESP/2026/1",
        "decision_id": "d1",
        "date": "2026-02-10",
    }
    assert cell(city, "feedback_response_time_median")["status"] == "not_met"  # 5 h against 4 h
    service_target = city.target_for(indicator, "2026-03", "171")
    assert service_target["value"] == 10
    assert city.status(indicator, 7.0, service_target) == "met"  # 7 h against 10 h
    # 171's own March cell is withheld (see above), so there is no value to judge
    assert cell(city, "feedback_response_time_median", service="171")["status"] == "no_value"
    assert cell(city, "feedback_closed_share")["status"] == "no_target"


def test_detail_has_series_breakdowns_and_method(city):
    detail = city.detail("feedback_closed_share", Filters())
    assert detail["direction"] == "higher" and detail["unit"] == "%"
    assert set(detail["name"]) == {"fi", "sv", "en"}
    assert {b["key"] for b in detail["breakdown"]["area"]} == {"Suur-Tapiola", "Suur-Leppävaara"}
    assert detail["overall"]["n"] == 9


def test_cached_values_follow_new_data(city, log, worker):
    before = cell(city, "feedback_closed_share")["value"]
    ingest(log, worker, [state("b-open", at(days=20), "resolved", seq=3)])
    assert cell(city, "feedback_closed_share")["value"] == 100.0 != before


def test_months_follow_the_city_time_zone():
    # 22:30 UTC on 31 March 2026 is already 1 April in Helsinki (UTC+3 after the DST change)
    assert month_of("2026-03-31T22:30:00Z", "Europe/Helsinki") == "2026-04"
    assert month_of("2026-03-31T22:30:00Z", "UTC") == "2026-03"


def test_filters_by_month(city):
    assert city.series(city.definition("pupil_wellbeing"), Filters(month_from="2026-04"))[0]["period"] == "2026-04"
    assert city.series(city.definition("pupil_wellbeing"), Filters(month_to="2026-02")) == []


def test_percentile_helpers():
    assert median([3, 1, 2]) == 2
    assert median([4, 1, 3, 2]) == 2.5
    assert nearest_rank([15, 20, 35, 40, 50], 30) == 20
    assert nearest_rank(list(range(1, 11)), 90) == 9


def test_clock_is_injected(city, clock):
    clock.advance(-(clock.now() - datetime(2026, 3, 3, tzinfo=UTC)).total_seconds())
    # on 3 March the unanswered item is not yet late, so it is not judged
    assert cell(city, "feedback_answered_on_time")["n"] == 8


def test_month_of_agrees_with_the_full_conversion_on_every_day():
    from core.times import parse

    start = datetime(2025, 12, 31, 0, 30, tzinfo=UTC)
    for zone in ("Europe/Helsinki", "Pacific/Kiritimati", "Etc/GMT+12", "UTC"):
        for step in range(0, 24 * 70, 5):  # every five hours through early 2026, month ends included
            value = (start + timedelta(hours=step)).strftime("%Y-%m-%dT%H:%M:%SZ")
            assert month_of(value, zone) == parse(value).astimezone(ZoneInfo(zone)).strftime("%Y-%m"), (value, zone)


def test_cached_results_are_bounded_least_recently_used_first(city, monkeypatch):
    import figures.indicators as module

    monkeypatch.setattr(module, "MAX_RESULTS", 6)
    indicator = city.definition("feedback_closed_share")
    first = city.series(indicator, Filters(month_from="2026-03"))
    for month in range(1, 13):  # many distinct ranges, as a crawler or an attacker would ask
        city.series(indicator, Filters(month_to=f"2026-{month:02d}"))
    snapshot = city.snapshot()
    assert len(snapshot.cached_keys()) <= 6
    assert snapshot.generation == city.index.generation()  # results live in the snapshot of this generation
    assert city.series(indicator, Filters(month_from="2026-03")) == first  # evicted, recomputed the same


def test_cached_results_are_bounded_in_bytes_too(city, monkeypatch):
    import figures.indicators as module

    indicator = city.definition("feedback_closed_share")
    city.series(indicator, Filters(month_to="2026-03"))
    size = city.cached_bytes()
    assert size > 2  # a non-empty answer
    monkeypatch.setattr(module, "MAX_RESULT_BYTES", 3 * size)
    for day in range(1, 29):  # distinct filters with answers of about the same size
        city.series(indicator, Filters(month_to=f"2026-03-{day:02d}"))
    assert city.cached_bytes() <= 3 * size
    assert 1 <= len(city.snapshot().cached_keys()) < 28


def test_unknown_service_or_area_is_refused_before_computing(city):
    from core.errors import BadQuery

    for filters, parameter in ((Filters(service="999"), "service"), (Filters(area="Atlantis"), "area")):
        with pytest.raises(BadQuery) as raised:
            city.detail("feedback_closed_share", filters)
        assert raised.value.parameter == parameter
    city.check_filters(Filters(service="220"))  # a service known only from surveys is fine
