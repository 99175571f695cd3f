"""``mittari publish``: write the indicator datasets to a target, once or whenever the index changes."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click

from core.errors import MittariError
from core.settings import Settings
from figures.indicators import Indicators
from figures.published import record
from history.store import open_history
from publisher.publish import publish
from publisher.target import open_target
from publisher.watch import watch
from search.index import open_index


@click.command("publish")
@click.option(
    "--target",
    "target_spec",
    default=None,
    help="A folder (default: MITTARI_PUBLISH_DIR) or `ckan` (MITTARI_CKAN_URL, _TOKEN, _ORG).",
)
@click.option("--watch", "follow", is_flag=True, help="Keep running; publish after each burst of ingested changes.")
@click.option(
    "--debounce",
    type=float,
    default=None,
    help="With --watch: quiet seconds before publishing (default: MITTARI_PUBLISH_DEBOUNCE).",
)
@click.pass_obj
def publish_cmd(settings: Settings, target_spec: str | None, follow: bool, debounce: float | None) -> None:
    """Publish every indicator as an open dataset: CSV, data dictionary and DCAT-AP metadata.

    A folder gets CSV files, datapackage.json and catalog.jsonld; a CKAN portal gets one
    dataset per indicator with a CSV resource and a DataStore table. Unchanged data
    changes nothing at the target. For a schedule, run it from cron or a systemd timer
    (deploy/systemd/mittari-publish.timer). What is published is recorded in the history first
    (``mittari history record``), so every value ever published stays answerable with ``as_of``.
    """
    try:
        target = open_target(target_spec, settings)
        index = open_index(settings, readonly=True)
        history = open_history(settings)
    except MittariError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        if follow:
            stop = threading.Event()

            def _stop(signum: int, frame: FrameType | None) -> None:
                stop.set()

            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
            state = watch(
                index, settings, target, debounce=debounce or settings.publish_debounce, stop=stop, history=history
            )
            click.echo(f"stopped after {state.publishes} publishes ({state.failures} failed attempts)")
        else:
            indicators = Indicators(index, settings)
            recording = record(indicators, history)
            report = publish(indicators, settings, target, history)
            click.echo(report.summary())
            click.echo(f"history: {recording.summary()}")
    except MittariError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        history.close()
        index.close()
