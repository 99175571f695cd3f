"""``mittari bench disclosure``: how long the disclosure pattern of each indicator takes, and what it withholds.

Printed figures, never timed tests. The pattern is computed once per index
generation (and hour), so this is the cost the first reader after an index
change pays per indicator, on top of reading the facts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from core.settings import Settings
from figures.indicator_table import UNKNOWN
from figures.indicators import Indicators
from search.index import open_index


def bench_disclosure(settings: Settings, echo: Callable[[str], None]) -> dict[str, float]:
    index = open_index(settings, readonly=True)
    try:
        indicators = Indicators(index, settings)
        definitions = indicators.definitions()  # reads the atoms' summaries first: the figure is the method's own
        echo(f"{'indicator':40} {'ms':>8} {'cells':>6} {'small':>6} {'withheld':>9}")
        figures: dict[str, float] = {}
        for indicator in definitions:
            start = time.perf_counter()
            table = indicators.table(indicator)
            elapsed = (time.perf_counter() - start) * 1000
            counts = table.protection.counts
            cells = sum(1 for n in counts.values() if n)
            # published cells withheld; the hidden "no service"/"no area" cells are never published anyway
            shown = [key for key in table.protection.withheld if isinstance(key, tuple) and UNKNOWN not in key[1:]]
            withheld = sum(1 for key in shown if counts.get(key))
            echo(f"{indicator.code:40} {elapsed:8.0f} {cells:6} {len(table.protection.primary):6} {withheld:9}")
            figures[indicator.code] = elapsed
        echo(f"{'total':40} {sum(figures.values()):8.0f}")
        return figures
    finally:
        index.close()
