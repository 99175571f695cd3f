"""Results kept across index generations, under the content they are a pure function of.

A cell's value and n are computed from its atoms' summaries (search/cells.py) and the moment of computing
(:class:`figures.indicators.Context`) by its indicator's ``compute``. The summaries are named by their
digests (each a SHA-256 of an atom's items, which also fix the atom's month, service and area), so a key
made of the indicator, the digests and the moment fixes the result whatever generation asked: a batch that
changes one month leaves every other month's cells as they were. Each index generation used to compute
everything again (issue 11: a live ingest moves the generation every batch, and every serving process paid
for all of it); now only what rests on items that moved is computed again. (Indicators' tables are kept the
same way, one per indicator, in figures/indicators.py, under :func:`digests_key` of their atoms.)

A result is kept only under a key; a caller without one (summaries stored before digests existed) computes
each time. Bounded (least recently used go first) and shared by a process's threads; two threads missing
the same key at once both compute it, and the results are equal. A digest names an atom's items, not the
format its summary is stored in: the reader's keys also hold its snapshot's epoch, which moves when a read
keeps nothing of a type (a rebuild for a new summary format or time zone, a reindex; figures/indicators.py).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class ContentMemo(Generic[T]):
    """``key → result``, least recently used dropped beyond ``size``; callers must not change a result."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable | None, compute: Callable[[], T]) -> T:
        """The result kept under ``key``, or ``compute()``'d and kept; ``key`` None: computed, not kept."""
        if key is None:
            return compute()
        with self._lock:
            if key in self._kept:
                self._kept.move_to_end(key)
                return self._kept[key]
        result = compute()
        with self._lock:
            self._kept[key] = result
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return result

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._kept)


def digests_key(summaries: Iterable[Any]) -> str | None:
    """One SHA-256 over the summaries' digests, sorted (their order does not matter); None when any has none."""
    digests = []
    for summary in summaries:
        digest = summary.get("digest")
        if digest is None:
            return None
        digests.append(str(digest))
    return hashlib.sha256("\n".join(sorted(digests)).encode("ascii")).hexdigest()
