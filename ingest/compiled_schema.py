"""Marshmallow fields compiled once into plain Python checks: the exact per-field rules of the fast path.

The event contracts stay marshmallow schemas (``ingest/events.py``): they are
the readable definition and they write the error messages. But loading through
marshmallow costs about 40 µs per event in per-field machinery (getters, error
stores, validator wrappers), which was most of the worker's time. A compiled
check does what ``field.deserialize`` does with a present value — the same
types and coercions, null, validators — in direct code, and raises
:class:`Unsure` the moment it meets anything it cannot vouch for; the loader
then returns ``None`` and the caller loads through marshmallow, which refuses
with its message (or, for an input the compiled path does not know how to
take, accepts it). So the fast path can only be faster, never more permissive.

These checks are what the generated loaders (``ingest/generated_loader.py``)
call for every value their inline tests do not take; :func:`schema_plan` says
which fields a loader walks. Only what the contracts use is compiled (strings,
URLs, floats, integers, booleans, lists, dicts, raw values, and any other field
through its own ``deserialize``); a schema or field with features outside that
(pre/post-load hooks, ``data_key``, ``attribute``, unknown fields kept or
excluded) gets no compiled loader, and marshmallow loads it as before.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from marshmallow.decorators import POST_LOAD, PRE_LOAD, VALIDATES, VALIDATES_SCHEMA

#: one field's check: the cleaned value, or :class:`Unsure` raised
Check = Callable[[Any], Any]
#: a compiled schema: the loaded dict, or ``None`` when marshmallow must decide
Loader = Callable[[Any], dict[str, Any] | None]


class Unsure(Exception):
    """The compiled checks cannot vouch for a value: marshmallow decides (and names the fault)."""


class NotCompilable(Exception):
    """A schema or field uses a feature the compiler does not reproduce."""


#: one field of a schema as a loader walks it: name, field, required, load default
Step = tuple[str, fields.Field[Any], bool, Any]
#: a schema validator, called as marshmallow calls it
SchemaCheck = Callable[..., Any]


def schema_plan(schema: Schema) -> tuple[list[Step], list[SchemaCheck]]:
    """The fields a loader walks, in marshmallow's order, and the schema validators it calls after them.

    Raises :class:`NotCompilable` for a schema using what compiled loaders do not reproduce.
    """
    hooks = schema._hooks  # the decorated hooks are only reachable here
    if hooks[PRE_LOAD] or hooks[POST_LOAD] or hooks[VALIDATES]:
        raise NotCompilable("load processors or field validators")
    if schema.many or schema.partial or schema.unknown != RAISE:
        raise NotCompilable("many, partial or unknown fields kept")
    schema_checks = []
    for attr_name, _many, kwargs in hooks[VALIDATES_SCHEMA]:
        if kwargs.get("pass_original") or not kwargs.get("skip_on_field_errors", True):
            raise NotCompilable(f"schema validator {attr_name}")
        schema_checks.append(getattr(schema, attr_name))
    plan: list[Step] = []
    for name, field in schema.load_fields.items():
        if field.data_key is not None or field.attribute is not None:
            raise NotCompilable(f"{name}: data_key or attribute")
        plan.append((name, field, field.required, field.load_default))
    return plan, schema_checks


def value_check(field: fields.Field[Any]) -> Check:
    """What ``field.deserialize`` does with a present value (``None`` included), or :class:`Unsure`."""
    if field.pre_load or field.post_load:
        raise NotCompilable("field processors")
    allow_none = field.allow_none
    lengths = [v for v in field.validators if type(v) is validate.Length and v.equal is None]
    if type(field) is fields.String and len(lengths) == len(field.validators):
        return _bounded_string(allow_none, lengths)
    convert = _converter(field)
    checks = [_validator_check(v) for v in field.validators]

    if not checks:

        def plain(value: Any) -> Any:
            if value is None:
                if allow_none:
                    return None
                raise Unsure
            return convert(value)

        return plain

    def validated(value: Any) -> Any:
        if value is None:
            if allow_none:
                return None
            raise Unsure
        out = convert(value)
        for check in checks:
            check(out)
        return out

    return validated


def _bounded_string(allow_none: bool, lengths: list[validate.Length]) -> Check:
    """A plain string field whose only validators are lengths, in one function: most fields of the contracts.

    The same rule as the general path (a ``str`` only, ``None`` by ``allow_none``, every length
    bound), written without its three calls a field.
    """
    low = max((v.min for v in lengths if v.min is not None), default=0)
    high = min((v.max for v in lengths if v.max is not None), default=None)

    def bounded(value: Any) -> Any:
        if type(value) is str:
            size = len(value)
            if size >= low and (high is None or size <= high):
                return value
            raise Unsure
        if value is None and allow_none:
            return None
        raise Unsure  # bytes (decoded by marshmallow), another type, or a null not allowed

    return bounded


def _converter(field: fields.Field[Any]) -> Check:
    """``field._deserialize`` for the field types the contracts use; other types through the field itself.

    Types are matched exactly: a subclass may convert differently, so it goes through itself.
    """
    kind = type(field)
    if kind in (fields.String, fields.Url, fields.Email):
        return _string
    if isinstance(field, fields.Float) and kind is fields.Float and not field.allow_nan:
        return _float
    if isinstance(field, fields.Integer) and kind is fields.Integer:
        return _strict_integer if field.strict else _integer
    if isinstance(field, fields.Boolean) and kind is fields.Boolean and field.truthy:
        return _boolean(frozenset(field.truthy), frozenset(field.falsy))
    if kind is fields.Raw:
        return _raw
    if isinstance(field, fields.List) and kind is fields.List:
        return _list(value_check(field.inner))
    if isinstance(field, fields.Dict) and kind is fields.Dict:
        return _dict(
            None if field.key_field is None else value_check(field.key_field),
            None if field.value_field is None else value_check(field.value_field),
        )
    return _through(field)


def _string(value: Any) -> str:
    if type(value) is str:
        return value
    raise Unsure  # bytes (decoded by marshmallow) or not a string


def _float(value: Any) -> float:
    if value is True or value is False:
        raise Unsure
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise Unsure from exc
    if math.isnan(number) or math.isinf(number):
        raise Unsure
    return number


def _integer(value: Any) -> int:
    if value is True or value is False:
        raise Unsure
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise Unsure from exc


def _strict_integer(value: Any) -> int:
    if not isinstance(value, numbers.Integral):
        raise Unsure
    return _integer(value)


def _boolean(truthy: frozenset[Any], falsy: frozenset[Any]) -> Check:
    def convert(value: Any) -> bool:
        try:
            if value in truthy:
                return True
            if value in falsy:
                return False
        except TypeError as exc:  # unhashable
            raise Unsure from exc
        raise Unsure

    return convert


def _raw(value: Any) -> Any:
    return value


def _list(inner: Check) -> Check:
    def convert(value: Any) -> list[Any]:
        if type(value) is not list:
            raise Unsure  # tuples, sets and other collections: marshmallow decides
        return [inner(item) for item in value]

    return convert


def _dict(keys: Check | None, values: Check | None) -> Check:
    def convert(value: Any) -> dict[Any, Any]:
        if type(value) is not dict:
            raise Unsure
        if keys is None and values is None:
            return dict(value)
        out = {}
        for key, item in value.items():
            out[key if keys is None else keys(key)] = item if values is None else values(item)
        return out

    return convert


def _through(field: fields.Field[Any]) -> Check:
    """Any other field type (dates, times...) converted by marshmallow's own field, errors as :class:`Unsure`."""
    deserialize = field._deserialize  # the conversion alone: null and validators are ours

    def convert(value: Any) -> Any:
        try:
            return deserialize(value, None, None)
        except ValidationError as exc:
            raise Unsure from exc

    return convert


def _validator_check(validator: Callable[[Any], Any]) -> Callable[[Any], None]:
    """A validator as a check raising :class:`Unsure`; the common ones written out, the rest called."""
    if type(validator) is validate.Length and validator.equal is None:
        low, high = validator.min, validator.max

        def length(value: Any) -> None:
            size = len(value)
            if (low is not None and size < low) or (high is not None and size > high):
                raise Unsure

        return length
    if type(validator) is validate.OneOf and all(type(c) is str for c in validator.choices):
        choices = frozenset(validator.choices)

        def one_of(value: Any) -> None:
            if type(value) is not str or value not in choices:
                raise Unsure  # a non-string against string choices: marshmallow decides

        return one_of

    def called(value: Any) -> None:
        try:
            validator(value)
        except ValidationError as exc:
            raise Unsure from exc

    return called
