"""Who records: ``mittari history record``, and the follower that ``--watch`` and ``publish --watch`` run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from core.clock import FixedClock
from figures.indicators import Indicators
from history.store import open_history
from mittari import cli
from publisher.recording import Follower
from tests.builders import T0, feedback_item
from tests.conftest import ingest


def test_history_record_appends_changes_only(runner, tmp_path, log, worker, settings):
    ingest(log, worker, feedback_item("fb-1", T0, 3) + feedback_item("fb-2", T0, 5))
    args = ["--data-dir", str(settings.data_dir), "history", "record"]
    first = runner.invoke(cli, args, catch_exceptions=False)
    assert first.exit_code == 0, first.output
    assert "recorded at" in first.output and " 0 changed" not in first.output
    again = runner.invoke(cli, args, catch_exceptions=False)
    assert ", 0 changed, 0 corrections" in again.output
    store = open_history(settings, readonly=True)
    assert store.latest()[("feedback_response_time_median", "2026-03", "city", "", "")]["suppressed"] is True
    store.close()


def test_the_follower_records_on_a_new_generation_or_a_new_hour(log, worker, index, settings):
    ingest(log, worker, feedback_item("fb-1", T0, 3))
    clock = FixedClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    store = open_history(settings)
    follower = Follower(Indicators(index, settings, clock), store)
    assert follower.poll() is not None  # at start
    clock.advance(60)
    assert follower.poll() is None  # same generation, same hour
    ingest(log, worker, feedback_item("fb-2", T0 + timedelta(days=1), 3))
    clock.advance(60)
    moved = follower.poll()
    assert moved is not None and moved.rows > 0
    clock.advance(3600)
    assert follower.poll() is not None  # a new hour: a month may have turned final
    assert follower.recordings == 3
    store.close()


def test_a_failed_recording_is_retried_not_raised(log, worker, index, settings):
    ingest(log, worker, feedback_item("fb-1", T0, 3))
    clock = FixedClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    store = open_history(settings)
    Follower(Indicators(index, settings, clock), store).poll()
    behind = Follower(Indicators(index, settings, clock), store)  # same clock: not after the last recording
    assert behind.poll() is None
    assert behind.failures == 1
    clock.advance(1)
    assert behind.poll() is not None
    store.close()


def test_publish_watch_records_before_it_publishes(log, worker, index, settings):
    import threading

    from publisher.target import open_target
    from publisher.watch import watch

    ingest(log, worker, feedback_item("fb-1", T0, 3))
    store = open_history(settings)
    stop = threading.Event()
    kept: list[int] = []

    def published(report: object) -> None:
        kept.append(len(store.latest()))  # recorded by the time the first publish is done
        stop.set()

    state = watch(
        index,
        settings,
        open_target(None, settings),
        debounce=0,
        poll=0.01,
        stop=stop,
        on_publish=published,
        history=store,
    )
    assert state.publishes == 1
    assert kept and kept[0] > 0
    store.close()


def test_bench_history_prints_its_figures(runner, log, worker, settings):
    ingest(log, worker, feedback_item("fb-1", T0, 3) + feedback_item("fb-2", T0, 5))
    args = ["--data-dir", str(settings.data_dir)]
    runner.invoke(cli, [*args, "history", "record"], catch_exceptions=False)
    before = open_history(settings, readonly=True)
    position = before.position()
    result = runner.invoke(cli, [*args, "bench", "history", "--runs", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "first recording, fresh read model" in result.output
    assert "recording again, nothing changed" in result.output and "(0 rows)" in result.output
    assert "/v1/corrections?size=100" in result.output
    assert before.position() == position  # the bench records into a scratch history, never this one
    before.close()
