"""The publication policy decides every field, and the worker redacts by it."""

from __future__ import annotations

from collections import Counter

import pytest

from core.vocabulary import DOCUMENT_TYPES, SEARCHABLE_TYPES
from ingest.events import EVENT_TYPES
from ingest.fold import DOC_TYPE_OF_EVENT
from privacy import policy
from privacy.enforce import PersonalDataInId, redact_event
from tests.builders import T0, at, ev, feedback_item
from tests.conftest import ingest, read_json

HETU = "131052-308T"
PHONE = "040 765 4321"
EMAIL = "maija.m@example.fi"


def test_every_field_of_every_event_type_is_decided():
    """A new payload field must be decided in privacy/policy.py before it can be published."""
    missing, stale = [], []
    for event_type, (_, schema) in EVENT_TYPES.items():
        declared = set(schema.fields)
        decided = set(policy.FIELDS.get(event_type, {}))
        missing += [f"{event_type}.{name}" for name in sorted(declared - decided)]
        stale += [f"{event_type}.{name}" for name in sorted(decided - declared)]
    assert missing == [], "fields with no publication decision"
    assert stale == [], "policy entries for fields that no longer exist"
    assert set(policy.FIELDS) == set(EVENT_TYPES)


def test_every_document_type_has_a_visibility():
    assert set(policy.DOCUMENTS) == set(DOCUMENT_TYPES) == set(DOC_TYPE_OF_EVENT.values())
    # only item-public types can be searched item by item
    assert {t for t in SEARCHABLE_TYPES if not policy.items_public(t)} == set()
    assert not policy.items_public("case") and not policy.items_public("survey")
    assert not policy.items_public("no-such-type")


def test_an_unknown_field_is_text():
    assert policy.treatment("feedback.received", "a_field_added_tomorrow") is policy.Treatment.TEXT
    assert policy.treatment("no.such_type", "x") is policy.Treatment.TEXT


def test_one_persons_values_are_aggregate_only():
    """Ratings, survey scores, waiting times and outcome values feed figures but are never shown one by one."""
    for event_type, name in [
        ("feedback.rating", "score"),
        ("service.survey_response", "score"),
        ("service.case_closed", "waiting_days"),
        ("service.outcome_measured", "value"),
    ]:
        assert policy.treatment(event_type, name) is policy.Treatment.AGGREGATE_ONLY


def test_strings_in_every_field_kind_are_redacted():
    """Text, lists, maps and structured strings all lose identifiers; the counts say what went."""
    event = ev(
        "feedback.status_changed",
        "fb-1",
        T0,
        state="in_process",
        detailed_status=["PROCESSED", f"CALLBACK:{PHONE}"],
        note=f"Soita {PHONE} tai {EMAIL}",
    )
    counts: Counter[str] = Counter()
    redact_event(event, counts)
    assert PHONE not in str(event["payload"]) and EMAIL not in str(event["payload"])
    assert event["payload"]["detailed_status"][0] == "PROCESSED"
    assert counts["phone"] == 2 and counts["email"] == 1


def test_urls_lose_query_strings_and_flagged_segments():
    event = ev(
        "feedback.received",
        "fb-2",
        T0,
        service_code="171",
        description="Kuva liitteenä",
        media_urls=[f"https://kuvat.example.fi/u/{EMAIL}/kuva.jpg?owner=matti&token=abc#x"],
    )
    redact_event(event, Counter())
    (url,) = event["payload"]["media_urls"]
    assert "?" not in url and "#" not in url and "owner" not in url and EMAIL not in url
    assert url.startswith("https://kuvat.example.fi/u/") and url.endswith("/kuva.jpg")


@pytest.mark.parametrize("field", ["subject_id", "event_id", "source"])
def test_an_envelope_id_with_personal_data_is_refused(field):
    event = ev("feedback.received", "fb-3", T0, service_code="171", description="x")
    event[field] = f"asiakas-{HETU}"
    with pytest.raises(PersonalDataInId, match=field):
        redact_event(event, Counter())


