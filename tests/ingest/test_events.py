import json
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import InvalidEvent
from ingest.events import EVENT_TYPES, MAX_EVENT_BYTES, format_time, parse_event, validate_event
from tests.builders import at, ev

VALID = {
    "feedback.received": {"service_code": "171", "description": "Katuvalo rikki", "lat": 60.2, "lon": 24.8},
    "feedback.status_changed": {
        "state": "scheduled_later",
        "detailed_status": ["PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER"],
    },
    "feedback.response_given": {"text": "Kiitos", "responding_unit": "Kadut"},
    "feedback.recontacted": {"text": "Ei korjattu"},
    "feedback.rating": {"score": 4, "scale_min": 1, "scale_max": 5},
    "service.case_opened": {"service_code": "210", "service_point": "Päiväkoti Kilo", "channel": "verkko"},
    "service.case_closed": {"service_code": "210", "waiting_days": 12.5, "handling_hours": 2, "outcome": "palveltu"},
    "service.survey_response": {"service_code": "220", "score": 8, "scale_min": 4, "scale_max": 10},
    "service.outcome_measured": {
        "indicator_code": "pupil_wellbeing",
        "value": 71.5,
        "unit": "%",
        "period": "2026-02",
        "sample_size": 120,
    },
    "governance.meeting_held": {"body": "Kaupunginhallitus"},
    "governance.decision_made": {
        "body": "Kaupunginhallitus",
        "title": "Tavoite",
        "case_id": "ESP/2026/1",
        "indicators": ["x"],
    },
    "governance.initiative_submitted": {
        "title": "Aloite",
        "signatories": ["A", "B"],
        "responsible_body": "Kaupunginhallitus",
    },
    "governance.initiative_status_changed": {"status": "being_prepared"},
    "governance.initiative_answered": {"response": "Vastaus", "decision_id": "dec-1"},
    "governance.indicator_target_set": {
        "indicator_code": "resident_satisfaction",
        "target_value": 70,
        "valid_from": "2026-01-01",
        "body": "Kaupunginhallitus",
    },
}

INVALID = {
    "feedback.received": ({"description": "x"}, "service_code"),
    "feedback.status_changed": ({"state": "fixed"}, "state"),
    "feedback.response_given": ({"text": ""}, "text"),
    "feedback.recontacted": ({"text": 5}, "text"),
    "feedback.rating": ({"score": 6, "scale_max": 5}, "score"),
    "service.case_opened": ({"service_point": "x"}, "service_code"),
    "service.case_closed": ({"service_code": "1", "waiting_days": -1, "outcome": "x"}, "waiting_days"),
    "service.survey_response": ({"service_code": "1", "score": 3, "scale_min": 5, "scale_max": 5}, "scale_min"),
    "service.outcome_measured": ({"indicator_code": "x1", "value": 1, "unit": "%", "period": "2026-13"}, "period"),
    "governance.meeting_held": ({}, "body"),
    "governance.decision_made": ({"body": "x"}, "title"),
    "governance.initiative_submitted": ({"signatories": []}, "title"),
    "governance.initiative_status_changed": ({"status": "forgotten"}, "status"),
    "governance.initiative_answered": ({}, "response"),
    "governance.indicator_target_set": ({"indicator_code": "x1", "target_value": 1, "body": "b"}, "valid_from"),
}


def test_every_event_type_has_examples():
    assert set(VALID) == set(EVENT_TYPES) == set(INVALID)


@pytest.mark.parametrize("kind", sorted(VALID))
def test_valid_event_of_each_type(kind):
    event = validate_event(ev(kind, "s-1", at(), **VALID[kind]))
    assert event["type"] == kind
    assert event["occurred_at"] == "2026-03-02T08:00:00.000000Z"


@pytest.mark.parametrize("kind", sorted(INVALID))
def test_invalid_payload_names_the_field(kind):
    payload, field = INVALID[kind]
    with pytest.raises(InvalidEvent) as caught:
        validate_event(ev(kind, "s-1", at(), **payload))
    assert field in caught.value.reason
    assert kind in caught.value.reason


def test_unknown_type_and_missing_envelope_fields():
    event = ev("feedback.received", "s", at(), **VALID["feedback.received"])
    with pytest.raises(InvalidEvent, match="type"):
        validate_event({**event, "type": "feedback.teleported"})
    with pytest.raises(InvalidEvent, match="subject_id"):
        validate_event({k: v for k, v in event.items() if k != "subject_id"})
    with pytest.raises(InvalidEvent, match="occurred_at"):
        validate_event({**event, "occurred_at": "2026-03-02T08:00:00"})  # no offset: ambiguous
    with pytest.raises(InvalidEvent, match="extra: Unknown field"):
        validate_event({**event, "extra": 1})


def test_unknown_payload_fields_are_refused():
    with pytest.raises(InvalidEvent, match="colour"):
        validate_event(ev("feedback.received", "s", at(), **VALID["feedback.received"], colour="red"))


def test_bytes_that_are_not_json_or_too_big():
    with pytest.raises(InvalidEvent, match="not JSON"):
        parse_event(b"\xff{nope")
    with pytest.raises(InvalidEvent, match="limit"):
        parse_event(b" " * (MAX_EVENT_BYTES + 1))
    with pytest.raises(InvalidEvent, match="not a JSON object"):
        parse_event(json.dumps([1, 2]).encode())


@settings(max_examples=500, deadline=None)
@given(when=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()))
def test_time_format_is_the_strftime_pattern(when):
    assert format_time(when) == when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
