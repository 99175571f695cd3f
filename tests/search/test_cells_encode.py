"""A stored atom summary (search/cells.py ``encode``) is the standard canonical encoder's bytes, whichever encoder
writes it: summaries, digests and published ``inputs_sha256`` are compared across backends and versions."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from search import cells


def _standard(summary):
    return json.dumps(summary, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


numbers = st.one_of(
    st.integers(),  # beyond 64 bits too: orjson refuses them
    st.floats(allow_nan=True, allow_infinity=True, allow_subnormal=True),
    st.floats(min_value=-1e-3, max_value=1e-3),  # where orjson and the standard encoder write floats differently
)
texts = st.text(st.characters(blacklist_categories=()))  # lone surrogates and control characters too
summaries = st.fixed_dictionaries(
    {
        "items": st.integers(min_value=0),
        "hours": st.lists(numbers, max_size=5),
        "unanswered": st.lists(texts, max_size=3),
        "names": st.dictionaries(texts, st.integers(), max_size=3),
        "first": st.none() | st.dictionaries(texts, st.none() | texts | numbers, max_size=3),
        "measures": st.lists(st.tuples(numbers, st.integers()).map(list) | st.tuples(numbers, numbers), max_size=3),
    }
)


@settings(max_examples=400, deadline=None)
@given(summaries)
@example({"hours": [1e-05, 0.0001, -0.0, 1e16, float("nan")], "z": {"b": 1, "a": 2**64}, "é": "😀"})
def test_a_summary_is_stored_as_the_standard_canonical_bytes(summary):
    try:
        expected = _standard(summary)
    except (UnicodeEncodeError, ValueError, TypeError) as exc:  # refusals stay refusals
        with pytest.raises(type(exc)):
            cells.encode(summary)
    else:
        assert cells.encode(summary) == expected


def test_a_real_summary_is_stored_as_before():
    rows = [
        {
            "id": "fb-2",
            "version": 3,
            "date": "2026-03-02T08:00:00Z",
            "has_received": True,
            "first_response_hours": 0.5,
            "satisfaction": 4,
            "service_name": "Katuvalot",
        },
        {"id": "fb-1", "version": 1, "date": "2026-03-01T08:00:00Z", "has_received": True, "responded": False},
    ]
    summary = cells.summarise("feedback", rows)
    assert cells.encode(summary) == _standard(summary)
    assert cells.encode(summary).startswith('{"closed":0,"digest":"')
