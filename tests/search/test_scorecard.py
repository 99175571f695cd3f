"""The composite score: ratios by direction, the cap, what is left out, the class counts."""

from __future__ import annotations

import pytest

from figures.scorecard import CAP, ratio_of, score


def summary(code, value, target, direction="higher", kind="output", n=10):
    """A summary whose latest month is final (so it is both ``current`` and ``latest_final``)."""
    cell = {"period": "2026-10", "value": value, "n": n, "provisional": False} if value is not None else None
    return {
        "code": code,
        "name": {"fi": code, "sv": code, "en": code},
        "direction": direction,
        "class": kind,
        "current": cell or {"value": None},
        "latest_final": cell,
        "target": {"value": target} if target is not None else None,
    }


def young(code, final_value, young_value, target, direction="higher"):
    """A summary whose latest month (2026-11) is provisional and whose latest final month is 2026-10."""
    return {
        **summary(code, final_value, target, direction),
        "current": {"period": "2026-11", "value": young_value, "n": 10, "provisional": True, "target": target},
    }


def test_ratios_follow_the_direction():
    assert ratio_of(90, 100, "higher") == pytest.approx(0.9)
    assert ratio_of(50, 40, "lower") == pytest.approx(0.8)  # 50 h against a 40 h target
    assert ratio_of(0, 40, "lower") == CAP  # nothing waited at all


def test_the_cap_stops_one_indicator_masking_the_others():
    result = score([summary("great", 500, 100), summary("poor", 50, 100), summary("fair", 90, 100)])
    great = next(r for r in result.ratios if r.code == "great")
    assert great.ratio == 5.0 and great.capped == CAP
    assert result.score == pytest.approx((CAP + 0.5 + 0.9) / 3, abs=0.001)
    assert [r.code for r in result.worst] == ["poor", "fair", "great"]


def test_indicators_without_target_or_value_are_left_out_not_counted():
    result = score([summary("a", 100, 100), summary("b", 80, None), summary("c", None, 50)])
    assert result.score == 1.0
    assert {(x["code"], x["reason"]) for x in result.left_out} == {("b", "no_target"), ("c", "no_value")}


def test_classes_and_items_are_counted():
    result = score(
        [
            summary("a", 100, 100, kind="outcome", n=7),
            summary("b", 100, 100, kind="experience", n=8),
            summary("c", 100, 100, kind="output", n=9),
            summary("d", 100, 100, kind="input", n=10),
        ]
    )
    assert result.classes == {"outcome": 1, "experience": 1, "output": 1, "input": 1}
    assert result.effect_share == 0.5 and result.items == 34


def test_no_indicators_no_score():
    assert score([]).score is None


def test_a_young_month_is_not_ranked_unless_asked():
    overview = [young("closed", 95, 40, 90), summary("median", 60, 48, direction="lower")]
    final = score(overview)
    assert [(r.code, r.period, r.provisional) for r in final.worst] == [
        ("median", "2026-10", False),
        ("closed", "2026-10", False),
    ]
    assert final.include_provisional is False
    with_young = score(overview, include_provisional=True)
    assert with_young.worst[0].code == "closed" and with_young.worst[0].period == "2026-11"
    assert with_young.worst[0].provisional is True and with_young.worst[0].value == 40


def test_an_indicator_with_only_provisional_months_is_left_out_with_that_reason():
    only_young = {**young("new", 95, 40, 90), "latest_final": None}
    result = score([only_young, summary("a", 100, 100)])
    assert [r.code for r in result.ratios] == ["a"]
    assert result.left_out == [{"code": "new", "name": only_young["name"], "reason": "only_provisional"}]


def test_the_final_month_is_held_to_the_target_in_force_then():
    cell = {"period": "2026-09", "value": 80, "n": 10, "provisional": False, "target": 100}
    changed = {**summary("a", 80, 50), "latest_final": cell}  # the target became 50 later
    assert score([changed]).ratios[0].target == 100.0
