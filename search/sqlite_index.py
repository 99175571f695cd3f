"""The embedded index: SQLite with an FTS5 table, for one machine and no servers.

One writer (the ingest worker) in WAL mode with ``BEGIN IMMEDIATE``; readers
(the API's gunicorn workers) open the file read-only, one connection per
thread. ``mittari reindex`` builds a new file beside this one and swaps a
symbolic link at the configured path; every connection checks (one ``stat``)
that the path still leads to the file it has open and reopens when not, so
readers and the live worker move to the rebuilt index without a restart.
Terms arrive already analysed by :mod:`search.analysis`, so FTS5 only
splits on spaces.

How search stays fast on a big index (issue 11): the row ``search`` filters and
sorts (``docs``) is slim — id, type, date, service, area, status, facts — and
each document's body and folded events live in ``doc_bodies`` under the same
rowid, read only for the page of hits. Four covering indexes, one per filter a
query can lead with (type alone, type + status, type + service, type + area),
hold every column a filter, a sort or a facet needs, so counting, facets and
date-sorted pages never read a table row. A page sorted by date takes at most
``size + 1`` rows per document type from an index in order and merges them;
totals are counted exactly up to :data:`search.query.TOTAL_EXACT_UP_TO` and
reported as a lower bound above it, as Elasticsearch does. With words, the FTS5
match always leads the join (``CROSS JOIN``: SQLite otherwise may walk a docs
index and test every row against FTS5), and a search with facets runs the match
once for its page and every facet count.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import orjson

from core.errors import TransientError
from core.logs import fields
from core.times import iso
from search import cells as atoms
from search import plain_json
from search.analysis import query_terms
from search.index import Document, LogPosition, StreamPosition, WriteResult
from search.query import (
    FACET_FIELDS,
    FACET_SIZE,
    TOTAL_EXACT_UP_TO,
    SearchQuery,
    SearchResult,
    decode_cursor,
    encode_cursor,
)

log = logging.getLogger(__name__)
_T = TypeVar("_T")

SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    version INTEGER NOT NULL,
    date TEXT NOT NULL,
    service_code TEXT,
    area TEXT,
    status TEXT,
    facts TEXT NOT NULL,
    redaction_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS doc_bodies (rowid INTEGER PRIMARY KEY, body TEXT NOT NULL, events TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS forgotten (id TEXT PRIMARY KEY);
CREATE INDEX IF NOT EXISTS docs_by_type ON docs (type, date, id, service_code, area, status);
CREATE INDEX IF NOT EXISTS docs_by_status ON docs (type, status, date, id, service_code, area);
CREATE INDEX IF NOT EXISTS docs_by_service ON docs (type, service_code, date, id, area, status);
CREATE INDEX IF NOT EXISTS docs_by_area ON docs (type, area, date, id, service_code, status);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (terms, tokenize = 'unicode61', prefix = '2 3 4');
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS log_position (stream TEXT PRIMARY KEY, position TEXT NOT NULL);
"""

# Indicator cells (search/cells.py): each document row names its atom, and one row per atom holds its summary,
# recomputed from the atom's stored items in the same transaction as every write or erasure that touches it, and
# the summary's digest (of the atom's items) beside it: the marker ``changed_cells`` reads without the summary.
CELL_COLUMNS = ("cell_month", "cell_service", "cell_area", "cell_code")
CELLS_SCHEMA = """
CREATE TABLE IF NOT EXISTS cells (
    type TEXT NOT NULL,
    month TEXT NOT NULL,
    service TEXT NOT NULL,
    area TEXT NOT NULL,
    code TEXT NOT NULL,
    summary TEXT NOT NULL,
    digest TEXT,
    PRIMARY KEY (type, month, service, area, code)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS docs_cell ON docs (type, cell_month, cell_service, cell_area, cell_code);
"""

# Facet counts without reading documents (issue 11): documents per (type, service, area, status), kept in the
# same transaction as every write and erasure. A search without words or dates takes its facets from these few
# rows (a few thousand for a city) instead of counting every matching document after each index change.
TALLY_SCHEMA = """
CREATE TABLE IF NOT EXISTS facet_tally (
    type TEXT NOT NULL,
    service_code TEXT,
    area TEXT,
    status TEXT,
    n INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS facet_tally_key ON facet_tally (type, service_code, area, status);
"""
#: one tally key: a document's (type, service_code, area, status)
_Combo = tuple[str, str | None, str | None, str | None]

_DOC_COLUMNS = "rowid, id, type, version, date, service_code, area, status, facts, redaction_version, " + ", ".join(
    CELL_COLUMNS
)
_INSERT_DOC = f"INSERT INTO docs ({_DOC_COLUMNS}) VALUES ({','.join('?' * 14)})"
_UPDATE_DOC = (
    "UPDATE docs SET id=?, type=?, version=?, date=?, service_code=?, area=?, status=?, facts=?, redaction_version=?, "
    + ", ".join(c + "=?" for c in CELL_COLUMNS)
    + " WHERE rowid=?"
)
_NO_ATOM: tuple[None, ...] = (None, None, None, None)  # a document of a type without cells
_COLUMNS = (
    "d.rowid, d.id, d.type, d.version, d.date, d.service_code, d.area, d.status, b.body, d.facts, b.events,"
    " d.redaction_version"
)


#: the writing connection's page cache in KiB (64 MB; readers keep SQLite's default): about 9 % less write CPU
#: at 200,000 events (README, Performance → Ingest)
_WRITER_CACHE_KIB = 65536

#: WAL pages after which a commit copies the WAL into the database itself, when the background checkpointer
#: (:class:`_Checkpointer`) has fallen that far behind: a bound on the WAL's size (SQLite's default is 1,000)
_WAL_PAGES_BEFORE_INLINE_CHECKPOINT = 20000

#: seconds the checkpoint thread waits for another commit before it closes its connection and ends
_CHECKPOINT_IDLE_SECONDS = 5.0

#: facet counts kept per (index file, generation, filters): a bound on memory, not on correctness
_FACET_CACHE_SIZE = 256

# Every change of stored content moves the generation, so readers' caches notice (search/index.py).
_NEXT_GENERATION = (
    "INSERT INTO meta (key, value) VALUES ('generation', '1') ON CONFLICT(key)"
    " DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
)
#: whether the facet tally describes the documents as they are: its stamp is the generation it was last moved at
_TALLY_CURRENT = (
    "SELECT EXISTS (SELECT 1 FROM meta t WHERE t.key = 'facet_tally'"
    " AND t.value = COALESCE((SELECT value FROM meta WHERE key = 'generation'), '0'))"
)
#: the facet tally describes the documents as of the current generation
_STAMP_TALLY = (
    "INSERT OR REPLACE INTO meta (key, value)"
    " SELECT 'facet_tally', COALESCE((SELECT value FROM meta WHERE key = 'generation'), '0')"
)
_ADD_TO_COUNTER = (
    "INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value"
)


