"""Commands that put events in or take them out: ``import``, ``ingest``, ``reindex``, ``forget``, ``retention``."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from types import FrameType

import click

from core.clock import SystemClock
from core.settings import Settings
from ingest.erasure import UNKNOWN_SUBJECT_EXIT, drop_old_raw, forget
from ingest.events import TOPICS
from ingest.jsonl import import_jsonl
from ingest.log import EventLog, open_log
from ingest.open311 import SourceRefused, import_open311
from ingest.worker import GROUP, Worker, batch_size_for
from search.index import open_index


@click.group("import")
def import_group() -> None:
    """Import events into the event log (the worker indexes them)."""


@import_group.command("open311")
@click.argument("source")
@click.option("--source-name", default="open311", show_default=True, help="Source system name; prefixes item ids.")
@click.option("--timezone", default=None, help="Zone for times without an offset (default: MITTARI_TIMEZONE).")
@click.pass_obj
def import_open311_cmd(settings: Settings, source: str, source_name: str, timezone: str | None) -> None:
    """Import an Open311 GeoReport v2 requests file (JSON or XML) or URL."""
    log = open_log(settings)
    try:
        report = import_open311(
            log,
            source,
            source=source_name,
            timezone=timezone or settings.timezone,
            max_bytes=settings.import_max_bytes,
            time_limit=settings.import_time_limit,
        )
    except (SourceRefused, OSError) as exc:  # the source as a whole: nothing was read, nothing appended
        raise click.ClickException(f"cannot import {source}: {exc}") from exc
    finally:
        log.close()
    click.echo(report.summary())


@import_group.command("events")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def import_events_cmd(settings: Settings, path: Path) -> None:
    """Import envelope events from a JSON Lines file."""
    log = open_log(settings)
    try:
        report = import_jsonl(log, path)
    finally:
        log.close()
    click.echo(report.summary())


@click.command("ingest")
@click.option("--once", is_flag=True, help="Process until caught up, then exit.")
@click.pass_obj
def ingest_cmd(settings: Settings, once: bool) -> None:
    """Run the ingest worker: validate, redact, fold and index events, then commit offsets.

    Each run first drops ``raw`` older than MITTARI_RAW_RETENTION_DAYS from the
    embedded log. An embedded index that does not exist yet while the log
    already has committed offsets (the file was deleted) is rebuilt by replaying
    the whole log.
    """
    log = open_log(settings)
    _apply_retention(settings, log)
    _rebuild_if_missing(settings, log)
    index = open_index(settings)
    worker = Worker(log, index, batch_size=batch_size_for(settings, index), checkers=settings.ingest_checkers)

    def stop(signum: int, frame: FrameType | None) -> None:
        worker.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        indexed = worker.run(until_caught_up=once)
    finally:
        index.close()
        log.close()
    click.echo(f"indexed {indexed} events", err=True)
    sys.exit(0)


def _apply_retention(settings: Settings, log: EventLog) -> None:
    dropped = drop_old_raw(log, settings.raw_retention_days, SystemClock())
    if dropped.events or dropped.dead_letters:
        click.echo(
            f"retention: raw dropped from {dropped.events} event(s) and {dropped.dead_letters} dead letter(s)"
            f" older than {settings.raw_retention_days} days",
            err=True,
        )


def _rebuild_if_missing(settings: Settings, log: EventLog) -> None:
    if not settings.search.startswith("sqlite:///") or Path(settings.search.removeprefix("sqlite:///")).exists():
        return
    if any(log.committed(GROUP, TOPICS).values()):
        click.echo(
            f"{settings.search.removeprefix('sqlite:///')} does not exist but the worker's offsets are committed:"
            " replaying the whole log to rebuild it (`mittari reindex` does this without downtime)",
            err=True,
        )
        log.reset(GROUP, TOPICS)


@click.command("forget")
@click.argument("subject_id")
@click.option("--reason", default="erasure request", show_default=True, help="Why (kept with the tombstone).")
@click.pass_obj
def forget_cmd(settings: Settings, subject_id: str, reason: str) -> None:
    """Forget a resident's item: out of the index, its events erased, a tombstone on the deny-list.

    Exit code 0 when something was removed or the item was already forgotten,
    3 when nothing was stored about SUBJECT_ID (it is deny-listed all the same).
    """
    if not subject_id.strip() or subject_id != subject_id.strip():
        raise click.BadParameter("give the item's id exactly, without surrounding spaces", param_hint="SUBJECT_ID")
    log = open_log(settings)
    index = open_index(settings)
    try:
        report = forget(log, index, subject_id, reason, SystemClock())
    finally:
        index.close()
        log.close()
    for line in report.lines():
        click.echo(line)
    sys.exit(UNKNOWN_SUBJECT_EXIT if report.unknown else 0)


@click.command("retention")
@click.pass_obj
def retention_cmd(settings: Settings) -> None:
    """Drop ``raw`` source records older than MITTARI_RAW_RETENTION_DAYS (also done by each `mittari ingest`)."""
    log = open_log(settings)
    try:
        dropped = drop_old_raw(log, settings.raw_retention_days, SystemClock())
    finally:
        log.close()
    click.echo(
        f"raw dropped from {dropped.events} event(s) and {dropped.dead_letters} dead letter(s)"
        f" older than {settings.raw_retention_days} days"
    )
    if settings.event_log.startswith("kafka://"):
        click.echo("Kafka records cannot be rewritten: raw there ages out with each topic's retention.ms")


@click.command("reindex")
@click.option("--drop-old", is_flag=True, help="Delete the previous index version once readers moved.")
@click.pass_obj
def reindex_cmd(settings: Settings, drop_old: bool) -> None:
    """Rebuild the index from the event log and swap it in without downtime (aliases, or a file link)."""
    from ingest.reindex import reindex

    reindex(settings, drop_old=drop_old, echo=click.echo)


@click.group("bench")
def bench_group() -> None:
    """Benchmarks that print figures."""


@bench_group.command("redaction")
@click.option(
    "--dev",
    "dev",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="default: tests/privacy/evaluation/dev.txt",
)
@click.option("--heldout", type=click.Path(dir_okay=False, path_type=Path), default=None, help="default: …/heldout.txt")
@click.option("--runs", default=5, show_default=True, help="timings are the best of this many runs")
@click.option(
    "--scaling", is_flag=True, help="also time each adversarial input at 25,000, 50,000 and 100,000 characters"
)
@click.option(
    "--events", default=0, show_default=True, help="also time the policy's redaction of this many demo events"
)
def bench_redaction_cmd(dev: Path | None, heldout: Path | None, runs: int, scaling: bool, events: int) -> None:
    """Recall per kind and precision on the labelled sets (dev and held-out apart), and timings."""
    from privacy.bench import EVALUATION, bench_events, bench_redaction

    bench_redaction(
        click.echo,
        dev=dev or EVALUATION / "dev.txt",
        heldout=heldout or EVALUATION / "heldout.txt",
        runs=runs,
        scale=scaling,
    )
    if events > 0:
        from datetime import date

        from ingest.demo_data import generate

        bench_events(click.echo, list(generate(events, seed=7, until=date(2026, 1, 1))), runs=runs)


@bench_group.command("ingest")
@click.option("--events", default=200_000, show_default=True)
@click.option(
    "--backend",
    type=click.Choice(["embedded", "kafka-es"]),
    default="embedded",
    show_default=True,
    help="kafka-es uses MITTARI_EVENT_LOG and MITTARI_SEARCH (defaults: the deploy/local servers).",
)
@click.option("--stages", is_flag=True, help="instead: CPU µs an event of each worker step, measured apart (embedded)")
@click.option(
    "--months",
    type=click.IntRange(1, 1200),
    default=24,
    show_default=True,
    help="months of history the events cover: more events over the same months is a bigger city, "
    "more months for proportionally more events a longer history at the same size",
)
@click.pass_obj
def bench_ingest_cmd(settings: Settings, events: int, backend: str, stages: bool, months: int) -> None:
    """End-to-end events/s from the log to searchable documents."""
    from ingest.bench import bench_ingest, bench_stages

    if stages:
        bench_stages(settings, events, echo=click.echo)
        return

    if backend == "kafka-es":
        changes = {}
        if not settings.event_log.startswith("kafka://"):
            changes["event_log"] = "kafka://127.0.0.1:9092"
        if not settings.search.startswith("http"):
            changes["search"] = "http://127.0.0.1:9200"
        settings = settings.with_overrides(**changes)
    bench_ingest(settings, events, backend, echo=click.echo, months=months)