@pytest.mark.parametrize("field", ["subject_id", "event_id", "source"])
@pytest.mark.parametrize("value", ["fb-0100000", "0401234567", "open311-101003", "case-0000123456"])
def test_a_numbered_id_is_not_taken_for_a_phone_number(field, value):
    """Source systems number their records, often zero-padded: those digits read as a phone number, and
    refusing them dropped every event past a type's 100,000th item (the 1,000,000-event demo lost 275,162)."""
    event = ev("feedback.received", "fb-3", T0, service_code="171", description="x")
    event[field] = value
    redact_event(event, Counter())
    assert event[field] == value


def test_such_an_event_is_dead_lettered_and_the_rest_goes_on(log, worker, index):
    bad = ev("feedback.received", f"fb-{HETU}", T0, event_id="e-1", service_code="171", description="x")
    ingest(log, worker, [bad, *feedback_item("fb-ok", T0, respond_hours=2)])
    assert index.get("fb-ok") is not None
    letters = log.dead_letters()
    assert len(letters) == 1 and "subject_id looks like personal data" in letters[0].reason


def test_fields_that_were_never_redacted_are_now(log, worker, index, app_for):
    """The fields the first privacy review found passed through whole (issue #9)."""
    events = [
        ev(
            "feedback.received",
            "fb-9",
            T0,
            service_code="171",
            service_name=f"Katuvalot {PHONE}",
            description="Valo rikki",
            media_urls=[f"https://img.example.fi/{EMAIL}/a.jpg?phone={PHONE.replace(' ', '')}"],
        ),
        ev("feedback.status_changed", "fb-9", at(hours=1), 1, state="in_process", detailed_status=[f"TUNNUS {HETU}"]),
        ev(
            "feedback.response_given",
            "fb-9",
            at(hours=2),
            2,
            text="Korjattu",
            responding_unit=f"Kadut, {EMAIL}",
        ),
        ev("governance.initiative_submitted", "in-9", T0, title=f"Aloite {PHONE}", signatories=["Valtuutettu A"]),
        ev("governance.initiative_status_changed", "in-9", at(days=1), 1, status="in_preparation", note=EMAIL),
    ]
    ingest(log, worker, events)
    client = app_for().test_client()
    outputs = [
        client.get("/v1/feedback/fb-9").get_data(as_text=True),
        client.get("/v1/initiatives/in-9").get_data(as_text=True),
        client.get("/fi/feedback/fb-9").get_data(as_text=True),
        client.get("/fi/initiatives/").get_data(as_text=True),
    ]
    for text in outputs:
        for secret in (PHONE, EMAIL, HETU, PHONE.replace(" ", "")):
            assert secret not in text
    item = read_json(client.get("/v1/feedback/fb-9"))
    assert "[REDACTED:" in item["service_name"]
    assert "[REDACTED:" in item["responses"][0]["unit"]


def test_a_rating_is_not_shown_item_by_item_but_counts_in_the_figure(log, worker, index, app_for):
    events = []
    for i in range(6):
        events += feedback_item(f"fb-r{i}", at(hours=i), respond_hours=2)
        events.append(ev("feedback.rating", f"fb-r{i}", at(hours=i + 5), 9, score=4, scale_min=1, scale_max=5))
    ingest(log, worker, events)
    client = app_for().test_client()
    item = read_json(client.get("/v1/feedback/fb-r0"))
    assert "rating" not in item
    assert "rating" not in index.get("fb-r0").body
    figure = read_json(client.get("/v1/indicators/resident_satisfaction"))
    assert figure["overall"]["value"] == 75.0


def test_percent_encoded_identifiers_in_url_paths_are_found():
    from privacy.redact import redact_url

    url, found = redact_url("https://img.example.fi/matti%28at%29example.fi/040%2F1234567/kuva.jpg")
    assert "matti" not in url and "1234567" not in url and url.endswith("/kuva.jpg")
    assert found


def test_a_url_with_a_port_out_of_range_is_dropped_not_an_error():
    from privacy.redact import redact_url

    url, _ = redact_url("https://img.example.fi:99999/a.jpg")
    assert "img.example.fi" not in url
