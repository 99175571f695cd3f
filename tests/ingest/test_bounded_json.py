"""The fast decoder (orjson) inside ``bounded_json.loads`` must answer exactly as the standard one did.

Equal values of equal types for whatever the standard decoder accepts, and the same refusal with the
same reason for whatever it refuses: a value orjson would read differently (integers beyond 64 bits
become floats there) must reach the standard decoder instead.
"""

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest import bounded_json
from tests.json_equality import same_values


def _standard(data: bytes) -> tuple[str, Any]:
    """What ``bounded_json.loads`` answered before orjson: the standard decoder, its reason on refusal."""
    try:
        return "ok", json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return "bad", f"not JSON: {exc}"
    except (ValueError, RecursionError) as exc:
        return "bad", f"not JSON within bounds: {str(exc)[:200]}"


def _answer(data: bytes) -> tuple[str, Any]:
    try:
        return "ok", bounded_json.loads(data)
    except bounded_json.BadJson as exc:
        return "bad", exc.reason


def _check(data: bytes) -> None:
    expected, got = _standard(data), _answer(data)
    assert got[0] == expected[0], (data[:200], got, expected)
    assert same_values(got[1], expected[1]), (data[:200], got, expected)


EDGES = [
    b'{"a":1,"a":2}',
    b"18446744073709551615",  # the largest orjson keeps exact
    b"18446744073709551616",  # orjson: a float; must stay an exact integer
    b"-9223372036854775808",
    b"-9223372036854775809",  # orjson: a float
    b"123456789012345678901234567890",
    b'{"sequence": 99999999999999999999999}',
    b"1E400",
    b"-1e400",
    b"NaN",
    b"-Infinity",
    b"0.1e-400",
    b"-0",
    b"-0.0",
    b"1.0",
    b"1e2",
    b"0.1234567890123456789012",
    b'"\\ud800"',  # an escaped lone surrogate: the standard decoder takes it (the worker refuses it later)
    b'"\\ud83d\\ude00"',
    b'"\xed\xa0\x80"',  # a surrogate written in UTF-8
    b'"\xc0\xaf"',  # an overlong encoding
    b'"\xf4\x90\x80\x80"',  # beyond U+10FFFF
    b"\xef\xbb\xbf{}",  # a byte-order mark
    b'"\xff"',
    b'"a\x01b"',
    b'"a\x7fb"',
    b'"\\u0000"',
    b"[1,]",
    b"{}x",
    b" {} ",
    b"",
    b"\x00",
    b'{"":1}',
    b'"\t"',
    "[" + "9" * 4400 + "]",
]


@pytest.mark.parametrize("data", EDGES, ids=range(len(EDGES)))
def test_edges_answer_as_the_standard_decoder(data: bytes | str) -> None:
    _check(data.encode() if isinstance(data, str) else data)


def test_a_long_integer_stays_exact() -> None:
    assert bounded_json.loads(b'{"n": 18446744073709551616}') == {"n": 18446744073709551616}
    assert type(bounded_json.loads(b"-9223372036854775809")) is int


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=JSON_VALUES, ascii_only=st.booleans())
def test_generated_documents_answer_as_the_standard_decoder(value: Any, ascii_only: bool) -> None:
    _check(json.dumps(value, ensure_ascii=ascii_only).encode("utf-8", "surrogatepass"))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=64) | st.text(alphabet='{}[]",:0123456789.eE-+ \\untrfalsNI\x00\x7f', max_size=40))
def test_random_bytes_answer_as_the_standard_decoder(data: bytes | str) -> None:
    _check(data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data)


@pytest.mark.parametrize("opening", ["[", '{"a":', "mixed"])
def test_nesting_is_refused_from_one_level_past_the_bound_whatever_the_brackets(opening):
    """Arrays and objects count alike (the quick test reads both from one copy of the record)."""

    def nested(depth: int) -> bytes:
        kinds = ["[", '{"a":'] * depth if opening == "mixed" else [opening] * depth
        kinds = kinds[:depth]
        return ("".join(kinds) + "1" + "".join("]" if k == "[" else "}" for k in reversed(kinds))).encode()

    at_bound = bounded_json.loads(nested(bounded_json.MAX_DEPTH))
    assert at_bound == json.loads(nested(bounded_json.MAX_DEPTH))
    with pytest.raises(bounded_json.BadJson, match=f"nested more than {bounded_json.MAX_DEPTH} levels"):
        bounded_json.loads(nested(bounded_json.MAX_DEPTH + 1))
