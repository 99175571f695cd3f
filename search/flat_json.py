"""JSON of flat rows (one level of str keys and plain scalar values) by orjson, byte-identical to the standard encoder.

The index writes one fact row per document twice over (its stored ``facts`` and, for an atom's digest,
its canonical line: :func:`search.cells.item_line`), and the standard library's encoder spent about
30 µs on each such row where orjson spends 3. The bytes must not move (stored documents, digests and
the ``inputs_sha256`` of published cells are compared across backends and versions), so orjson is used
only where its output is known to be the standard encoder's: a ``dict`` whose keys are ``str`` and whose
values are ``str``, ``bool``, ``None``, ``int`` or a finite ``float`` that is zero or of magnitude at least
1e-4. Below that the two write floats differently (``1e-05`` against ``0.00001``), and orjson writes
``NaN`` and infinities as ``null``; subclasses, nested containers and any other type take the standard
encoder, as does anything orjson refuses (an integer beyond 64 bits, a lone surrogate).
``tests/search/test_flat_json.py`` compares both encoders over drawn rows.
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


def is_flat(row: Any) -> bool:
    """True when orjson writes ``row`` exactly as the standard encoder does (see the module docstring)."""
    if type(row) is not dict:
        return False
    for key, value in row.items():
        if type(key) is not str:
            return False
        kind = type(value)
        if kind is str or kind is bool or kind is int or value is None:
            continue
        if kind is float and (value == 0.0 or _SMALLEST_SAME <= abs(value) < math.inf):
            continue
        return False  # NaN fails both comparisons above
    return True


def dumps(row: Any) -> str:
    """``row`` as the stored JSON columns hold it: compact, keys in their order, non-ASCII as is."""
    if is_flat(row):
        try:
            return orjson.dumps(row).decode()
        except orjson.JSONEncodeError:  # an integer beyond 64 bits, a lone surrogate
            pass
    return _standard(row)


def dumps_canonical(row: Mapping[str, Any]) -> str:
    """``row`` as canonical JSON: compact, keys sorted, non-ASCII as is, ``str()`` of what JSON cannot hold."""
    if is_flat(row):
        try:
            return orjson.dumps(row, option=orjson.OPT_SORT_KEYS).decode()
        except orjson.JSONEncodeError:
            pass
    return _standard_canonical(row)
