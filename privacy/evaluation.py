"""Scores the redactor against a labelled evaluation set (``tests/privacy/evaluation/*.txt``).

Line format ``LANG<TAB>TEXT`` with marks ``[[KIND:text]]``; ``#`` starts a comment. A marked
span is caught when the findings cover all its letters and digits (whatever kind they say);
a finding that overlaps no marked span is a false positive, so any finding in an unmarked
look-alike line is one.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from privacy.findings import KINDS, Finding

_MARK = re.compile(r"\[\[([a-z_]+):(.*?)\]\]")


@dataclass(frozen=True)
class Sample:
    lang: str
    text: str
    marks: tuple[tuple[str, int, int], ...]  # kind, start, end in text


@dataclass
class Score:
    marked: Counter[str] = field(default_factory=Counter)
    caught: Counter[str] = field(default_factory=Counter)
    findings: int = 0
    false_positives: int = 0
    missed: list[tuple[str, str]] = field(default_factory=list)
    spurious: list[str] = field(default_factory=list)

    def recall(self, kind: str) -> float | None:
        return self.caught[kind] / self.marked[kind] if self.marked[kind] else None

    @property
    def precision(self) -> float | None:
        return (self.findings - self.false_positives) / self.findings if self.findings else None


def parse(lines: Iterable[str]) -> list[Sample]:
    samples = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#") or "\t" not in line:
            continue
        lang, raw = line.split("\t", 1)
        text: list[str] = []
        marks = []
        position = 0
        length = 0
        for match in _MARK.finditer(raw):
            kind, inner = match.group(1), match.group(2)
            before = raw[position : match.start()]
            text.append(before)
            length += len(before)
            if kind in KINDS:
                marks.append((kind, length, length + len(inner)))
            text.append(inner)
            length += len(inner)
            position = match.end()
        text.append(raw[position:])
        samples.append(Sample(lang, "".join(text), tuple(marks)))
    return samples


def load(path: Path) -> list[Sample]:
    return parse(path.read_text(encoding="utf-8").splitlines())


def score(samples: Iterable[Sample], find: Callable[[str], list[Finding]]) -> Score:
    result = Score()
    for sample in samples:
        findings = find(sample.text)
        covered = [False] * len(sample.text)
        for finding in findings:
            for i in range(finding.start, finding.end):
                covered[i] = True
        for kind, start, end in sample.marks:
            result.marked[kind] += 1
            if all(covered[i] for i in range(start, end) if sample.text[i].isalnum()):
                result.caught[kind] += 1
            else:
                result.missed.append((kind, sample.text))
        for finding in findings:
            result.findings += 1
            if not any(finding.start < end and start < finding.end for _, start, end in sample.marks):
                result.false_positives += 1
                result.spurious.append(f"{finding.kind}: {sample.text[finding.start : finding.end]!r} in {sample.text}")
    return result
