"""Marshmallow schemas compiled once into the source of one flat Python function each: how valid events are loaded.

The event contracts stay marshmallow schemas (``ingest/events.py``), and
``ingest/compiled_schema.py`` holds one exact check per field (a closure doing
what ``field.deserialize`` does, or raising :class:`~ingest.compiled_schema.Unsure`).
Calling those closures still costs a Python call or two per field, which was
most of validation. Here each schema is written out once, at import, as the
source of a single function: for every field, an inline test of the common
valid case (``type(v) is str and len(v) <= 500``, ``type(v) is float and
-90 <= v <= 90``, ``v is True or v is False``, an empty list...) that takes
the value as it is, and only otherwise the field's exact closure. Dates and
times in the strict ISO forms the sources write are taken by a pattern and a
C parse, and can be written straight as the text events store (``formats``).

Why ``exec`` is safe here: the source is built only from the schema's own
declarations — field names (checked to be identifiers), and numbers, lengths
and flags read from its validators, written with ``repr`` of ints and floats —
while every other object (choices, patterns, defaults, closures, schema
validators) is passed in the function's namespace, never spelt into the text.
No byte of an event ever reaches the generated source: events are only the
argument of the function it defines. The source is kept on the function
(``__source__``) for reading and for the tests.

The contract that makes a fast path safe is unchanged: it may only be
faster, never more permissive. An inline test only ever accepts a value its
field's closure accepts with the same result; the function returns ``None``
the moment anything cannot be vouched for, and the caller loads through
marshmallow, which refuses with its message. ``tests/ingest/test_compiled_schema.py``
checks the loaders against marshmallow over generated and hostile payloads.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, missing, validate

from ingest.compiled_schema import Loader, NotCompilable, Unsure, schema_plan, value_check

#: how a loaded value is written as text: ``"utc"`` (:func:`format_time`) or ``"iso"`` (:func:`iso_text`)
Format = str

#: a UTC time as the sources write it: the only form :func:`format_time` gives back unchanged (or with zeros added)
_ZULU = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{6})?Z")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
#: the largest finite float: a bound written for a float field without one, so NaN and infinities are never taken
_FLOAT_MAX = 1.7976931348623157e308
#: whole numbers within this bound convert to floats exactly, so comparing before or after converting is the same
_EXACT_INT = 2**53


def format_time(value: datetime) -> str:
    """UTC, microseconds, 'Z': one format, so string order is time order.

    ``isoformat`` writes the same characters as the ``strftime`` pattern about ten
    times faster (it was a tenth of validation); years below 1000, where
    ``strftime`` does not pad ``%Y`` the same on every platform, keep ``strftime``.
    """
    utc = value.astimezone(UTC)
    if utc.year >= 1000:
        return utc.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"
    return utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def iso_text(value: Any) -> Any:
    """A date or time as its ``isoformat``; any other value as it is."""
    return value.isoformat() if hasattr(value, "isoformat") else value


_FORMATTERS: dict[Format, Callable[[Any], Any]] = {"utc": format_time, "iso": iso_text}


def compile_schema(schema: Schema, formats: Mapping[str, Format] | None = None) -> Loader | None:
    """One generated function equal to ``schema.load`` for what it accepts (``None`` if the schema cannot be compiled).

    ``formats`` names fields whose loaded value is then written as text (``"utc"``: :func:`format_time`,
    ``"iso"``: :func:`iso_text`); the loader then equals ``schema.load`` followed by those, and declines
    (``None``) where writing one fails.
    """
    try:
        source, namespace = loader_source(schema, formats or {})
    except NotCompilable:
        return None
    # The loader's globals are filled key by key into an empty dict. A dict display compiled by mypyc is built
    # presized with general (not string-only) keys, on which CPython does not specialise global lookups: every
    # loader then ran 1.3 times slower (tools/mypyc_trial.py); filled this way the keys stay string-only.
    scope: dict[str, Any] = {}
    for name, value in namespace.items():
        scope[name] = value
    exec(compile(source, f"<loader of {type(schema).__name__}>", "exec"), scope)  # noqa: S102 (see above)
    loader: Loader = scope["load"]
    loader.__source__ = source  # type: ignore[attr-defined]
    return loader


def loader_source(schema: Schema, formats: Mapping[str, Format]) -> tuple[str, dict[str, Any]]:
    """The source of ``load(data)`` for ``schema`` and the namespace it runs in."""
    plan, schema_checks = schema_plan(schema)
    unknown = set(formats) - {name for name, *_ in plan}
    if unknown or not set(formats.values()) <= set(_FORMATTERS):
        raise NotCompilable(f"formats for no field or of no known kind: {sorted(formats)}")
    namespace: dict[str, Any] = {
        "_M": missing,
        "_Unsure": Unsure,
        "_ValidationError": ValidationError,
        "_RAISE": RAISE,
        "_known": frozenset(name for name, *_ in plan),
        "_zulu": _ZULU.fullmatch,
        "_day": _DAY.fullmatch,
        "_datetime_from": datetime.fromisoformat,
        "_date_from": date.fromisoformat,
    }
    lines = [
        "def load(data):",
        "    if type(data) is not dict or not _known.issuperset(data):",
        "        return None",
        "    out = {}",
        "    try:",
    ]
    for i, (name, field, required, default) in enumerate(plan):
        if not name.isidentifier():
            raise NotCompilable(f"{name!r} is not an identifier")
        key = repr(name)
        fmt = formats.get(name)
        namespace[f"_check{i}"] = value_check(field)
        slow = f"_check{i}(v)"
        if fmt is not None:
            namespace[f"_format{i}"] = _FORMATTERS[fmt]
            slow = f"_format{i}({slow})"
        lines.append(f"        v = data.get({key}, _M)")
        fast = _fast_paths(field, fmt, f"_{i}", namespace)
        for n, (condition, body) in enumerate(fast):
            lines.append(f"        {'if' if n == 0 else 'elif'} {condition}:")
            lines += [f"            {line.replace('<out>', f'out[{key}]')}" for line in body]
        lines.append(f"        {'if' if not fast else 'elif'} v is _M:")
        if required:
            lines.append("            return None")
        elif default is missing:
            lines.append("            pass")
        else:
            namespace[f"_default{i}"] = default
            value = f"_default{i}()" if callable(default) else f"_default{i}"
            lines.append(f"            out[{key}] = {value if fmt is None else f'_format{i}({value})'}")
        lines.append("        else:")
        lines.append(f"            out[{key}] = {slow}")
    for j, check in enumerate(schema_checks):
        namespace[f"_schema_check{j}"] = check
        lines.append(f"        _schema_check{j}(out, partial=None, many=False, unknown=_RAISE)")
    lines += [
        # an inline test declined, a closure or schema validator refused, a date did not exist, a
        # time did not fit in UTC, a null had no text: marshmallow decides, and words the fault
        "    except (_Unsure, _ValidationError, ValueError, TypeError, OverflowError, AttributeError):",
        "        return None",
        "    return out",
    ]
    return "\n".join(lines) + "\n", namespace


#: one inline path: a condition on ``v`` and the statements taking it, ``<out>`` standing for ``out['name']``
FastPath = tuple[str, list[str]]


def _fast_paths(field: fields.Field[Any], fmt: Format | None, tag: str, namespace: dict[str, Any]) -> list[FastPath]:
    """The inline tests for a field's common valid values, most common first; none where unsure."""
    paths: list[FastPath] = []
    if field.pre_load or field.post_load:
        return paths
    kind = type(field)
    if fmt is None:
        typed = _typed_condition(field, "v", tag, namespace)
        if typed is not None:
            for condition, value in typed:
                paths.append((condition, [f"<out> = {value}"]))
    elif fmt == "utc" and kind is fields.AwareDateTime and _iso_temporal(field):
        # a UTC time with microseconds is already the text format_time writes; without them, it gains zeros
        # (the C parse refuses dates that do not exist; years below 1000 are format_time's other branch)
        guard = "type(v) is str and _zulu(v) is not None and v[0] != '0'"
        paths.append((guard, ["_datetime_from(v)", "<out> = v if len(v) == 27 else v[:19] + '.000000Z'"]))
    elif fmt == "iso" and kind is fields.Date and _iso_temporal(field):
        paths.append(("type(v) is str and _day(v) is not None", ["_date_from(v)", "<out> = v"]))
    if field.allow_none:
        value = "None" if fmt is None else f"_format{tag[1:]}(None)"
        paths.append(("v is None", [f"<out> = {value}"]))
    return paths


