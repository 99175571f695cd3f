"""How the Elasticsearch client reads JSON answers: orjson where its result is the standard library's.

A worker's bulk answers (one item per document), and the cell items and documents it reads back,
are megabytes each; in a py-spy profile of a 50,000-event Kafka + Elasticsearch ingest the client's
standard ``json.loads`` took 3.6 % of the worker's threads' active samples (and its encoding of the bulk
lines 12 %, now ``search.plain_json``), all of it holding the interpreter the next batch's preparation
needs. orjson decodes
the same JSON to equal values except in two ways: integers of 19 digits or more past 64 bits become
floats, and it refuses what the standard decoder takes (``NaN``, escaped lone surrogates). So any answer
holding a run of 19 digits (an external version of 2**62 has one), and any answer orjson refuses, is
read by the standard decoder as before. Requests are written as before (bulk lines are encoded by
``search.plain_json`` in ``ElasticIndex.write``, byte-identical to the client's own encoder).
"""

from __future__ import annotations

from typing import Any

import orjson
from elasticsearch.serializer import JsonSerializer

_NINETEEN = b"0" * 19
_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)


def has_long_integer(raw: bytes) -> bool:
    """Whether ``raw`` holds a run of 19 digits or more (found at C speed: digits become zeros, then one find)."""
    return raw.translate(_DIGITS_AS_ZERO).find(_NINETEEN) >= 0


class AnswerJson(JsonSerializer):
    """The client's JSON serializer with answers decoded by orjson where that gives the standard values."""

    def loads(self, data: bytes) -> Any:
        if data and not has_long_integer(data):
            try:
                return orjson.loads(data)
            except orjson.JSONDecodeError:
                pass
        return super().loads(data)
