"""The embedded index's JSON columns are written by orjson where it gives the standard encoder's bytes.

Stored documents and the atoms' digests must not change with the encoder: for every value the
standard encoder takes (finite floats of every magnitude, long integers, any text, nested lists,
tuples and dicts, non-string keys), ``_to_json`` must give exactly its text.
"""

import json
import random
import struct

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from search.sqlite_index import _standard_json, _to_json

REFERENCE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode

values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.floats(min_value=1e-6, max_value=1e-3)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=6) | st.integers(-5, 5), inner, max_size=4)
    ),
    max_leaves=25,
)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=values)
def test_stored_json_is_the_standard_encoders_text(value):
    assert _to_json(value) == REFERENCE(value) == _standard_json(value)


def test_floats_of_every_magnitude_are_written_as_python_writes_them():
    rng = random.Random(11)
    for i in range(200_000):
        if i % 2:
            x = struct.unpack("d", struct.pack("Q", rng.getrandbits(64)))[0]
            if x != x or x in (float("inf"), float("-inf")):
                continue
        else:
            x = rng.uniform(-1, 1) * 10 ** rng.randint(-9, 21)
        assert _to_json({"v": [x, x], "w": x}) == REFERENCE({"v": [x, x], "w": x}), x
    for x in (1e-5, -1e-5, 7.4e-05, 1e-7, 1e16, 1e22, 1.5e300, 5e-324, 0.0001, 123456789.0, -0.0, 0.1):
        assert _to_json(x) == REFERENCE(x)
        assert _to_json([1, x, -x]) == REFERENCE([1, x, -x])


def test_what_orjson_cannot_write_goes_to_the_standard_encoder():
    deep: list = []
    for _ in range(300):  # deeper than orjson's limit
        deep = [deep]
    for value in (2**64, -(2**63) - 1, {1: "a"}, "\ud800", deep, "a\x00\x1f\x7f\u2028ä😀", {"n": "1e5 0.00001"}):
        assert _to_json(value) == REFERENCE(value)
