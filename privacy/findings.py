"""What the redactor reports: a kind of personal data and where it stands in the original text."""

from __future__ import annotations

from dataclasses import dataclass

KINDS = ("identity_code", "phone", "email", "iban", "name", "address")


@dataclass(frozen=True, order=True)
class Finding:
    """A span ``text[start:end]`` of the caller's own string (not the normalised copy) holding ``kind``.

    For ``address`` the span is only the house-number part after the street name: the street
    itself stays, so the location remains useful while the home does not.
    """

    start: int
    end: int
    kind: str


def merge(findings: list[Finding]) -> list[Finding]:
    """Findings sorted, overlaps resolved in favour of the earlier (then longer) one, so markers never nest."""
    result: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.start, -f.end)):
        if result and finding.start < result[-1].end:
            continue
        result.append(finding)
    return result
