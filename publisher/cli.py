"""``mittari publish``: write the indicator datasets to a target."""

from __future__ import annotations

import click

from publisher.publish import publish
from publisher.target import open_target
from search.index import open_index
from search.indicators import Indicators
from search.settings import Settings


@click.command("publish")
@click.option("--target", "target_spec", default=None, help="A folder (default: MITTARI_PUBLISH_DIR).")
@click.pass_obj
def publish_cmd(settings: Settings, target_spec: str | None) -> None:
    """Publish every indicator as an open dataset (CSV, datapackage.json, DCAT-AP catalog)."""
    index = open_index(settings, readonly=True)
    try:
        report = publish(Indicators(index, settings), settings, open_target(target_spec, settings))
    finally:
        index.close()
    click.echo(report.summary())
