"""No seeded identifier leaves Mittari: every string field of every event type, every output.

A property-based test in the sense of issue #9: hypothesis writes identity
codes, phone numbers, e-mail addresses and IBANs in many writings
(``tests.privacy.strategies``) into every string field — lists and maps too —
of every event type, one field per item, so a refused event hides nothing
else. The city is ingested by the real worker, published to a folder, and then
everything public is read: the API's endpoints (JSON and CSV), every page in
three languages and every feed reachable by following the site's own links,
and the published files. None of them may contain a seeded identifier, in
its written form or escaped for HTML, JSON or a URL.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from marshmallow import fields as mfields

from api import create_app
from core.clock import FixedClock
from core.settings import load_settings
from figures.indicators import Indicators
from ingest.events import EVENT_TYPES, encode_event, topic_for
from ingest.log import Outgoing, open_log
from ingest.worker import Worker
from publisher.publish import publish
from publisher.target import open_target
from search.index import open_index
from tests.builders import T0, ev, feedback_item
from tests.privacy.strategies import emails, ibans, identity_codes, phones


def seeded_identifier() -> st.SearchStrategy[tuple[str, str]]:
    """(kind, written): one identifier in one of the many writings residents use."""
    return st.one_of(
        identity_codes().map(lambda w: ("identity_code", w)),
        phones().map(lambda w: ("phone", w)),
        emails().map(lambda w: ("email", w)),
        ibans().map(lambda w: ("iban", w)),
    )


#: a valid payload for each event type; each string field in turn is replaced by a seeded one
VALID: dict[str, dict[str, Any]] = {
    "feedback.received": {
        "service_code": "171",
        "service_name": "Katuvalot",
        "title": "Valo",
        "description": "Katuvalo rikki",
        "address": "Kivenlahdentie",
        "area": "Suur-Espoonlahti",
        "channel": "web",
        "media_urls": ["https://img.example.fi/a.jpg"],
        "language": "fi",
    },
    "feedback.status_changed": {"state": "in_process", "detailed_status": ["PROCESSED"], "note": "Käsittelyssä"},
    "feedback.response_given": {"text": "Korjattu", "responding_unit": "Kadut"},
    "feedback.recontacted": {"text": "Vieläkin rikki", "channel": "web"},
    "feedback.rating": {"score": 4, "scale_min": 1, "scale_max": 5},
    "service.case_opened": {"service_code": "410", "service_point": "Sello", "channel": "desk", "area": "Leppävaara"},
    "service.case_closed": {
        "service_code": "410",
        "service_point": "Sello",
        "channel": "desk",
        "area": "Leppävaara",
        "waiting_days": 3,
        "outcome": "served",
    },
    "service.survey_response": {
        "service_code": "410",
        "area": "Leppävaara",
        "question": "Kuinka tyytyväinen?",
        "comment": "Hyvä",
        "score": 4,
        "scale_max": 5,
    },
    "service.outcome_measured": {
        "indicator_code": "library_visits",
        "name": {"fi": "Käynnit", "sv": "Besök", "en": "Visits"},
        "value": 12.5,
        "unit": "visits",
        "period": "2026-03",
        "service_code": "410",
        "area": "Leppävaara",
        "sample_size": 40,
    },
    "governance.meeting_held": {
        "body": "Kaupunginhallitus",
        "title": "Kokous",
        "location": "Valtuustotalo",
        "agenda": ["Talousarvio"],
    },
    "governance.decision_made": {
        "body": "Kaupunginhallitus",
        "case_id": "ESP/1/2026",
        "section": "§ 1",
        "title": "Katuvalot",
        "text": "Päätettiin.",
        "meeting_id": "m-1",
        "services": ["171"],
        "indicators": ["feedback_closed_share"],
        "url": "https://paatokset.example.fi/d/1",
    },
    "governance.initiative_submitted": {
        "title": "Aloite",
        "text": "Ehdotamme",
        "signatories": ["Valtuutettu A"],
        "first_signatory": "Valtuutettu A",
        "responsible_body": "Kaupunginhallitus",
        "case_id": "ESP/2/2026",
        "services": ["171"],
        "indicators": ["feedback_closed_share"],
    },
    "governance.initiative_status_changed": {"status": "being_prepared", "note": "Valmistelussa"},
    "governance.initiative_answered": {"response": "Vastaus", "responding_body": "Kaupunginhallitus"},
    "governance.indicator_target_set": {
        "indicator_code": "feedback_closed_share",
        "target_value": 80,
        "valid_from": "2026-01-01",
        "service_code": "171",
        "body": "Kaupunginvaltuusto",
        "case_id": "ESP/3/2026",
        "decision_id": "d-3",
    },
}


def string_slots() -> list[tuple[str, str, str]]:
    """(event type, field, shape) for every field that can hold a string: 'str', 'list' or 'map'."""
    slots = []
    for event_type, (_, schema) in EVENT_TYPES.items():
        for name, field in schema.fields.items():
            if isinstance(field, mfields.String) and not isinstance(field, (mfields.Url, mfields.Email)):
                slots.append((event_type, name, "str"))
            elif isinstance(field, mfields.Url):
                slots.append((event_type, name, "url"))
            elif isinstance(field, mfields.List) and isinstance(field.inner, mfields.String):
                slots.append((event_type, name, "url-list" if isinstance(field.inner, mfields.Url) else "list"))
            elif isinstance(field, mfields.Dict):
                slots.append((event_type, name, "map"))
    return slots


SLOTS = string_slots()


def seeded_value(shape: str, written: str) -> Any:
    text = f"ks. {written} kiitos"
    if shape == "str":
        return text
    if shape == "list":
        return ["OK", text]
    if shape == "map":
        return {"fi": text, "en": "x"}
    url = f"https://img.example.fi/{quote(written, safe='')}/kuva.jpg?tieto={quote(written, safe='')}"
    return url if shape == "url" else [url]


def build_events(seeds: list[str]) -> list[dict[str, Any]]:
    """One subject per slot, seeded in that slot only; plus a few ordinary items so figures exist."""
    events: list[dict[str, Any]] = []
    for i, (event_type, name, shape) in enumerate(SLOTS):
        payload = dict(VALID[event_type])
        payload[name] = seeded_value(shape, seeds[i % len(seeds)])
        subject = f"s-{i}"
        when = T0 + timedelta(hours=i)
        if event_type.startswith("feedback.") and event_type != "feedback.received":
            events.append(ev("feedback.received", subject, when, **VALID["feedback.received"]))
        if event_type in ("governance.initiative_status_changed", "governance.initiative_answered"):
            events.append(
                ev("governance.initiative_submitted", subject, when, **VALID["governance.initiative_submitted"])
            )
        events.append(ev(event_type, subject, when + timedelta(minutes=30), 5, **payload))
    for j in range(8):
        events += feedback_item(f"ok-{j}", T0 + timedelta(days=j % 3), respond_hours=2 + j)
    return events


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for key, value in attrs:
            if key in ("href", "src") and value:
                self.hrefs.append(value)


START = [
    "/v1/search?size=100",
    "/v1/search?size=100&format=csv",
    "/v1/initiatives?size=100",
    "/v1/indicators",
    "/v1/indicators?format=csv",
    "/v1/catalog",
    "/v1/status",
    *(f"/{lang}/" for lang in ("fi", "sv", "en")),
    *(f"/{lang}/feedback/?size=100" for lang in ("fi", "sv", "en")),
]


def crawl(client: Any, limit: int = 1500) -> Iterator[tuple[str, str]]:
    """Every same-site page reachable from the start points (and each feedback item's API record)."""
    seen: set[str] = set()
    queue = list(START)
    while queue and len(seen) < limit:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        body = response.get_data(as_text=True)
        response.close()
        if response.status_code != 200:
            continue
        yield path, body
        content_type = response.headers.get("Content-Type", "")
        if "html" in content_type or "xml" in content_type:
            parser = _Links()
            parser.feed(body)
            for href in parser.hrefs:
                parts = urlsplit(html.unescape(href))
                if parts.netloc not in ("", "mittari.test") or not parts.path.startswith("/"):
                    continue
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
        if path.startswith("/v1/search") and "json" in content_type:
            for item in json.loads(body)["items"]:
                queue.append(urlsplit(item["url"]).path)


def forms(written: str) -> set[str]:
    """A seeded identifier as it could appear in an output: as written, escaped, quoted."""
    return {
        written,
        html.escape(written),
        html.escape(written, quote=False),
        json.dumps(written, ensure_ascii=True)[1:-1],
        json.dumps(written, ensure_ascii=False)[1:-1],
        quote(written, safe=""),
        quote(written),
    }


@hsettings(
    max_examples=4,
    deadline=None,
    phases=[
        Phase.explicit,
        Phase.reuse,
        Phase.generate,
    ],  # a failure is reported as found: shrinking a city takes minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(seeds=st.lists(seeded_identifier(), min_size=8, max_size=8))
def test_no_seeded_identifier_reaches_any_output(tmp_path_factory: Any, seeds: list[tuple[str, str]]) -> None:
    root: Path = tmp_path_factory.mktemp("city")
    settings = load_settings({}, data_dir=str(root / "data"), base_url="http://mittari.test")
    clock = FixedClock(T0.replace(month=6, day=1))
    written = [w for _, w in seeds]
    log, index = open_log(settings), open_index(settings)
    try:
        for event in build_events(written):
            out = Outgoing(event["subject_id"], encode_event(event), event["event_id"])
            log.append(topic_for(event["type"]), [out])
        Worker(log, index, batch_size=500).run(until_caught_up=True)
        publish(Indicators(index, settings, clock), settings, open_target(None, settings))
        app = create_app(settings, clock=clock)
        app.config["TESTING"] = True
        outputs = list(crawl(app.test_client()))
        outputs += [(str(p), p.read_text(encoding="utf-8")) for p in settings.publish_dir.rglob("*") if p.is_file()]
        reached = {where.split("?")[0] for where, _ in outputs}
        seeded_items = {"/fi/feedback/s-3", "/sv/feedback/s-12", "/v1/feedback/s-7", "/en/decisions/s-48"}
        assert seeded_items <= reached, "the crawl must reach the seeded items' pages and records"
        assert any(w.endswith(".csv") for w in reached) and any("feeds/" in w for w in reached)
        leaks = [
            (kind, w, where)
            for kind, w in seeds
            for where, text in outputs
            for form in forms(w)
            if form and form in text
        ]
        assert leaks == []
    finally:
        log.close()
        index.close()
