"""The ``mittari`` command end to end, as an operator runs it."""

import json

from mittari import cli
from tests.builders import T0, at, ev, feedback_item


def invoke(runner, tmp_path, *args):
    result = runner.invoke(cli, ["--data-dir", str(tmp_path / "data"), *args], catch_exceptions=False)
    return result


def test_import_ingest_publish(runner, tmp_path, samples):
    result = invoke(
        runner,
        tmp_path,
        "import",
        "open311",
        str(samples / "json/open311_bloomington_requests.json"),
        "--source-name",
        "bloomington",
    )
    assert result.exit_code == 0
    assert "21 records read" in result.output and "0 refused" in result.output
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(e) for e in feedback_item("fb-1", T0, 3)) + "\n{not json}\n")
    result = invoke(runner, tmp_path, "import", "events", str(events))
    assert "4 new" in result.output and "1 refused" in result.output
    result = invoke(runner, tmp_path, "ingest", "--once")
    assert result.exit_code == 0
    assert "indexed 28 events" in result.output
    result = invoke(runner, tmp_path, "publish")
    assert result.exit_code == 0 and "changed" in result.output
    assert "history: recorded at" in result.output and ", 0 corrections" in result.output
    result = invoke(runner, tmp_path, "publish")
    assert result.output.startswith("0 changed")
    assert ", 0 changed, 0 corrections" in result.output  # the history keeps changes, not recordings


def test_demo_builds_a_populated_city(runner, tmp_path):
    result = invoke(runner, tmp_path, "demo", "--events", "3000", "--until", "2026-11-01", "--no-serve")
    assert result.exit_code == 0, result.output
    assert "3000 new" in result.output
    assert "lag after ingest: 0" in result.output
    published = tmp_path / "data" / "demo" / "published"
    assert (published / "catalog.jsonld").exists()
    assert (published / "feedback_closed_share.csv").read_text().count("\n") > 10


def test_demo_is_deterministic():
    from datetime import date

    from ingest.demo_data import generate

    a = [e["event_id"] + e["occurred_at"] for e in generate(2000, seed=5, until=date(2026, 1, 1))]
    b = [e["event_id"] + e["occurred_at"] for e in generate(2000, seed=5, until=date(2026, 1, 1))]
    c = [e["event_id"] + e["occurred_at"] for e in generate(2000, seed=6, until=date(2026, 1, 1))]
    assert a == b != c


def test_demo_months_set_the_history_it_covers():
    """``months`` stretches the same kind of city over a longer history: the events' months, the outcome
    reports' periods and the governance meetings all follow it, and the default stays 24 months."""
    from datetime import date

    from ingest.demo_data import generate

    def months_of(stream):
        events = list(stream)
        return {e["occurred_at"][:7] for e in events}, {
            e["payload"]["period"] for e in events if e["type"] == "service.outcome_measured"
        }

    default, periods_default = months_of(generate(3000, seed=5, until=date(2026, 1, 1)))
    longer, periods_longer = months_of(generate(3000, seed=5, until=date(2026, 1, 1), months=60))
    assert len(periods_default) == 24 and len(periods_longer) == 60
    assert min(default) == "2024-01" and max(default) < "2026-02"
    assert min(longer) == "2021-01" and max(longer) < "2026-02"
    explicit = [e["event_id"] for e in generate(500, seed=5, until=date(2026, 1, 1), months=24)]
    assert explicit == [e["event_id"] for e in generate(500, seed=5, until=date(2026, 1, 1))]


def test_bench_ingest_refuses_months_out_of_range(runner, tmp_path):
    for months in ("0", "1201", "x"):
        result = invoke(runner, tmp_path, "bench", "ingest", "--events", "10", "--months", months)
        assert result.exit_code == 2 and "--months" in result.output


def test_demo_contains_the_motion():
    from datetime import date

    from ingest.demo_data import MOTION_TITLE, generate

    titles = [
        e["payload"].get("title")
        for e in generate(50_000, until=date(2026, 11, 1))
        if e["type"] == "governance.initiative_submitted"
    ]
    assert MOTION_TITLE in titles


def test_bad_setting_is_a_usage_error(runner, monkeypatch):
    monkeypatch.setenv("MITTARI_MIN_CELL_COUNT", "2")
    result = runner.invoke(cli, ["publish"])
    assert result.exit_code == 2
    assert "MITTARI_MIN_CELL_COUNT" in result.output


