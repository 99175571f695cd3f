"""The compiled fast path (generated loaders) accepts exactly what marshmallow accepts, with the same cleaned data.

Payloads are drawn per field from the schema itself: valid values, values at
and beyond each limit, every JSON type in every place, nulls, missing and
unknown keys, then sent through JSON as the log would. For each, marshmallow
is the reference: when it refuses, the compiled loader must refuse too (return
``None``, so marshmallow writes the message); when it accepts, the compiled
loader must accept with the same values of the same types.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, validate

from core.errors import InvalidEvent
from ingest import events
from ingest.events import EVENT_TYPES, Envelope, validate_event
from ingest.generated_loader import compile_schema, format_time, iso_text
from tests.builders import T0, received
from tests.ingest.test_events import INVALID, VALID

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)

#: numbers and strings that marshmallow's coercions treat in their own ways
NUMBERISH = [0, 1, -1, 12.0, 12.5, -0.0, 1e308, 10**400, "12", " 7 ", "1.5", "1e999", "nan", "-inf", "1_000", "", True]
NUMBERISH += [float("inf"), float("-inf"), float("nan")]
TIMES = [
    "2026-03-02T08:00:00Z",
    "2026-03-02T08:00:00+02:00",
    "2026-03-02T08:00:00.123456-05:30",
    "2026-03-02T08:00:00",
    "2026-03-02",
    "2026-02-30T08:00:00Z",
    "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:30:00-01:00",
    "yesterday",
    "2026-03-02T08:00:00.123456Z",
    "2026-02-29T08:00:00Z",
    "2026-03-02T24:00:00Z",
    "2026-03-02T08:00:60Z",
    "2026-03-02T08:00:00.1234567Z",
    "2026-03-02T08:00:00,123456Z",
    "2026-03-02T08:00:00.12Z",
    "2026-03-02t08:00:00Z",
    "0999-12-31T23:59:59.999999Z",
    "1000-01-01T00:00:00Z",
    "\uff12026-03-02T08:00:00Z",
    "2026-03-02T08:00:00Z\n",
]
DATES = ["2026-01-01", "2026-02-29", "2028-02-29", "2026-1-1", "20260101", "2026-01-01T00:00:00", "", "0000-01-01"]
DATES += ["0001-01-01", "2026-W01-1", "2026-001", "2026-01-01\n", "\uff12026-01-01"]
URLS = ["https://example.org/a.jpg", "http://localhost/x", "ftp://example.org", "example.org", "https://", "https:/x"]


def _strings(field: fields.Field) -> st.SearchStrategy[Any]:
    options: list[st.SearchStrategy[Any]] = [st.text(max_size=20)]
    for validator in field.validators:
        if isinstance(validator, validate.Length):
            sizes = [n for n in (validator.min, validator.max) if n is not None]
            for n in sizes:
                options.append(st.sampled_from(["x" * max(n - 1, 0), "x" * n, "x" * (n + 1)]))
        if isinstance(validator, validate.OneOf):
            options.append(st.sampled_from([*validator.choices, "nope", validator.choices[0].upper()]))
        if isinstance(validator, validate.Regexp):
            options.append(st.sampled_from(["2026-02", "2026-13", "2026-02\n", "ab", "a_b_1", "A1", "x" * 65, ""]))
    if isinstance(field, fields.Url):
        options.append(st.sampled_from(URLS))
    return st.one_of(options)


def _values(field: fields.Field) -> st.SearchStrategy[Any]:
    """Values for one field: likely valid ones, limits, coercible strings and any JSON at all."""
    if isinstance(field, fields.List):
        typed: st.SearchStrategy[Any] = st.lists(_values(field.inner), max_size=3)
    elif isinstance(field, fields.Dict):
        keys = _values(field.key_field) if field.key_field else st.text(max_size=6)
        values = _values(field.value_field) if field.value_field else json_values
        typed = st.dictionaries(keys.filter(lambda k: isinstance(k, str)), values, max_size=3)
    elif isinstance(field, fields.String):
        typed = _strings(field)
    elif isinstance(field, fields.Boolean):
        typed = st.sampled_from([True, False, "true", "False", "yes", "off", 1, 0, 2, "maybe", 1.0])
    elif isinstance(field, fields.AwareDateTime):
        typed = st.sampled_from(TIMES)
    elif isinstance(field, fields.Date):
        typed = st.sampled_from(DATES)
    elif isinstance(field, fields.Number):
        limits: list[Any] = []
        for validator in field.validators:
            if isinstance(validator, validate.Range):
                for n in (validator.min, validator.max):
                    if n is not None:
                        limits += [n, n - 1, n + 1, n + 0.5, str(n)]
            if isinstance(validator, validate.Equal):
                limits += [validator.comparable, validator.comparable + 1, float(validator.comparable)]
        typed = st.one_of(
            st.sampled_from(NUMBERISH + limits),
            st.integers(min_value=-(10**13), max_value=10**13),
            st.floats(allow_nan=True, allow_infinity=True),
        )
    else:
        typed = json_values
    return st.one_of(typed, typed, typed, json_values)


@st.composite
def payloads(draw: st.DrawFn, schema: Schema, base: dict[str, Any]) -> dict[str, Any]:
    """``base`` (a valid example) with one to three fields replaced, nulled or removed, sometimes a key added.

    Few faults at a time, so that a fault the compiled path missed is not hidden by another one.
    """
    data = dict(base)
    names = list(schema.load_fields)
    for name in draw(st.lists(st.sampled_from(names), min_size=1, max_size=3, unique=True)):
        choice = draw(st.sampled_from(["value", "value", "value", "missing", "null"]))
        if choice == "value":
            data[name] = draw(_values(schema.load_fields[name]))
        elif choice == "null":
            data[name] = None
        else:
            data.pop(name, None)
    if draw(st.integers(0, 9)) == 0:
        data[draw(st.text(max_size=8))] = draw(json_values)
    # through JSON, as records arrive from the log (NaN and Infinity included: Python's decoder takes them)
    decoded: dict[str, Any] = json.loads(json.dumps(data))
    return decoded


def typed(value: Any) -> Any:
    """A value with the type of every part spelt out, so 1, 1.0 and True are not equal."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, repr(value) if type(value) is float else value)  # NaN equal to itself, -0.0 not 0.0


