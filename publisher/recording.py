"""Recording the history as the index moves: on every new index generation and every new hour.

Used by ``mittari history record --watch`` and ``mittari publish --watch``: a month turns final on the
hour with no event to announce it, and a batch can restate a final month at any time, so both are
looked for at every poll. Recording reads the index and writes only the history (``history/``).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from zoneinfo import ZoneInfo

from core.errors import MittariError
from core.logs import fields
from core.settings import Settings
from figures.indicators import Indicators
from figures.published import Recording, record
from history.store import HistoryStore
from search.index import Index

log = logging.getLogger(__name__)


class Follower:
    """Records when the index generation or the hour (in the city's time zone) moved since the last recording.

    One recording per new generation or hour: a month turns final on the hour, with no event to announce it.
    Failures are logged and retried at the next poll."""

    def __init__(self, indicators: Indicators, history: HistoryStore) -> None:
        self.indicators = indicators
        self.history = history
        self.seen: tuple[str, str] | None = None
        self.recordings = self.failures = 0

    def poll(self) -> Recording | None:
        zone = ZoneInfo(self.indicators.settings.timezone)
        now = (self.indicators.index.generation(), self.indicators.clock.now().astimezone(zone).strftime("%Y%m%d%H"))
        if now == self.seen:
            return None
        try:
            done = record(self.indicators, self.history)
        except MittariError as exc:
            self.failures += 1
            log.error("history recording failed; will retry", extra=fields(error=str(exc)))
            return None
        self.seen = now
        self.recordings += 1
        log.info("history recorded", extra=fields(summary=done.summary()))
        return done


def follow(
    index: Index,
    settings: Settings,
    history: HistoryStore,
    *,
    stop: threading.Event,
    poll: float = 1.0,
    on_record: Callable[[Recording], None] | None = None,
) -> Follower:
    """Record until ``stop`` is set: at start, then on every new generation or hour."""
    follower = Follower(Indicators(index, settings), history)
    while not stop.is_set():
        done = follower.poll()
        if done is not None and on_record is not None:
            on_record(done)
        stop.wait(poll)
    return follower
