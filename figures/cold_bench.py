"""``mittari bench figures``: what a reader pays for the figures after an index change, cold and warm.

Printed figures, never timed tests. Each run starts a fresh read model, reads the
atoms' summaries and the targets (one snapshot), then computes what the overview
needs (every indicator's summary and series, disclosure control included), as the
cache warmer does after each index change. The protection of each year is kept in a
folder of the run's own (``figures/protection_store.py``): the first run finds none
and computes every one, the later ones read what the first stored, as a restarted
worker would. Peak memory is the process's so far.

With ``--batches N`` (embedded index only) it then measures what a *warm* reader pays
when real batches land: on a copy of the index (SQLite's online backup, so the data
directory is never written), it writes, turn by turn, a batch that moves no cell (the
newest decision again, one version up: the generation moves, no atom does) and a batch
of the newest feedback again, one version up each (their atoms' items, and so their
markers, move), and after each times the warmer's recomputation and counts the atoms
the reader read again (issue 11: a live ingest moves the generation every batch).
"""

from __future__ import annotations

import contextlib
import resource
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from core.settings import Settings
from figures.indicators import Indicators, Snapshot
from figures.protection_store import open_blocks
from search.index import Document, Index, embedded_index_path, open_index
from search.query import SearchQuery


def bench_figures(settings: Settings, echo: Callable[[str], None], runs: int = 3) -> dict[str, float]:
    index = open_index(settings, readonly=True)
    try:
        with tempfile.TemporaryDirectory(prefix="mittari-bench-protection-") as folder:
            echo(f"{'run':>3} {'protection':>10} {'read ms':>9} {'read+warm ms':>13} {'atoms':>7} {'peak MB':>8}")
            figures: dict[str, float] = {}
            figures_first = 0.0
            for run in range(1, runs + 1):
                indicators = Indicators(index, settings)
                indicators.protections = open_blocks(Path(folder))
                start = time.perf_counter()
                snapshot = indicators.snapshot()
                read = (time.perf_counter() - start) * 1000
                indicators.warm()
                total = (time.perf_counter() - start) * 1000
                atoms = sum(len(cells) for cells in snapshot.cells.values())
                peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
                stored = "computed" if run == 1 else "stored"
                echo(f"{run:3} {stored:>10} {read:9.0f} {total:13.0f} {atoms:7} {peak:8.0f}")
                figures = {"read ms": read, "read+warm ms": total, "peak MB": peak}
                if run == 1:
                    figures_first = total
            figures["first read+warm ms"] = figures_first
            return figures
    finally:
        index.close()


BATCHES_EMBEDDED_ONLY = "--batches writes to a copy of the index: the embedded index only (sqlite:///)"


def bench_batches(
    settings: Settings, echo: Callable[[str], None], batches: int = 3, size: int = 200
) -> list[dict[str, float]]:
    """A warm reader after each of ``batches`` pairs of real batches on a copy of the embedded index (see the
    module's text); ``size``: documents in each feedback batch."""
    from search.sqlite_index import SqliteIndex

    source = embedded_index_path(settings)
    if source is None:
        raise SystemExit(BATCHES_EMBEDDED_ONLY)
    rows: list[dict[str, float]] = []
    with tempfile.TemporaryDirectory(prefix="mittari-bench-batches-") as folder:
        copy = Path(folder) / "index.sqlite"
        start = time.perf_counter()
        with (
            contextlib.closing(sqlite3.connect(f"{source.as_uri()}?mode=ro", uri=True)) as origin,
            contextlib.closing(sqlite3.connect(copy)) as target,
        ):
            origin.backup(target)  # a consistent copy while a worker may be writing (WAL included)
        echo(f"copied the index to {folder} in {time.perf_counter() - start:.1f} s; a warm reader after each batch:")
        with contextlib.ExitStack() as opened:
            zone = settings.timezone
            writer = opened.enter_context(contextlib.closing(SqliteIndex(copy, timezone=zone)))  # as a worker does
            reader = opened.enter_context(contextlib.closing(SqliteIndex(copy, readonly=True, timezone=zone)))
            indicators = Indicators(reader, settings.with_overrides(data_dir=Path(folder)))
            indicators.warm()
            feedback = _newest(reader, "feedback", size)
            decisions = _newest(reader, "decision", 1)
            echo(f"{'batch':>5} {'documents':>9} {'atoms read':>10} {'warm ms':>8}  what the batch moves")
            for turn in range(1, batches + 1):
                for label, docs in (("none", decisions), ("feedback", feedback)):
                    if not docs:
                        continue
                    before = indicators.snapshot()
                    docs[:] = [replace(doc, version=doc.version + 1) for doc in docs]
                    writer.write(docs)
                    start = time.perf_counter()
                    indicators.warm()
                    elapsed = (time.perf_counter() - start) * 1000
                    read = _atoms_read(before, indicators.snapshot())
                    echo(f"{turn:5} {len(docs):9} {read:10} {elapsed:8.1f}  moving {label} cells")
                    rows.append({"turn": turn, "documents": len(docs), "atoms read": read, "warm ms": elapsed})
    return rows


def _newest(index: Index, doc_type: str, size: int) -> list[Document]:
    found = index.search(SearchQuery(types=(doc_type,), sort="newest", size=size, facets=False))
    ids = [item["id"] for item in found.items]
    stored = index.get_many(ids)
    return [stored[i] for i in ids if i in stored]


def _atoms_read(before: Snapshot, after: Snapshot) -> int:
    """Atoms whose summary is not the object the previous snapshot held: the ones read from the index again."""
    return sum(
        1
        for doc_type, atoms in after.cells.items()
        for atom, summary in atoms.items()
        if before.cells.get(doc_type, {}).get(atom) is not summary
    )
