"""The ``mittari`` command: the one place where ingest, search, api and publisher meet.

Each package owns its commands; this module assembles them, reads the
settings once and passes them down, and runs the whole demo.
"""

from __future__ import annotations

import importlib
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import click

from core.clock import FixedClock, SystemClock
from core.errors import MittariError
from core.logs import configure
from core.settings import Settings, load_settings
from figures.audit import cells_group
from figures.indicators import Indicators
from figures.published import record
from history.store import open_history
from ingest.cli import bench_group, forget_cmd, import_group, ingest_cmd, reindex_cmd, retention_cmd
from ingest.demo_data import generate
from ingest.demo_past import past_moments, phases
from ingest.events import TOPICS
from ingest.importer import ImportReport, append_events
from ingest.log import lag, open_log
from ingest.worker import GROUP, Worker, batch_size_for
from publisher.cli import publish_cmd
from publisher.publish import publish
from publisher.target import open_target
from search.index import open_index


class LazyGroup(click.Group):
    """A command group that imports a command's module only when that command runs (or help lists it).

    ``mittari ingest`` on a worker host must not load the web stack (Flask, its extensions and
    templates): the API's commands are named here as ``"module:attribute"`` and imported on use.
    """

    def __init__(self, *args: Any, lazy_commands: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy_commands = dict(lazy_commands or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy_commands and cmd_name not in self.commands:
            module, attribute = self.lazy_commands[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=LazyGroup,
    lazy_commands={
        "serve": "api.cli:serve_cmd",
        "report": "api.cli:report_cmd",
        "history": "publisher.history_cli:history_group",
    },
)
@click.option("--data-dir", type=click.Path(file_okay=False), default=None, help="Overrides MITTARI_DATA_DIR.")
@click.version_option(package_name="mittari")
@click.pass_context
def cli(ctx: click.Context, data_dir: str | None) -> None:
    """Mittari: open, verifiable figures on how a city serves its residents."""
    try:
        settings = load_settings(data_dir=data_dir)
    except MittariError as exc:
        raise click.UsageError(str(exc)) from exc
    configure(settings.log_level)
    ctx.obj = settings


@cli.command("demo")
@click.option("--events", default=50_000, show_default=True, help="How many events to generate.")
@click.option("--seed", default=2026, show_default=True, help="The same seed gives the same city.")
@click.option(
    "--until",
    default=None,
    help="Where the demo's events stop, YYYY-MM-DD (default: today, so the served clock and the data agree).",
)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option(
    "--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None, help="Default: DATA_DIR/demo."
)
@click.option("--serve/--no-serve", default=True, show_default=True, help="Serve the API when ready.")
@click.pass_obj
def demo_cmd(
    settings: Settings, events: int, seed: int, until: str | None, port: int, data_dir: Path | None, serve: bool
) -> None:
    """Generate a demo city, ingest and publish it, and serve the API on 127.0.0.1."""
    folder = data_dir or settings.data_dir / "demo"
    if folder.exists():
        shutil.rmtree(folder)  # the demo folder is the demo's own: start from nothing each time
    settings = settings.with_overrides(data_dir=folder, base_url=f"http://127.0.0.1:{port}")
    # Today, not the month's start: served with the real clock, a city whose events stopped on the 1st would
    # show last month as final (figures/provisional.py) although its items were cut off before they could finish.
    end = date.fromisoformat(until) if until else date.today()
    configure("WARNING")  # the progress bars tell the story; logs would drown them
    with click.progressbar(generate(events, seed=seed, until=end), length=events, label="Generating events") as stream:
        made = list(stream)
    log = open_log(settings)
    index = open_index(settings)
    worker = Worker(log, index, batch_size=batch_size_for(settings, index), checkers=settings.ingest_checkers)
    history = open_history(settings)
    report = ImportReport()
    # The city's past: each phase is logged and indexed, then recorded at its moment (ingest/demo_past.py),
    # so the history has earlier values and the corrections that late survey answers made.
    moments = past_moments(end, SystemClock().now(), settings.timezone)
    recordings = []
    with click.progressbar(length=len(made), label="Logging, indexing and recording the past") as bar:
        for moment, phase in phases(made, moments, settings.timezone):
            append_events(log, ((f"demo#{i}", e) for i, e in phase), report)
            while (batch := worker.run_once()) is not None:
                bar.update(batch.records)
            clock = FixedClock(moment) if moment is not None else SystemClock()
            recordings.append(record(Indicators(index, settings, clock), history))
    click.echo(report.summary())
    click.echo(f"lag after ingest: {lag(log, GROUP, TOPICS)}; index: {index.stats()['documents']}")
    for done in recordings:
        click.echo(f"history: {done.summary()}")
    indicators = Indicators(index, settings)
    published = publish(indicators, settings, open_target(None, settings), history)
    history.close()
    click.echo(f"published to {settings.publish_dir}: {published.summary()}")
    index.close()
    log.close()
    if serve:
        configure(settings.log_level)
        click.echo(f"Mittari demo: http://127.0.0.1:{port}/fi/  (sv: /sv/, en: /en/; API docs: /v1/docs; Ctrl-C stops)")
        from api.cli import run_gunicorn

        run_gunicorn(settings, "127.0.0.1", port, workers=2)


@click.command("scale")
@click.option("--events", default=1_000_000, show_default=True, help="Demo events to generate and ingest.")
@click.option(
    "--data-dir",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the log and index go (default: DATA_DIR/bench-scale; emptied first unless --reuse).",
)
@click.option("--reuse", is_flag=True, help="Measure the data already in --data-dir instead of generating it.")
@click.option("--runs", default=20, show_default=True, help="Warm requests per page or API call.")
@click.pass_obj
def bench_scale_cmd(settings: Settings, events: int, folder: Path | None, reuse: bool, runs: int) -> None:
    """Ingest rate, index size, page and API times and a serving worker's peak memory at N events (issue 11)."""
    from api.scale_bench import index_size_mb, measure_serving
    from ingest.bench import fill

    folder = folder or settings.data_dir / "bench-scale"
    settings = settings.with_overrides(data_dir=folder)
    configure("WARNING")
    click.echo(f"data: {folder} ({settings.event_log}; {settings.search})")
    if reuse:
        click.echo("reusing the data there: no ingest figures")
    else:
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        fill(settings, events, click.echo)
    index = open_index(settings, readonly=True)
    documents = index.stats()["documents"]
    index.close()
    size = index_size_mb(settings)
    click.echo(f"documents: {sum(documents.values()):,} {documents}")
    click.echo(f"index size on disk: {f'{size:,.1f} MiB' if size is not None else 'n/a (not embedded)'}")
    figures = measure_serving(settings, runs)
    click.echo(f"server time through the Flask test client (no network), {runs} warm runs per path:")
    head = f"{'first ms':>9} {'median ms':>10} {'p95 ms':>8} {'median, no response cache':>26}"
    click.echo(f"{'':36} {'path':66} {head}")
    click.echo(f"{'overview cold (fresh app)':36} {'/fi/':66} {figures['cold']:9.1f}")
    click.echo(f"{'  again, protection stored':36} {'/fi/':66} {figures['cold_stored']:9.1f}")
    for row in figures["rows"]:
        times = f"{row['first']:9.1f} {row['median']:10.1f} {row['p95']:8.1f} {row['uncached_median']:26.1f}"
        click.echo(f"{row['label']:36} {row['path']:66} {times}")
    click.echo(f"peak resident memory of the serving process (VmHWM): {figures['peak_rss_mb']:,.0f} MiB")


bench = LazyGroup(
    "bench",
    help=bench_group.help,
    commands={**bench_group.commands, "scale": bench_scale_cmd},
    lazy_commands={
        "pages": "api.cli:bench_pages_cmd",
        "disclosure": "api.cli:bench_disclosure_cmd",
        "api": "api.cli:bench_api_cmd",
        "figures": "api.cli:bench_figures_cmd",
        "history": "api.history_bench:bench_history_cmd",
    },
)
for command in (
    import_group,
    ingest_cmd,
    reindex_cmd,
    forget_cmd,
    retention_cmd,
    publish_cmd,
    bench,
    cells_group,
):
    cli.add_command(command)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
