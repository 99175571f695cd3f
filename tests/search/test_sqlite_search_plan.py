"""The embedded index's search reads indexes, not every document (issue 11), old index files still open,
and the relevance cursors Elasticsearch pages with take only the shape it gives out.

Query plans are checked rather than timed: a plan that scans the table or sorts every match is
the slowness at a million events, whatever the machine.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace

import pytest

from search.index import Document
from search.query import SearchQuery
from search.sqlite_index import SqliteIndex, _atom_items_sql, _filters


def _doc(i: int, status: str = "received") -> Document:
    body = {"id": f"fb-{i}", "type": "feedback", "status": status}
    date = f"2026-03-{1 + i % 28:02d}T08:00:00Z"
    return Document(f"fb-{i}", "feedback", 1, date, body, text="katu valo", status=status, service_code="171")


def _plan(conn: sqlite3.Connection, sql: str, params: list[object]) -> str:
    return "\n".join(row[3] for row in conn.execute(f"EXPLAIN QUERY PLAN {sql}", params))


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (SearchQuery(types=("feedback",)), "docs_by_type"),
        (SearchQuery(types=("feedback",), status="in_process", sort="oldest"), "docs_by_status"),
        (SearchQuery(types=("feedback",), service="171"), "docs_by_service"),
        (SearchQuery(types=("feedback",), area="Vanha-Espoo", sort="oldest"), "docs_by_area"),
    ],
)
def test_a_page_by_date_reads_one_covering_index_in_order(tmp_path, query, index):
    store = SqliteIndex(tmp_path / "index.sqlite")
    store.write([_doc(i) for i in range(50)])
    conn = store._conn()
    where, params = _filters(query)
    order = "DESC" if query.sort == "newest" else "ASC"
    condition = " AND ".join(["d.type = ?", *where])
    sql = f"SELECT d.rowid, d.id, d.date FROM docs d WHERE {condition} ORDER BY d.date {order}, d.id {order} LIMIT 21"
    plan = _plan(conn, sql, ["feedback", *params])
    assert f"USING COVERING INDEX {index}" in plan, plan
    assert "TEMP B-TREE" not in plan, plan  # no sort of every match


def test_facets_and_bounded_counts_never_read_a_table_row(tmp_path):
    store = SqliteIndex(tmp_path / "index.sqlite")
    store.write([_doc(i) for i in range(50)])
    conn = store._conn()
    for name in ("type", "service_code", "area", "status"):
        sql = f"SELECT d.{name}, COUNT(*) FROM docs d WHERE d.type IN (?, ?) AND d.status = ? GROUP BY d.{name}"
        plan = _plan(conn, sql, ["feedback", "decision", "received"])
        assert "COVERING INDEX" in plan and "SCAN d\n" not in plan + "\n", plan


def test_an_index_from_before_issue_11_moves_its_bodies_out_and_keeps_everything(tmp_path):
    path = tmp_path / "index.sqlite"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE docs (rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, type TEXT NOT NULL,
            version INTEGER NOT NULL, date TEXT NOT NULL, service_code TEXT, area TEXT, status TEXT,
            body TEXT NOT NULL, facts TEXT NOT NULL, events TEXT NOT NULL, redaction_version INTEGER NOT NULL DEFAULT 0);
        CREATE INDEX docs_type_date ON docs (type, date, id);
        CREATE VIRTUAL TABLE fts USING fts5 (terms, tokenize = 'unicode61', prefix = '2 3 4');
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO meta VALUES ('generation', '7');
        """
    )
    body = {"id": "fb-1", "type": "feedback", "title": "Katuvalo"}
    events = [{"event_id": "e-1"}]
    old.execute(
        "INSERT INTO docs VALUES (1, 'fb-1', 'feedback', 1, '2026-03-02T08:00:00Z', '171', 'Vanha-Espoo', 'received',"
        " ?, '{}', ?, 2)",
        (json.dumps(body), json.dumps(events)),
    )
    old.execute("INSERT INTO fts (rowid, terms) VALUES (1, 'katuvalo')")
    old.commit()
    old.close()

    store = SqliteIndex(path)
    columns = {row[1] for row in store._conn().execute("PRAGMA table_info(docs)")}
    assert "body" not in columns and "events" not in columns
    doc = store.get("fb-1")
    assert doc is not None and doc.body == body and doc.events == events and doc.redaction_version == 2
    assert [i["id"] for i in store.search(SearchQuery(q="katuvalo")).items] == ["fb-1"]
    assert store.generation() != "7"  # readers' caches notice the change
    reader = SqliteIndex(path, readonly=True)
    assert reader.search(SearchQuery(status="received")).items == [body]


@pytest.mark.parametrize(
    "position",
    [["abc"], [3], [float("nan"), "fb-1"], [float("inf"), "fb-1"], [1e300, "fb-1"], [0.5, 7], [0.5, "x" * 501]],
)
def test_a_scored_relevance_cursor_takes_only_a_finite_score_and_an_id(position):
    """Elasticsearch pages relevance with ``[score, id]``; anything else a client writes is a 400 naming cursor."""
    from core.errors import BadQuery
    from search.query import decode_cursor, encode_cursor

    query = SearchQuery(q="katu", sort="relevance")
    with pytest.raises(BadQuery) as caught:
        decode_cursor(SearchQuery(q="katu", sort="relevance", cursor=encode_cursor(query, position)), scored=True)
    assert caught.value.parameter == "cursor"
    good = encode_cursor(query, [1.25, "fb-1"])
    assert decode_cursor(SearchQuery(q="katu", sort="relevance", cursor=good), scored=True) == [1.25, "fb-1"]
    with pytest.raises(BadQuery):  # SQLite pages relevance by offset: a score cursor is not one of its
        decode_cursor(SearchQuery(q="katu", sort="relevance", cursor=good))


