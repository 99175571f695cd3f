"""Escaping by construction, checked as a property (issue #10, point 1).

Hostile strings (markup, quotes, entities, control characters with NUL, RTL overrides,
template syntax, ``javascript:`` and 10 kB runs) go into every free string field of every
event type. The events are ingested by the real worker into a SQLite index, then every page
in fi/sv/en and every Atom feed is rendered. The HTML must hold no (tag, attribute) pair
that the same city with plain strings does not produce, no event handler and no script URL;
every feed must be well-formed XML. The allow-list comes from a clean run, not from a list
kept by hand, so a template change updates it by itself.
"""

from __future__ import annotations

import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from html.parser import HTMLParser
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import fields, validate

from api import create_app
from api.i18n import LANGUAGES
from core.clock import FixedClock
from core.settings import load_settings
from ingest.events import EVENT_TYPES
from ingest.log import open_log
from ingest.worker import Worker
from search.index import open_index
from tests.builders import T0, ev
from tests.conftest import append

#: values of the fields whose strings are vocabulary, codes or dates (never free text)
FIXED: dict[str, dict[str, Any]] = {
    "feedback.received": {"lat": None, "lon": None, "language": "fi"},
    "feedback.status_changed": {"state": "resolved"},
    "feedback.rating": {"score": 4, "scale_max": 5},
    "service.case_closed": {"waiting_days": 1.5, "handling_hours": 3.0},
    "service.survey_response": {"score": 4, "scale_max": 5},
    "service.outcome_measured": {"indicator_code": "outcome_hostile", "value": -3.5, "period": "2026-03"},
    "governance.initiative_status_changed": {"status": "being_prepared"},
    "governance.indicator_target_set": {
        "indicator_code": "feedback_response_time_median",
        "target_value": 48.0,
        "valid_from": "2026-01-01",
    },
}
ITEMS = 6  # six of each document, so that aggregates are not withheld


def _document_kind(event_type: str) -> str:
    """Events of one subject must build one kind of document (a feedback item, a case, an initiative)."""
    family, name = event_type.split(".")
    if family == "feedback" or name.startswith("case_"):
        return family
    return name.split("_")[0]


