"""Decoding JSON from outside (log records, import files) within bounds a hostile record cannot break.

Python's decoder recurses once per nesting level, so a record of a few
hundred kilobytes of ``[[[[…`` raises ``RecursionError``; a number of more
than 4,300 digits raises ``ValueError`` (the int-string conversion limit).
Either used to escape the worker's per-record handling and stop ingestion on
every run. Here both become :class:`BadJson` with a reason, and nesting deeper
than any real event or Open311 request (:data:`MAX_DEPTH`) is refused before
the decoder ever sees it.

Records are decoded by ``orjson`` first (a C decoder, several times faster than
the standard one on log records) and by :mod:`json` whenever orjson refuses
them, so every refusal keeps the standard decoder's reason. Where orjson would
give another value than :mod:`json` it is not asked: integers beyond 64 bits
become floats in orjson, so any run of 19 digits sends the record to :mod:`json`
(which keeps them exact); every other difference between the two (``NaN``,
``1e400``, escaped lone surrogates, a byte-order mark) is an orjson refusal.
``tests/ingest/test_bounded_json.py`` checks that both give equal values of
equal types.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

#: Deeper than any envelope (event → payload → a list of objects) or Open311 request (tasks) needs.
MAX_DEPTH = 32

# A JSON string (skipped whole, so brackets inside text do not count; an unclosed one runs to the end) or a bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]++|\\.?)*+(?:"|\Z)|[\[\]{}]', re.DOTALL)


#: digits enough for an integer orjson would not keep exact (beyond 64 bits): such records go to :mod:`json`
_LONG_DIGITS = b"0" * 19
#: the copy :func:`loads` reads its two quick tests from: every digit written as ``0``, so a run of digits is a
#: run of zeros that ``bytes.find`` finds at C speed (a regular expression for ``[0-9]{19}`` tried every
#: position: 8 µs a record), and ``{`` as ``[``, so that one count finds every opening bracket
_QUICK_COPY = bytes.maketrans(b"0123456789{", b"0" * 10 + b"[")


class BadJson(ValueError):
    """Bytes that are not JSON, or JSON outside the bounds; ``reason`` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def too_deep(data: bytes) -> bool:
    """Whether arrays and objects in ``data`` nest deeper than :data:`MAX_DEPTH` (brackets in strings do not count).

    Counting brackets is C-speed; the scan runs only when there are more
    brackets than the limit, which ordinary records never have.
    """
    if data.count(b"[") + data.count(b"{") <= MAX_DEPTH:
        return False
    depth = 0
    for match in _TOKENS.finditer(data):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif token in (b"]", b"}"):
            depth -= 1
    return False


def loads(data: bytes | str) -> Any:
    """``json.loads`` that raises only :class:`BadJson` for bad or out-of-bounds input."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    quick = raw.translate(_QUICK_COPY)  # one pass for both quick tests (two counts and a translate were three)
    if quick.count(b"[") > MAX_DEPTH and too_deep(raw):  # too_deep's own quick test, on the copy
        raise BadJson(f"not JSON within bounds: nested more than {MAX_DEPTH} levels deep")
    if quick.find(_LONG_DIGITS) < 0:  # no run of 19 digits
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            pass  # refused: the standard decoder decides, and words the reason
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadJson(f"not JSON: {exc}") from exc
    except (ValueError, RecursionError) as exc:  # a number beyond the int-string conversion limit, say
        raise BadJson(f"not JSON within bounds: {str(exc)[:200]}") from exc
