"""The ``mittari`` command: the one place where ingest, search, api and publisher meet.

Each package owns its commands; this module assembles them, reads the
settings once and passes them down, and runs the whole demo.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import click

from api.cli import bench_disclosure_cmd, bench_pages_cmd, report_cmd, run_gunicorn, serve_cmd
from ingest.cli import bench_group, forget_cmd, import_group, ingest_cmd, reindex_cmd, retention_cmd
from ingest.demo_data import generate
from ingest.events import TOPICS
from ingest.importer import append_events
from ingest.log import lag, open_log
from ingest.worker import GROUP, Worker
from publisher.cli import publish_cmd
from publisher.publish import publish
from publisher.target import open_target
from search.errors import MittariError
from search.index import open_index
from search.indicators import Indicators
from search.logs import configure
from search.settings import Settings, load_settings


@click.group()
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
    "--until", default=None, help="First day after the demo period, YYYY-MM-DD (default: this month's start)."
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
    end = date.fromisoformat(until) if until else None
    configure("WARNING")  # the progress bars tell the story; logs would drown them
    log = open_log(settings)
    with click.progressbar(
        generate(events, seed=seed, until=end), length=events, label="Generating and logging events"
    ) as stream:
        report = append_events(log, ((f"demo#{i}", e) for i, e in enumerate(stream)))
    click.echo(report.summary())
    index = open_index(settings)
    worker = Worker(log, index, batch_size=settings.batch_size)
    with click.progressbar(length=report.appended, label="Indexing") as bar:
        while (batch := worker.run_once()) is not None:
            bar.update(batch.records)
    click.echo(f"lag after ingest: {lag(log, GROUP, TOPICS)}; index: {index.stats()['documents']}")
    published = publish(Indicators(index, settings), settings, open_target(None, settings))
    click.echo(f"published to {settings.publish_dir}: {published.summary()}")
    index.close()
    log.close()
    if serve:
        configure(settings.log_level)
        click.echo(f"Mittari demo: http://127.0.0.1:{port}/fi/  (sv: /sv/, en: /en/; API docs: /v1/docs; Ctrl-C stops)")
        run_gunicorn(settings, "127.0.0.1", port, workers=2)


bench_group.add_command(bench_pages_cmd)
bench_group.add_command(bench_disclosure_cmd)
for command in (
    import_group,
    ingest_cmd,
    reindex_cmd,
    forget_cmd,
    retention_cmd,
    publish_cmd,
    serve_cmd,
    report_cmd,
    bench_group,
):
    cli.add_command(command)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
