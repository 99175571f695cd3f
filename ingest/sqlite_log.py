"""The embedded event log: append-only topics with offsets in one SQLite file.

One partition per topic (the embedded mode runs one worker). Topic and group
names carry the namespace, so several test runs or cities can share a file.

Records keyed by an erased subject are not appended (``append`` counts them
as not new): the log keeps nothing of a forgotten subject but its tombstone.
Erasure deletes rows, so a topic's end offset cannot be ``MAX(offset) + 1``
alone: ``ends`` remembers the end of a topic whose last records were erased,
so offsets never go back and a committed position never skips a new record.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

from core.clock import Clock, SystemClock
from core.errors import TransientError
from ingest.log import DeadLetter, ErasedSubject, Erasure, Outgoing, RawDropped, Record, TopicPartition

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    topic TEXT NOT NULL,
    offset INTEGER NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    event_id TEXT,
    appended_at TEXT NOT NULL,
    PRIMARY KEY (topic, offset)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS records_event_id ON records (topic, event_id) WHERE event_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS commits (
    grp TEXT NOT NULL,
    topic TEXT NOT NULL,
    next_offset INTEGER NOT NULL,
    PRIMARY KEY (grp, topic)
);
CREATE TABLE IF NOT EXISTS ends (topic TEXT PRIMARY KEY, next_offset INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS erasures (subject TEXT PRIMARY KEY, reason TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY,
    origin TEXT NOT NULL UNIQUE,
    raw BLOB NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL
);
"""


