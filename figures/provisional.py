"""Provisional values: when a month's cells of an indicator stop changing by themselves.

A month's value is computed from the items in it, and young items have not had their
chance to finish: a feedback item received on the 30th is not yet answered on the 1st, so
October's "feedback closed" rises through November without anything being wrong. Such a
cell is *provisional* until the items in it have had that chance; after that it is
*final* (it can still be restated by a late or corrected record, but not by time alone).

When that is depends on the indicator, so each definition carries a ``Rule`` as data:
how long after the end of the month (in the city's time zone) its cells become final,
optionally plus the response target (``MITTARI_RESPONSE_TARGET_HOURS``), and in words
why. A quarter, a year or the whole history is provisional while any of its months is;
months that have not ended yet are provisional too, so the current quarter and year
are, and the whole history always is while the city keeps reporting.

Everything here is a pure function of the rule, the period and *now* (the injected
clock's time), so a test can move the clock across the boundary and see the flag flip.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from core.errors import BadQuery
from core.times import iso

#: the values ``?provisional=`` takes: leave provisional months out of the score (default) or use them
MODES = ("exclude", "include")
WHOLE = "all"  # the whole history as a period (as in figures/indicator_table.py)


@dataclass(frozen=True)
class Rule:
    """When a month becomes final: ``days`` after its end, plus the response target when ``response_target``."""

    days: int = 0
    response_target: bool = False
    reason: dict[str, str] = field(default_factory=dict, compare=False, hash=False)  # fi/sv/en: why this long

    def delay(self, response_target_hours: int) -> timedelta:
        return timedelta(days=self.days, hours=response_target_hours if self.response_target else 0)

    def describe(self, response_target_hours: int) -> dict[str, object]:
        """The rule as the API shows it in an indicator's definition."""
        return {
            "days_after_month_end": self.days,
            "plus_response_target_hours": response_target_hours if self.response_target else 0,
            "reason": dict(self.reason),
        }


@dataclass(frozen=True)
class Flag:
    provisional: bool
    final_from: datetime  # UTC: the first instant at which the cell is final

    def as_fields(self) -> dict[str, object]:
        return {"provisional": self.provisional, "final_from": iso(self.final_from)}