def _iso_temporal(field: fields.Field[Any]) -> bool:
    """A date or time field parsed by ``fromisoformat`` with no validators of its own."""
    return getattr(field, "format", None) in (None, "iso", "iso8601") and not field.validators


def _typed_condition(
    field: fields.Field[Any], v: str, tag: str, namespace: dict[str, Any]
) -> list[tuple[str, str]] | None:
    """Conditions on the expression ``v`` under which the field loads it as a value written inline, or ``None``.

    Types are matched exactly, as in ``compiled_schema``: a subclass may convert differently.
    """
    kind = type(field)
    if kind is fields.String:
        tests = _string_tests(field.validators, v, tag, namespace)
        return None if tests is None else [(" and ".join([f"type({v}) is str", *tests]), v)]
    if isinstance(field, fields.Float) and kind is fields.Float and not field.allow_nan:
        bounds = _range(field.validators)
        if bounds is None:
            return None
        low, high = bounds
        low = (-_FLOAT_MAX, True) if low is None else low
        high = (_FLOAT_MAX, True) if high is None else high
        exact = " and ".join(
            [f"{-_EXACT_INT} <= {v} <= {_EXACT_INT}", *(t for t in [_compare(bounds[0], v, bounds[1])] if t != "True")]
        )
        return [
            (f"type({v}) is float and {_compare(low, v, high)}", v),
            (f"type({v}) is int and {exact}", f"float({v})"),
        ]
    if kind is fields.Integer:
        tests = []
        for validator in field.validators:
            if type(validator) is validate.Range:
                low, high = _bounds(validator)
                tests.append(_compare(low, v, high))
            elif type(validator) is validate.Equal and type(validator.comparable) is int:
                tests.append(f"{v} == {validator.comparable!r}")
            else:
                return None
        return [(" and ".join([f"type({v}) is int", *(t for t in tests if t)]), v)]
    if isinstance(field, fields.Boolean) and kind is fields.Boolean and not field.validators:
        if True not in field.truthy or False not in field.falsy:
            return None
        return [(f"{v} is True or {v} is False", v)]
    if kind is fields.Raw and not field.validators:
        return [(f"{v} is not _M and {v} is not None", v)]
    if isinstance(field, fields.Dict) and kind is fields.Dict and not field.validators:
        if field.key_field is not None or field.value_field is not None:
            return None
        return [(f"type({v}) is dict", f"dict({v})")]
    if isinstance(field, fields.List) and kind is fields.List and not field.validators:
        inner = field.inner
        if inner.pre_load or inner.post_load or type(inner) is not fields.String:
            return [(f"type({v}) is list and not {v}", "[]")]
        tests = _string_tests(inner.validators, "x", f"{tag}i", namespace)
        if tests is None:
            return [(f"type({v}) is list and not {v}", "[]")]
        each = " and ".join(["type(x) is str", *tests])
        return [(f"type({v}) is list and all({each} for x in {v})", f"list({v})")]
    return None


