"""Elasticsearch mappings and settings, as data.

``dynamic: false`` so nothing is indexed by accident; the public ``body``,
the indicator ``facts`` and the folded ``events`` are stored but not indexed.
``terms`` holds the tokens :mod:`search.analysis` made, split on spaces only,
so Elasticsearch and SQLite match the same words. Only analysers that ship in
the server core are used (no language plugins, no scripts).
"""

from __future__ import annotations

from typing import Any

DOCS_MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "id": {"type": "keyword"},
        "type": {"type": "keyword"},
        "version": {"type": "long"},
        "date": {"type": "date", "format": "strict_date_time_no_millis||strict_date_optional_time"},
        "service_code": {"type": "keyword"},
        "area": {"type": "keyword"},
        "status": {"type": "keyword"},
        "redaction_version": {"type": "integer"},
        "terms": {
            "type": "text",
            "analyzer": "whitespace",
            "index_prefixes": {"min_chars": 2, "max_chars": 10},
        },
        "body": {"type": "object", "enabled": False},
        "facts": {"type": "object", "enabled": False},
        "events": {"type": "object", "enabled": False},
    },
}

COUNTERS_MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {"name": {"type": "keyword"}, "value": {"type": "long"}, "at": {"type": "date"}},
}

META_MAPPING: dict[str, Any] = {"dynamic": False, "properties": {"value": {"type": "keyword"}}}


def docs_settings(shards: int, replicas: int) -> dict[str, Any]:
    return {"number_of_shards": shards, "number_of_replicas": replicas, "refresh_interval": "1s"}
