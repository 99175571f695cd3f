"""A composite "how are we doing" score across indicators, in the spirit of Boston's CityScore.

Each indicator with a target and a current (unsuppressed) value gets a ratio:
value ÷ target, or target ÷ value where lower is better, so 1.0 is exactly on
target and above 1.0 is better than the target. Each ratio is capped at
``CAP`` so one indicator far above its target cannot hide others below theirs,
and the score is the unweighted mean. Indicators without a target or a value
are listed as left out, never counted as zero or as met.

The score says nothing about *which* kind of indicator carries it, so the
classes (input, output, outcome, resident experience) of the included
indicators are counted: readers see how much of it measures effect rather
than effort.

Each indicator counts with its latest *final* month (``figures/provisional.py``):
a young month's value still moves as its items finish, so ranking it would name an
indicator "furthest from target" only because its month has not ended its course.
``include_provisional`` uses the latest month with a value instead; every ratio says
which month it used and whether that month is provisional.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CAP = 1.25
WORST = 5
EFFECT_CLASSES = frozenset({"outcome", "experience"})


@dataclass(frozen=True)
class Ratio:
    code: str
    name: dict[str, str]
    kind: str
    value: float
    target: float
    ratio: float  # uncapped
    capped: float
    n: int
    period: str
    provisional: bool = False
    final_from: str | None = None  # when the month's value is final (ISO 8601, UTC)


@dataclass(frozen=True)
class Score:
    score: float | None
    ratios: list[Ratio]
    left_out: list[dict[str, Any]]  # code, name, reason
    classes: dict[str, int]
    effect_share: float | None  # share of included indicators that measure outcome or experience
    items: int  # items behind the included values
    cap: float = CAP
    worst: list[Ratio] = field(default_factory=list)
    include_provisional: bool = False  # which month each indicator counts with: the latest final one unless True


def ratio_of(value: float, target: float, direction: str) -> float | None:
    """1.0 on target; above 1.0 better. None when the ratio has no meaning (a zero on the wrong side)."""
    if direction == "lower":
        if value <= 0:
            return CAP if target >= 0 else None  # nothing waited at all: as good as it gets
        return target / value
    if target <= 0:
        return None
    return value / target


def score(overview: list[dict[str, Any]], include_provisional: bool = False) -> Score:
    """The composite over indicator summaries as ``Indicators.overview()`` returns them: each indicator with its
    latest final month (or, with ``include_provisional``, its latest month) against the target in force then."""
    ratios: list[Ratio] = []
    left_out: list[dict[str, Any]] = []
    for summary in overview:
        latest = summary.get("current") or {}
        current = latest if include_provisional else summary.get("latest_final") or {}
        target = _target_of(current, summary)
        base = {"code": summary["code"], "name": summary["name"]}
        if target is None:
            left_out.append({**base, "reason": "no_target"})
            continue
        if current.get("value") is None:
            reason = "only_provisional" if latest.get("value") is not None else "no_value"
            left_out.append({**base, "reason": reason})
            continue
        raw = ratio_of(float(current["value"]), float(target), summary["direction"])
        if raw is None:
            left_out.append({**base, "reason": "no_ratio"})
            continue
        ratios.append(
            Ratio(
                code=summary["code"],
                name=summary["name"],
                kind=summary["class"],
                value=float(current["value"]),
                target=float(target),
                ratio=round(raw, 3),
                capped=round(min(max(raw, 0.0), CAP), 3),
                n=int(current.get("n") or 0),
                period=str(current.get("period") or ""),
                provisional=bool(current.get("provisional")),
                final_from=current.get("final_from"),
            )
        )
    classes: dict[str, int] = {}
    for r in ratios:
        classes[r.kind] = classes.get(r.kind, 0) + 1
    mean = round(sum(r.capped for r in ratios) / len(ratios), 3) if ratios else None
    effect = round(sum(1 for r in ratios if r.kind in EFFECT_CLASSES) / len(ratios), 3) if ratios else None
    return Score(
        score=mean,
        ratios=ratios,
        left_out=left_out,
        classes=classes,
        effect_share=effect,
        items=sum(r.n for r in ratios),
        worst=sorted(ratios, key=lambda r: (r.capped, r.code))[:WORST],
        include_provisional=include_provisional,
    )


def _target_of(cell: dict[str, Any], summary: dict[str, Any]) -> float | None:
    """The target in force in the cell's month (a series cell carries it), else the summary's."""
    if "target" in cell:
        return None if cell["target"] is None else float(cell["target"])
    target = summary.get("target")
    return float(target["value"]) if target else None