class SqliteLog:
    def __init__(self, path: str | Path, namespace: str = "mittari", clock: Clock | None = None) -> None:
        self.path = Path(path)
        self.namespace = namespace
        self.clock = clock or SystemClock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute("PRAGMA secure_delete=ON")  # erased and retention-dropped bytes are overwritten
            self._db.executescript(SCHEMA)
        except sqlite3.OperationalError as exc:
            raise TransientError(f"event log {self.path} cannot be opened: {exc}") from exc
        self._positions: dict[tuple[str, str], int] = {}

    def _t(self, topic: str) -> str:
        return f"{self.namespace}.{topic}"

    def append(self, topic: str, records: Sequence[Outgoing]) -> int:
        name = self._t(topic)
        now = self.clock.now().isoformat()
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                next_offset = self._end(name)
                fresh = self._not_yet_held(name, records)
                rows = [(name, next_offset + i, r.key, r.value, r.event_id, now) for i, r in enumerate(fresh)]
                self._db.executemany(
                    "INSERT INTO records (topic, offset, key, value, event_id, appended_at) VALUES (?,?,?,?,?,?)", rows
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        except sqlite3.OperationalError as exc:
            raise TransientError(f"append to {name} failed: {exc}") from exc
        return len(rows)

    def _not_yet_held(self, name: str, records: Sequence[Outgoing]) -> list[Outgoing]:
        ids = [r.event_id for r in records if r.event_id]
        held: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            held.update(
                row[0]
                for row in self._db.execute(
                    f"SELECT event_id FROM records WHERE topic = ? AND event_id IN ({marks})", (name, *chunk)
                )
            )
        keys = sorted({self._t(r.key) for r in records})
        denied: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            marks = ",".join("?" * len(chunk))
            denied.update(
                row[0][len(self.namespace) + 1 :]
                for row in self._db.execute(f"SELECT subject FROM erasures WHERE subject IN ({marks})", chunk)
            )
        fresh = []
        for record in records:
            if record.key in denied:  # a forgotten subject: the embedded log does not take its records again
                continue
            if record.event_id:
                if record.event_id in held:
                    continue
                held.add(record.event_id)
            fresh.append(record)
        return fresh

    def poll(self, group: str, topics: Sequence[str], max_records: int, timeout: float = 0.0) -> list[Record]:
        out: list[Record] = []
        committed = self.committed(group, topics)
        for topic in topics:
            if len(out) >= max_records:
                break
            name = self._t(topic)
            position = self._positions.get((group, topic), committed[(topic, 0)])
            rows = self._db.execute(
                "SELECT offset, key, value FROM records WHERE topic = ? AND offset >= ? ORDER BY offset LIMIT ?",
                (name, position, max_records - len(out)),
            ).fetchall()
            out += [Record(topic, 0, offset, key, bytes(value)) for offset, key, value in rows]
            if rows:
                self._positions[(group, topic)] = rows[-1][0] + 1
        return out

    def commit(self, group: str, offsets: Mapping[TopicPartition, int]) -> None:
        rows = [(f"{self.namespace}.{group}", self._t(topic), offset) for (topic, _), offset in offsets.items()]
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT INTO commits (grp, topic, next_offset) VALUES (?,?,?)"
                " ON CONFLICT(grp, topic) DO UPDATE SET next_offset = excluded.next_offset",
                rows,
            )
            self._db.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            self._db.execute("ROLLBACK")
            raise TransientError(f"commit for {group} failed: {exc}") from exc

    def committed(self, group: str, topics: Sequence[str]) -> dict[TopicPartition, int]:
        result: dict[TopicPartition, int] = {}
        for topic in topics:
            row = self._db.execute(
                "SELECT next_offset FROM commits WHERE grp = ? AND topic = ?",
                (f"{self.namespace}.{group}", self._t(topic)),
            ).fetchone()
            result[(topic, 0)] = row[0] if row else 0
        return result

    def end_offsets(self, topics: Sequence[str]) -> dict[TopicPartition, int]:
        result: dict[TopicPartition, int] = {}
        for topic in topics:
            result[(topic, 0)] = self._end(self._t(topic))
        return result

    def _end(self, name: str) -> int:
        (end,) = self._db.execute(
            "SELECT MAX(COALESCE((SELECT MAX(offset) + 1 FROM records WHERE topic = ?), 0),"
            " COALESCE((SELECT next_offset FROM ends WHERE topic = ?), 0))",
            (name, name),
        ).fetchone()
        return int(end)

    def rewind(self, group: str, topics: Sequence[str]) -> None:
        for topic in topics:
            self._positions.pop((group, topic), None)

    def wait(self, group: str, seconds: float, stop: threading.Event | None = None) -> None:
        (stop or threading.Event()).wait(seconds)

    def reset(self, group: str, topics: Sequence[str]) -> None:
        for topic in topics:
            self._positions.pop((group, topic), None)
            self._db.execute(
                "DELETE FROM commits WHERE grp = ? AND topic = ?", (f"{self.namespace}.{group}", self._t(topic))
            )

    def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        now = self.clock.now().isoformat()
        self._db.execute("BEGIN IMMEDIATE")
        self._db.executemany(
            "INSERT OR IGNORE INTO dead_letters (origin, raw, reason, at) VALUES (?,?,?,?)",
            [(f"{self.namespace}:{d.origin}", d.raw, d.reason, d.at or now) for d in letters],
        )
        self._db.execute("COMMIT")

    def dead_letters(self, limit: int = 100) -> list[DeadLetter]:
        rows = self._db.execute(
            "SELECT origin, raw, reason, at FROM dead_letters WHERE origin LIKE ? ORDER BY id DESC LIMIT ?",
            (f"{self.namespace}:%", limit),
        ).fetchall()
        return [DeadLetter(o.split(":", 1)[1], bytes(r), reason, at) for o, r, reason, at in rows]

    # -- erasure and retention -------------------------------------------------------------------
    def erase(self, subject_id: str, reason: str, at: str) -> Erasure:
        """Deny-list the subject, delete its records and the dead letters naming it, in one transaction."""
        prefix = f"{self.namespace}.%"
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                already = (
                    self._db.execute("SELECT 1 FROM erasures WHERE subject = ?", (self._t(subject_id),)).fetchone()
                    is not None
                )
                self._db.execute(
                    "INSERT OR IGNORE INTO erasures (subject, reason, at) VALUES (?,?,?)",
                    (self._t(subject_id), reason, at),
                )
                topics = [
                    row[0]
                    for row in self._db.execute(
                        "SELECT DISTINCT topic FROM records WHERE topic LIKE ? AND key = ?", (prefix, subject_id)
                    )
                ]
                self._db.executemany(
                    "INSERT INTO ends (topic, next_offset) VALUES (?, ?)"
                    " ON CONFLICT(topic) DO UPDATE SET next_offset = MAX(next_offset, excluded.next_offset)",
                    [(t, self._end(t)) for t in topics],
                )
                events = self._db.execute(
                    "DELETE FROM records WHERE topic LIKE ? AND key = ?", (prefix, subject_id)
                ).rowcount
                # dead letters name a subject in their origin (the worker's) or as a quoted string in their
                # bytes (JSON or a Python repr); quotes keep 'fb-1' from matching 'fb-10'
                ns = f"{self.namespace}:"
                letters = self._db.execute(
                    "DELETE FROM dead_letters WHERE substr(origin, 1, length(?)) = ? AND ("
                    " origin = ? OR substr(origin, 1, length(?)) = ?"
                    " OR instr(raw, ?) > 0 OR instr(raw, ?) > 0)",
                    (
                        ns,
                        ns,
                        f"{ns}index:{subject_id}",
                        f"{ns}subject:{subject_id}:",
                        f"{ns}subject:{subject_id}:",
                        f'"{subject_id}"'.encode(),
                        f"'{subject_id}'".encode(),
                    ),
                ).rowcount
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # old copies of the pages leave the WAL too
        except sqlite3.OperationalError as exc:
            raise TransientError(f"erasure in {self.path} failed: {exc}") from exc
        return Erasure(subject_id, already, events, letters)

    def erased(self) -> dict[str, ErasedSubject]:
        rows = self._db.execute(
            "SELECT subject, reason, at FROM erasures WHERE subject LIKE ?", (f"{self.namespace}.%",)
        ).fetchall()
        short = len(self.namespace) + 1
        return {s[short:]: ErasedSubject(s[short:], reason, at) for s, reason, at in rows}

    def drop_raw(self, before: datetime) -> RawDropped:
        """Rewrite older events without ``raw`` and empty older dead letters' bytes; the rest is kept as it was."""
        cutoff = before.isoformat()
        self._db.execute("BEGIN IMMEDIATE")
        try:
            rows = self._db.execute(
                "SELECT topic, offset, value FROM records WHERE topic LIKE ? AND appended_at < ?"
                " AND instr(value, CAST('\"raw\"' AS BLOB)) > 0",
                (f"{self.namespace}.%", cutoff),
            ).fetchall()
            updates = []
            for topic, offset, value in rows:
                try:
                    event = json.loads(value)
                except ValueError:
                    continue
                if isinstance(event, dict) and event.get("raw") is not None:
                    event.pop("raw")
                    updates.append((json.dumps(event, ensure_ascii=False).encode(), topic, offset))
            self._db.executemany("UPDATE records SET value = ? WHERE topic = ? AND offset = ?", updates)
            letters = self._db.execute(
                "UPDATE dead_letters SET raw = X'' WHERE origin LIKE ? AND at < ? AND length(raw) > 0",
                (f"{self.namespace}:%", cutoff),
            ).rowcount
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return RawDropped(len(updates), letters)

    def close(self) -> None:
        self._db.close()
