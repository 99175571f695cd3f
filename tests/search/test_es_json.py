"""search/es_json.py reads every Elasticsearch answer to the values the standard decoder gives, and the
worker's bulk lines are the bytes the client's own encoder wrote."""

from __future__ import annotations

import json

import pytest
from elasticsearch.serializer import JsonSerializer, NdjsonSerializer
from hypothesis import example, given, settings
from hypothesis import strategies as st

from search import plain_json
from search.es_json import AnswerJson, has_long_integer
from tests.json_equality import same_values

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # past 64 bits too: orjson would make them floats
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(st.characters(blacklist_categories=())),  # lone surrogates and control characters too
)
values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4), max_leaves=8
)


@settings(max_examples=400, deadline=None)
@given(values)
@example({"_version": 2**62, "items": [{"index": {"status": 201}}]})
@example([2**64, -(2**63) - 1, 10**30])
@example({"a": float("nan"), "b": float("inf"), "c": "\ud800"})
def test_answers_read_as_the_standard_decoder_reads_them(value):
    raw = json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass")  # NaN too, as a server might
    assert same_values(AnswerJson().loads(raw), JsonSerializer().loads(raw))


@pytest.mark.parametrize(
    ("raw", "long"),
    [(b'{"v":4611686018427387904}', True), (b'{"v":123456789012345678}', False), (b'"1234567890123456789"', True)],
)
def test_a_run_of_nineteen_digits_is_found(raw, long):
    assert has_long_integer(raw) is long


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), values, max_size=6))
@example({"text": "é\u2028😀", "n": 1e-05, "big": 2**70})
def test_bulk_lines_are_the_clients_own_bytes(source):
    """ElasticIndex.write encodes each bulk line with plain_json; the request body is unchanged."""
    client = NdjsonSerializer()
    ours = [plain_json.dumps({"index": {"_id": "x"}}).encode("utf-8", "surrogatepass")]
    try:
        ours.append(plain_json.dumps(source).encode("utf-8", "surrogatepass"))
    except ValueError:  # NaN passes both; nothing else is refused by one and taken by the other
        pytest.fail("plain_json refused what the client encodes")
    assert client.dumps(ours) == client.dumps([{"index": {"_id": "x"}}, source])


def test_the_client_reads_compatible_mode_answers_with_it_too():
    """Elasticsearch 9 answers ``application/vnd.elasticsearch+json``: registering the plain mimetype must
    cover it, or the serializer would never run."""
    from elasticsearch import Elasticsearch

    client = Elasticsearch("http://127.0.0.1:1", serializers={AnswerJson.mimetype: AnswerJson()})
    serializers = client.transport.serializers.serializers
    assert isinstance(serializers["application/json"], AnswerJson)
    assert isinstance(serializers["application/vnd.elasticsearch+json"], AnswerJson)
