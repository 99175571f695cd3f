"""``mittari bench disclosure``: how long the disclosure pattern of each indicator takes, and what it withholds.

Printed figures, never timed tests. The pattern is computed one calendar year at a
time and each year's is kept under the digest of its counts
(``figures/indicator_table.py``, ``figures/protection_store.py``). ``computed`` is the
cost with nothing stored (a folder of the run's own, empty): the first reader after a
start, or after a batch for the years it touched; ``stored`` the same table again in
a fresh process's memory over that folder: a year no batch touched, or a restarted
worker.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from core.settings import Settings
from figures.indicator_table import UNKNOWN
from figures.indicators import Indicators
from figures.protection_store import open_blocks
from search.index import open_index


def bench_disclosure(settings: Settings, echo: Callable[[str], None]) -> dict[str, float]:
    index = open_index(settings, readonly=True)
    try:
        with tempfile.TemporaryDirectory(prefix="mittari-bench-protection-") as folder:
            computing = Indicators(index, settings)
            computing.protections = open_blocks(Path(folder))
            reading = Indicators(index, settings)
            reading.protections = open_blocks(Path(folder))
            definitions = computing.definitions()  # reads the atoms' summaries first: the figure is the method's own
            reading.definitions()
            echo(f"{'indicator':40} {'computed ms':>12} {'stored ms':>10} {'cells':>6} {'small':>6} {'withheld':>9}")
            figures: dict[str, float] = {}
            stored_total = 0.0
            for indicator in definitions:
                start = time.perf_counter()
                table = computing.table(indicator)
                elapsed = (time.perf_counter() - start) * 1000
                start = time.perf_counter()
                again = reading.table(indicator)
                stored = (time.perf_counter() - start) * 1000
                if again.protection != table.protection:
                    raise SystemExit(f"{indicator.code}: the stored protection differs from the computed one")
                counts = table.protection.counts
                cells = sum(1 for n in counts.values() if n)
                # published cells withheld; the hidden "no service"/"no area" cells are never published anyway
                shown = [key for key in table.protection.withheld if isinstance(key, tuple) and UNKNOWN not in key[1:]]
                withheld = sum(1 for key in shown if counts.get(key))
                small = len(table.protection.primary)
                echo(f"{indicator.code:40} {elapsed:12.0f} {stored:10.0f} {cells:6} {small:6} {withheld:9}")
                figures[indicator.code] = elapsed
                stored_total += stored
            echo(f"{'total':40} {sum(figures.values()):12.0f} {stored_total:10.0f}")
            return figures
    finally:
        index.close()