def _traced_search(store: SqliteIndex, query: SearchQuery) -> tuple[list[str], list[str]]:
    """The statements one search runs (parameters bound, as SQLite expands them), and each one's query plan."""
    conn = store._conn()
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        store.search(query)
    finally:
        conn.set_trace_callback(None)
    statements = [sql for sql in statements if not sql.startswith("--")]  # SQLite's own, e.g. a PRAGMA's check
    return statements, [_plan(conn, sql, []) for sql in statements]


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(q="katu", types=("feedback",)),
        SearchQuery(q="katu valo", types=("feedback",), status="received", sort="newest"),
        SearchQuery(q="katu", service="171", sort="relevance"),
        SearchQuery(q="katu", types=("feedback",), area="Vanha-Espoo", sort="oldest"),
    ],
)
def test_a_search_with_words_matches_once_and_reads_documents_by_the_matches_rowids(tmp_path, query):
    """With one type or a filter, SQLite preferred walking a docs index and asking FTS5 for every row whether it
    matches (seconds per search on the 50,000-event demo); the match must lead, run once for the page and every
    facet, and reach documents by rowid. Besides it, only the generation and the page's bodies are read."""
    store = SqliteIndex(tmp_path / "index.sqlite")
    store.write([_doc(i) for i in range(200)])
    store.write([replace(_doc(i, status="in_process"), area="Vanha-Espoo") for i in range(200, 260)])
    statements, plans = _traced_search(store, query)
    (searching,) = [(sql, plan) for sql, plan in zip(statements, plans, strict=True) if "MATCH" in sql]
    _, plan = searching
    assert plan.count("SCAN fts VIRTUAL TABLE") == 1, plan
    assert "SEARCH d USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
    assert "SCAN d" not in plan and "d USING INDEX" not in plan and "COVERING INDEX" not in plan, plan
    assert len(statements) == 3, statements  # the generation, the search, the bodies of the page


def test_a_search_with_words_gives_the_same_page_facets_and_total_as_counting_each_apart(tmp_path):
    """The one-statement search against the statements it replaced, written out plainly here."""
    store = SqliteIndex(tmp_path / "index.sqlite")
    docs = [_doc(i, status=("received", "in_process", "resolved")[i % 3]) for i in range(90)]
    docs += [
        Document(
            f"d-{i}",
            "decision",
            1,
            f"2026-02-{1 + i % 28:02d}T08:00:00Z",
            {"id": f"d-{i}", "type": "decision"},
            text="katu päätös",
            status="decided",
            area=("Tapiola", "Leppävaara")[i % 2],
        )
        for i in range(40)
    ]
    store.write(docs)
    conn = store._conn()
    for query in (
        SearchQuery(q="katu", size=7),
        SearchQuery(q="katu", sort="relevance", size=5),
        SearchQuery(q="katu", types=("feedback",), status="resolved", sort="oldest", size=4),
        SearchQuery(q="valo katu", area="Tapiola"),
    ):
        result = store.search(query)
        match = '("katu"* OR "katu")' if "valo" not in query.q else None
        where, params = _filters(query)
        marks = ",".join("?" * len(query.types))
        condition = " AND ".join([f"d.type IN ({marks})", *where])
        base = f"FROM docs d WHERE d.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?) AND {condition}"
        arguments = [match or "katu AND valo", *query.types, *params]
        expected_total = conn.execute(f"SELECT COUNT(*) {base}", arguments).fetchone()[0]
        assert result.total == expected_total and result.total_relation == "eq"
        for name, buckets in result.facets.items():
            rows = conn.execute(
                f"SELECT d.{name}, COUNT(*) AS n {base} AND d.{name} IS NOT NULL GROUP BY d.{name}"
                f" ORDER BY n DESC, d.{name}",
                arguments,
            ).fetchall()
            assert [(b["value"], b["count"]) for b in buckets] == rows, name
        if query.sort != "relevance":
            order = "DESC" if query.sort == "newest" else "ASC"
            ids = conn.execute(
                f"SELECT d.id {base} ORDER BY d.date {order}, d.id {order} LIMIT ?", [*arguments, query.size]
            ).fetchall()
            assert [i["id"] for i in result.items] == [r[0] for r in ids]
        assert (result.next_cursor is not None) == (expected_total > query.size)


@pytest.mark.parametrize("atom_count", [1, 400])
def test_a_batch_of_touched_atoms_is_read_one_index_range_per_atom(tmp_path, atom_count):
    """The write finds its touched atoms' items by one statement per 400 atoms: each atom must be an equality
    range of ``docs_cell`` on all five columns, never a scan of every document of the type, and the index alone
    answers it (the rowids; a table row is read only for an item the write did not itself store)."""
    store = SqliteIndex(tmp_path / "index.sqlite")
    store.write([_doc(i) for i in range(50)])
    plan = _plan(store._conn(), _atom_items_sql(atom_count), ["feedback", "2026-03", "171", "", ""] * atom_count)
    assert (
        "SEARCH d USING COVERING INDEX docs_cell"
        " (type=? AND cell_month=? AND cell_service=? AND cell_area=? AND cell_code=?)" in plan
    ), plan
    assert "SCAN d" not in plan, plan
