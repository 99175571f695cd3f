"""Answers already given, kept per index generation in each worker, so an identical GET is sent again
without searching, computing or serialising.

Why: on the 50,000-event demo an indicator answer costs about 30 ms of CPU (its breakdowns are computed
per request) and a search about 25 ms in SQLite, against well under a millisecond to send stored bytes;
readers ask for the same dozen indicators, pages and popular searches over and over between two ingested
batches. The key is the answer's entity tag (api/http_cache.py), which already names everything the
answer depends on (generation, hour, code version, path, query, language, format), so a stored answer
is exactly what the view would give. When the generation changes, everything stored is dropped at once.

Bounded by the bytes of the stored bodies (``MITTARI_RESPONSE_CACHE_BYTES`` per worker, 0: nothing is
stored), least recently used first; one answer bigger than ``MAX_ENTRY_BYTES`` is never stored. Safe for
gthread workers (one lock).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

#: a bigger answer (a 100-item CSV is about 30 KB) is not worth the room
MAX_ENTRY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Stored:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class ResponseCache:
    def __init__(self, max_bytes: int, max_entry_bytes: int = MAX_ENTRY_BYTES) -> None:
        self.max_bytes, self.max_entry_bytes = max_bytes, max_entry_bytes
        self._entries: OrderedDict[str, Stored] = OrderedDict()
        self._bytes = 0
        self._generation: str | None = None
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, tag: str, generation: str) -> Stored | None:
        with self._lock:
            self._follow(generation)
            found = self._entries.get(tag)
            if found is None:
                self.misses += 1
                return None
            self._entries.move_to_end(tag)
            self.hits += 1
            return found

    def put(self, tag: str, generation: str, stored: Stored) -> None:
        size = len(stored.body)
        if size > min(self.max_entry_bytes, self.max_bytes):
            return
        with self._lock:
            if generation != self._generation:
                return  # computed from a generation a newer request has already replaced
            old = self._entries.pop(tag, None)
            if old is not None:
                self._bytes -= len(old.body)
            self._entries[tag] = stored
            self._bytes += size
            while self._bytes > self.max_bytes and self._entries:
                _, dropped = self._entries.popitem(last=False)
                self._bytes -= len(dropped.body)

    def _follow(self, generation: str) -> None:
        """A new generation makes every stored answer stale: drop them all (the lock is held)."""
        if generation != self._generation:
            self._entries.clear()
            self._bytes = 0
            self._generation = generation

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size(self) -> int:
        return self._bytes
