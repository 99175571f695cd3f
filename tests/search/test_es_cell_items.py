"""Elasticsearch only: recomputing an atom reads its items' rows from ``cell_item`` doc values, and falls back
to ``_source`` for documents without one (written by the mapping from before the field, or too long).

The contract suite (tests/contract/test_index.py) checks the cells' values on every backend; these tests
check that the fast path is really taken, and that both paths give the same bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

import pytest

from core.settings import Settings
from ingest.events import validate_event
from ingest.fold import fold
from search import es_index
from search.cells import from_rows
from search.es_index import ElasticIndex
from search.index import Document, open_index
from tests.builders import at, received
from tests.services import ES_URL

pytestmark = pytest.mark.integration


def doc_of(events: list[dict]) -> Document:
    return fold(events[0]["subject_id"], [validate_event(e) for e in events])


@pytest.fixture
def es(make_settings: Callable[[str, str], Settings]) -> Iterator[ElasticIndex]:
    index = open_index(make_settings("sqlite", "elasticsearch"))
    assert isinstance(index, ElasticIndex)
    yield index
    index.close()


def _docs() -> list[Document]:
    return [
        doc_of([received(f"fb-{n}", at(days=n % 3, hours=n), text="Katuvalo pimeänä", service="171", area="Tapiola")])
        for n in range(6)
    ]


def _cell_items(index: ElasticIndex) -> dict[str, str | None]:
    """Each document's ``cell_item`` as Elasticsearch keeps it in doc values (None: not kept)."""
    response = index.es.search(
        index=index.source,
        query={"match_all": {}},
        sort=[{"id": "asc"}],
        size=100,
        stored_fields=["_none_"],
        docvalue_fields=["cell_item"],
    )
    return {h["sort"][0]: (h.get("fields") or {}).get("cell_item", [None])[0] for h in response["hits"]["hits"]}


def test_items_are_kept_in_doc_values_and_cells_equal_the_scan(es: ElasticIndex) -> None:
    es.write(_docs())
    kept = _cell_items(es)
    assert len(kept) == 6 and all(kept.values())
    atom, row = es_index._from_cell_item(kept["fb-1"])
    assert row["id"] == "fb-1" and row["service_code"] == "171" and row["version"] == 1
    cells = dict(es.cells("feedback"))
    assert atom in cells
    assert cells == from_rows("feedback", es.scan("feedback"), "Europe/Helsinki")


def test_items_without_doc_values_are_read_from_source(es: ElasticIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents written as the old mapping wrote them (no ``cell_item``) and then one more item of the same
    atoms the new way: the cells are byte-identical to those of an index written the new way throughout."""
    docs = _docs()
    with monkeypatch.context() as old_way:
        old_way.setattr(es_index, "_cell_item", lambda atom, row: None)
        es.write(docs[:4])
    assert set(_cell_items(es).values()) == {None}
    es.write(docs[4:])
    mixed = es.stored_cells("feedback")
    assert [k for k, v in _cell_items(es).items() if v] == ["fb-4", "fb-5"]

    changed = replace(docs[0], version=2, facts={**docs[0].facts, "closed": True})
    es.write([changed])  # an old-way item gets a new version: now kept in doc values, its atom recomputed
    assert _cell_items(es)["fb-0"] is not None

    fresh = ElasticIndex(ES_URL, namespace=es.namespace + "x")
    try:
        fresh.write(docs)
        assert mixed == fresh.stored_cells("feedback")
        fresh.write([changed])
        assert es.stored_cells("feedback") == fresh.stored_cells("feedback")
    finally:
        fresh.es.indices.delete(index=f"{fresh.namespace}-*", expand_wildcards="all")
        fresh.close()


def test_an_item_too_long_for_doc_values_is_read_from_source(es: ElasticIndex) -> None:
    long = doc_of([received("fb-long", at(days=1), text="pitkä", service="171", area="Tapiola")])
    long = replace(long, facts={**long.facts, "service_name": "Katu" * 3000})  # 12,000 characters
    es.write([*_docs(), long])
    kept = _cell_items(es)
    assert kept["fb-long"] is None and kept["fb-1"] is not None
    cells = dict(es.cells("feedback"))
    assert cells == from_rows("feedback", es.scan("feedback"), "Europe/Helsinki")
    assert any("Katu" * 3000 in summary["names"] for summary in cells.values())