def assert_same_as_marshmallow(schema: Schema, data: Any) -> None:
    loader = compile_schema(schema)
    assert loader is not None
    fast = loader(data)
    try:
        expected = schema.load(data)
    except ValidationError:
        assert fast is None, f"compiled path accepted what marshmallow refuses: {data!r} -> {fast!r}"
        return
    assert fast is not None, f"compiled path refused what marshmallow accepts: {data!r}"
    assert typed(fast) == typed(expected)
    assert list(fast) == list(expected)  # same keys in the same order


def test_every_contract_compiles():
    assert compile_schema(Envelope()) is not None
    assert all(compile_schema(schema) is not None for _, schema in EVENT_TYPES.values())


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_payload_fast_path_is_marshmallow(event_type, data):
    schema = EVENT_TYPES[event_type][1]
    assert_same_as_marshmallow(schema, data.draw(payloads(schema, VALID[event_type])))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_envelope_fast_path_is_marshmallow(data):
    envelope = Envelope()
    drawn = data.draw(payloads(envelope, received("fb-e", T0)))
    if data.draw(st.booleans()):  # a real type half the time, so the payload is checked by its own schema
        drawn["type"] = data.draw(st.sampled_from(sorted(EVENT_TYPES)))
    assert_same_as_marshmallow(envelope, drawn)


#: every one of these in every field of every contract, one at a time
HOSTILE = [
    *NUMBERISH,
    None,
    False,
    [],
    {},
    [None],
    ["x"],
    {"fi": "x"},
    {"de": "x"},
    {"fi": None},
    "x" * 101,
    "x" * 501,
    "x" * 20_001,
    "\u0000",
    *TIMES,
    *DATES,
    *URLS,
]


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_each_hostile_value_in_each_field_alone(event_type):
    schema = EVENT_TYPES[event_type][1]
    base = VALID[event_type]
    for name in schema.load_fields:
        for value in HOSTILE:
            assert_same_as_marshmallow(schema, {**base, name: value})
        assert_same_as_marshmallow(schema, {k: v for k, v in base.items() if k != name})
    assert_same_as_marshmallow(schema, {**base, "unknown": 1})
    for value in [None, [], "x", 1, [base]]:  # not an object at all
        assert_same_as_marshmallow(schema, value)