class SqliteIndex:
    remote = False

    def __init__(
        self, path: str | Path, *, readonly: bool = False, counting: bool = True, timezone: str = "Europe/Helsinki"
    ) -> None:
        self.path = Path(path)
        self.timezone = timezone  # decides a document's month (its atom); stored, and cells rebuilt when it changes
        self.readonly = readonly
        # ingest counters describe live ingestion; a rebuild replaying the log must not add to them
        self.counting = counting
        self._local = threading.local()
        self._facet_lock = threading.Lock()
        self._facet_cache: OrderedDict[tuple[Any, ...], dict[str, list[dict[str, Any]]]] = OrderedDict()
        # (key, documents per type, documents per redaction version): see stats(); generation read first,
        # so the counts are never older than their key
        self._stats_cache: tuple[Any, dict[str, int], dict[int, int]] | None = None
        self._checkpointer: _Checkpointer | None = None  # started by the first write (after any fork of helpers)
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._conn()
            columns = {row[1] for row in conn.execute("PRAGMA table_info(docs)")}
            if columns and "redaction_version" not in columns:  # an index made before documents carried it
                conn.execute("ALTER TABLE docs ADD COLUMN redaction_version INTEGER NOT NULL DEFAULT 0")
            if "body" in columns:
                _move_bodies_out(conn, self.path)
            conn.executescript(SCHEMA)
            self._ensure_cells(conn)
            self._ensure_tally(conn)

    # -- connections -----------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and self._swapped():
            conn.close()  # `mittari reindex` renamed a rebuilt index over this path: read that one
            conn = self._local.conn = None
        if conn is None:
            try:
                if self.readonly:
                    conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10)
                else:
                    conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("PRAGMA synchronous=NORMAL")
                    conn.execute("PRAGMA secure_delete=ON")  # a forgotten document's bytes are overwritten
                    # the writer's page cache: each batch reaches into every docs index, the FTS5 segments and the
                    # cells; SQLite's default 2 MB re-reads them from the OS each batch once the index is large
                    conn.execute(f"PRAGMA cache_size=-{_WRITER_CACHE_KIB}")
                    # the WAL is copied into the database by a thread beside the writer, not by each commit
                    conn.execute(f"PRAGMA wal_autocheckpoint={_WAL_PAGES_BEFORE_INLINE_CHECKPOINT}")
            except sqlite3.OperationalError as exc:
                raise TransientError(f"index {self.path} cannot be opened: {exc}") from exc
            conn.execute("PRAGMA busy_timeout=10000")
            self._local.conn = conn
            self._local.inode = _inode(self.path)
        return conn

    def _swapped(self) -> bool:
        """True when the file at our path is no longer the one this thread's connection has open (one stat)."""
        return _inode(self.path) not in (None, getattr(self._local, "inode", None))

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writing ---------------------------------------------------------
    def write(
        self,
        docs: Sequence[Document],
        counters: Mapping[str, int] | None = None,
        position: LogPosition | None = None,
    ) -> WriteResult:
        conn = self._conn()
        result = WriteResult()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                existing: dict[str, tuple[int, int]] = {}
                ids = [d.id for d in docs]
                refused: set[str] = set()
                # most indexes have forgotten no one: one probe instead of a lookup per 500 ids
                anyone_forgotten = conn.execute("SELECT EXISTS (SELECT 1 FROM forgotten)").fetchone()[0]
                for chunk in _chunks(ids, 500) if anyone_forgotten else ():
                    marks = ",".join("?" * len(chunk))
                    refused.update(r[0] for r in conn.execute(f"SELECT id FROM forgotten WHERE id IN ({marks})", chunk))
                touched: set[tuple[str, atoms.Atom]] = set()  # atoms to recompute: where items left and arrived
                written: dict[int, dict[str, Any]] = {}  # rowid → fact row of each document this write stores
                stored_atoms: dict[str, tuple[str, atoms.Atom]] = {}
                combos: dict[str, _Combo] = {}  # each stored document's tally key, as it stands in this transaction
                tally: dict[_Combo, int] = {}  # documents moved into (+) and out of (-) each key
                for chunk in _chunks(ids, 500):
                    marks = ",".join("?" * len(chunk))
                    for doc_id, rowid, version, doc_type, service_code, area, status, *cell in conn.execute(
                        f"SELECT id, rowid, version, type, service_code, area, status, {','.join(CELL_COLUMNS)}"
                        f" FROM docs WHERE id IN ({marks})",
                        chunk,
                    ):
                        existing[doc_id] = (rowid, version)
                        combos[doc_id] = (doc_type, service_code, area, status)
                        if cell[0] is not None:
                            stored_atoms[doc_id] = (doc_type, (cell[0], cell[1], cell[2], cell[3]))
                (next_rowid,) = conn.execute("SELECT COALESCE(MAX(rowid), 0) + 1 FROM docs").fetchone()
                inserts: list[tuple[Any, ...]] = []
                updates: list[tuple[Any, ...]] = []
                bodies: list[tuple[Any, ...]] = []
                fts_rows: list[tuple[int, str]] = []
                replaced_terms: dict[int, str] = {}  # rowid → the new terms of a document written over
                for doc in docs:
                    if doc.id in refused:
                        result.forgotten.append(doc.id)
                        continue
                    if doc.id in stored_atoms:  # replaced or not, its stored atom is recomputed (a redelivery heals)
                        touched.add(stored_atoms[doc.id])
                    known = existing.get(doc.id)
                    if known is not None and doc.version <= known[1]:
                        result.ignored_older += 1
                        result.ignored_ids.append(doc.id)
                        continue
                    fact_row = doc.fact_row()
                    atom = atoms.atom_of(doc.type, fact_row, self.timezone)
                    if atom is not None:
                        touched.add((doc.type, atom))
                    # the atom's columns go in with the row: one change of the row and of its indexes, not two
                    row, body = _row(doc, atom or _NO_ATOM)
                    if known is not None:
                        rowid = known[0]
                        updates.append((*row, rowid))
                        replaced_terms[rowid] = doc.text
                    else:
                        rowid = next_rowid
                        next_rowid += 1
                        existing[doc.id] = (rowid, doc.version)
                        inserts.append((rowid, *row))
                        fts_rows.append((rowid, doc.text))
                    bodies.append((rowid, *body))
                    written[rowid] = fact_row
                    result.written += 1
                    combo = (doc.type, doc.service_code, doc.area, doc.status)
                    was = combos.get(doc.id)
                    if was != combo:  # most rewrites keep their key: nothing to move
                        if was is not None:
                            tally[was] = tally.get(was, 0) - 1
                        tally[combo] = tally.get(combo, 0) + 1
                        combos[doc.id] = combo
                # A replaced document's terms are replaced only when they differ: most updates (a status changed, a
                # case closed) keep the text, and an FTS5 delete and insert cost more than the whole slim row.
                for rowids in _chunks(list(replaced_terms), 500):
                    marks = ",".join("?" * len(rowids))
                    for rowid, terms in conn.execute(f"SELECT rowid, terms FROM fts WHERE rowid IN ({marks})", rowids):
                        if replaced_terms[rowid] == terms:
                            del replaced_terms[rowid]
                stale_rowids = [(rowid,) for rowid in replaced_terms]
                fts_rows += replaced_terms.items()
                conn.executemany(_INSERT_DOC, inserts)
                conn.executemany(_UPDATE_DOC, updates)
                # body and folded events beside the slim row, under the same rowid (read only for a page of hits)
                conn.executemany("INSERT OR REPLACE INTO doc_bodies (rowid, body, events) VALUES (?, ?, ?)", bodies)
                conn.executemany("DELETE FROM fts WHERE rowid = ?", stale_rowids)
                conn.executemany("INSERT INTO fts (rowid, terms) VALUES (?, ?)", fts_rows)
                _recompute(conn, touched, written)
                _add_to_tally(conn, tally)
                totals = dict(counters or {}) if self.counting else {}
                if result.forgotten and self.counting:
                    totals["forgotten_events_ignored"] = totals.get("forgotten_events_ignored", 0) + sum(
                        len(d.events) for d in docs if d.id in refused
                    )
                if result.ignored_older:
                    totals["stale_writes_ignored"] = totals.get("stale_writes_ignored", 0) + result.ignored_older
                conn.executemany(_ADD_TO_COUNTER, [(k, v) for k, v in totals.items() if v])
                if position:
                    _advance_position(conn, position)
                if result.written:
                    _next_generation(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            raise TransientError(f"index write failed: {exc}") from exc
        if self._checkpointer is None:
            self._checkpointer = _Checkpointer(self.path)
        self._checkpointer.request()
        return result

    def forget(self, ids: Sequence[str]) -> int:
        """Delete the documents and their terms, and keep the ids so no later write brings them back."""
        conn = self._conn()
        removed = 0
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                touched: set[tuple[str, atoms.Atom]] = set()
                tally: Counter[_Combo] = Counter()
                for chunk in _chunks(list(ids), 500):
                    marks = ",".join("?" * len(chunk))
                    found = conn.execute(
                        f"SELECT rowid, type, {','.join(CELL_COLUMNS)}, service_code, area, status FROM docs"
                        f" WHERE id IN ({marks})",
                        chunk,
                    ).fetchall()
                    rowids = [r[0] for r in found]
                    touched.update((r[1], (r[2], r[3], r[4], r[5])) for r in found if r[2] is not None)
                    for r in found:
                        tally[(r[1], r[6], r[7], r[8])] -= 1
                    conn.executemany("DELETE FROM fts WHERE rowid = ?", [(r,) for r in rowids])
                    conn.executemany("DELETE FROM docs WHERE rowid = ?", [(r,) for r in rowids])
                    conn.executemany("DELETE FROM doc_bodies WHERE rowid = ?", [(r,) for r in rowids])
                    conn.executemany("INSERT OR IGNORE INTO forgotten (id) VALUES (?)", [(i,) for i in chunk])
                    removed += len(rowids)
                _recompute(conn, touched)
                _add_to_tally(conn, tally)
                if removed:  # FTS5 keeps deleted terms in its segments until they are merged: merge them now
                    conn.execute("INSERT INTO fts (fts) VALUES ('optimize')")
                conn.execute(_ADD_TO_COUNTER, ("erasures", removed))
                _next_generation(conn)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # old copies of the pages leave the WAL too
        except sqlite3.OperationalError as exc:
            raise TransientError(f"index forget failed: {exc}") from exc
        return removed

    # -- reading ---------------------------------------------------------
    def get_many(self, ids: Sequence[str]) -> dict[str, Document]:
        found: dict[str, Document] = {}
        conn = self._read_conn()
        if conn is None:
            return found
        for chunk in _chunks(list(ids), 500):
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT {_COLUMNS} FROM docs d JOIN doc_bodies b ON b.rowid = d.rowid WHERE d.id IN ({marks})"
            for row in conn.execute(sql, chunk):
                doc = _document(row)
                found[doc.id] = doc
        return found

    def get(self, doc_id: str) -> Document | None:
        return self.get_many([doc_id]).get(doc_id)

    def search(self, query: SearchQuery) -> SearchResult:
        conn = self._read_conn()
        if conn is None:
            return SearchResult(items=[], total=0)
        match = _match_expression(query.q)
        if (query.q.strip() and match is None) or not query.types:
            return SearchResult(items=[], total=0, facets={f: [] for f in FACET_FIELDS} if query.facets else {})
        position = decode_cursor(query)
        where, params = _filters(query)
        if match and query.facets:
            return self._search_words(conn, query, match, position, where, params)
        words = ["d.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)"] if match else []
        word_params = [match] if match else []
        if query.sort == "relevance" and match:
            offset = int(position[0]) if position else 0
            types = ",".join("?" * len(query.types))
            sql = (
                "SELECT d.rowid, d.id, d.date FROM fts CROSS JOIN docs d ON d.rowid = fts.rowid"
                f" WHERE fts MATCH ? AND d.type IN ({types}) AND {' AND '.join(where) or '1'}"
                " ORDER BY bm25(fts), d.id LIMIT ? OFFSET ?"
            )
            rows = conn.execute(sql, [match, *query.types, *params, query.size + 1, offset]).fetchall()
            next_position: list[Any] | None = [offset + query.size]
        else:
            rows = self._page_by_date(conn, query, position, [*words, *where], [*word_params, *params])
            next_position = None
        has_more = len(rows) > query.size
        rows = rows[: query.size]
        if has_more and query.sort != "relevance":
            next_position = [rows[-1][2], rows[-1][1]]
        items = _bodies(conn, [r[0] for r in rows])
        facets: dict[str, list[dict[str, Any]]] = {}
        if query.facets:
            facets = self._facets(conn, query, match, where, params)
            # every document has a type, so the type facet counts every match: the total is exact for free
            total, relation = sum(b["count"] for b in facets["type"]), "eq"
        else:
            total, relation = _bounded_count(conn, query, match, where, params)
        cursor = encode_cursor(query, next_position) if has_more and next_position is not None else None
        return SearchResult(items=items, total=total, facets=facets, next_cursor=cursor, total_relation=relation)

    def _search_words(
        self,
        conn: sqlite3.Connection,
        query: SearchQuery,
        match: str,
        position: list[Any] | None,
        where: list[str],
        params: list[Any],
    ) -> SearchResult:
        """A search with words and facets in one statement: the FTS5 match runs once, into a materialised set of
        slim rows (never a body), and the page and each facet's counts are all taken from that set.

        Run apart, the page and the four facet counts each ran the match again (seven statements, five matches
        of the same words per search); the set is what every one of them reads anyway. ``bm25`` is computed only
        for a relevance order. Facet counts already kept for this generation and these filters are not counted
        again: then the statement is the page alone.
        """
        relevance = query.sort == "relevance"
        types = ",".join("?" * len(query.types))
        condition = " AND ".join([f"d.type IN ({types})", *where])
        matched = (
            "WITH m AS MATERIALIZED (SELECT d.rowid AS r, d.id AS id, d.date AS date, d.type AS type,"
            " d.service_code AS service_code, d.area AS area, d.status AS status,"
            f" {'bm25(fts)' if relevance else '0'} AS score"
            f" FROM fts CROSS JOIN docs d ON d.rowid = fts.rowid WHERE fts MATCH ? AND {condition})"
        )
        arguments: list[Any] = [match, *query.types, *params]
        if relevance:
            offset = int(position[0]) if position else 0
            page = "SELECT 0, r, id, date, score FROM m ORDER BY score, id LIMIT ? OFFSET ?"
            arguments += [query.size + 1, offset]
        else:
            op, order = ("<", "DESC") if query.sort == "newest" else (">", "ASC")
            after = "1"
            if position:
                after = f"(date {op} ? OR (date = ? AND id {op} ?))"
                arguments += [position[0], position[0], position[1]]
            page = f"SELECT 0, r, id, date, score FROM m WHERE {after} ORDER BY date {order}, id {order} LIMIT ?"
            arguments.append(query.size + 1)
        arms = [f"SELECT * FROM ({page})"]
        key = self._facet_key(query)
        facets = self._cached_facets(key)
        if facets is None:
            arms += [
                f"SELECT {n}, {name}, COUNT(*), NULL, NULL FROM m WHERE {name} IS NOT NULL GROUP BY {name}"
                for n, name in enumerate(FACET_FIELDS, start=1)
            ]
        rows = conn.execute(f"{matched} {' UNION ALL '.join(arms)}", arguments).fetchall()
        hits = [r for r in rows if r[0] == 0]
        if relevance:
            hits.sort(key=lambda r: (r[4], r[2]))
        else:
            hits.sort(key=lambda r: (r[3], r[2]), reverse=query.sort == "newest")
        if facets is None:
            counted: dict[int, list[tuple[Any, int]]] = {n: [] for n in range(1, len(FACET_FIELDS) + 1)}
            for r in rows:
                if r[0]:
                    counted[r[0]].append((r[1], r[2]))
            facets = {
                name: [{"value": v, "count": c} for v, c in sorted(counted[n], key=_by_count)[:FACET_SIZE]]
                for n, name in enumerate(FACET_FIELDS, start=1)
            }
            self._keep_facets(key, facets)
        has_more = len(hits) > query.size
        hits = hits[: query.size]
        next_position: list[Any] | None = None
        if has_more:
            offset = int(position[0]) if relevance and position else 0
            next_position = [offset + query.size] if relevance else [hits[-1][3], hits[-1][2]]
        items = _bodies(conn, [r[1] for r in hits])
        total = sum(b["count"] for b in facets["type"])  # every document has a type: the type facet counts all
        cursor = encode_cursor(query, next_position) if next_position is not None else None
        return SearchResult(items=items, total=total, facets=facets, next_cursor=cursor, total_relation="eq")

    def _page_by_date(
        self,
        conn: sqlite3.Connection,
        query: SearchQuery,
        position: list[Any] | None,
        where: list[str],
        params: list[Any],
    ) -> list[tuple[int, str, str]]:
        """At most ``size + 1`` rows in date order: each document type's first rows from its index, then merged.

        One ordered index range per type (``docs_by_*`` lead with the type) reads only what the page
        needs; a single ``type IN (...)`` ordered by date would sort every match first.
        """
        descending = query.sort == "newest"
        op, order = ("<", "DESC") if descending else (">", "ASC")
        where, params = list(where), list(params)
        if position:
            where.append(f"(d.date {op} ? OR (d.date = ? AND d.id {op} ?))")
            params += [position[0], position[0], position[1]]
        condition = " AND ".join(where) or "1"
        arm = (
            f"SELECT * FROM (SELECT d.rowid, d.id, d.date FROM docs d WHERE d.type = ? AND {condition}"
            f" ORDER BY d.date {order}, d.id {order} LIMIT ?)"
        )
        sql = " UNION ALL ".join([arm] * len(query.types)) + f" ORDER BY 3 {order}, 2 {order} LIMIT ?"
        arguments: list[Any] = []
        for doc_type in query.types:
            arguments += [doc_type, *params, query.size + 1]
        return conn.execute(sql, [*arguments, query.size + 1]).fetchall()

    def _facets(
        self, conn: sqlite3.Connection, query: SearchQuery, match: str | None, where: list[str], params: list[Any]
    ) -> dict[str, list[dict[str, Any]]]:
        """Exact counts per value of each facet field over every match, as Elasticsearch's terms aggregations.

        Counted from the covering indexes (never a table row) and kept per index generation: counting
        every match is the one part of a search whose cost grows with the index. The generation is
        read before counting, so a result is never older than its key. Callers must not change it.
        """
        key = self._facet_key(query)
        cached = self._cached_facets(key)
        if cached is not None:
            return cached
        if match is None and not query.date_from and not query.date_to and _tally_current(conn):
            facets = _tallied_facets(conn, query, where, params)
        else:
            facets = _counted_facets(conn, query, match, where, params)
        self._keep_facets(key, facets)
        return facets

    def _facet_key(self, query: SearchQuery) -> tuple[Any, ...]:
        """What facet counts depend on: the index file and generation (read before counting, so a result is never
        older than its key), the words and the filters (not the sort, size or page)."""
        return (
            _inode(self.path),
            self.generation(),
            query.q,
            query.types,
            query.service,
            query.area,
            query.status,
            query.date_from,
            query.date_to,
        )

    def _cached_facets(self, key: tuple[Any, ...]) -> dict[str, list[dict[str, Any]]] | None:
        with self._facet_lock:
            cached = self._facet_cache.get(key)
            if cached is not None:
                self._facet_cache.move_to_end(key)
            return cached

    def _keep_facets(self, key: tuple[Any, ...], facets: dict[str, list[dict[str, Any]]]) -> None:
        with self._facet_lock:
            self._facet_cache[key] = facets
            while len(self._facet_cache) > _FACET_CACHE_SIZE:
                self._facet_cache.popitem(last=False)

    def scan(self, doc_type: str) -> Iterator[dict[str, Any]]:
        conn = self._read_conn()
        if conn is None:
            return
        cursor = conn.execute(
            "SELECT id, version, date, service_code, area, status, facts FROM docs WHERE type = ? ORDER BY id",
            (doc_type,),
        )
        for doc_id, version, date, service_code, area, status, facts in cursor:
            row = json.loads(facts)
            row.update(id=doc_id, version=version, date=date, service_code=service_code, area=area, status=status)
            yield row

    def cells(self, doc_type: str) -> Iterator[tuple[atoms.Atom, dict[str, Any]]]:
        conn = self._read_conn()
        if conn is None:
            return
        try:
            cursor = conn.execute(
                "SELECT month, service, area, code, summary FROM cells WHERE type = ?"
                " ORDER BY month, service, area, code",
                (doc_type,),
            )
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise
            # an index from before cells, opened read-only before a worker added them: the whole-scan way
            yield from atoms.from_rows(doc_type, self.scan(doc_type), self.timezone).items()
            return
        for month, service, area, code, summary in cursor:
            yield (month, service, area, code), _summary(summary)

    def changed_cells(
        self, doc_type: str, known: Mapping[atoms.Atom, str]
    ) -> tuple[dict[atoms.Atom, str], dict[atoms.Atom, dict[str, Any]]] | None:
        """Markers are the digests beside the summaries with the cells' stamp (a few KB for a city's atoms, no
        summary read); the moved atoms' summaries are then read, each with the marker of its own row. A file
        from before the digest column (opened read-only before a writer added it) cannot tell: None."""
        conn = self._read_conn()
        if conn is None:
            return {}, {}
        try:
            rows = conn.execute(_CELL_MARKERS.format(columns=""), (doc_type,)).fetchall()
        except sqlite3.OperationalError as exc:
            if "no such" not in str(exc):
                raise
            return None
        markers: dict[atoms.Atom, str] = {}
        moved: list[atoms.Atom] = []
        for month, service, area, code, marker in rows:
            atom = (month, service, area, code)
            if marker is not None and known.get(atom) == marker:
                markers[atom] = marker
            else:
                moved.append(atom)
        changed: dict[atoms.Atom, dict[str, Any]] = {}
        if len(moved) * 4 > len(rows):  # a first read, or most moved: one pass over the type, not a lookup each
            wanted = set(moved)
            reads: Iterable[Any] = [
                row
                for row in conn.execute(_CELL_MARKERS.format(columns=", c.summary"), (doc_type,))
                if row[:4] in wanted
            ]
        else:
            reads = (row for chunk in _chunks(moved, 500) for row in _cell_rows(conn, doc_type, chunk))
        for month, service, area, code, marker, summary in reads:
            atom = (month, service, area, code)
            changed[atom] = _summary(summary)
            if marker is not None:  # no digest (written by a Mittari without the column): read again every time
                markers[atom] = marker
        return markers, changed

    def log_position(self) -> dict[str, StreamPosition]:
        conn = self._read_conn()
        if conn is None:
            return {}
        try:
            return _stored_position(conn)
        except sqlite3.OperationalError as exc:
            if "no such table" not in str(exc):
                raise
            return {}  # a file from before log positions, opened read-only: nothing recorded yet

    def atom_ids(self, doc_type: str, atoms_: Sequence[atoms.Atom], after: str | None, size: int) -> list[str]:
        conn = self._read_conn()
        if conn is None or not atoms_ or size <= 0:
            return []
        found: list[str] = []
        unique = sorted(set(atoms_))
        for start in range(0, len(unique), 500):  # 4 parameters an atom, well under SQLite's limit
            chunk = unique[start : start + 500]
            values = ",".join("(?, ?, ?, ?)" for _ in chunk)
            sql = (
                f"SELECT id FROM docs WHERE type = ? AND ({','.join(CELL_COLUMNS)}) IN (VALUES {values})"
                " AND id > ? ORDER BY id LIMIT ?"
            )
            params: list[Any] = [doc_type, *(part for atom in chunk for part in atom), after or "", size]
            found += [r[0] for r in conn.execute(sql, params)]
        return sorted(found)[:size]

    def stored_cells(self, doc_type: str) -> dict[atoms.Atom, str]:
        """Each atom's summary as stored (bytes-level view, for tests that nothing else moved)."""
        conn = self._read_conn()
        if conn is None:
            return {}
        rows = conn.execute("SELECT month, service, area, code, summary FROM cells WHERE type = ?", (doc_type,))
        return {(m, s, a, c): summary for m, s, a, c, summary in rows}

    def _ensure_cells(self, conn: sqlite3.Connection) -> None:
        """Add the atom columns and the cells table; (re)build every cell when they are new or the time zone moved."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(docs)")}
            added = [c for c in CELL_COLUMNS if c not in columns]
            for column in added:
                conn.execute(f"ALTER TABLE docs ADD COLUMN {column} TEXT")
            _execute_each(conn, CELLS_SCHEMA)
            if "digest" not in {row[1] for row in conn.execute("PRAGMA table_info(cells)")}:
                # cells from before markers: the digest is in each summary already
                conn.execute("ALTER TABLE cells ADD COLUMN digest TEXT")
                conn.execute("UPDATE cells SET digest = json_extract(summary, '$.digest')")
            # the time zone decides the atoms, the summary format what a summary holds: either moving rebuilds
            stamp = f"{self.timezone}|{atoms.SUMMARY_FORMAT}"
            row = conn.execute("SELECT value FROM meta WHERE key = 'cells_timezone'").fetchone()
            if added or row is None or row[0] != stamp:
                self._rebuild_cells(conn)
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('cells_timezone', ?)", (stamp,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _ensure_tally(self, conn: sqlite3.Connection) -> None:
        """Add the facet tally, counted from the stored documents when the index has none or a stale one (made
        before it, or written since by a Mittari that did not keep it: the tally's stamp is not the generation);
        from then on every write and erasure keeps it, and its stamp, in their transaction."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            _execute_each(conn, TALLY_SCHEMA)
            if not conn.execute(_TALLY_CURRENT).fetchone()[0]:
                conn.execute("DELETE FROM facet_tally")
                conn.execute(
                    "INSERT INTO facet_tally (type, service_code, area, status, n)"
                    " SELECT type, service_code, area, status, COUNT(*) FROM docs GROUP BY 1, 2, 3, 4"
                )
                conn.execute(_STAMP_TALLY)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _rebuild_cells(self, conn: sqlite3.Connection) -> None:
        """Every document's atom and every atom's summary, from the stored documents."""
        marks = ",".join("?" * len(atoms.CELL_TYPES))
        updates = []
        touched: set[tuple[str, atoms.Atom]] = set()
        for rowid, doc_type, doc_id, date, service_code, area, status, facts in conn.execute(
            f"SELECT rowid, type, id, date, service_code, area, status, facts FROM docs WHERE type IN ({marks})",
            atoms.CELL_TYPES,
        ).fetchall():
            row = json.loads(facts)
            row.update(id=doc_id, date=date, service_code=service_code, area=area, status=status)
            atom = atoms.atom_of(doc_type, row, self.timezone)
            updates.append((*(atom or _NO_ATOM), rowid))
            if atom is not None:
                touched.add((doc_type, atom))
        conn.executemany(_SET_CELL, updates)
        conn.execute("DELETE FROM cells")
        _recompute(conn, touched)
        if touched:
            _next_generation(conn)

    def stats(self) -> dict[str, Any]:
        """Documents per type and per redaction version, and the counters.

        The two document counts read every document (0.2 s at 200,000 events, on every overview page), so
        they are kept per index generation, which moves with every write of documents; the counters, which
        can change without documents changing, are read each time."""
        conn = self._read_conn()
        if conn is None:
            return {"documents": {}, "redaction_versions": {}, "counters": {}}
        # Counting every document costs tens of milliseconds per 100,000 and the overview shows the counts on
        # every render: they are kept per generation (documents never change without it moving, the contract).
        # The counters are a handful of rows, read every time, since a batch of dead letters moves only them.
        key = (_inode(self.path), self.generation())
        with self._facet_lock:
            counted = self._stats_cache if self._stats_cache and self._stats_cache[0] == key else None
        if counted is None:
            docs = dict(conn.execute("SELECT type, COUNT(*) FROM docs GROUP BY type ORDER BY type").fetchall())
            versions = dict(
                conn.execute(
                    "SELECT redaction_version, COUNT(*) FROM docs GROUP BY redaction_version ORDER BY redaction_version"
                ).fetchall()
            )
            counted = (key, docs, versions)
            with self._facet_lock:
                self._stats_cache = counted
        counters = dict(conn.execute("SELECT name, value FROM counters ORDER BY name").fetchall())
        return {"documents": dict(counted[1]), "redaction_versions": dict(counted[2]), "counters": counters}

    def generation(self) -> str:
        conn = self._read_conn()
        if conn is None:
            return "0"
        row = conn.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return str(row[0]) if row else "0"

    def ping(self) -> bool:
        try:
            conn = self._read_conn()
            if conn is None:
                return False
            conn.execute("SELECT COUNT(*) FROM meta").fetchone()
        except (sqlite3.Error, TransientError):
            return False
        return True

    def _read_conn(self) -> sqlite3.Connection | None:
        """A connection, or None when a read-only index has not been created yet."""
        if self.readonly and not self.path.exists():
            return None
        try:
            return self._conn()
        except TransientError:
            if self.readonly:
                return None
            raise


def _row(doc: Document, atom: tuple[str | None, ...]) -> tuple[tuple[Any, ...], tuple[str, str]]:
    """The slim searchable row with its atom's columns, and the body with the folded events that go beside it."""
    row = (
        doc.id,
        doc.type,
        doc.version,
        doc.date,
        doc.service_code,
        doc.area,
        doc.status,
        plain_json.dumps(doc.facts),  # orjson where it gives the standard encoder's bytes
        doc.redaction_version,
        *atom,
    )
    return row, (plain_json.dumps(doc.body), plain_json.dumps(doc.events))


def _move_bodies_out(conn: sqlite3.Connection, path: Path) -> None:
    """An index from before issue 11 kept bodies and events in ``docs``: move them beside it, in one transaction."""
    log.info("moving document bodies out of the searchable rows (once)", extra=fields(index=str(path)))
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("CREATE TABLE doc_bodies (rowid INTEGER PRIMARY KEY, body TEXT NOT NULL, events TEXT NOT NULL)")
        conn.execute("INSERT INTO doc_bodies (rowid, body, events) SELECT rowid, body, events FROM docs")
        conn.execute("DROP INDEX IF EXISTS docs_type_date")
        conn.execute("ALTER TABLE docs DROP COLUMN body")
        conn.execute("ALTER TABLE docs DROP COLUMN events")
        conn.execute(_NEXT_GENERATION)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


_SET_CELL = f"UPDATE docs SET {', '.join(c + ' = ?' for c in CELL_COLUMNS)} WHERE rowid = ?"


#: touched atoms read per statement when recomputing: 5 parameters an atom, well under SQLite's limit
_ATOMS_PER_READ = 400


#: each cell's keys and marker: its items' digest and the stamp of the time zone and summary format its summary
#: was built with (a rebuild for either keeps the digests but rewrites every summary, so markers must move too)
_MARKER = "c.digest || '|' || (SELECT value FROM meta WHERE key = 'cells_timezone')"
_CELL_MARKERS = f"SELECT c.month, c.service, c.area, c.code, {_MARKER}{{columns}} FROM cells c WHERE c.type = ?"


def _cell_rows(conn: sqlite3.Connection, doc_type: str, chunk: Sequence[atoms.Atom]) -> list[Any]:
    """The cells rows (keys, marker, summary) of some atoms of a type, each found by its primary key."""
    values = ",".join("(?, ?, ?, ?)" for _ in chunk)  # 4 parameters an atom: chunks of 500 stay under the limit
    return conn.execute(
        f"SELECT c.month, c.service, c.area, c.code, {_MARKER}, c.summary"
        f" FROM (VALUES {values}) AS t CROSS JOIN cells c ON c.type = ? AND c.month = t.column1"
        " AND c.service = t.column2 AND c.area = t.column3 AND c.code = t.column4",
        [*(part for atom in chunk for part in atom), doc_type],
    ).fetchall()


def _atom_items_sql(atom_count: int) -> str:
    """The rowids of the stored items of ``atom_count`` atoms, each given as (type, month, service, area, code):
    read from ``docs_cell`` alone (an index entry holds its row's rowid), never from a table row."""
    values = ",".join("(?, ?, ?, ?, ?)" for _ in range(atom_count))
    return (
        "SELECT d.type, d.cell_month, d.cell_service, d.cell_area, d.cell_code, d.rowid"
        f" FROM (VALUES {values}) AS t CROSS JOIN docs d ON d.type = t.column1 AND d.cell_month = t.column2"
        " AND d.cell_service = t.column3 AND d.cell_area = t.column4 AND d.cell_code = t.column5"
    )


def _recompute(
    conn: sqlite3.Connection, touched: set[tuple[str, atoms.Atom]], written: Mapping[int, dict[str, Any]] | None = None
) -> None:
    """Each touched atom's summary from its stored items (an atom left empty loses its row).

    ``written`` holds, by rowid, the fact rows of the documents this transaction stored: the same rows the
    stored ``facts`` would give back once decoded, so they are neither read nor decoded again. The items of
    up to :data:`_ATOMS_PER_READ` atoms are found by one statement (the touched atoms as a ``VALUES`` list
    joined to ``docs_cell``, one range of that index per atom, which gives each item's rowid without reading
    its row); only the items this write did not store are then read, by rowid. The summaries go back in one
    ``executemany``: one statement per atom and two per batch cost more than the rows they read. A summary
    does not depend on the order of its items (:func:`search.cells.summarise`).
    """
    written = written or {}
    ordered = sorted(touched)
    items: dict[tuple[str, atoms.Atom], list[dict[str, Any]]] = {key: [] for key in ordered}
    stored: list[tuple[list[dict[str, Any]], int]] = []  # (the atom's items, the rowid of one to read)
    for chunk in _chunks(ordered, _ATOMS_PER_READ):
        params = [part for doc_type, atom in chunk for part in (doc_type, *atom)]
        for doc_type, month, service, area, code, rowid in conn.execute(_atom_items_sql(len(chunk)), params):
            rows = items[(doc_type, (month, service, area, code))]
            row = written.get(rowid)
            if row is None:
                stored.append((rows, rowid))
            else:
                rows.append(row)
    for reading in _chunks(stored, 500):
        marks = ",".join("?" * len(reading))
        found = {
            rowid: (doc_id, version, date, service_code, area, status, facts)
            for rowid, doc_id, version, date, service_code, area, status, facts in conn.execute(
                "SELECT rowid, id, version, date, service_code, area, status, facts"
                f" FROM docs WHERE rowid IN ({marks})",
                [rowid for _, rowid in reading],
            )
        }
        for rows, rowid in reading:
            doc_id, version, date, service_code, area, status, facts = found[rowid]
            row = json.loads(facts)
            row.update(id=doc_id, version=version, date=date, service_code=service_code, area=area, status=status)
            rows.append(row)
    summaries, emptied = [], []
    for (doc_type, atom), rows in items.items():
        if rows:
            summary = atoms.summarise(doc_type, rows)
            summaries.append((doc_type, *atom, atoms.encode(summary), summary["digest"]))
        else:
            emptied.append((doc_type, *atom))
    conn.executemany(
        "INSERT OR REPLACE INTO cells (type, month, service, area, code, summary, digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
        summaries,
    )
    conn.executemany(
        "DELETE FROM cells WHERE type = ? AND month = ? AND service = ? AND area = ? AND code = ?", emptied
    )


def _counted_facets(
    conn: sqlite3.Connection, query: SearchQuery, match: str | None, where: list[str], params: list[Any]
) -> dict[str, list[dict[str, Any]]]:
    """Each facet's counts from the matching documents (their covering indexes): for words and dates."""
    return _grouped_facets(conn, *_matching(query, match, where, params), "COUNT(*)")


def _matching(query: SearchQuery, match: str | None, where: list[str], params: list[Any]) -> tuple[str, str, list[Any]]:
    """The rows a search matches, as (source aliased ``d``, condition, arguments): the documents of its types
    under its filters, joined from the FTS5 match when it has words (the match leads: ``CROSS JOIN``)."""
    types = ",".join("?" * len(query.types))
    condition = " AND ".join([f"d.type IN ({types})", *where])
    arguments: list[Any] = [*query.types, *params]
    if match:
        return "fts CROSS JOIN docs d ON d.rowid = fts.rowid", f"fts MATCH ? AND {condition}", [match, *arguments]
    return "docs d", condition, arguments


def _execute_each(conn: sqlite3.Connection, schema: str) -> None:
    """A schema's statements one by one, inside the caller's transaction (``executescript`` would commit it)."""
    for statement in schema.split(";"):
        if statement.strip():
            conn.execute(statement)


def _tally_current(conn: sqlite3.Connection) -> bool:
    """Whether this index's facet tally describes its documents: kept, and moved with the last generation (an
    index file made before the tally, or written since by a Mittari without it, has none until a writer opens it)."""
    try:
        return bool(conn.execute(_TALLY_CURRENT).fetchone()[0])
    except sqlite3.OperationalError:  # no meta table yet: nothing was ever written
        return False


def _next_generation(conn: sqlite3.Connection) -> None:
    """Move the generation, inside the caller's transaction; the facet tally's stamp follows only if the tally
    was current before (then this transaction moved it too). A stale tally stays stale: deltas on wrong counts
    are wrong counts, so readers count and the next writer to open the index counts it again."""
    current = conn.execute(_TALLY_CURRENT).fetchone()[0]
    conn.execute(_NEXT_GENERATION)
    if current:
        conn.execute(_STAMP_TALLY)


def _tallied_facets(
    conn: sqlite3.Connection, query: SearchQuery, where: list[str], params: list[Any]
) -> dict[str, list[dict[str, Any]]]:
    """Each facet's counts from the tally, for a search without words or dates (``where`` then holds only
    service, area and status conditions, on the tally's columns of the same names): the same counts, values
    and order as :func:`_counted_facets`, read from a few hundred rows whatever the number of documents."""
    condition = " AND ".join([f"d.type IN ({','.join('?' * len(query.types))})", *where])
    return _grouped_facets(conn, "facet_tally d", condition, [*query.types, *params], "SUM(d.n)")


def _grouped_facets(
    conn: sqlite3.Connection, source: str, condition: str, arguments: list[Any], count: str
) -> dict[str, list[dict[str, Any]]]:
    """Each facet field's values over ``source`` (aliased ``d``) where ``condition`` holds, as Elasticsearch's
    terms aggregations order them: most ``count`` first, then the value; at most FACET_SIZE, none empty."""
    facets: dict[str, list[dict[str, Any]]] = {}
    for name in FACET_FIELDS:
        rows = conn.execute(
            f"SELECT d.{name}, {count} AS c FROM {source} WHERE {condition} AND d.{name} IS NOT NULL"
            f" GROUP BY d.{name} HAVING c > 0 ORDER BY c DESC, d.{name} LIMIT {FACET_SIZE}",
            arguments,
        ).fetchall()
        facets[name] = [{"value": v, "count": n} for v, n in rows]
    return facets


def _add_to_tally(conn: sqlite3.Connection, changes: Mapping[_Combo, int]) -> None:
    """Move the facet tally by ``changes`` (documents in or out of each key), inside the caller's transaction.

    ``IS`` compares keys, so a document without a service, area or status is counted under NULL like any
    value; a key whose count falls to nothing loses its row."""
    for key, change in changes.items():
        if not change:
            continue
        moved = conn.execute(
            "UPDATE facet_tally SET n = n + ? WHERE type = ? AND service_code IS ? AND area IS ? AND status IS ?",
            (change, *key),
        ).rowcount
        if not moved:
            conn.execute(
                "INSERT INTO facet_tally (type, service_code, area, status, n) VALUES (?, ?, ?, ?, ?)", (*key, change)
            )
    conn.execute("DELETE FROM facet_tally WHERE n = 0")


class _Checkpointer:
    """Copies the writer's committed WAL pages into the database file on a thread of its own, beside the writer.

    SQLite's automatic checkpoint runs inside the ``COMMIT`` that crosses its threshold: it copies every page
    the batch wrote a second time, from the WAL into the database, and waits for two ``fdatasync`` calls:
    16–21 % of the write's time (README, Performance → Ingest). Here a thread with its own connection runs a
    ``PASSIVE`` checkpoint after each commit, while the worker prepares its next batch (SQLite lets go of the
    GIL while it works): it takes no lock a writer or reader needs, and a write that starts meanwhile appends
    to the WAL, which SQLite starts over once a checkpoint has copied all of it. Durability is unchanged: a
    batch is durable against a crash of the process when its ``COMMIT`` returns (its pages are in the WAL;
    ``synchronous=NORMAL``), and a checkpoint interrupted by a crash is resumed from the WAL on the next open.
    Should the thread fall behind, the writer's own automatic checkpoint at
    :data:`_WAL_PAGES_BEFORE_INLINE_CHECKPOINT` pages bounds the WAL. Requests made while a checkpoint runs
    are merged into the next one. After :data:`_CHECKPOINT_IDLE_SECONDS` with nothing asked the thread closes
    its connection and ends (an idle worker, or an index a test wrote once, holds neither); the next request
    starts another.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._asked = threading.Condition(self._lock)
        self._wanted = False  # a commit since the last checkpoint began
        self._closing = False
        self._runner: threading.Thread | None = None

    def request(self) -> None:
        with self._lock:
            self._wanted = True
            if self._runner is None:
                self._runner = threading.Thread(target=self._run, name="index-checkpoint", daemon=True)
                self._runner.start()
            self._asked.notify()

    def close(self) -> None:
        """Checkpoint once more if a commit came after the last checkpoint began, then stop."""
        with self._lock:
            self._closing = True
            thread = self._runner
            self._asked.notify()
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        inode: int | None = None
        try:
            while True:
                with self._lock:
                    if not self._wanted and not self._closing:
                        self._asked.wait(_CHECKPOINT_IDLE_SECONDS)
                    if not self._wanted:  # idle, or closing with nothing left to copy
                        self._runner = None
                        return
                    self._wanted = False
                if conn is not None and _inode(self.path) not in (None, inode):
                    conn.close()  # `mittari reindex` swapped the file: checkpoint the one the writer now writes
                    conn = None
                try:
                    if conn is None:
                        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
                        conn.execute("PRAGMA busy_timeout=10000")
                        inode = _inode(self.path)
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.Error as exc:  # the writer's own checkpoint still bounds the WAL
                    log.warning("index checkpoint failed", extra=fields(index=str(self.path), error=str(exc)))
        finally:
            if conn is not None:
                conn.close()


def _stored_position(conn: sqlite3.Connection) -> dict[str, StreamPosition]:
    rows = conn.execute("SELECT stream, position FROM log_position ORDER BY stream")
    return {stream: StreamPosition.from_stored(json.loads(position)) for stream, position in rows}


def _advance_position(conn: sqlite3.Connection, position: LogPosition) -> None:
    """A batch's log position merged into the stored one, inside the write's transaction (one writer)."""
    stored = _stored_position(conn)
    for stream, step in sorted(position.items()):
        merged = stored[stream].merged(step) if stream in stored else step
        conn.execute(
            "INSERT OR REPLACE INTO log_position (stream, position) VALUES (?, ?)",
            (stream, json.dumps(merged.stored(), sort_keys=True, separators=(",", ":"))),
        )


def _document(row: tuple[Any, ...]) -> Document:
    _, doc_id, doc_type, version, date, service_code, area, status, body, facts, events, redaction_version = row
    return Document(
        id=doc_id,
        type=doc_type,
        version=version,
        date=date,
        body=json.loads(body),
        facts=json.loads(facts),
        events=json.loads(events),
        service_code=service_code,
        area=area,
        status=status,
        redaction_version=redaction_version,
    )


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except FileNotFoundError:
        return None


def _bodies(conn: sqlite3.Connection, rowids: list[int]) -> list[dict[str, Any]]:
    """The public bodies of one page of hits, in the page's order."""
    if not rowids:
        return []
    marks = ",".join("?" * len(rowids))
    found = dict(conn.execute(f"SELECT rowid, body FROM doc_bodies WHERE rowid IN ({marks})", rowids).fetchall())
    return [json.loads(found[r]) for r in rowids]


def _by_count(bucket: tuple[Any, int]) -> tuple[int, Any]:
    """Facet values the most frequent first, then by value (as ``ORDER BY n DESC, value``: UTF-8 byte order is
    code point order)."""
    return -bucket[1], bucket[0]


def _bounded_count(
    conn: sqlite3.Connection, query: SearchQuery, match: str | None, where: list[str], params: list[Any]
) -> tuple[int, str]:
    """Matches counted up to TOTAL_EXACT_UP_TO: the exact total below it, ``(TOTAL_EXACT_UP_TO, "gte")`` above."""
    source, condition, arguments = _matching(query, match, where, params)
    sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {source} WHERE {condition} LIMIT ?)"
    (counted,) = conn.execute(sql, [*arguments, TOTAL_EXACT_UP_TO + 1]).fetchone()
    if counted > TOTAL_EXACT_UP_TO:
        return TOTAL_EXACT_UP_TO, "gte"
    return counted, "eq"


def _filters(query: SearchQuery) -> tuple[list[str], list[Any]]:
    """Conditions on the slim row besides the type (which each query places itself, to use the indexes)."""
    where: list[str] = []
    params: list[Any] = []
    for column, value in (("service_code", query.service), ("area", query.area), ("status", query.status)):
        if value is not None:
            where.append(f"d.{column} = ?")
            params.append(value)
    if query.date_from:
        where.append("d.date >= ?")
        params.append(iso(query.date_from))
    if query.date_to:
        where.append("d.date < ?")
        params.append(iso(query.date_to))
    return where, params


def _match_expression(q: str) -> str | None:
    """FTS5 MATCH text: every word must match, as a prefix of its folded form or as one of its stems."""
    groups = []
    for prefixes, stems in query_terms(q):
        alternatives = [f'"{p}"*' for p in prefixes] + [f'"{s}"' for s in stems]
        groups.append("(" + " OR ".join(alternatives) + ")")
    return " AND ".join(groups) if groups else None


def _chunks(items: list[_T], size: int) -> Iterator[list[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _summary(text: str) -> dict[str, Any]:
    """An atom's stored summary, decoded by orjson: its value lists were most of a cold reader's time with the
    standard decoder (0.3 s of number parsing at a million events). The same values either way; what orjson
    refuses and the standard decoder takes (an integer beyond 64 bits, ``NaN``) is decoded the standard way."""
    try:
        decoded: dict[str, Any] = orjson.loads(text)
    except orjson.JSONDecodeError:
        decoded = json.loads(text)
    return decoded
