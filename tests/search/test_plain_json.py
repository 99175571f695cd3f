"""search/plain_json.py writes exactly the standard encoder's bytes, for every row, whichever encoder it takes."""

from __future__ import annotations

import enum
import json
from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from search import plain_json

STANDARD = {"ensure_ascii": False, "separators": (",", ":")}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # beyond 64 bits too: orjson refuses them
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
    st.floats(min_value=-1e-3, max_value=1e-3),  # where the two write floats differently
    st.text(st.characters(blacklist_categories=())),  # lone surrogates and control characters too
)


class Code(str):
    pass


#: keys of every type the standard encoder takes (and a ``str`` subclass): orjson refuses all but exact ``str``
keys = st.one_of(
    st.text(),
    st.text(max_size=3).map(Code),
    st.integers(),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(), inner, max_size=3)
        | st.dictionaries(keys, inner, max_size=3)
    ),
    max_leaves=4,
)
rows = st.dictionaries(st.text(st.characters(blacklist_categories=())), values, max_size=12)


def _standard(row, **extra):
    return json.dumps(row, **STANDARD, **extra)


@settings(max_examples=400, deadline=None)
@given(rows)
@example({"a": 1e-05, "b": 0.0001, "c": -0.0, "d": 1e16, "e": 2**64, "f": float("nan"), "g": float("-inf")})
@example({"z": 1, "a": '\x00\x1f\x7f"\\\u2028é😀', "m": None, "b": True, "k": 123456789.123})
@example({"n": {1: "a", None: 2, False: 3, 1.5: 4}, "s": {Code("k"): 1}, "d": [{"x": 1}, {2: "y"}]})
def test_the_same_bytes_as_the_standard_encoder(row):
    try:
        expected = _standard(row)
    except (UnicodeEncodeError, ValueError, TypeError) as exc:  # the standard encoder's refusals stay refusals
        with pytest.raises(type(exc)):
            plain_json.dumps(row)
    else:
        assert plain_json.dumps(row) == expected
    try:
        canonical = _standard(row, sort_keys=True, default=str)
    except TypeError:  # keys of several types cannot be sorted: neither encoder takes them
        return
    assert plain_json.dumps_canonical(row) == canonical


class Colour(enum.Enum):
    RED = "red"


@pytest.mark.parametrize(
    "row",
    [
        {"when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},  # orjson would write its own ISO form
        {"colour": Colour.RED},  # orjson would write the value, the standard canonical line str()
        {"code": Code("171")},
        {"nested": {"x": 1e-05}},
        {"pair": (1, 2)},
    ],
)
def test_what_orjson_would_write_differently_takes_the_standard_encoder(row):
    assert not plain_json.is_plain(row)
    assert plain_json.dumps_canonical(row) == _standard(row, sort_keys=True, default=str)


def test_a_fact_row_takes_orjson():
    """The point of the module: the rows the index writes for every document are flat."""
    row = {
        "first_response_hours": 12.5,
        "responded": True,
        "satisfaction": None,
        "service_name": "Katujen kunnossapito",
        "id": "fb-1",
        "version": 5,
        "date": "2025-03-04T08:09:10Z",
    }
    assert plain_json.is_plain(row)
    assert not plain_json.is_plain({**row, "tiny": 5e-05})
    assert not plain_json.is_plain({**row, "nan": float("nan")})
    assert plain_json.dumps_canonical(row) == _standard(row, sort_keys=True, default=str)


@pytest.mark.parametrize("key", [1, True, None, 1.5, Code("k"), (1, 2)])
def test_orjson_refuses_every_key_not_exactly_str_so_the_walk_need_not_read_keys(key):
    """What ``is_plain`` relies on: such a key sends the row to the standard encoder, at any depth."""
    import orjson

    row = {"a": [{"b": {key: 1}}]}
    assert plain_json.is_plain(row)  # keys are not read...
    with pytest.raises(orjson.JSONEncodeError):  # ...because orjson refuses the row
        orjson.dumps(row)
    with pytest.raises(orjson.JSONEncodeError):
        orjson.dumps(row, option=orjson.OPT_SORT_KEYS)
    if type(key) is not tuple:
        assert plain_json.dumps(row) == _standard(row)
        assert plain_json.dumps_canonical(row) == _standard(row, sort_keys=True, default=str)
