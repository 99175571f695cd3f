"""``mittari publish --watch``: publish when ingestion has changed the index, once per burst.

The index's generation changes with every write the ingest worker makes. The
watcher polls it; after a change it waits until the index has been quiet for
``MITTARI_PUBLISH_DEBOUNCE`` seconds (or until ``max_wait`` has passed since the
first unpublished change, so a steady stream still gets published) and then
publishes once. Targets skip datasets whose content did not change, so a burst
that moved no indicator leaves the portal untouched.

The publisher reads the index, never the event log: ``publisher`` depends on
``search`` only, and the watcher can run beside any number of ingest workers.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from core.errors import MittariError
from core.logs import fields
from core.settings import Settings
from figures.indicators import Indicators
from history.store import HistoryStore
from publisher.publish import publish
from publisher.recording import Follower
from publisher.target import PublishReport, Target
from search.index import Index

log = logging.getLogger(__name__)


@dataclass
class WatchState:
    published_generation: str | None = None
    publishes: int = 0
    failures: int = 0


class Debouncer:
    """Decides when to publish, from the index generations it is shown and the time; no I/O.

    Due when something changed since the last publish and the index has been quiet
    for ``debounce`` seconds, or ``max_wait`` has passed since the first change.
    """

    def __init__(self, debounce: float, max_wait: float, now: float) -> None:
        self.debounce = debounce
        self.max_wait = max_wait
        self.seen: str | None = None
        self.first_change: float | None = now  # due at start: the target may be behind
        self.last_change = now - debounce

    def observe(self, generation: str, now: float) -> bool:
        if generation != self.seen:
            if self.seen is not None:
                self.last_change = now
                if self.first_change is None:
                    self.first_change = now
            self.seen = generation
        if self.first_change is None:
            return False
        return now - self.last_change >= self.debounce or now - self.first_change >= self.max_wait

    def published(self) -> None:
        self.first_change = None

    def failed(self, now: float) -> None:
        """Wait a quiet period again before the next attempt."""
        self.last_change = now


def watch(
    index: Index,
    settings: Settings,
    target: Target,
    *,
    debounce: float,
    max_wait: float | None = None,
    poll: float = 1.0,
    stop: threading.Event | None = None,
    on_publish: Callable[[PublishReport], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    history: HistoryStore | None = None,
) -> WatchState:
    """Run until ``stop`` is set. Publishes at start, then once after each quiet burst of changes.

    With a ``history``, every generation it sees (and every new hour) is recorded there first
    (publisher/recording.py), debounced or not: a value published for a minute was still published."""
    stop = stop or threading.Event()
    indicators = Indicators(index, settings)
    follower = Follower(indicators, history) if history is not None else None
    state = WatchState()
    debouncer = Debouncer(debounce, max_wait if max_wait is not None else max(10 * debounce, 60.0), clock())
    while not stop.is_set():
        if follower is not None:
            follower.poll()
        generation = index.generation()
        if debouncer.observe(generation, clock()):
            if follower is not None:
                follower.poll()  # a batch that landed since the poll above is recorded before it is published
            try:
                report = publish(indicators, settings, target, history)
            except MittariError as exc:
                state.failures += 1
                debouncer.failed(clock())
                log.error("publish failed; will retry", extra=fields(generation=generation, error=str(exc)))
            else:
                debouncer.published()
                state.publishes += 1
                state.published_generation = generation
                log.info("watch published", extra=fields(generation=generation, summary=report.summary()))
                if on_publish is not None:
                    on_publish(report)
        stop.wait(poll)
    return state