def test_each_hostile_value_in_each_envelope_field_alone():
    envelope = Envelope()
    base = received("fb-h", T0)
    for name in envelope.load_fields:
        for value in HOSTILE:
            assert_same_as_marshmallow(envelope, {**base, name: value})
        assert_same_as_marshmallow(envelope, {k: v for k, v in base.items() if k != name})
    assert_same_as_marshmallow(envelope, {**base, "unknown": 1})


def _examples() -> list[Any]:
    """The contract tests' valid and invalid events, and the poison records' hostile envelopes."""
    out: list[Any] = []
    for kind, payload in VALID.items():
        out.append({**received("fb-1", T0), "type": kind, "payload": payload})
    for kind, (payload, _) in INVALID.items():
        out.append({**received("fb-2", T0), "type": kind, "payload": payload})
    out += [
        {**received("fb-t", T0), "occurred_at": "0001-01-01T00:30:00+01:00"},
        {**received("fb-u", T0), "occurred_at": "9999-12-31T23:30:00-01:00"},
        {**received("fb-s", T0), "sequence": 2**70},
        {**received("fb-v", T0), "schema_version": True},
        {**received("fb-w", T0), "payload": []},
        {**received("fb-x", T0), "raw": {"anything": [1, None]}},
        [received("fb-y", T0)],
        "not an object",
    ]
    return out


def _reference(data: Any) -> tuple[str, Any]:
    """What ``validate_event`` answers with the compiled loaders switched off (marshmallow alone)."""
    saved = events._ENVELOPE_LOADER, dict(events._PAYLOAD_LOADERS)
    events._ENVELOPE_LOADER = None
    events._PAYLOAD_LOADERS.update(dict.fromkeys(events._PAYLOAD_LOADERS))
    try:
        return _answer(data)
    finally:
        events._ENVELOPE_LOADER = saved[0]
        events._PAYLOAD_LOADERS.update(saved[1])


def _answer(data: Any) -> tuple[str, Any]:
    try:
        return "ok", typed(validate_event(data))
    except InvalidEvent as exc:
        return "refused", exc.reason


