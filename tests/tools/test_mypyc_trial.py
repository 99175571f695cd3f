"""The mypyc trial's readings (tools/mypyc_trial.py): it reads the figures ``bench ingest`` prints, and its table
digests tell stored bytes apart. Building and timing are not run here (minutes of compiling, and figures are
printed, never asserted)."""

from __future__ import annotations

import importlib.util
import sqlite3
import sys
from pathlib import Path
from types import ModuleType

from core.settings import Settings
from ingest.bench import bench_ingest, bench_stages

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "mypyc_trial.py"


def _trial() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mypyc_trial", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mypyc_trial"] = module
    spec.loader.exec_module(module)
    return module


def test_it_reads_every_figure_bench_ingest_prints(settings: Settings) -> None:
    trial = _trial()
    lines: list[str] = []
    stages = bench_stages(settings, 300, runs=1, echo=lines.append)
    end_to_end = bench_ingest(settings, 300, echo=lines.append)

    read = trial._figures("\n".join(lines))

    assert set(read) == set(trial._FIGURES)  # a reworded line would drop its figure from the comparison
    for stage in ("decode", "validate", "redact", "fold", "write"):
        assert read[stage] == round(stages[stage], 1)
    assert read["stages total"] == round(sum(stages.values()), 1)
    assert read["events/s"] == round(end_to_end["events_per_second"])
    assert read["worker CPU µs an event"] == round(end_to_end["cpu_us_an_event"], 1)


def _table(path: Path, rows: list[tuple[str, float | None]]) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE docs (id TEXT, value REAL)")
    conn.execute("CREATE TABLE keyed (id TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID")
    conn.executemany("INSERT INTO docs VALUES (?, ?)", rows)
    conn.executemany("INSERT INTO keyed VALUES (?, ?)", [(id_, i) for i, (id_, _) in enumerate(rows)])
    conn.commit()
    conn.close()


def test_table_digests_tell_one_changed_value_apart(tmp_path: Path) -> None:
    trial = _trial()
    rows: list[tuple[str, float | None]] = [("a", 1.0), ("b", None), ("ä", 1e-05)]
    _table(tmp_path / "one.sqlite", rows)
    _table(tmp_path / "same.sqlite", rows)
    _table(tmp_path / "other.sqlite", [*rows[:2], ("ä", 1e-04)])

    one = trial.table_digests(tmp_path / "one.sqlite")

    assert set(one) == {"docs", "keyed"}
    assert one == trial.table_digests(tmp_path / "same.sqlite")
    other = trial.table_digests(tmp_path / "other.sqlite")
    assert other["docs"] != one["docs"] and other["keyed"] == one["keyed"]
