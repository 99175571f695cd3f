"""Backend-neutral search requests and results.

A :class:`SearchQuery` is already validated and capped; each index backend
translates it to its own language (FTS5 SQL, Elasticsearch DSL) and answers
with the same :class:`SearchResult` envelope, so exports reuse the same query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.errors import BadQuery
from core.vocabulary import SEARCHABLE_TYPES

SORTS = ("newest", "oldest", "relevance")
FACET_FIELDS = ("type", "service_code", "area", "status")
#: values shown per facet, the most frequent first
FACET_SIZE = 50
#: totals are exact up to this many matches; above it a search without facets says ``total_relation: "gte"``
#: and ``total`` is this bound (counting every match of a broad query costs what the page itself does not)
TOTAL_EXACT_UP_TO = 10_000


@dataclass(frozen=True)
class SearchQuery:
    q: str = ""
    types: tuple[str, ...] = SEARCHABLE_TYPES
    service: str | None = None
    area: str | None = None
    status: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive
    sort: str = "newest"
    size: int = 20
    cursor: str | None = None
    facets: bool = True
    #: HMAC keys for cursors, the first signs and all verify (``MITTARI_CURSOR_KEYS``); a secret, so not in reprs
    cursor_keys: tuple[str, ...] = field(default=(), repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise BadQuery("sort", f"must be one of {', '.join(SORTS)}")
        if self.sort == "relevance" and not self.q.strip():
            object.__setattr__(self, "sort", "newest")
        for t in self.types:
            if t not in SEARCHABLE_TYPES:
                raise BadQuery("type", f"unknown type {t!r}; use one of {', '.join(SEARCHABLE_TYPES)}")
        if self.date_from and self.date_to and self.date_from >= self.date_to:
            raise BadQuery("from", "must be earlier than 'to'")


@dataclass
class SearchResult:
    items: list[dict[str, Any]]
    total: int
    facets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    next_cursor: str | None = None
    #: "eq": ``total`` is exact; "gte": there are more than ``total`` (= TOTAL_EXACT_UP_TO) matches. Searches with
    #: facets count every match anyway (the type facet), so their total is always exact.
    total_relation: str = "eq"


def encode_cursor(query: SearchQuery, position: list[Any]) -> str:
    """An opaque, signed cursor: the position after the last item shown, tied to this query."""
    payload = json.dumps({"f": _stable_fingerprint(query), "p": position}, separators=(",", ":")).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{body}.{_signature(body, _signing_keys(query)[0])}"


def decode_cursor(query: SearchQuery, *, scored: bool = False) -> list[Any] | None:
    """The position a cursor points after, or None for the first page.

    A cursor is refused (400 naming ``cursor``) unless one of the query's keys signed it, it
    belongs to this very query and its position has the shape the backends give out: a
    hand-made position must never reach SQL or Elasticsearch. ``scored``: the backend pages by
    relevance with ``[score, id]`` (Elasticsearch's ``search_after``) instead of ``[offset]``.
    """
    if not query.cursor:
        return None
    body, _, signature = query.cursor.partition(".")
    given = signature.encode("utf-8", "replace")
    if not any(hmac.compare_digest(given, _signature(body, key).encode()) for key in _signing_keys(query)):
        raise BadQuery("cursor", "is not a cursor this API gave out (or it has expired); start again without it")
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        position = data["p"]
        fingerprint = data["f"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise BadQuery("cursor", "is not a cursor this API gave out") from exc
    if fingerprint != _stable_fingerprint(query):
        raise BadQuery("cursor", "belongs to a different query; start again without a cursor")
    if not _well_formed(position, query.sort, scored):
        raise BadQuery("cursor", "is not a cursor this API gave out")
    return position  # type: ignore[no-any-return]


#: Signs cursors of queries built without keys (internal paging, never shown to anyone).
_PROCESS_KEY = secrets.token_hex(32)
MAX_CURSOR_OFFSET = 100_000


def _signing_keys(query: SearchQuery) -> tuple[str, ...]:
    return query.cursor_keys or (_PROCESS_KEY,)


def _signature(body: str, key: str) -> str:
    digest = hmac.new(key.encode(), body.encode("utf-8", "replace"), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _well_formed(position: Any, sort: str, scored: bool) -> bool:
    """Relevance pages are ``[offset]`` (SQLite) or ``[score, id]`` (Elasticsearch); date orders ``[date, id]``:
    SQLite a text date or None, Elasticsearch epoch ms (a 64-bit extreme for a document without a date)."""
    if not isinstance(position, list):
        return False
    if sort == "relevance" and not scored:
        return len(position) == 1 and type(position[0]) is int and 0 <= position[0] <= MAX_CURSOR_OFFSET
    if sort == "relevance":
        if len(position) != 2 or type(position[0]) not in (int, float) or not isinstance(position[1], str):
            return False
        return math.isfinite(position[0]) and abs(position[0]) <= 2**63 and len(position[1]) <= 500
    if len(position) != 2 or not isinstance(position[1], str) or len(position[1]) > 500:
        return False
    first = position[0]
    return (
        first is None or (isinstance(first, str) and len(first) <= 64) or (type(first) is int and abs(first) <= 2**63)
    )


def _stable_fingerprint(query: SearchQuery) -> str:
    """Identifies the query apart from its page, so a cursor cannot be reused on another query."""
    parts = [query.q, ",".join(query.types), query.service, query.area, query.status, query.sort]
    parts += [
        query.date_from.isoformat() if query.date_from else "",
        query.date_to.isoformat() if query.date_to else "",
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:12]