@pytest.mark.parametrize("data", _examples(), ids=lambda d: str(d.get("type") if isinstance(d, dict) else d)[:30])
def test_validate_event_answers_as_before_on_known_examples(data):
    assert _answer(data) == _reference(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_validate_event_answers_as_before_on_generated_events(data):
    event_type = data.draw(st.sampled_from(sorted(EVENT_TYPES)))
    event = {
        **received("fb-g", T0),
        "type": event_type,
        "payload": data.draw(payloads(EVENT_TYPES[event_type][1], VALID[event_type])),
    }
    answer = _answer(event)
    assert answer == _reference(event)


@st.composite
def iso_times(draw: st.DrawFn) -> str:
    """Times near the strict UTC form: every part at and beyond its limits, other separators, fractions and zones."""
    year = draw(st.sampled_from(["0000", "0001", "0999", "1000", "2026", "9999"]))
    month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    hour, minute, second = draw(st.integers(0, 25)), draw(st.integers(0, 61)), draw(st.integers(0, 61))
    fraction = draw(st.sampled_from(["", ".123456", ".000000", ".1", ".1234567", ",123456", "."]))
    zone = draw(st.sampled_from(["Z", "Z", "Z", "z", "+00:00", "+02:00", "-05:30", "", "Z ", "+14:00"]))
    separator = draw(st.sampled_from(["T", "T", "T", " ", "t"]))
    return f"{year}-{month:02}-{day:02}{separator}{hour:02}:{minute:02}:{second:02}{fraction}{zone}"


def as_text(schema: Schema, data: Any, formats: dict[str, str]) -> dict[str, Any] | None:
    """``schema.load`` then the named fields written as text, or ``None`` where either fails (the reference)."""
    try:
        loaded = schema.load(data)
        writers = {"utc": format_time, "iso": iso_text}
        return {k: (writers[formats[k]](v) if k in formats else v) for k, v in loaded.items()}
    except (ValidationError, OverflowError):
        return None


def assert_text_loader_is_marshmallow(schema: Schema, formats: dict[str, str], data: Any) -> None:
    loader = compile_schema(schema, formats)
    assert loader is not None
    fast, expected = loader(data), as_text(schema, data, formats)
    if expected is None:
        assert fast is None, f"compiled path accepted what marshmallow refuses: {data!r} -> {fast!r}"
    elif fast is not None:  # the text loader may decline (marshmallow then loads), never differ
        assert typed(fast) == typed(expected)
        assert list(fast) == list(expected)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(when=iso_times())
def test_times_written_as_text_are_marshmallow_then_format_time(when):
    envelope = Envelope()
    data = {**received("fb-z", T0), "occurred_at": when}
    assert_text_loader_is_marshmallow(envelope, {"occurred_at": "utc"}, data)
    strict = when.endswith("Z") and when[0] != "0" and len(when) in (20, 27) and "T" in when and "," not in when
    if strict and as_text(envelope, data, {"occurred_at": "utc"}) is not None:  # the strict form is always taken
        assert compile_schema(envelope, {"occurred_at": "utc"})(data) is not None


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_dates_written_as_text_are_marshmallow_then_isoformat(data):
    schema = EVENT_TYPES["governance.indicator_target_set"][1]
    formats = events._TEMPORAL_FIELDS["governance.indicator_target_set"]
    assert set(formats) == {"valid_from", "valid_to", "decision_date"}
    drawn = data.draw(payloads(schema, VALID["governance.indicator_target_set"]))
    assert_text_loader_is_marshmallow(schema, formats, drawn)
    for value in [*DATES, *TIMES, None, 20260101]:
        assert_text_loader_is_marshmallow(
            schema, formats, {**VALID["governance.indicator_target_set"], "valid_to": value}
        )


def test_the_loaders_events_use_take_valid_demo_events_without_marshmallow():
    """Every valid example, as the sources write it, is taken by the generated path (the point of it)."""
    for kind, payload in VALID.items():
        event = {**received("fb-f", T0), "type": kind, "payload": payload}
        assert events._ENVELOPE_LOADER(event) is not None, kind
        assert events._PAYLOAD_LOADERS[kind](payload) is not None, kind


class Odd(Schema):
    """Rules the contracts do not use today, so a new contract using them is already covered."""

    share = fields.Float(validate=validate.Range(0, 1, min_inclusive=False))
    below = fields.Integer(validate=validate.Range(max=5, max_inclusive=False), load_default=4)
    strict = fields.Integer(strict=True, allow_none=True)
    flag = fields.Boolean(truthy={"ja"}, falsy={"ei"})
    plain = fields.Boolean()
    tags = fields.List(fields.String(validate=validate.OneOf(["a", "b"])))
    codes = fields.List(fields.String(validate=validate.Regexp(r"^[a-z]+$")))
    number = fields.Float(allow_nan=True)
    anything = fields.Raw()
    when = fields.DateTime()
    sized = fields.String(validate=validate.Length(equal=3))


def test_rules_beyond_the_contracts_are_generated_as_marshmallow_reads_them():
    schema = Odd()
    base = {"share": 0.5, "below": 3, "strict": 2, "flag": "ja", "plain": True, "tags": ["a"], "codes": ["x"]}
    base |= {"number": 1.0, "anything": [1], "when": "2026-03-02T08:00:00", "sized": "abc"}
    assert_same_as_marshmallow(schema, base)
    for name in schema.load_fields:
        for value in [*HOSTILE, 0, 1, 5, 4, 4.0, 0.0, 1.0, ["b", "c"], ["ab", "A"], "ja", "ei", "abcd"]:
            assert_same_as_marshmallow(schema, {**base, name: value})


def test_generated_source_holds_only_the_schema():
    """What is compiled is built from declarations alone: the same text whatever events were seen before."""
    loader = compile_schema(Envelope(), {"occurred_at": "utc"})
    assert loader is not None
    before = loader.__source__
    loader({**received("fb-'\"); import os #", T0), "event_id": "x'); raise SystemExit('"})
    assert compile_schema(Envelope(), {"occurred_at": "utc"}).__source__ == before
    assert "fb-" not in before and "import" not in before
    weird = Schema.from_dict({"not a name": fields.String(), "ok": fields.String()})()
    assert compile_schema(weird) is None  # a field name that is not an identifier is never written into source
