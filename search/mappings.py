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


#: the atom (search/cells.py) each document belongs to, on the document: cells are recomputed by filtering on these
DOC_CELL_FIELDS: dict[str, Any] = {
    "cell_month": {"type": "keyword"},
    "cell_service": {"type": "keyword"},
    "cell_area": {"type": "keyword"},
    "cell_code": {"type": "keyword"},
}

#: longest ``cell_item`` kept in doc values (characters; Lucene takes at most 32,766 bytes a value, and a
#: character is at most 4 bytes): a longer one is left out and its item read from ``_source`` instead
CELL_ITEM_LIMIT = 8000

#: each document's atom and fact row as one canonical JSON string (``search/es_index.py``), kept in doc values
#: only (column-wise, not indexed): recomputing an atom reads its items' rows from here without decompressing
#: their ``_source`` (the folded events included). Documents written before it have none and are read from
#: ``_source``.
DOC_ITEM_FIELD: dict[str, Any] = {
    "cell_item": {"type": "keyword", "index": False, "doc_values": True, "ignore_above": CELL_ITEM_LIMIT},
}

#: ``{ns}-cells-vN`` beside ``{ns}-docs-vN``: one document per atom, its summary stored (canonical JSON), not indexed
CELLS_MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "type": {"type": "keyword"},
        "month": {"type": "keyword"},
        "service": {"type": "keyword"},
        "area": {"type": "keyword"},
        "code": {"type": "keyword"},
        "summary": {"type": "text", "index": False},
    },
}


def docs_mapping() -> dict[str, Any]:
    """The documents' mapping with their atom fields and their items' rows for the cells."""
    return {**DOCS_MAPPING, "properties": {**DOCS_MAPPING["properties"], **DOC_CELL_FIELDS, **DOC_ITEM_FIELD}}