def _string_tests(validators: list[Any], v: str, tag: str, namespace: dict[str, Any]) -> list[str] | None:
    """Tests on a ``str`` ``v`` equal to the validators (lengths, string choices, patterns), or ``None``."""
    tests = []
    for n, validator in enumerate(validators):
        if type(validator) is validate.Length and validator.equal is None:
            low = f"{_number(validator.min)} <= " if validator.min is not None and validator.min > 0 else ""
            high = f" <= {_number(validator.max)}" if validator.max is not None else ""
            if low or high:
                tests.append(f"{low}len({v}){high}")  # chained: len is called once
        elif type(validator) is validate.OneOf and all(type(c) is str for c in validator.choices):
            namespace[f"_choices{tag}_{n}"] = frozenset(validator.choices)
            tests.append(f"{v} in _choices{tag}_{n}")
        elif type(validator) is validate.Regexp and isinstance(validator.regex.pattern, str):
            namespace[f"_pattern{tag}_{n}"] = validator.regex.match
            tests.append(f"_pattern{tag}_{n}({v}) is not None")
        else:
            return None
    return tests


#: a limit and whether it is inclusive; ``int | float``, not ``float``: compiled by mypyc, a ``float`` slot turns an int
#: limit into a float, and the loader would then be written with ``0.0 <= v`` (slower, and inexact past 2**53)
Bound = tuple[int | float, bool]


def _bounds(validator: validate.Range) -> tuple[Bound | None, Bound | None]:
    low = None if validator.min is None else (validator.min, validator.min_inclusive)
    high = None if validator.max is None else (validator.max, validator.max_inclusive)
    return low, high


def _range(validators: list[Any]) -> tuple[Bound | None, Bound | None] | None:
    """The one ``Range`` among ``validators`` (or no bounds at all), or ``None`` if there is anything else."""
    if not validators:
        return None, None
    if len(validators) == 1 and type(validators[0]) is validate.Range:
        return _bounds(validators[0])
    return None


def _number(limit: Any) -> str:
    if type(limit) not in (int, float) or limit != limit or limit in (float("inf"), float("-inf")):
        raise NotCompilable(f"a range bound {limit!r} not written as a plain number")
    return repr(limit)


def _compare(low: Bound | None, v: str, high: Bound | None) -> str:
    """``low <= v <= high`` (or ``<`` where a bound is exclusive) as source; ``True`` with no bounds."""
    if low is None and high is None:
        return "True"
    below = "" if low is None else f"{_number(low[0])} {'<=' if low[1] else '<'} "
    above = "" if high is None else f" {'<=' if high[1] else '<'} {_number(high[0])}"
    return f"{below}{v}{above}"
