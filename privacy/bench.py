"""``mittari bench redaction``: recall per kind and precision on the labelled sets, and timings.

The development set (``dev.txt``) is what the rules were tuned on; the held-out set
(``heldout.txt``) was written first and left unread until tuning was over, so its figures say
how the redactor does on text it was not fitted to. Timings are the best of a few runs, on a
20,000-character field of realistic text and on adversarial 50,000-character inputs that
would take seconds if any pattern backtracked.
"""

from __future__ import annotations

import copy
import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from privacy.enforce import PersonalDataInId, redact_event
from privacy.evaluation import Score, load, score
from privacy.findings import KINDS
from privacy.redact import find, redact

EVALUATION = Path(__file__).resolve().parent.parent / "tests" / "privacy" / "evaluation"

ADVERSARIAL: dict[str, str] = {
    '"a@" * 25000': "a@" * 25000,
    '"1 " * 25000': "1 " * 25000,
    '"+358 " * 10000': "+358 " * 10000,
    '"." * 50000': "." * 50000,
    '"-" * 50000': "-" * 50000,
    '"Matti " * 8334': ("Matti " * 8334)[:50000],
    '"1" * 50000': "1" * 50000,
    '"a." * 25000': "a." * 25000,
    '"x at " * 10000': "x at " * 10000,
    '"a.b at c.d " * 4546': ("a.b at c.d " * 4546)[:50000],
    '"a" * 50000': "a" * 50000,
    '"FI12 " * 10000': "FI12 " * 10000,
    '"Abc-" * 12500': "Abc-" * 12500,
    '"0" + "-0" * 24999': "0" + "-0" * 24999,
    '"Tie 1 A " * 6250': "Tie 1 A " * 6250,
}


def realistic_field(length: int = 20_000, path: Path = EVALUATION / "dev.txt") -> str:
    """Sentences of the development set joined until ``length`` characters: a long resident's text."""
    texts = [sample.text for sample in load(path)]
    field = ""
    while len(field) < length:
        field += " ".join(texts)
    return field[:length]


def best_of(runs: int, text: str) -> tuple[float, float]:
    """Fastest of ``runs`` redactions of ``text``: wall-clock and this process's CPU time, in ms.

    On a shared machine the wall clock includes waiting for a core; CPU time does not.
    """
    wall = cpu = float("inf")
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        redact(text)
        wall = min(wall, time.perf_counter() - start)
        cpu = min(cpu, time.process_time() - start_cpu)
    return wall * 1000, cpu * 1000


def report(name: str, result: Score, echo: Callable[[str], None]) -> None:
    echo(f"{name}:")
    for kind in KINDS:
        recall = result.recall(kind)
        shown = "—" if recall is None else f"{recall:6.1%}"
        echo(f"  recall {kind:<14} {shown:>7}  ({result.caught[kind]}/{result.marked[kind]})")
    precision = result.precision
    shown = "—" if precision is None else f"{precision:6.1%}"
    echo(
        f"  precision              {shown:>7}  ({result.findings - result.false_positives}/{result.findings} findings)"
    )


def scaling(echo: Callable[[str], None], runs: int) -> None:
    """CPU time at 25,000, 50,000 and 100,000 characters of each adversarial input: linear time doubles."""
    echo(f"scaling (CPU ms, best of {runs}, at 25,000 / 50,000 / 100,000 characters):")
    for label, text in ADVERSARIAL.items():
        unit = text[: max(1, len(text) // 1000)]
        figures = []
        for length in (25_000, 50_000, 100_000):
            sample = (unit * (length // len(unit) + 1))[:length]
            figures.append(f"{best_of(runs, sample)[1]:.1f}")
        echo(f"  {label:<22} {' / '.join(figures)}")


def bench_redaction(
    echo: Callable[[str], None], *, dev: Path, heldout: Path | None, runs: int = 5, scale: bool = False
) -> None:
    for name, path in (("dev", dev), ("held-out", heldout)):
        if path is None:
            continue
        if not path.exists():
            echo(f"{name}: {path} not found")
            continue
        samples = load(path)
        echo(f"{name} ({path.name}, {len(samples)} lines)")
        report(name, score(samples, find), echo)
    field = realistic_field(path=dev)
    echo(f"timing (best of {runs}; wall clock / CPU):")
    wall, cpu = best_of(runs, field)
    echo(f"  realistic field, {len(field):,} characters: {wall:.1f} / {cpu:.1f} ms")
    for label, text in ADVERSARIAL.items():
        wall, cpu = best_of(runs, text)
        echo(f"  adversarial {label:<20} {len(text):,} characters: {wall:.1f} / {cpu:.1f} ms")
    if scale:
        scaling(echo, runs)


def bench_events(echo: Callable[[str], None], events: list[dict[str, Any]], runs: int) -> None:
    """CPU time of the publication policy's redaction (``redact_event``) over ``events``, best of ``runs``.

    What the worker spends on privacy per event: demo events are mostly short fields (states, codes,
    titles, a sentence or two), so this measures the per-field cost rather than long-text speed.
    """
    best = float("inf")
    counts: Counter[str] = Counter()
    for _ in range(runs):
        batch = copy.deepcopy(events)
        counts = Counter()
        start = time.process_time()
        for event in batch:
            try:
                redact_event(event, counts)
            except PersonalDataInId:
                counts["refused"] += 1
        best = min(best, time.process_time() - start)
    per_event = best / max(1, len(events)) * 1e6
    found = ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items()))
    echo(
        f"policy redaction of {len(events):,} demo events: {best:.2f} s CPU ({per_event:.0f} µs an event; {found}; "
        f"SHA-256 of the redacted events {redacted_digest(events)[:16]})"
    )


def redacted_digest(events: list[dict[str, Any]]) -> str:
    """SHA-256 over each event as redacted (its JSON) with what was removed from it, or the refusal's reason.

    Two versions of the redactor with the same digest redact these events byte for byte alike: what a change
    meant to make redaction only faster is checked by running both on the same events.
    """
    digest = hashlib.sha256()
    for event in copy.deepcopy(events):
        counts: Counter[str] = Counter()
        line: list[Any]
        try:
            redact_event(event, counts)
            line = [event, sorted(counts.items())]
        except PersonalDataInId as refused:
            line = ["refused", str(refused)]
        digest.update(json.dumps(line, ensure_ascii=False, sort_keys=True, default=str).encode() + b"\n")
    return digest.hexdigest()
