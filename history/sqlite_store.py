"""The embedded history: published values and corrections in a SQLite file beside the index.

Append-only by construction, not by convention: triggers refuse every UPDATE and DELETE, so neither
a bug nor a hand-typed statement can rewrite what was published. Rows are ``INSERT OR IGNORE`` by
their deterministic id (history/store.py), so a recording run twice appends nothing twice. WAL mode:
the API's workers read (read-only connections) while ``mittari history record`` writes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from history.store import Key, Row, check_row, correction_id, encoded_key, key_of, row_id

_SCHEMA = """
CREATE TABLE IF NOT EXISTS published (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    key TEXT NOT NULL,
    indicator TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS published_by_key ON published (key, recorded_at, id);
CREATE INDEX IF NOT EXISTS published_by_time ON published (recorded_at);
CREATE INDEX IF NOT EXISTS published_by_indicator ON published (indicator, recorded_at);
CREATE TABLE IF NOT EXISTS corrections (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    indicator TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS corrections_by_time ON corrections (recorded_at, id);
CREATE INDEX IF NOT EXISTS corrections_by_indicator ON corrections (indicator, recorded_at, id);
CREATE TRIGGER IF NOT EXISTS published_no_update BEFORE UPDATE ON published
    BEGIN SELECT RAISE(ABORT, 'the history of published values is append-only'); END;
CREATE TRIGGER IF NOT EXISTS published_no_delete BEFORE DELETE ON published
    BEGIN SELECT RAISE(ABORT, 'the history of published values is append-only'); END;
CREATE TRIGGER IF NOT EXISTS corrections_no_update BEFORE UPDATE ON corrections
    BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;
CREATE TRIGGER IF NOT EXISTS corrections_no_delete BEFORE DELETE ON corrections
    BEGIN SELECT RAISE(ABORT, 'corrections are append-only'); END;
"""

#: the last row of every key (ties on recorded_at broken by id, as on every backend)
_LAST_PER_KEY = """
SELECT id, body FROM (
    SELECT id, body, ROW_NUMBER() OVER (PARTITION BY key ORDER BY recorded_at DESC, id DESC) AS rank
    FROM published WHERE {where}
) WHERE rank = 1
"""


class SqliteHistory:
    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        if not readonly:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect()
            assert conn is not None
            conn.executescript(_SCHEMA)

    def _connect(self) -> sqlite3.Connection | None:
        """The connection, opened on first use; a read-only store whose file does not exist yet has none."""
        if self._conn is not None:
            return self._conn
        if self.readonly:
            if not self.path.exists():
                return None
            conn = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10, check_same_thread=False)
        else:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA busy_timeout=10000")
        self._conn = conn
        return conn

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            conn = self._connect()
            if conn is None:
                return []
            try:
                return conn.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                if "no such table" in str(exc):  # a read-only reader ahead of the first recording
                    return []
                raise

    def append(self, rows: Sequence[Mapping[str, Any]], corrections: Sequence[Mapping[str, Any]] = ()) -> int:
        if self.readonly:
            raise PermissionError("this history store was opened read-only")
        published = []
        for row in rows:
            check_row(row)
            body = {**row, "id": row_id(row)}
            published.append(
                (body["id"], encoded_key(row), row["indicator"], row["recorded_at"], json.dumps(body, sort_keys=True))
            )
        corrected = []
        for correction in corrections:
            check_row(correction)
            body = {**correction, "id": correction_id(correction)}
            corrected.append((body["id"], correction["indicator"], correction["recorded_at"], json.dumps(body)))
        with self._lock:
            conn = self._connect()
            assert conn is not None
            before = conn.total_changes
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.executemany(
                    "INSERT OR IGNORE INTO published (id, key, indicator, recorded_at, body) VALUES (?, ?, ?, ?, ?)",
                    published,
                )
                conn.executemany(
                    "INSERT OR IGNORE INTO corrections (id, indicator, recorded_at, body) VALUES (?, ?, ?, ?)",
                    corrected,
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return conn.total_changes - before

    def latest(self, indicator: str | None = None) -> dict[Key, Row]:
        return self._last_per_key(None, indicator)

    def as_of(self, moment: str, indicator: str | None = None) -> dict[Key, Row]:
        return self._last_per_key(moment, indicator)

    def _last_per_key(self, moment: str | None, indicator: str | None) -> dict[Key, Row]:
        where, params = ["1"], []
        if moment is not None:
            where.append("recorded_at <= ?")
            params.append(moment)
        if indicator is not None:
            where.append("indicator = ?")
            params.append(indicator)
        found: dict[Key, Row] = {}
        for _, body in self._read(_LAST_PER_KEY.format(where=" AND ".join(where)), params):
            row = json.loads(body)
            found[key_of(row)] = row
        return found

    def last_recorded_at(self, moment: str | None = None) -> str | None:
        if moment is None:
            rows = self._read("SELECT MAX(recorded_at) FROM published")
        else:
            rows = self._read("SELECT MAX(recorded_at) FROM published WHERE recorded_at <= ?", (moment,))
        return rows[0][0] if rows and rows[0][0] is not None else None

    def first_recorded_at(self) -> str | None:
        rows = self._read("SELECT MIN(recorded_at) FROM published")
        return rows[0][0] if rows and rows[0][0] is not None else None

    def corrections(
        self,
        indicator: str | None = None,
        since: str | None = None,
        until: str | None = None,
        after: tuple[str, str] | None = None,
        size: int = 100,
    ) -> list[Row]:
        where, params = ["1"], []
        if indicator is not None:
            where.append("indicator = ?")
            params.append(indicator)
        if since is not None:
            where.append("recorded_at >= ?")
            params.append(since)
        if until is not None:
            where.append("recorded_at <= ?")
            params.append(until)
        if after is not None:
            where.append("(recorded_at > ? OR (recorded_at = ? AND id > ?))")
            params += [after[0], after[0], after[1]]
        # the clauses are fixed strings; every value is a parameter
        sql = f"SELECT body FROM corrections WHERE {' AND '.join(where)} ORDER BY recorded_at, id LIMIT ?"  # noqa: S608
        return [json.loads(body) for (body,) in self._read(sql, [*params, max(0, size)])]

    def position(self) -> str:
        rows = self._read(
            "SELECT (SELECT COALESCE(MAX(seq), 0) FROM published), (SELECT COALESCE(MAX(seq), 0) FROM corrections)"
        )
        return f"{rows[0][0]}.{rows[0][1]}" if rows else "0.0"

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
