"""Event contracts: one envelope for every event, and a payload schema per event type.

Every source system (feedback, service delivery, governance) speaks these
contracts. The envelope carries identity and ordering (``occurred_at`` and
``sequence`` come from the source, never from the log), the payload carries
the facts. ``raw`` keeps the source record as it arrived; it stays in the
event log and never reaches the index.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from core.errors import InvalidEvent
from core.vocabulary import FEEDBACK_STATES, INITIATIVE_STATES
from ingest import bounded_json
from ingest.generated_loader import compile_schema, format_time, iso_text

SCHEMA_VERSION = 1
MAX_EVENT_BYTES = 256 * 1024
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

_text = validate.Length(max=20_000)
_name = validate.Length(max=500)
#: whole numbers stay where arithmetic with floats cannot overflow (JSON allows 4,000 digits)
_scale = validate.Range(-1_000_000, 1_000_000)
_count = validate.Range(min=0, max=10**12)


def _str(required: bool = False, **kw: Any) -> fields.String:
    return fields.String(required=required, allow_none=not required, **kw)


class Payload(Schema):
    class Meta:
        unknown = RAISE

    # How each field is published (redacted as text, kept as a code...) is decided in privacy/policy.py.


# --- feedback ------------------------------------------------------------
class FeedbackReceived(Payload):
    service_code = _str(True, validate=_name)
    service_name = _str(validate=_name)
    title = _str(validate=_name)
    description = fields.String(required=True, validate=_text)
    address = _str(validate=_name)
    area = _str(validate=_name)
    lat = fields.Float(allow_none=True, validate=validate.Range(-90, 90))
    lon = fields.Float(allow_none=True, validate=validate.Range(-180, 180))
    channel = _str(validate=_name)
    media_urls = fields.List(fields.Url(), load_default=list)
    language = _str(validate=validate.OneOf(["fi", "sv", "en"]))


class FeedbackStatusChanged(Payload):
    state = fields.String(required=True, validate=validate.OneOf(list(FEEDBACK_STATES)))
    detailed_status = fields.List(fields.String(validate=validate.Length(max=100)), load_default=list)
    note = _str(validate=_text)
    time_approximate = fields.Boolean(load_default=False)


class FeedbackResponseGiven(Payload):
    text = fields.String(required=True, validate=validate.Length(min=1, max=20_000))
    responding_unit = _str(validate=_name)
    time_approximate = fields.Boolean(load_default=False)


class FeedbackRecontacted(Payload):
    text = _str(validate=_text)
    channel = _str(validate=_name)


class Rating(Payload):
    score = fields.Float(required=True)
    scale_min = fields.Integer(load_default=1, validate=_scale)
    scale_max = fields.Integer(required=True, validate=_scale)

    @validates_schema
    def _in_scale(self, data: Mapping[str, Any], **_: Any) -> None:
        if data["scale_min"] >= data["scale_max"]:
            raise ValidationError("scale_min must be below scale_max", "scale_min")
        if not data["scale_min"] <= data["score"] <= data["scale_max"]:
            raise ValidationError("score is outside the declared scale", "score")


class FeedbackRating(Rating):
    pass


# --- service delivery ----------------------------------------------------
class CaseOpened(Payload):
    service_code = _str(True, validate=_name)
    service_point = _str(validate=_name)
    channel = _str(validate=_name)
    area = _str(validate=_name)


class CaseClosed(CaseOpened):
    waiting_days = fields.Float(allow_none=True, validate=validate.Range(min=0))
    handling_hours = fields.Float(allow_none=True, validate=validate.Range(min=0))
    outcome = _str(True, validate=_name)


class SurveyResponse(Rating):
    service_code = _str(True, validate=_name)
    area = _str(validate=_name)
    question = _str(validate=_name)
    comment = _str(validate=_text)


class OutcomeMeasured(Payload):
    indicator_code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_]{2,64}$"))
    name = fields.Dict(keys=fields.String(validate=validate.OneOf(["fi", "sv", "en"])), values=fields.String())
    value = fields.Float(required=True)
    unit = fields.String(required=True, validate=_name)
    period = fields.String(required=True, validate=validate.Regexp(_PERIOD, error="must be YYYY-MM"))
    service_code = _str(validate=_name)
    area = _str(validate=_name)
    sample_size = fields.Integer(allow_none=True, validate=_count)
    direction = fields.String(load_default="higher", validate=validate.OneOf(["higher", "lower"]))


# --- governance ----------------------------------------------------------
class MeetingHeld(Payload):
    body = fields.String(required=True, validate=_name)
    title = _str(validate=_name)
    location = _str(validate=_name)
    agenda = fields.List(fields.String(validate=_name), load_default=list)


class DecisionMade(Payload):
    body = fields.String(required=True, validate=_name)
    case_id = _str(validate=_name)
    section = _str(validate=_name)
    title = fields.String(required=True, validate=_name)
    text = _str(validate=_text)
    meeting_id = _str(validate=_name)
    services = fields.List(fields.String(validate=_name), load_default=list)
    indicators = fields.List(fields.String(validate=_name), load_default=list)
    url = fields.Url(allow_none=True)


class InitiativeSubmitted(Payload):
    title = fields.String(required=True, validate=_name)
    text = _str(validate=_text)
    signatories = fields.List(fields.String(validate=_name), load_default=list)
    first_signatory = _str(validate=_name)
    responsible_body = _str(validate=_name)
    case_id = _str(validate=_name)
    services = fields.List(fields.String(validate=_name), load_default=list)
    indicators = fields.List(fields.String(validate=_name), load_default=list)


class InitiativeStatusChanged(Payload):
    status = fields.String(required=True, validate=validate.OneOf(list(INITIATIVE_STATES)))
    note = _str(validate=_text)


class InitiativeAnswered(Payload):
    response = fields.String(required=True, validate=_text)
    responding_body = _str(validate=_name)
    decision_id = _str(validate=_name)


class IndicatorTargetSet(Payload):
    indicator_code = fields.String(required=True, validate=validate.Regexp(r"^[a-z0-9_]{2,64}$"))
    target_value = fields.Float(required=True)
    valid_from = fields.Date(required=True)
    valid_to = fields.Date(allow_none=True)
    service_code = _str(validate=_name)
    body = fields.String(required=True, validate=_name)
    case_id = _str(validate=_name)
    decision_id = _str(validate=_name)
    decision_date = fields.Date(allow_none=True)


#: event type -> (topic family, payload schema instance)
EVENT_TYPES: dict[str, tuple[str, Payload]] = {
    "feedback.received": ("feedback", FeedbackReceived()),
    "feedback.status_changed": ("feedback", FeedbackStatusChanged()),
    "feedback.response_given": ("feedback", FeedbackResponseGiven()),
    "feedback.recontacted": ("feedback", FeedbackRecontacted()),
    "feedback.rating": ("feedback", FeedbackRating()),
    "service.case_opened": ("service", CaseOpened()),
    "service.case_closed": ("service", CaseClosed()),
    "service.survey_response": ("service", SurveyResponse()),
    "service.outcome_measured": ("service", OutcomeMeasured()),
    "governance.meeting_held": ("governance", MeetingHeld()),
    "governance.decision_made": ("governance", DecisionMade()),
    "governance.initiative_submitted": ("governance", InitiativeSubmitted()),
    "governance.initiative_status_changed": ("governance", InitiativeStatusChanged()),
    "governance.initiative_answered": ("governance", InitiativeAnswered()),
    "governance.indicator_target_set": ("governance", IndicatorTargetSet()),
}
TOPICS = ("feedback", "service", "governance")


class Envelope(Schema):
    class Meta:
        unknown = RAISE

    event_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = fields.String(required=True, validate=validate.OneOf(list(EVENT_TYPES)))
    source = fields.String(required=True, validate=validate.Length(min=1, max=100))
    occurred_at = fields.AwareDateTime(required=True)
    schema_version = fields.Integer(required=True, validate=validate.Equal(SCHEMA_VERSION))
    subject_id = fields.String(required=True, validate=validate.Length(min=1, max=200))
    sequence = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**53))
    payload = fields.Dict(required=True)
    raw = fields.Raw(allow_none=True)


_ENVELOPE = Envelope()


def _may_hold_temporal(field: fields.Field[Any]) -> bool:
    """Whether a field may load a date, time or anything else with ``isoformat`` (unknown field kinds: yes)."""
    if type(field) in (fields.String, fields.Url, fields.Email, fields.Float, fields.Integer, fields.Boolean):
        return False
    if type(field) is fields.List:
        return _may_hold_temporal(field.inner)
    if type(field) is fields.Dict:
        return any(_may_hold_temporal(f) for f in (field.key_field, field.value_field) if f is not None) or (
            field.value_field is None
        )
    return True


#: per event type, the payload fields that may load dates or times: written as ISO strings
_TEMPORAL_FIELDS = {
    event_type: {name: "iso" for name, f in schema.load_fields.items() if _may_hold_temporal(f)}
    for event_type, (_, schema) in EVENT_TYPES.items()
}
#: event types whose payload has date or time fields: only these can load values that need writing as strings
_TEMPORAL_PAYLOADS = frozenset(event_type for event_type, names in _TEMPORAL_FIELDS.items() if names)
#: the schemas compiled once into one generated function each (``ingest/generated_loader.py``), with times
#: written as the text events store; marshmallow loads only what these cannot vouch for
_ENVELOPE_LOADER = compile_schema(_ENVELOPE, {"occurred_at": "utc"})
_PAYLOAD_LOADERS = {
    event_type: compile_schema(schema, _TEMPORAL_FIELDS[event_type]) for event_type, (_, schema) in EVENT_TYPES.items()
}


def topic_for(event_type: str) -> str:
    return EVENT_TYPES[event_type][0]


def validate_event(data: Any) -> dict[str, Any]:
    """A validated event as a plain dict with ``occurred_at`` as a UTC ISO string.

    Raises :class:`InvalidEvent` naming every field at fault. The generated loaders take
    what they can vouch for, times already written as text; anything else is loaded by
    marshmallow and written the same way after, so the answer and the reasons are the same.
    """
    if type(data) is not dict and not isinstance(data, Mapping):  # a dict is asked first: the ABC check is slower
        raise InvalidEvent("event is not a JSON object")
    event = None if _ENVELOPE_LOADER is None else _ENVELOPE_LOADER(data)
    occurred_as_text = event is not None
    if event is None:
        try:
            event = _ENVELOPE.load(data)
        except ValidationError as exc:
            raise InvalidEvent(f"envelope: {_flatten(exc.messages)}") from exc
    event_type = event["type"]
    loader = _PAYLOAD_LOADERS[event_type]
    payload = None if loader is None else loader(event["payload"])
    if payload is None:
        try:
            payload = EVENT_TYPES[event_type][1].load(event["payload"])
        except ValidationError as exc:
            raise InvalidEvent(f"{event_type} payload: {_flatten(exc.messages)}") from exc
        if event_type in _TEMPORAL_PAYLOADS:  # dates as ISO strings; other payloads hold none
            payload = {k: iso_text(v) for k, v in payload.items()}
    event["payload"] = payload
    if not occurred_as_text:
        try:
            event["occurred_at"] = format_time(event["occurred_at"])
        except OverflowError as exc:  # year 1 with a positive offset, year 9999 with a negative one
            raise InvalidEvent(f"envelope: occurred_at: {event['occurred_at']} is out of range in UTC") from exc
    return event


def parse_event(raw: bytes) -> dict[str, Any]:
    """Bytes from a log or a file to a validated event."""
    if len(raw) > MAX_EVENT_BYTES:
        raise InvalidEvent(f"event is {len(raw)} bytes; the limit is {MAX_EVENT_BYTES}", raw)
    try:
        data = bounded_json.loads(raw)
    except bounded_json.BadJson as exc:
        raise InvalidEvent(exc.reason, raw) from exc
    if _SURROGATE_ESCAPE.search(raw):
        _refuse_lone_surrogates(data, raw)
    try:
        return validate_event(data)
    except InvalidEvent as exc:
        exc.raw = raw
        raise


#: a JSON escape of a UTF-16 surrogate; only a valid pair of them stands for a character
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _refuse_lone_surrogates(data: Any, raw: bytes) -> None:
    """JSON may escape half a surrogate pair (``"\\ud800"``): valid JSON, but no text any store can hold."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidEvent(f"text holds a lone surrogate escape at character {exc.start}: not Unicode", raw) from exc


def encode_event(event: Mapping[str, Any]) -> bytes:
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=_json_default).encode()


def make_event(
    event_type: str,
    subject_id: str,
    occurred_at: datetime,
    payload: Mapping[str, Any],
    *,
    source: str,
    event_id: str,
    sequence: int = 0,
    raw: Any = None,
) -> dict[str, Any]:
    """An envelope as a JSON-ready dict (not validated: importers validate before appending)."""
    event: dict[str, Any] = {
        "event_id": event_id,
        "type": event_type,
        "source": source,
        "occurred_at": occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "schema_version": SCHEMA_VERSION,
        "subject_id": subject_id,
        "sequence": sequence,
        "payload": dict(payload),
    }
    if raw is not None:
        event["raw"] = raw
    return event


def _flatten(messages: Any, prefix: str = "") -> str:
    if isinstance(messages, dict):
        parts = [_flatten(v, f"{prefix}{k}.") for k, v in sorted(messages.items(), key=lambda kv: str(kv[0]))]
        return "; ".join(parts)
    if isinstance(messages, list):
        return f"{prefix.rstrip('.')}: " + " ".join(str(m) for m in messages)
    return f"{prefix.rstrip('.')}: {messages}"


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable")
