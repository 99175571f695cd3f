"""``mittari history record [--watch]``: append what changed in the published values to the history.

Who records: this command (once, or on every new index generation and every new hour, since a month
turns final with time alone: publisher/recording.py), ``mittari publish`` (before it publishes, so what
is published is kept), ``mittari publish --watch`` (on every generation it sees) and ``mittari demo``.
Recording reads the index and writes only the history; it never touches the event log, so it runs
beside any number of ingest workers. Lazy in ``mittari.py``: the ingest commands do not load it.
"""

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
from publisher.recording import follow
from search.index import open_index


@click.group("history")
def history_group() -> None:
    """The history of published values: every value ever published, and its corrections."""


@history_group.command("record")
@click.option("--watch", "watching", is_flag=True, help="Keep running; record on every new index generation or hour.")
@click.option("--poll", type=float, default=1.0, show_default=True, help="With --watch: seconds between looks.")
@click.pass_obj
def record_cmd(settings: Settings, watching: bool, poll: float) -> None:
    """Append every published cell that changed since the last recording, and the corrections of final values."""
    try:
        index = open_index(settings, readonly=True)
        history = open_history(settings)
    except MittariError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        if watching:
            stop = threading.Event()

            def _stop(signum: int, frame: FrameType | None) -> None:
                stop.set()

            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
            follower = follow(
                index, settings, history, stop=stop, poll=poll, on_record=lambda d: click.echo(d.summary())
            )
            click.echo(f"stopped after {follower.recordings} recordings ({follower.failures} failed attempts)")
        else:
            click.echo(record(Indicators(index, settings), history).summary())
    except MittariError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        history.close()
        index.close()
