"""Checking log records — decode, validate, redact — in the worker or in helper processes beside it.

Checking is most of the worker's CPU and depends on nothing but the record, so it
can run apart: with ``MITTARI_INGEST_CHECKERS`` = N > 0 the worker hands each
polled batch to N forked helper processes and folds and writes the previous
batch meanwhile (SQLite keeps one writer; only checking moves). What comes back
is what the worker would have computed itself — the redacted event and what was
redacted, or the refusal's reason, from the worker's own ``check`` — so the worker's contracts stay as they are:
erasure is decided by the worker when it uses the result (a record of an erased
subject is never sent), dead letters carry the same reasons, offsets are
committed after the index took the batch.
"""

from __future__ import annotations

import multiprocessing
import signal
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

#: one record checked: the redacted event and what was redacted in it, or the reason it is refused
Checked = tuple[dict[str, Any], Counter[str]] | str
#: the worker's check of one record from its topic and bytes (``ingest.worker.check``)
Check = Callable[[str, bytes], Checked]


def check_all(check: Check, records: Sequence[tuple[str, bytes] | None]) -> list[Checked | None]:
    """``check`` over (topic, value) pairs; ``None`` (a record not to be read) stays ``None``."""
    return [None if r is None else check(*r) for r in records]


class Checkers:
    """Helper processes checking batches ahead of the worker (``MITTARI_INGEST_CHECKERS``).

    Forked from the worker, so they start warm (contracts compiled, redaction dictionaries
    loaded) and take no time to import anything; they ignore SIGTERM and SIGINT, which are the
    worker's to handle (it finishes its batch), and leave when the worker closes them.
    """

    def __init__(self, processes: int) -> None:
        self.processes = processes
        methods = multiprocessing.get_all_start_methods()
        context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        self.pool = ProcessPoolExecutor(processes, mp_context=context, initializer=_ignore_signals)
        # start them now, before the worker starts any thread of its own that a fork would copy mid-work
        for future in [self.pool.submit(int) for _ in range(processes)]:
            future.result()

    def submit(self, check: Check, records: Sequence[tuple[str, bytes] | None]) -> list[Future[list[Checked | None]]]:
        """``check`` over ``records`` in the helpers, one slice each, in order (``check`` is sent by name)."""
        size = -(-len(records) // self.processes) or 1
        return [self.pool.submit(check_all, check, records[i : i + size]) for i in range(0, len(records), size)]

    @staticmethod
    def collect(futures: Sequence[Future[list[Checked | None]]]) -> list[Checked | None]:
        """The results of :meth:`submit`, in the records' order (raises what a helper raised)."""
        return [checked for future in futures for checked in future.result()]

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


def _ignore_signals() -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
