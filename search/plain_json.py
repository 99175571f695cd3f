"""JSON of plain values by orjson, byte-identical to the standard encoder: what the embedded index stores.

The index writes one fact row per document twice over (its stored ``facts`` and, for an atom's digest,
its canonical line: :func:`search.cells.item_line`), and its body and folded events once, and the
standard library's encoder spent about 30 µs on a fact row where orjson spends 3. The bytes must not
move (stored documents, digests and the ``inputs_sha256`` of published cells are compared across
backends and versions), so orjson is used only where its output is known to be the standard
encoder's: ``dict`` (``str`` keys) and ``list`` holding such values, ``str``, ``bool``, ``None``, ``int``
and finite ``float`` values that are zero or of magnitude at least 1e-4 (checked by a walk of the value:
for a body and its events the walk costs most of what orjson saves: a third of the encoding goes).
Below 1e-4 the two write floats differently (``1e-05`` against ``0.00001``), orjson writes ``NaN`` and
infinities as ``null``, and tuples, subclasses, datetimes, enums and UUIDs it writes its own way: all of
those take the standard encoder, as does anything orjson refuses (an integer beyond 64 bits, a lone
surrogate).
``tests/search/test_plain_json.py`` compares both encoders over drawn rows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import orjson

#: ``json.dumps(row, ensure_ascii=False, separators=(",", ":"))``, built once
_standard = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
#: the same with sorted keys, and ``str()`` of what JSON cannot hold (the canonical line of a digest)
_standard_canonical = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode

_SMALLEST_SAME = 1e-4  # from here up to the largest finite float, orjson writes a float as ``repr`` does


def is_plain(value: Any) -> bool:
    """True when orjson writes ``value`` exactly as the standard encoder does (see the module docstring).

    Plain loops, not ``all()`` over generators: this walks every value of every body and event written."""
    kind = type(value)
    if kind is str or kind is bool or kind is int or value is None:
        return True
    if kind is float:
        return bool(value == 0.0 or _SMALLEST_SAME <= abs(value) < math.inf)  # NaN fails both
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str or not is_plain(item):
                break
        else:
            return True
        return False
    if kind is list:
        for item in value:
            if not is_plain(item):
                break
        else:
            return True
        return False
    return False  # tuples, subclasses, datetimes, enums, UUIDs...


def dumps(row: Any) -> str:
    """``row`` as the stored JSON columns hold it: compact, keys in their order, non-ASCII as is."""
    if is_plain(row):
        try:
            return orjson.dumps(row).decode()
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, a lone surrogate
            pass
    return _standard(row)


def dumps_canonical(row: Mapping[str, Any]) -> str:
    """``row`` as canonical JSON: compact, keys sorted, non-ASCII as is, ``str()`` of what JSON cannot hold."""
    if is_plain(row):
        try:
            return orjson.dumps(row, option=orjson.OPT_SORT_KEYS).decode()
        except orjson.JSONEncodeError:
            pass
    return _standard_canonical(row)