PIECES = [
    "<script>alert(1)</script>",
    "\"'><img src=x onerror=alert(1)>",
    "</title><svg onload=alert(1)>",
    "&amp; &lt; &#0; &#x202E;",
    "\x00\x01\x08\x0b\x0c\x1b\x1f\x7f",
    "\u202egnp.exe\u202c",
    "javascript:alert(1)",
    "]]><!-- -->",
    "{{ 7*7 }}{% raw %}",
    '=HYPERLINK("x")',
    "\r\n\t",
]
hostile_text = st.lists(
    st.one_of(
        st.sampled_from(PIECES),
        st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40),
        st.sampled_from(PIECES).map(lambda p: (p * (10_000 // len(p) + 1))[:10_000]),
    ),
    min_size=1,
    max_size=4,
).map("".join)


def _string_fields(schema: Any) -> Iterator[tuple[str, str, int]]:
    """(name, kind, max length) of every free string field: kind is 'str', 'list' or 'names'."""
    for name, field in schema.fields.items():
        inner, kind = field, "str"
        if isinstance(field, fields.List):
            inner, kind = field.inner, "list"
        elif isinstance(field, fields.Dict):
            yield name, "names", 500
            continue
        if type(inner) is not fields.String:
            continue
        checks = inner.validators
        if any(isinstance(v, (validate.OneOf, validate.Regexp)) for v in checks):
            continue
        longest = min([v.max for v in checks if isinstance(v, validate.Length) and v.max] or [20_000])
        yield name, kind, longest


def city(text: Callable[[int], str]) -> list[dict[str, Any]]:
    """One city with every event type; ``text(limit)`` gives each free string (at most ``limit`` long)."""
    events: list[dict[str, Any]] = []
    numbers = count()
    service_code = text(500)
    for kind, (_, schema) in EVENT_TYPES.items():
        for i in range(ITEMS):
            payload: dict[str, Any] = dict(FIXED.get(kind, {}))
            for name, shape, limit in _string_fields(schema):
                if name in payload:
                    continue
                if name == "service_code":
                    payload[name] = service_code
                elif shape == "str":
                    payload[name] = text(limit)
                elif shape == "list":
                    payload[name] = [text(limit), text(limit)]
                else:
                    payload[name] = {lang: text(limit) for lang in LANGUAGES}
            if kind == "governance.indicator_target_set":
                payload["decision_date"] = date(2026, 1, 1).isoformat()
            subject = f"{_document_kind(kind)}-{i}-{text(100)}"
            events.append(
                ev(kind, subject, T0 + timedelta(hours=next(numbers)), seq=next(numbers), **payload)  # type: ignore[arg-type]
            )
    return events


class Markup(HTMLParser):
    """Collects (tag, attribute) pairs and attribute values that could run script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pairs: set[tuple[str, str]] = set()
        self.dangerous: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.pairs.add((tag, ""))
        for name, value in attrs:
            self.pairs.add((tag, name))
            lowered = "".join((value or "").split()).lower()
            if name.startswith("on") or (name in ("href", "src", "action") and lowered.startswith("javascript:")):
                self.dangerous.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag


def render_everything(events: list[dict[str, Any]]) -> tuple[set[tuple[str, str]], list[str], list[str]]:
    """Ingest ``events`` into a fresh index and render every page and feed; (pairs, dangerous, problems).

    Events the worker refuses count as problems: a hostile string must be shown, not lost.
    """
    with tempfile.TemporaryDirectory() as tmp:
        conf = load_settings({}, data_dir=str(Path(tmp) / "data"), base_url="http://mittari.test")
        log, index = open_log(conf), open_index(conf)
        try:
            append(log, events)
            Worker(log, index, batch_size=200).run(until_caught_up=True)
            refused = [f"dead letter: {d.reason[:200]}" for d in log.dead_letters()]
            client = create_app(conf, clock=FixedClock(T0.replace(month=6, day=1))).test_client()
            pairs, dangerous, problems = _crawl(client, events)
            return pairs, dangerous, refused + problems
        finally:
            log.close()
            index.close()


def _crawl(client: Any, events: list[dict[str, Any]]) -> tuple[set[tuple[str, str]], list[str], list[str]]:
    pairs: set[tuple[str, str]] = set()
    dangerous: list[str] = []
    problems: list[str] = []
    codes = {e["payload"].get("service_code") for e in events if e["payload"].get("service_code")}
    bodies = {e["payload"]["body"] for e in events if e["type"] == "governance.decision_made"}
    ids = {
        "feedback": {e["subject_id"] for e in events if e["type"] == "feedback.received"},
        "decisions": {e["subject_id"] for e in events if e["type"] == "governance.decision_made"},
    }
    for lang in LANGUAGES:
        pages = [f"/{lang}/", f"/{lang}/services/", f"/{lang}/feedback/", f"/{lang}/initiatives/"]
        pages += [f"/{lang}/decisions/", f"/{lang}/feeds/", f"/{lang}/report"]
        pages += [f"/{lang}/indicators/{code}" for code in ("feedback_response_time_median", "outcome_hostile")]
        # pages named by data: a code with a '/' cannot be routed (404), but nothing may fail (5xx)
        named = [f"/{lang}/services/{quote(str(code), safe='')}" for code in codes]
        named += [f"/{lang}/{kind}/{quote(i, safe='')}" for kind, found in ids.items() for i in sorted(found)[:2]]
        named += [f"/{lang}/report?body={quote(b, safe='')}&period=2026-03" for b in bodies]
        for path in pages + named:
            response = client.get(path)
            if response.status_code != 200:
                if path in pages or response.status_code >= 500:
                    problems.append(f"{path[:80]!r}: {response.status_code}")
                continue
            parser = Markup()
            parser.feed(response.get_data(as_text=True))
            pairs |= parser.pairs
            dangerous += parser.dangerous
        for feed in ("decisions", "initiatives", "indicators"):
            response = client.get(f"/{lang}/feeds/{feed}.atom")
            try:
                ET.fromstring(response.data)
            except ET.ParseError as exc:
                problems.append(f"{feed} feed in {lang} is not XML: {exc}")
    return pairs, dangerous, problems


def test_the_clean_city_renders_every_kind_of_page():
    numbers = count()
    pairs, dangerous, problems = render_everything(city(lambda limit: f"plain text {next(numbers)}"))
    assert not dangerous and not problems, (dangerous, problems)
    assert {("svg", "aria-labelledby"), ("table", ""), ("a", "hreflang"), ("form", "action")} <= pairs


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(hostile_text, min_size=1, max_size=5, unique=True))
def test_hostile_strings_in_every_field_cannot_add_markup_or_break_feeds(strings):
    """The drawn strings go round the fields in turn, so each field meets several kinds of attack.

    The allow-list is the same city with each hostile string replaced by a plain one, equal
    where the hostile ones are equal: the same services, bodies and areas, so the same
    branches of the templates (a withheld bar, a filter list) are taken.
    """

    def writer(plain: bool) -> Callable[[int], str]:
        turn = count()

        def text(limit: int) -> str:
            k = next(turn) % len(strings)
            value = strings[k][:limit]
            return f"plain {k} {len(value)}" if plain else value

        return text

    allowed, _, _ = render_everything(city(writer(plain=True)))
    pairs, dangerous, problems = render_everything(city(writer(plain=False)))
    assert not dangerous
    assert not problems, problems[:5]
    assert pairs <= allowed, sorted(pairs - allowed)
