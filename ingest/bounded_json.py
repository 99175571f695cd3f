"""Decoding JSON from outside (log records, import files) within bounds a hostile record cannot break.

Python's decoder recurses once per nesting level, so a record of a few
hundred kilobytes of ``[[[[…`` raises ``RecursionError``; a number of more
than 4,300 digits raises ``ValueError`` (the int-string conversion limit).
Either used to escape the worker's per-record handling and stop ingestion on
every run. Here both become :class:`BadJson` with a reason, and nesting deeper
than any real event or Open311 request (:data:`MAX_DEPTH`) is refused before
the decoder ever sees it.
"""

from __future__ import annotations

import json
import re
from typing import Any

#: Deeper than any envelope (event → payload → a list of objects) or Open311 request (tasks) needs.
MAX_DEPTH = 32

# A JSON string (skipped whole, so brackets inside text do not count; an unclosed one runs to the end) or a bracket.
_TOKENS = re.compile(rb'"(?:[^"\\]++|\\.?)*+(?:"|\Z)|[\[\]{}]', re.DOTALL)


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
    if too_deep(raw):
        raise BadJson(f"not JSON within bounds: nested more than {MAX_DEPTH} levels deep")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadJson(f"not JSON: {exc}") from exc
    except (ValueError, RecursionError) as exc:  # a number beyond the int-string conversion limit, say
        raise BadJson(f"not JSON within bounds: {str(exc)[:200]}") from exc
