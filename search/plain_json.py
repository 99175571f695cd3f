"""JSON of plain values by orjson, byte-identical to the standard encoder: what the embedded index stores.

The index writes one fact row per document twice over (its stored ``facts`` and, for an atom's digest,
its canonical line: :func:`search.cells.item_line`), and its body and folded events once, and the
standard library's encoder spent about 30 µs on a fact row where orjson spends 3. The bytes must not
move (stored documents, digests and the ``inputs_sha256`` of published cells are compared across
backends and versions), so orjson is used only where its output is known to be the standard
encoder's: ``dict`` and ``list`` holding such values, ``str``, ``bool``, ``None``, ``int`` and finite
``float`` values that are zero or of magnitude at least 1e-4 (checked by a walk of the values).
Below 1e-4 the two write floats differently (``1e-05`` against ``0.00001``), orjson writes ``NaN`` and
infinities as ``null``, and tuples, subclasses, datetimes, enums and UUIDs it writes its own way: all of
those take the standard encoder, as does anything orjson refuses (an integer beyond 64 bits, a lone
surrogate, and a key that is not exactly ``str``: orjson refuses ``int``, ``None``... and ``str`` subclass
keys alike, so the walk does not read keys, only values; it was two fifths of its cost).
``tests/search/test_plain_json.py`` compares both encoders over drawn rows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

import orjson

#: ``json.dumps(row, ensure_ascii=False, separators=(",", ":"))``, built once
_standard = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
#: the same with sorted keys, and ``str()`` of what JSON cannot hold (the canonical line of a digest)
_standard_canonical = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode

_SMALLEST_SAME = 1e-4  # from here up to the largest finite float, orjson writes a float as ``repr`` does
_INFINITY = math.inf


def is_plain(value: Any) -> bool:
    """True when orjson writes ``value`` as the standard encoder does, or refuses it (see the module docstring).

    Keys are not read: orjson refuses every key that is not exactly ``str``, and the callers then take the
    standard encoder. Each leaf is tested inline, in the loop over its container (a call per leaf was most
    of the walk's time); plain loops, not ``all()`` over generators: this walks every value of every body and
    event written."""
    kind = type(value)
    if kind is dict:
        items: Iterable[Any] = value.values()
    elif kind is list:
        items = value
    else:
        return _plain_leaf(value)
    for item in items:
        kind = type(item)
        if kind is str or item is None or kind is int or kind is bool:
            continue
        if kind is float:
            if item == 0.0 or _SMALLEST_SAME <= abs(item) < _INFINITY:  # NaN fails both
                continue
            return False
        if (kind is dict or kind is list) and is_plain(item):
            continue
        return False  # tuples, subclasses, datetimes, enums, UUIDs...
    return True


def _plain_leaf(value: Any) -> bool:
    """:func:`is_plain` of a value that is neither a ``dict`` nor a ``list``."""
    kind = type(value)
    if kind is str or value is None or kind is int or kind is bool:
        return True
    return kind is float and bool(value == 0.0 or _SMALLEST_SAME <= abs(value) < _INFINITY)


def dumps(row: Any) -> str:
    """``row`` as the stored JSON columns hold it: compact, keys in their order, non-ASCII as is."""
    if is_plain(row):
        try:
            return orjson.dumps(row).decode()
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, a lone surrogate, a key not exactly str
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
