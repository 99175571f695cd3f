"""The embedded index's facet tally: facets of a search without words read from a few rows, never wrong.

Every write and erasure moves the tally in its transaction; after any sequence of them the tally's facets must
be exactly what counting the documents gives, for every filter a search can set (type, service, area,
status), with documents that lack a service, an area or a status, documents written over with another key,
writes ignored as older, and erasures. An index made before the tally
gets it counted once when a writer opens it.
"""

from __future__ import annotations

import random
import sqlite3
from itertools import product

import pytest

from search.index import Document
from search.query import SearchQuery
from search.sqlite_index import SqliteIndex, _counted_facets, _filters, _tallied_facets, _tally_current

TYPES = ("decision", "meeting", "initiative")  # types without cells: the tally alone is under test
SERVICES = ("171", "210", None)
AREAS = ("Tapiola", "Leppävaara", None)
STATUSES = ("open", "closed", None)


def _doc(rng: random.Random, doc_id: str, version: int) -> Document:
    return Document(
        id=doc_id,
        type=rng.choice(TYPES),
        version=version,
        date=f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00+00:00",
        body={"id": doc_id},
        service_code=rng.choice(SERVICES),
        area=rng.choice(AREAS),
        status=rng.choice(STATUSES),
    )


def _queries() -> list[SearchQuery]:
    found = [SearchQuery(types=types) for types in (TYPES, TYPES[:1], TYPES[1:])]
    for service, area, status in product(SERVICES, AREAS, STATUSES):
        found.append(SearchQuery(types=TYPES, service=service, area=area, status=status))
    return found


def _check(index: SqliteIndex) -> None:
    conn = index._conn()
    for query in _queries():
        where, params = _filters(query)
        assert _tallied_facets(conn, query, where, params) == _counted_facets(conn, query, None, where, params), query


@pytest.mark.parametrize("seed", range(6))
def test_the_tally_gives_what_counting_gives_after_any_writes_and_erasures(tmp_path, seed):
    rng = random.Random(seed)
    index = SqliteIndex(tmp_path / "index.sqlite")
    versions: dict[str, int] = {}
    for _ in range(12):
        docs = []
        for doc_id in rng.sample([f"d{i}" for i in range(40)], rng.randint(1, 25)):  # a write holds an id once
            stored = versions.get(doc_id, 0)
            version = stored + 1 if rng.random() < 0.8 else max(stored, 1)  # some writes are not newer
            docs.append(_doc(rng, doc_id, version))
            versions[doc_id] = max(stored, version)
        index.write(docs)
        if rng.random() < 0.3:
            index.forget([f"d{rng.randint(0, 40)}" for _ in range(3)])
        _check(index)
    assert index._conn().execute("SELECT COUNT(*) FROM facet_tally WHERE n <= 0").fetchone() == (0,)
    index.close()


def test_a_search_without_words_reads_the_tally_and_answers_as_counting_does(tmp_path):
    rng = random.Random(7)
    index = SqliteIndex(tmp_path / "index.sqlite")
    index.write([_doc(rng, f"d{i}", 1) for i in range(60)])
    query = SearchQuery(types=TYPES, status="open", size=5)
    conn = index._conn()
    where, params = _filters(query)
    counted = _counted_facets(conn, query, None, where, params)
    conn.execute("UPDATE facet_tally SET n = n + 1000")  # what the search shows must now come from the tally
    result = index.search(query)
    assert result.facets != counted
    assert result.facets == _tallied_facets(conn, query, where, params)
    assert result.total == sum(b["count"] for b in result.facets["type"])
    index.close()


def test_an_index_made_before_the_tally_is_counted_once_a_writer_opens_it(tmp_path):
    rng = random.Random(3)
    path = tmp_path / "index.sqlite"
    index = SqliteIndex(path)
    index.write([_doc(rng, f"d{i}", 1) for i in range(40)])
    index.close()
    with sqlite3.connect(path) as old:  # as an index from before the tally looks
        old.execute("DROP TABLE facet_tally")
        old.execute("DELETE FROM meta WHERE key = 'facet_tally'")
    reader = SqliteIndex(path, readonly=True)
    assert not _tally_current(reader._conn())
    counted = reader.search(SearchQuery(types=TYPES)).facets  # counted from the documents meanwhile
    reader.close()
    writer = SqliteIndex(path)
    assert _tally_current(writer._conn())
    _check(writer)
    assert writer.search(SearchQuery(types=TYPES)).facets == counted
    writer.close()


def test_a_write_that_did_not_move_the_tally_makes_it_stale_until_a_writer_counts_it_again(tmp_path):
    """What an older Mittari writing to the same file does (a rolled-back deploy, an old worker still
    running): documents change and the generation moves, the tally does not."""
    path = tmp_path / "index.sqlite"
    writer = SqliteIndex(path)
    writer.write([_doc(random.Random(i), f"d{i}", 1) for i in range(30)])
    writer.close()
    from search.sqlite_index import _NEXT_GENERATION

    with sqlite3.connect(path) as old:
        old.execute("UPDATE docs SET status = 'archived', area = NULL WHERE rowid % 3 = 0")
        old.execute(_NEXT_GENERATION)
    reader = SqliteIndex(path, readonly=True)
    conn = reader._conn()
    assert not _tally_current(conn)  # stale: not trusted
    query = SearchQuery(types=TYPES)
    where, params = _filters(query)
    facets = reader.search(query).facets
    assert {"value": "archived", "count": 10} in facets["status"]  # counted from the documents
    assert facets == _counted_facets(conn, query, None, where, params)
    reader.close()
    writer = SqliteIndex(path)  # counts it again
    assert _tally_current(writer._conn())
    _check(writer)
    writer.write([_doc(random.Random(99), "d0", 2)])  # and keeps it current from there
    assert _tally_current(writer._conn())
    _check(writer)
    writer.close()
