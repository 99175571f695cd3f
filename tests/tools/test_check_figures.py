"""The standalone checker (tools/check_figures.py) against a demo city served over real HTTP (issue #12)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from core.clock import FixedClock
from ingest.demo_data import generate
from tests.conftest import ingest
from tests.serving import served

SCRIPT = Path(__file__).resolve().parents[2] / "tools" / "check_figures.py"
NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)
FEEDBACK_INDICATORS = [
    "feedback_response_time_median",
    "feedback_response_time_p90",
    "feedback_answered_on_time",
    "feedback_closed_share",
    "feedback_reopened_share",
]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def demo(log: Any, worker: Any, index: Any) -> Any:
    ingest(log, worker, list(generate(6000, seed=12, until=date(2026, 6, 1))))
    return index


@pytest.fixture
def base_url(demo, app_for) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with served(app_for()) as base:
        yield base


def run(base: str, *extra: str) -> subprocess.CompletedProcess[str]:
    # no --now, --timezone or --target-hours: the checker reads them from the answers' recipe
    command = [sys.executable, str(SCRIPT), base, *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)


def verdicts(output: str) -> Counter[str]:
    return Counter(line.split()[-1] for line in output.splitlines() if line.startswith("feedback_"))


def lines(output: str) -> list[list[str]]:
    return [line.split() for line in output.splitlines() if line.startswith("feedback_")]


def test_every_public_cell_of_every_feedback_indicator_recomputes(base_url: str) -> None:
    """With no indicator named, the checker takes every feedback indicator, city-wide and per service and area."""
    result = run(base_url)
    counts = verdicts(result.stdout)
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr)
    assert counts["MISMATCH"] == 0
    checked = lines(result.stdout)
    assert {line[0] for line in checked} == set(FEEDBACK_INDICATORS)
    scopes = {line[1] for line in checked}
    assert "city" in scopes and "service=171" in scopes and "area=Vanha-Espoo" in scopes
    assert (
        sum(1 for s in scopes if s.startswith("service=")) >= 3 and sum(1 for s in scopes if s.startswith("area=")) >= 3
    )
    assert counts["OK"] >= 50, counts  # public cells really were recomputed
    assert f"{counts['OK']} cells agree, 0 mismatch, {counts['WITHHELD']} withheld" in result.stdout


def test_one_scope_only(base_url: str) -> None:
    for extra, scope in ((("--service", "171"), "service=171"), (("--area", "Vanha-Espoo"), "area=Vanha-Espoo")):
        result = run(base_url, *FEEDBACK_INDICATORS, *extra)
        assert result.returncode == 0, (extra, result.stdout[-3000:], result.stderr)
        assert {line[1] for line in lines(result.stdout)} == {scope}
        assert verdicts(result.stdout)["OK"] >= 5


def test_a_tampered_value_is_caught(demo: Any, app_for: Any) -> None:
    app = app_for()
    original = app.extensions["mittari"].indicators.series if "mittari" in app.extensions else None
    assert original is not None
    tampered: dict[str, str] = {}

    def series(indicator: Any, filters: Any) -> list[dict[str, Any]]:
        cells = [dict(c) for c in original(indicator, filters)]
        if indicator.code == "feedback_closed_share" and filters.service == "171":
            cell = next(c for c in reversed(cells) if not c["suppressed"])
            cell["value"] += 1
            tampered["period"] = cell["period"]
        return cells

    app.extensions["mittari"].indicators.series = series
    with served(app) as base:
        result = run(base)
    assert result.returncode == 1, result.stdout[-3000:]
    wrong = [line for line in lines(result.stdout) if line[-1] == "MISMATCH"]
    assert [line[:3] for line in wrong] == [["feedback_closed_share", "service=171", tampered["period"]]]


def test_a_cell_that_lists_other_items_is_caught(demo: Any, app_for: Any) -> None:
    """The API says which items a cell rests on; if that list leaves one out, the checker says so even though
    the value itself still agrees."""
    app = app_for()
    indicators = app.extensions["mittari"].indicators
    original = indicators.index.atom_ids

    def atom_ids(doc_type: str, atoms: Any, after: Any, size: int) -> list[str]:
        ids = list(original(doc_type, atoms, after, size))
        if atoms and all(atom[1] == "171" for atom in atoms):  # the cells of service 171 only
            return ids[1:]
        return ids

    indicators.index.atom_ids = atom_ids
    with served(app) as base:
        result = run(base, "feedback_closed_share", "--service", "171")
    assert result.returncode == 1, result.stdout[-3000:]
    wrong = [line for line in lines(result.stdout) if line[-1] == "MISMATCH"]
    assert wrong and all("items-listed-by-the-API-differ" in line for line in wrong)


def test_usage_and_network_errors_exit_2() -> None:
    assert run("http://127.0.0.1:9", "--timezone", "Nowhere/City").returncode == 2
    assert (
        subprocess.run(
            [sys.executable, str(SCRIPT), "http://127.0.0.1:9", "feedback_closed_share"],
            capture_output=True,
            timeout=60,
            check=False,
        ).returncode
        == 2
    )


def test_a_withheld_cell_without_n_is_skipped_and_counted(demo: Any, app_for: Any) -> None:
    """A withheld cell publishes value and n null and an n band: nothing to recompute, counted apart."""
    app = app_for()
    original = app.extensions["mittari"].indicators.series

    def series(indicator: Any, filters: Any) -> list[dict[str, Any]]:
        cells = [dict(c) for c in original(indicator, filters)]
        cells[-1].update(value=None, n=None, suppressed=True, n_band="<5")
        return cells

    app.extensions["mittari"].indicators.series = series
    with served(app) as base:
        result = run(base, *FEEDBACK_INDICATORS, "--service", "171")
    counts = verdicts(result.stdout)
    assert result.returncode == 0, result.stdout[-3000:]
    assert counts["MISMATCH"] == 0 and counts["OK"] > 0
    last = {}
    for code, *_, verdict in lines(result.stdout):
        last[code] = verdict  # lines come in month order per indicator
    assert last == dict.fromkeys(FEEDBACK_INDICATORS, "WITHHELD")
    assert f"{counts['WITHHELD']} withheld (not checkable)" in result.stdout
