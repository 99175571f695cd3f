"""The embedded index's WAL is copied into the database by a thread beside the writer (search/sqlite_index.py
``_Checkpointer``), and a committed batch is durable whatever that thread was doing when the process died."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from search import sqlite_index
from search.index import Document
from search.sqlite_index import SqliteIndex


def _doc(i: int) -> Document:
    body = {"id": f"fb-{i}", "type": "feedback"}
    return Document(f"fb-{i}", "feedback", 1, f"2026-03-{1 + i % 28:02d}T08:00:00Z", body, text="katu valo")


def _ids_in_database_file_alone(path, tmp_path) -> set[str]:
    """What the database file holds without its WAL: what has been checkpointed."""
    alone = tmp_path / "alone.sqlite"
    shutil.copyfile(path, alone)
    conn = sqlite3.connect(alone)
    try:
        return {r[0] for r in conn.execute("SELECT id FROM docs")}
    finally:
        conn.close()


def test_committed_pages_reach_the_database_file_without_a_commit_copying_them(tmp_path):
    path = tmp_path / "index.sqlite"
    store = SqliteIndex(path)
    reader = sqlite3.connect(path)  # an open reader: closing the writer is then no checkpoint of its own
    reader.execute("SELECT COUNT(*) FROM docs").fetchone()
    store.write([_doc(i) for i in range(30)])
    store.write([_doc(i) for i in range(30, 60)])
    store.close()  # waits for the checkpoint asked for by the last write
    assert _ids_in_database_file_alone(path, tmp_path) == {f"fb-{i}" for i in range(60)}
    reader.close()


def test_the_writer_commits_without_an_inline_checkpoint_below_the_bound(tmp_path):
    store = SqliteIndex(tmp_path / "index.sqlite")
    (pages,) = store._conn().execute("PRAGMA wal_autocheckpoint").fetchone()
    assert pages > 1000  # SQLite's default would copy the WAL inside nearly every batch's COMMIT
    store.close()


def test_a_batch_committed_just_before_the_process_dies_is_kept(tmp_path):
    path = tmp_path / "index.sqlite"
    script = textwrap.dedent(
        f"""
        import os
        from search.index import Document
        from search.sqlite_index import SqliteIndex
        store = SqliteIndex({str(path)!r})
        for start in range(0, 600, 200):
            store.write([Document(f"fb-{{i}}", "feedback", 1, "2026-03-02T08:00:00Z", {{"id": f"fb-{{i}}"}},
                                  text="katu") for i in range(start, start + 200)])
        os._exit(0)  # no close: the checkpoint thread dies wherever it is
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path.cwd())
    store = SqliteIndex(path)
    assert len(store.get_many([f"fb-{i}" for i in range(600)])) == 600
    assert store._conn().execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store.close()


def test_an_idle_checkpoint_thread_ends_and_the_next_write_starts_another(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlite_index, "_CHECKPOINT_IDLE_SECONDS", 0.05)
    path = tmp_path / "index.sqlite"
    store = SqliteIndex(path)
    reader = sqlite3.connect(path)
    reader.execute("SELECT COUNT(*) FROM docs").fetchone()
    store.write([_doc(i) for i in range(10)])
    checkpointer = store._checkpointer
    assert checkpointer is not None
    deadline = time.monotonic() + 10
    while checkpointer._runner is not None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checkpointer._runner is None  # ended, and its connection closed
    assert _ids_in_database_file_alone(path, tmp_path) == {f"fb-{i}" for i in range(10)}
    store.write([_doc(i) for i in range(10, 20)])
    store.close()
    assert _ids_in_database_file_alone(path, tmp_path) == {f"fb-{i}" for i in range(20)}
    reader.close()
