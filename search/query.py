"""Backend-neutral search requests and results.

A :class:`SearchQuery` is already validated and capped; each index backend
translates it to its own language (FTS5 SQL, Elasticsearch DSL) and answers
with the same :class:`SearchResult` envelope, so exports reuse the same query.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from search.errors import BadQuery
from search.vocabulary import SEARCHABLE_TYPES

SORTS = ("newest", "oldest", "relevance")
FACET_FIELDS = ("type", "service_code", "area", "status")


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


def encode_cursor(query: SearchQuery, position: list[Any]) -> str:
    payload = json.dumps({"f": _stable_fingerprint(query), "p": position}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(query: SearchQuery) -> list[Any] | None:
    """The position a cursor points after, or None for the first page."""
    if not query.cursor:
        return None
    try:
        padded = query.cursor + "=" * (-len(query.cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        position = data["p"]
        fingerprint = data["f"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise BadQuery("cursor", "is not a cursor this API gave out") from exc
    if fingerprint != _stable_fingerprint(query) or not isinstance(position, list):
        raise BadQuery("cursor", "belongs to a different query; start again without a cursor")
    return position


def _stable_fingerprint(query: SearchQuery) -> str:
    """Identifies the query apart from its page, so a cursor cannot be reused on another query."""
    parts = [query.q, ",".join(query.types), query.service, query.area, query.status, query.sort]
    parts += [
        query.date_from.isoformat() if query.date_from else "",
        query.date_to.isoformat() if query.date_to else "",
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:12]
