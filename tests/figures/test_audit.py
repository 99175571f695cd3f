"""``mittari cells open``: the lines behind a cell hash to its published inputs_sha256, and tampering shows."""

import json
import sqlite3

from mittari import cli
from search.cells import item_line
from tests.api.test_recipe import city, clock  # noqa: F401  (fixtures: a small city)


def invoke(runner, settings, *args):
    return runner.invoke(cli, ["--data-dir", str(settings.data_dir), "cells", "open", *args])


def test_the_lines_behind_an_aggregate_cell_hash_to_its_commitment(city, runner, settings):  # noqa: F811
    result = invoke(runner, settings, "service_waiting_time", "--period", "2026-03")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if not line.startswith("#")]
    assert lines == sorted(item_line(r) for r in city.scan("case"))  # every case, canonical
    assert result.output.rstrip().endswith("# agrees")


def test_a_tampered_item_does_not_agree(city, runner, settings):  # noqa: F811
    path = settings.search.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:  # change a stored fact behind the index's back (its cell not recomputed)
        (facts,) = conn.execute("SELECT facts FROM docs WHERE id = 'c4'").fetchone()
        conn.execute(
            "UPDATE docs SET facts = ? WHERE id = 'c4'", (json.dumps({**json.loads(facts), "waiting_days": 5}),)
        )
    result = invoke(runner, settings, "service_waiting_time", "--period", "2026-03")
    assert result.exit_code == 1
    assert "DOES NOT AGREE" in result.output


def test_bad_arguments_name_the_option(city, runner, settings):  # noqa: F811
    assert "--period" in invoke(runner, settings, "service_waiting_time", "--period", "2026-3").output
    assert (
        "--service" in invoke(runner, settings, "service_waiting_time", "--period", "2026-03", "--service", "x").output
    )
    assert invoke(runner, settings, "no_such", "--period", "2026-03").exit_code == 2
