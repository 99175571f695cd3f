"""The embedded index: SQLite with an FTS5 table, for one machine and no servers.

One writer (the ingest worker) in WAL mode with ``BEGIN IMMEDIATE``; readers
(the API's gunicorn workers) open the file read-only, one connection per
thread. ``mittari reindex`` builds a new file beside this one and swaps a
symbolic link at the configured path; every connection checks (one ``stat``)
that the path still leads to the file it has open and reopens when not, so
readers and the live worker move to the rebuilt index without a restart.
Terms arrive already analysed by :mod:`search.analysis`, so FTS5 only
splits on spaces.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from core.errors import TransientError
from core.times import iso
from search import cells as atoms
from search.analysis import query_terms
from search.index import Document, WriteResult
from search.query import FACET_FIELDS, SearchQuery, SearchResult, decode_cursor, encode_cursor

log = logging.getLogger(__name__)

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
    body TEXT NOT NULL,
    facts TEXT NOT NULL,
    events TEXT NOT NULL,
    redaction_version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS forgotten (id TEXT PRIMARY KEY);
CREATE INDEX IF NOT EXISTS docs_type_date ON docs (type, date, id);
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts5 (terms, tokenize = 'unicode61', prefix = '2 3 4');
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# Indicator cells (search/cells.py): each document row names its atom, and one row per atom holds its summary,
# recomputed from the atom's stored items in the same transaction as every write or erasure that touches it.
CELL_COLUMNS = ("cell_month", "cell_service", "cell_area", "cell_code")
CELLS_SCHEMA = """
CREATE TABLE IF NOT EXISTS cells (
    type TEXT NOT NULL,
    month TEXT NOT NULL,
    service TEXT NOT NULL,
    area TEXT NOT NULL,
    code TEXT NOT NULL,
    summary TEXT NOT NULL,
    PRIMARY KEY (type, month, service, area, code)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS docs_cell ON docs (type, cell_month, cell_service, cell_area, cell_code);
"""

_COLUMNS = "rowid, id, type, version, date, service_code, area, status, body, facts, events, redaction_version"


# Every change of stored content moves the generation, so readers' caches notice (search/index.py).
_NEXT_GENERATION = (
    "INSERT INTO meta (key, value) VALUES ('generation', '1') ON CONFLICT(key)"
    " DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
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
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._conn()
            conn.executescript(SCHEMA)
            columns = {row[1] for row in conn.execute("PRAGMA table_info(docs)")}
            if "redaction_version" not in columns:  # an index made before documents carried it
                conn.execute("ALTER TABLE docs ADD COLUMN redaction_version INTEGER NOT NULL DEFAULT 0")
            self._ensure_cells(conn)

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
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- writing ---------------------------------------------------------
    def write(self, docs: Sequence[Document], counters: Mapping[str, int] | None = None) -> WriteResult:
        conn = self._conn()
        result = WriteResult()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                existing: dict[str, tuple[int, int]] = {}
                ids = [d.id for d in docs]
                refused: set[str] = set()
                for chunk in _chunks(ids, 500):
                    marks = ",".join("?" * len(chunk))
                    refused.update(r[0] for r in conn.execute(f"SELECT id FROM forgotten WHERE id IN ({marks})", chunk))
                touched: set[tuple[str, atoms.Atom]] = set()  # atoms to recompute: where items left and arrived
                stored_atoms: dict[str, tuple[str, atoms.Atom]] = {}
                for chunk in _chunks(ids, 500):
                    marks = ",".join("?" * len(chunk))
                    for doc_id, rowid, version, doc_type, *cell in conn.execute(
                        f"SELECT id, rowid, version, type, {','.join(CELL_COLUMNS)} FROM docs WHERE id IN ({marks})",
                        chunk,
                    ):
                        existing[doc_id] = (rowid, version)
                        if cell[0] is not None:
                            stored_atoms[doc_id] = (doc_type, (cell[0], cell[1], cell[2], cell[3]))
                (next_rowid,) = conn.execute("SELECT COALESCE(MAX(rowid), 0) + 1 FROM docs").fetchone()
                inserts, updates, fts_rows, stale_rowids, cell_rows = [], [], [], [], []
                for doc in docs:
                    if doc.id in refused:
                        result.forgotten.append(doc.id)
                        continue
                    row = _row(doc)
                    if doc.id in stored_atoms:  # replaced or not, its stored atom is recomputed (a redelivery heals)
                        touched.add(stored_atoms[doc.id])
                    if doc.id in existing:
                        rowid, version = existing[doc.id]
                        if doc.version <= version:
                            result.ignored_older += 1
                            result.ignored_ids.append(doc.id)
                            continue
                        updates.append((*row, rowid))
                        stale_rowids.append((rowid,))
                    else:
                        rowid = next_rowid
                        next_rowid += 1
                        existing[doc.id] = (rowid, doc.version)
                        inserts.append((rowid, *row))
                    fts_rows.append((rowid, doc.text))
                    atom = atoms.atom_of(doc.type, _fact_row(doc), self.timezone)
                    cell_rows.append((*(atom or (None, None, None, None)), rowid))
                    if atom is not None:
                        touched.add((doc.type, atom))
                    result.written += 1
                conn.executemany(f"INSERT INTO docs ({_COLUMNS}) VALUES ({','.join('?' * 12)})", inserts)
                conn.executemany(
                    "UPDATE docs SET id=?, type=?, version=?, date=?, service_code=?, area=?, status=?,"
                    " body=?, facts=?, events=?, redaction_version=? WHERE rowid=?",
                    updates,
                )
                conn.executemany("DELETE FROM fts WHERE rowid = ?", stale_rowids)
                conn.executemany("INSERT INTO fts (rowid, terms) VALUES (?, ?)", fts_rows)
                conn.executemany(_SET_CELL, cell_rows)
                _recompute(conn, touched)
                totals = dict(counters or {}) if self.counting else {}
                if result.forgotten and self.counting:
                    totals["forgotten_events_ignored"] = totals.get("forgotten_events_ignored", 0) + sum(
                        len(d.events) for d in docs if d.id in refused
                    )
                if result.ignored_older:
                    totals["stale_writes_ignored"] = totals.get("stale_writes_ignored", 0) + result.ignored_older
                conn.executemany(_ADD_TO_COUNTER, [(k, v) for k, v in totals.items() if v])
                if result.written:
                    conn.execute(_NEXT_GENERATION)
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            raise TransientError(f"index write failed: {exc}") from exc
        return result

    def forget(self, ids: Sequence[str]) -> int:
        """Delete the documents and their terms, and keep the ids so no later write brings them back."""
        conn = self._conn()
        removed = 0
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                touched: set[tuple[str, atoms.Atom]] = set()
                for chunk in _chunks(list(ids), 500):
                    marks = ",".join("?" * len(chunk))
                    found = conn.execute(
                        f"SELECT rowid, type, {','.join(CELL_COLUMNS)} FROM docs WHERE id IN ({marks})", chunk
                    ).fetchall()
                    rowids = [r[0] for r in found]
                    touched.update((r[1], (r[2], r[3], r[4], r[5])) for r in found if r[2] is not None)
                    conn.executemany("DELETE FROM fts WHERE rowid = ?", [(r,) for r in rowids])
                    conn.executemany("DELETE FROM docs WHERE rowid = ?", [(r,) for r in rowids])
                    conn.executemany("INSERT OR IGNORE INTO forgotten (id) VALUES (?)", [(i,) for i in chunk])
                    removed += len(rowids)
                _recompute(conn, touched)
                if removed:  # FTS5 keeps deleted terms in its segments until they are merged: merge them now
                    conn.execute("INSERT INTO fts (fts) VALUES ('optimize')")
                conn.execute(_ADD_TO_COUNTER, ("erasures", removed))
                conn.execute(_NEXT_GENERATION)
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
            for row in conn.execute(f"SELECT {_COLUMNS} FROM docs WHERE id IN ({marks})", chunk):
                doc = _document(row)
                found[doc.id] = doc
        return found

    def get(self, doc_id: str) -> Document | None:
        return self.get_many([doc_id]).get(doc_id)

    def search(self, query: SearchQuery) -> SearchResult:
        conn = self._read_conn()
        if conn is None:
            return SearchResult(items=[], total=0)
        where, params = _filters(query)
        match = _match_expression(query.q)
        if query.q.strip() and match is None:
            return SearchResult(items=[], total=0, facets={f: [] for f in FACET_FIELDS} if query.facets else {})
        base_where = list(where)
        base_params = list(params)
        if match:
            base_where.append("d.rowid IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            base_params.append(match)
        where_sql = " AND ".join(base_where) or "1"
        (total,) = conn.execute(f"SELECT COUNT(*) FROM docs d WHERE {where_sql}", base_params).fetchone()

        position = decode_cursor(query)
        page_where, page_params = list(base_where), list(base_params)
        if query.sort == "relevance":
            offset = int(position[0]) if position else 0
            sql = (
                "SELECT d.id, d.date, d.body FROM docs d JOIN fts ON fts.rowid = d.rowid"
                f" WHERE fts MATCH ? AND {' AND '.join(where) or '1'}"
                " ORDER BY bm25(fts), d.id LIMIT ? OFFSET ?"
            )
            rows = conn.execute(sql, [match, *params, query.size + 1, offset]).fetchall()
            next_position: list[Any] | None = [offset + query.size]
        else:
            descending = query.sort == "newest"
            if position:
                op = "<" if descending else ">"
                page_where.append(f"(d.date {op} ? OR (d.date = ? AND d.id {op} ?))")
                page_params += [position[0], position[0], position[1]]
            order = "DESC" if descending else "ASC"
            sql = (
                f"SELECT d.id, d.date, d.body FROM docs d WHERE {' AND '.join(page_where) or '1'}"
                f" ORDER BY d.date {order}, d.id {order} LIMIT ?"
            )
            rows = conn.execute(sql, [*page_params, query.size + 1]).fetchall()
            next_position = None
        has_more = len(rows) > query.size
        rows = rows[: query.size]
        if has_more and query.sort != "relevance":
            next_position = [rows[-1][1], rows[-1][0]]
        items = [json.loads(body) for _, _, body in rows]
        facets: dict[str, list[dict[str, Any]]] = {}
        if query.facets:
            for name in FACET_FIELDS:
                facet_rows = conn.execute(
                    f"SELECT d.{name}, COUNT(*) AS n FROM docs d WHERE {where_sql} AND d.{name} IS NOT NULL"
                    f" GROUP BY d.{name} ORDER BY n DESC, d.{name} LIMIT 50",
                    base_params,
                ).fetchall()
                facets[name] = [{"value": v, "count": n} for v, n in facet_rows]
        cursor = encode_cursor(query, next_position) if has_more and next_position is not None else None
        return SearchResult(items=items, total=total, facets=facets, next_cursor=cursor)

    def scan(self, doc_type: str) -> Iterator[dict[str, Any]]:
        conn = self._read_conn()
        if conn is None:
            return
        cursor = conn.execute(
            "SELECT id, date, service_code, area, status, facts FROM docs WHERE type = ? ORDER BY id", (doc_type,)
        )
        for doc_id, date, service_code, area, status, facts in cursor:
            row = json.loads(facts)
            row.update(id=doc_id, date=date, service_code=service_code, area=area, status=status)
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
            yield (month, service, area, code), json.loads(summary)

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
            for statement in CELLS_SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            row = conn.execute("SELECT value FROM meta WHERE key = 'cells_timezone'").fetchone()
            if added or row is None or row[0] != self.timezone:
                self._rebuild_cells(conn)
                conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('cells_timezone', ?)", (self.timezone,))
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
            updates.append((*(atom or (None, None, None, None)), rowid))
            if atom is not None:
                touched.add((doc_type, atom))
        conn.executemany(_SET_CELL, updates)
        conn.execute("DELETE FROM cells")
        _recompute(conn, touched)
        if touched:
            conn.execute(_NEXT_GENERATION)

    def stats(self) -> dict[str, Any]:
        conn = self._read_conn()
        if conn is None:
            return {"documents": {}, "redaction_versions": {}, "counters": {}}
        docs = dict(conn.execute("SELECT type, COUNT(*) FROM docs GROUP BY type ORDER BY type").fetchall())
        versions = dict(
            conn.execute(
                "SELECT redaction_version, COUNT(*) FROM docs GROUP BY redaction_version ORDER BY redaction_version"
            ).fetchall()
        )
        counters = dict(conn.execute("SELECT name, value FROM counters ORDER BY name").fetchall())
        return {"documents": docs, "redaction_versions": versions, "counters": counters}

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


def _row(doc: Document) -> tuple[Any, ...]:
    return (
        doc.id,
        doc.type,
        doc.version,
        doc.date,
        doc.service_code,
        doc.area,
        doc.status,
        json.dumps(doc.body, ensure_ascii=False, separators=(",", ":")),
        json.dumps(doc.facts, ensure_ascii=False, separators=(",", ":")),
        json.dumps(doc.events, ensure_ascii=False, separators=(",", ":")),
        doc.redaction_version,
    )


_SET_CELL = f"UPDATE docs SET {', '.join(c + ' = ?' for c in CELL_COLUMNS)} WHERE rowid = ?"


def _fact_row(doc: Document) -> dict[str, Any]:
    """A document as the flat row ``scan`` returns: what summaries are computed from."""
    row = dict(doc.facts)
    row.update(id=doc.id, date=doc.date, service_code=doc.service_code, area=doc.area, status=doc.status)
    return row


def _recompute(conn: sqlite3.Connection, touched: set[tuple[str, atoms.Atom]]) -> None:
    """Each touched atom's summary from its stored items (an atom left empty loses its row)."""
    where = " AND ".join(f"{c} = ?" for c in CELL_COLUMNS)
    for doc_type, atom in sorted(touched):
        rows = []
        for doc_id, date, service_code, area, status, facts in conn.execute(
            f"SELECT id, date, service_code, area, status, facts FROM docs WHERE type = ? AND {where}",
            (doc_type, *atom),
        ):
            row = json.loads(facts)
            row.update(id=doc_id, date=date, service_code=service_code, area=area, status=status)
            rows.append(row)
        if rows:
            conn.execute(
                "INSERT OR REPLACE INTO cells (type, month, service, area, code, summary) VALUES (?, ?, ?, ?, ?, ?)",
                (doc_type, *atom, atoms.encode(atoms.summarise(doc_type, rows))),
            )
        else:
            conn.execute(
                "DELETE FROM cells WHERE type = ? AND month = ? AND service = ? AND area = ? AND code = ?",
                (doc_type, *atom),
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


def _filters(query: SearchQuery) -> tuple[list[str], list[Any]]:
    where = [f"d.type IN ({','.join('?' * len(query.types))})"]
    params: list[Any] = list(query.types)
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


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
