"""What the redactor reports: a kind of personal data and where it stands in the original text."""

from __future__ import annotations

from itertools import pairwise
from typing import NamedTuple

KINDS = ("identity_code", "phone", "email", "iban", "name", "address")


class Finding(NamedTuple):
    """A span ``text[start:end]`` of the caller's own string (not the normalised copy) holding ``kind``.

    A named tuple rather than a frozen dataclass: a long field yields hundreds, and a tuple is
    several times cheaper to make; it is immutable and orders by start, end and kind alike.

    For ``address`` the span is only the house-number part after the street name: the street
    itself stays, so the location remains useful while the home does not.
    """

    start: int
    end: int
    kind: str


def merge(findings: list[Finding]) -> list[Finding]:
    """Findings sorted, and overlapping ones joined into one (of the earlier's kind), so markers never nest.

    Joining rather than dropping the later one: a dropped finding's characters beyond the
    overlap would be published.
    """
    if all(earlier.end <= later.start for earlier, later in pairwise(findings)):
        return findings  # already sorted and disjoint (the usual case)
    result: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if result and finding.start < result[-1].end:
            if finding.end > result[-1].end:
                result[-1] = result[-1]._replace(end=finding.end)
            continue
        result.append(finding)
    return result
