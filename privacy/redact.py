"""Removes personal data from residents' free text before it can reach the index or a published file.

``find`` reports what is there (kind and span in the caller's own string); ``redact`` replaces
each finding by a marker that says what was removed, so readers know something was there:
Finnish identity codes (any century sign, checksum verified), phone numbers (Finnish, Swedish
and international writings), e-mail addresses (non-ASCII and obfuscated too), IBANs (any case
and spacing, check digits verified), personal names (``privacy.names``) and house numbers
of street addresses (the street stays: ``Kivenlahdentie [REDACTED:house-number]``).
All of it runs on a Unicode-normalised copy (``privacy.normalise``) in linear time.
``redact_url`` drops what a URL may carry about a person.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from privacy.addresses import house_numbers
from privacy.findings import Finding, merge
from privacy.identifiers import emails, ibans, identity_codes, is_valid_iban, is_valid_identity_code, phones
from privacy.language import check_available
from privacy.names import names as name_spans
from privacy.normalise import normalise

__all__ = [
    "MARKERS",
    "REDACTION_VERSION",
    "Finding",
    "find",
    "is_valid_iban",
    "is_valid_identity_code",
    "redact",
    "redact_url",
]

# Documents carry the version that redacted them, so an upgraded redactor can reach documents
# indexed before it (1: identifiers only; 2: normalisation, more writings, names, house numbers;
# 3: lower-case and more inflected names, IBANs in any grouping and of every registry country).
REDACTION_VERSION = 3

MARKERS = {
    "identity_code": "[REDACTED:identity-code]",
    "email": "[REDACTED:email]",
    "phone": "[REDACTED:phone]",
    "iban": "[REDACTED:iban]",
    "name": "[REDACTED:name]",
    "address": "[REDACTED:house-number]",
    "url_segment": "[REDACTED]",
}

Finder = Callable[[str], Iterator[tuple[int, int]]]
# Order matters where spans overlap: the earlier finder's finding wins (an e-mail holds a name,
# an IBAN holds digits that look like a phone).
_IDENTIFIERS: tuple[tuple[str, Finder], ...] = (
    ("email", emails),
    ("iban", ibans),
    ("identity_code", identity_codes),
    ("phone", phones),
)
_FREE_TEXT: tuple[tuple[str, Finder], ...] = (("address", house_numbers), ("name", name_spans))
# Finders that need a digit (IBANs, identity codes, phones, house numbers) run only on text that has
# one: most fields (states, titles, short notes) have none, and one cheap search spares four scans.
_DIGIT = re.compile(r"\d")
_NEEDS_DIGITS = frozenset({"iban", "identity_code", "phone", "address"})
# by (names looked for, digits present)
_FINDERS = {
    (names, digits): tuple(
        (kind, finder)
        for kind, finder in _IDENTIFIERS + (_FREE_TEXT if names else ())
        if digits or kind not in _NEEDS_DIGITS
    )
    for names in (False, True)
    for digits in (False, True)
}


# A finding from a (start, end, kind) tuple without a Python-level call (hundreds per long field).
_finding: Callable[[tuple[int, int, str]], Finding] = partial(tuple.__new__, Finding)


def find(text: str, *, names: bool = True) -> list[Finding]:
    """Personal data in ``text``, sorted and non-overlapping, as spans of ``text`` itself.

    ``names=False`` is for fields that carry office-holders' names, public by law: identifiers
    are still found, names and house numbers are not looked for. ``names=True`` needs Voikko and
    raises ``LanguageResourceMissing`` without it (never silently skips names).
    """
    if not text:
        return []
    if names:
        check_available()
    normal, origin = normalise(text)
    digits = _DIGIT.search(normal) is not None
    # Taken spans of the normalised copy, sorted and disjoint: a new one is checked against its two neighbours.
    starts: list[int] = []
    ends: list[int] = []
    kinds: list[str] = []
    for kind, finder in _FINDERS[names, digits]:
        for start, end in finder(normal):
            at = bisect_right(starts, start)
            if (at > 0 and ends[at - 1] > start) or (at < len(starts) and starts[at] < end):
                continue
            starts.insert(at, start)
            ends.insert(at, end)
            kinds.insert(at, kind)
    if not starts:
        return []
    if origin.unchanged:  # nothing was normalised: the spans are the caller's, sorted and disjoint
        return list(map(_finding, zip(starts, ends, kinds, strict=True)))
    begins, finishes = origin.spans(starts, ends)
    # an NFKC expansion can make original spans overlap
    return merge(list(map(_finding, zip(begins, finishes, kinds, strict=True))))


def _no_counts() -> Counter[str]:
    """An empty counter without ``Counter.__init__`` (a Python-level update that costs more than a short
    field's whole redaction); a Counter holds nothing but its dict items."""
    return Counter.__new__(Counter)


def redact(text: str, *, names: bool = True) -> tuple[str, Counter[str]]:
    """The text with personal data replaced by markers, and how many of each kind were removed."""
    if not text:
        return text, _no_counts()
    findings = find(text, names=names)
    if not findings:
        return text, _no_counts()
    pieces: list[str] = []
    position = 0
    for start, end, kind in findings:
        pieces.append(text[position:start])
        pieces.append(MARKERS[kind])
        position = end
    pieces.append(text[position:])
    return "".join(pieces), Counter(finding.kind for finding in findings)


def redact_url(url: str) -> tuple[str, Counter[str]]:
    """The URL without query string, fragment and userinfo; a path segment with personal data becomes a marker.

    Query strings and fragments routinely carry e-mails, names and session tokens and are never
    needed to cite a public page. Segments are checked for identifiers only: a path's capitals
    ("/Kirjasto/Tapiola") say nothing about people, and a slug's name is the page's, not a resident's.
    """
    counts: Counter[str] = Counter()
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        if parts.port is not None:  # raises ValueError on a port out of range
            host = f"{host}:{parts.port}"
    except ValueError:
        counts["url_segment"] += 1
        return MARKERS["url_segment"], counts
    segments = []
    for segment in parts.path.split("/"):
        readable = unquote_plus(segment)  # what a reader of the decoded address would see
        if segment and find(readable, names=False):
            counts["url_segment"] += 1
            segments.append(MARKERS["url_segment"])
        else:
            segments.append(segment)
    if parts.query:
        counts["url_query"] += 1
    return urlunsplit((parts.scheme, host, "/".join(segments), "", "")), counts