def month_end(month: str, timezone: str) -> datetime:
    """The first instant after a month (YYYY-MM) in the city's time zone, in UTC."""
    year, number = int(month[:4]), int(month[5:7])
    year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return datetime(year, number, 1, tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def last_month(period: str, now: datetime, timezone: str) -> str:
    """The last month of a period key: a month, a quarter (YYYY-Qn), a year (YYYY) or the whole history,
    which runs to the current month (new items keep arriving into it)."""
    if period == WHOLE:
        return now.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")
    if len(period) == 4:
        return f"{period}-12"
    if "-Q" in period:
        return f"{period[:4]}-{int(period[-1]) * 3:02d}"
    return period


def final_from(rule: Rule, period: str, now: datetime, timezone: str, response_target_hours: int) -> datetime:
    """When every month of the period is final (elapsed time, so a DST change does not move it)."""
    return _final(rule, last_month(period, now, timezone), timezone, response_target_hours)[0]


@lru_cache(maxsize=65_536)
def _final(rule: Rule, month: str, timezone: str, response_target_hours: int) -> tuple[datetime, str]:
    """A month's final instant and its ISO text: the same for every cell of the month, so computed once."""
    final = month_end(month, timezone) + rule.delay(response_target_hours)
    return final, iso(final)


def flag(rule: Rule, period: str, now: datetime, timezone: str, response_target_hours: int) -> Flag:
    """Is the cell of ``period`` provisional at ``now``, and from when is it final."""
    final = final_from(rule, period, now, timezone, response_target_hours)
    return Flag(provisional=now < final, final_from=final)


def fields(rule: Rule, period: str, now: datetime, timezone: str, response_target_hours: int) -> dict[str, object]:
    """``provisional`` and ``final_from`` as a published cell carries them (the same as ``flag(...).as_fields()``)."""
    final, text = _final(rule, last_month(period, now, timezone), timezone, response_target_hours)
    return {"provisional": now < final, "final_from": text}


def include_provisional(value: str | None) -> bool:
    """``?provisional=`` as a choice: False (leave provisional months out) unless it says ``include``."""
    if value is None or value == "" or value == "exclude":
        return False
    if value == "include":
        return True
    raise BadQuery("provisional", f"must be one of {', '.join(MODES)}")


def _t(fi: str, sv: str, en: str) -> dict[str, str]:
    return {"fi": fi, "sv": sv, "en": en}


# -- the rules of the built-in indicators, each with its reason ------------------------
RESPONSE = Rule(
    0,
    True,
    _t(
        "Lopullinen, kun kuukauden päättymisestä on kulunut vastausaikatavoite: silloin jokaiseen "
        "kuukauden palautteeseen on vastattu tai se on myöhässä.",
        "Slutlig när svarstidsmålet har gått sedan månadens slut: då är varje respons från månaden "
        "besvarad eller försenad.",
        "Final once the response target has passed after the month's end: by then every item of the "
        "month has been answered or is late.",
    ),
)
CLOSING = Rule(
    14,
    True,
    _t(
        "Lopullinen, kun kuukauden päättymisestä on kulunut vastausaikatavoite ja 14 päivää: sulkeminen "
        "seuraa vastausta, yleensä kahden viikon kuluessa.",
        "Slutlig när svarstidsmålet och 14 dagar har gått sedan månadens slut: avslutandet följer svaret, "
        "oftast inom två veckor.",
        "Final once the response target and 14 days have passed after the month's end: closing follows "
        "the first response, mostly within two weeks.",
    ),
)
REOPENING = Rule(
    30,
    True,
    _t(
        "Lopullinen, kun kuukauden päättymisestä on kulunut vastausaikatavoite ja 30 päivää: asukas, "
        "jonka asia ei ratkennut, palaa yleensä kuukauden kuluessa sulkemisesta.",
        "Slutlig när svarstidsmålet och 30 dagar har gått sedan månadens slut: en invånare vars ärende "
        "inte löstes återkommer oftast inom en månad efter avslutandet.",
        "Final once the response target and 30 days have passed after the month's end: a resident whose "
        "matter was not settled mostly comes back within a month of the closing.",
    ),
)
RATINGS = Rule(
    14,
    True,
    _t(
        "Lopullinen, kun kuukauden päättymisestä on kulunut vastausaikatavoite ja 14 päivää: palautteen "
        "arvio annetaan sulkemisen jälkeen, ja kyselyvastaukset saapuvat kyselyjärjestelmistä viiveellä.",
        "Slutlig när svarstidsmålet och 14 dagar har gått sedan månadens slut: betyget på respons ges "
        "efter avslutandet och enkätsvar kommer från enkätsystemen med fördröjning.",
        "Final once the response target and 14 days have passed after the month's end: a feedback "
        "rating is given after the closing, and survey answers arrive from the survey systems late.",
    ),
)
CASES = Rule(
    7,
    False,
    _t(
        "Lopullinen 7 päivää kuukauden päättymisen jälkeen: arvo lasketaan sulkemiskuukauden mukaan, "
        "joten vain myöhässä raportoidut sulkemiset voivat vielä muuttaa sitä.",
        "Slutlig 7 dagar efter månadens slut: värdet räknas efter avslutningsmånad, så bara sent "
        "rapporterade avslut kan ännu ändra det.",
        "Final 7 days after the month's end: the value is by month closed, so only closings reported "
        "late can still change it.",
    ),
)
OUTCOMES = Rule(
    45,
    False,
    _t(
        "Lopullinen 45 päivää jakson päättymisen jälkeen: palvelujärjestelmät raportoivat "
        "vaikuttavuusmittarit jakson jälkeen.",
        "Slutlig 45 dagar efter periodens slut: tjänstesystemen rapporterar effektmåtten efter perioden.",
        "Final 45 days after the period's end: service systems report outcome measures after the period.",
    ),
)

#: built-in indicators by code; outcome measures (reported per period) follow ``OUTCOMES``
RULES: dict[str, Rule] = {
    "feedback_response_time_median": RESPONSE,
    "feedback_response_time_p90": RESPONSE,
    "feedback_answered_on_time": RESPONSE,
    "feedback_closed_share": CLOSING,
    "feedback_reopened_share": REOPENING,
    "resident_satisfaction": RATINGS,
    "service_waiting_time": CASES,
}


def rule_for(code: str, sources: tuple[str, ...]) -> Rule:
    """An indicator's rule: its own, or by what it reads (outcomes, cases, else feedback's response target)."""
    if code in RULES:
        return RULES[code]
    if "outcome" in sources:
        return OUTCOMES
    if sources == ("case",):
        return CASES
    return RESPONSE