def test_report_for_a_committee_meeting(runner, tmp_path):
    invoke(runner, tmp_path, "demo", "--events", "3000", "--until", "2026-11-01", "--no-serve")
    demo = str(tmp_path / "data" / "demo")
    out = tmp_path / "report.html"
    result = runner.invoke(
        cli,
        [
            "--data-dir",
            demo,
            "report",
            "--body",
            "Tekninen lautakunta",
            "--period",
            "2026-10",
            "--lang",
            "en",
            "--output",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    html = out.read_text()
    assert '<html lang="en">' in html and "Tekninen lautakunta, October 2026" in html
    for section in ("Off target", "Open initiatives", "Decisions this month", "Most feedback"):
        assert section in html
    assert "<style>" in html and 'rel="stylesheet"' not in html  # one self-contained file
    refused = runner.invoke(cli, ["--data-dir", demo, "report", "--body", "Nobody", "--period", "2026-10"])
    assert refused.exit_code != 0 and "no council, board or committee called 'Nobody'" in refused.output
    bad = runner.invoke(cli, ["--data-dir", demo, "report", "--body", "Tekninen lautakunta", "--period", "October"])
    assert bad.exit_code != 0 and "period" in bad.output
    args = ["--data-dir", demo, "report", "--body", "Tekninen lautakunta", "--period", "2026-10", "--lang", "en"]
    pinned = runner.invoke(cli, [*args, "--as-of", "2099-01-01"])  # the demo's recording is in force then
    assert pinned.exit_code == 0, pinned.output
    assert "The report shows the figures as published on Jan 1, 2099 (the moment asked for)" in pinned.output
    early = runner.invoke(cli, [*args, "--as-of", "2020-01-01"])
    assert early.exit_code != 0 and "nothing was published as of 2020-01-01" in early.output


def test_bench_figures_prints_each_cold_run(runner, tmp_path):
    events = tmp_path / "events.jsonl"
    items = [e for i in range(3) for e in feedback_item(f"fb-{i}", T0, 3 + i, service=f"{100 + i}")]
    events.write_text("\n".join(json.dumps(e) for e in items) + "\n")
    assert invoke(runner, tmp_path, "import", "events", str(events)).exit_code == 0
    assert invoke(runner, tmp_path, "ingest", "--once").exit_code == 0
    result = invoke(runner, tmp_path, "bench", "figures", "--runs", "2")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].split() == ["run", "protection", "read", "ms", "read+warm", "ms", "atoms", "peak", "MB"]
    assert [line.split()[:2] for line in lines[1:]] == [["1", "computed"], ["2", "stored"]]
    assert all(line.split()[4] == "3" for line in lines[1:])  # one feedback atom per service
    assert not (tmp_path / "data" / "protection").exists()  # the bench keeps its protection in a folder of its own


def test_bench_figures_batches_count_the_atoms_a_warm_reader_reads_again(runner, tmp_path):
    """Real batches on a copy: one that moves no cell makes the reader read no atom again; one that rewrites
    feedback makes it read exactly those items' atoms; the data directory's own index is not written."""
    from search.sqlite_index import SqliteIndex

    events = tmp_path / "events.jsonl"
    items = [e for i in range(6) for e in feedback_item(f"fb-{i}", at(hours=i), 3 + i, service=f"{100 + i % 3}")]
    items.append(ev("governance.decision_made", "dec-1", at(days=1), body="Kaupunginhallitus", title="Päätös"))
    events.write_text("\n".join(json.dumps(e) for e in items) + "\n")
    assert invoke(runner, tmp_path, "import", "events", str(events)).exit_code == 0
    assert invoke(runner, tmp_path, "ingest", "--once").exit_code == 0
    index = SqliteIndex(tmp_path / "data" / "index.sqlite", readonly=True)
    generation = index.generation()
    result = invoke(runner, tmp_path, "bench", "figures", "--runs", "1", "--batches", "2", "--batch-size", "2")
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.output.splitlines() if line.rstrip().endswith("cells")]
    assert [(r[0], r[1], r[2], r[-2]) for r in rows] == [
        ("1", "1", "0", "none"),  # the decision again: the generation moves, no atom is read
        ("1", "2", "2", "feedback"),  # the two newest items (services 102 and 101): two of the three atoms
        ("2", "1", "0", "none"),
        ("2", "2", "2", "feedback"),
    ]
    assert index.generation() == generation  # the batches went to a copy
    index.close()


def test_bench_disclosure_computes_then_reads_each_table(runner, tmp_path):
    events = tmp_path / "events.jsonl"
    items = [e for i in range(7) for e in feedback_item(f"fb-{i}", T0, 3 + i, service=f"{100 + i % 2}")]
    events.write_text("\n".join(json.dumps(e) for e in items) + "\n")
    assert invoke(runner, tmp_path, "import", "events", str(events)).exit_code == 0
    assert invoke(runner, tmp_path, "ingest", "--once").exit_code == 0
    result = invoke(runner, tmp_path, "bench", "disclosure")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert lines[0].split() == ["indicator", "computed", "ms", "stored", "ms", "cells", "small", "withheld"]
    closed = next(line.split() for line in lines if line.startswith("feedback_closed_share"))
    # city, services 100 (4 items) and 101 (3), one area, over a month, its quarter, year and the whole history:
    # 16 cells; both services small in each period, so 8 small and withheld
    assert closed[3:] == ["16", "8", "8"]
    assert lines[-1].startswith("total")


def test_bench_scale_prints_every_figure_and_can_measure_again(runner, tmp_path):
    from api.scale_bench import PATHS

    folder = tmp_path / "scale"
    args = ("bench", "scale", "--events", "1500", "--runs", "1", "--data-dir", str(folder))
    result = invoke(runner, tmp_path, *args)
    assert result.exit_code == 0, result.output
    assert "ingest (log to searchable): 1,500 events" in result.output
    assert "index size on disk: " in result.output and "MiB" in result.output
    for label, path in PATHS:  # every page and API call answered 200 (the child refuses anything else)
        assert any(line.startswith(label) and path in line for line in result.output.splitlines()), label
    assert "peak resident memory of the serving process (VmHWM):" in result.output
    assert "again, protection stored" in result.output and "median, no response cache" in result.output
    again = invoke(runner, tmp_path, *args, "--reuse")
    assert "reusing the data there" in again.output and "ingest (log" not in again.output
    assert "overview cold (fresh app)" in again.output


def test_bench_ingest_prints_the_worker_s_cpu_an_event(runner, tmp_path):
    """The figure that compares two trees on a loaded machine: the worker's process CPU, beside the rate."""
    result = invoke(runner, tmp_path, "bench", "ingest", "--events", "300")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("worker process CPU: "))
    cpu_us = float(line.removeprefix("worker process CPU: ").split(" µs")[0])
    assert 0 < cpu_us < 1_000_000  # some CPU, and per event (not the whole run's seconds in µs)
