"""``mittari bench figures``: what a reader pays for the figures after an index change, cold.

Printed figures, never timed tests. Each run starts a fresh read model, reads the
atoms' summaries and the targets (one snapshot), then computes what the overview
needs (every indicator's summary and series, disclosure control included), as the
cache warmer does after each index change. The protection of each year is kept in a
folder of the run's own (``figures/protection_store.py``): the first run finds none
and computes every one, the later ones read what the first stored, as a restarted
worker would. Peak memory is the process's so far.
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from core.settings import Settings
from figures.indicators import Indicators
from figures.protection_store import open_blocks
from search.index import open_index


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
