"""Finds identifiers with a fixed shape in normalised text: identity codes, phones, e-mails, IBANs.

Every pattern is linear by construction: each can start only at a token boundary (a
lookbehind), every repetition is bounded or possessive, and repeated items are separated by
characters that cannot belong to the item itself, so the engine never re-splits a run. A
pattern therefore does a bounded amount of work per starting position. Candidates are then
checked in Python (checksum, check digits, digit counts), which keeps the patterns loose
enough for every writing and the findings precise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

_HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
# Century signs: + for the 1800s, - and (since 2023) Y X W V U for the 1900s, A and (since 2023) B-F for the 2000s.
_CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900}
_CENTURY.update({c: 2000 for c in "ABCDEF"})

_HETU = re.compile(
    r"(\d(?<![\w\-+].)\d)(\d{2})(\d{2}) ?([-+A-FU-Y]|(?<=\d) (?=\d)) ?(\d{3})([0-9A-Y])(?![\w\-+])",
    re.IGNORECASE,
)

# Local part: letters in any script, digits and . _ % + -, at most 64 (RFC 5321); the separator
# is @ or a common obfuscation; the domain is labels joined by dots (or "dot"/"piste") ending in
# an alphabetic top-level label. Labels and separators share no character.
_AT = r"(?: ?@ ?| ?[(\[{<] ?(?:at|ät|a) ?[)\]}>] ?| (?:at|ät) )"
_DOT = r"(?:\.| ?[(\[{<] ?(?:dot|piste|punkt) ?[)\]}>] ?| (?:dot|piste|punkt) )"
_EMAIL = re.compile(
    rf"[\w%+\-](?<![\w.%+\-'].)[\w.%+\-']{{0,63}}+{_AT}(?:(?>[^\W_][\w\-]{{0,62}}){_DOT}){{1,8}}(?>[^\W\d_]{{2,24}})(?![\w\-])",
    re.IGNORECASE,
)

_AT_ANCHOR = re.compile(r"@|[aä](?<![^\W\d_].)t(?![^\W\d_])", re.IGNORECASE)

# Phones: a Finnish/Swedish trunk prefix 0, an international +CC or 00CC, optionally glued to
# "puh."/"tel." (the lookbehind lets a letter-and-dot precede). Groups of digits follow,
# separated by at most two of " . - / ( )" each; each group is atomic, so a digit run is never re-split.
_PHONE = re.compile(
    r"(?<![\w+])(?<!\d[.,/\- ])(?<!\d [.,/\-])"
    r"(?:(?:\+|00) ?\d{1,3}|\(?0\d{0,3}\)?)"
    r"(?:(?>[ .\-/]{0,2}\(?\d{1,5}\)?)){1,7}+"
    r"(?![\w])"
)
_DIGIT_GROUPS = re.compile(r"\d+")
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.(?:\d{2}|\d{4})|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}")

# Six digits, a dash and a serial: an identity code without its control character, or a case number.
_CODE_LIKE = re.compile(r"\d{6}-\d{3,4}")

_IBAN = re.compile(r"[A-Za-z](?<![A-Za-z0-9].)[A-Za-z]\d{2}(?: ?[A-Za-z0-9]){11,34}+", re.IGNORECASE)
_IBAN_LENGTHS = {"FI": 18, "SE": 24, "NO": 15, "DK": 18, "DE": 22, "EE": 20, "GB": 22, "FR": 27, "NL": 18, "ES": 24}


def identity_codes(text: str) -> Iterator[tuple[int, int]]:
    for match in _HETU.finditer(text):
        if _valid_hetu(match):
            yield match.start(), match.end()


def emails(text: str) -> Iterator[tuple[int, int]]:
    """E-mails, looked for only in windows around an @ or an obfuscated "at" (merged, so each
    character is scanned at most once more than by the anchor pattern)."""
    for start, end in _windows(text):
        yield from _emails_in(text, start, end)


def _windows(text: str) -> Iterator[tuple[int, int]]:
    current: tuple[int, int] | None = None
    for anchor in _AT_ANCHOR.finditer(text):
        start, end = max(0, anchor.start() - 70), min(len(text), anchor.end() + 600)
        if current is not None and start <= current[1]:
            current = (current[0], end)
            continue
        if current is not None:
            yield current
        current = (start, end)
    if current is not None:
        yield current


def _emails_in(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """A rejected obfuscated candidate ("me at s.okafor") is retried one character on, so it cannot
    hide a real one that overlaps it ("s.okafor [at] example [dot] com"); each try is bounded."""
    position = start
    while (match := _EMAIL.search(text, position, end)) is not None:
        value = match.group(0)
        if "@" not in value and not _obfuscated_plausibly(value):
            position = match.start() + 1
            continue
        yield match.start(), match.end()
        position = match.end()


def phones(text: str) -> Iterator[tuple[int, int]]:
    for match in _PHONE.finditer(text):
        value = match.group(0)
        digits = sum(ch.isdigit() for ch in value)
        international = value.lstrip("(").startswith(("+", "00"))
        low, high = (8, 15) if international else (7, 12)
        if not low <= digits <= high or _DATE.fullmatch(value) or _CODE_LIKE.fullmatch(value):
            continue
        if max(len(group) for group in _DIGIT_GROUPS.findall(value)) < 3:  # "0-0-0-0-0-0-0-0" is no phone
            continue
        yield match.start(), match.end()


def ibans(text: str) -> Iterator[tuple[int, int]]:
    for match in _IBAN.finditer(text):
        candidate = match.group(0)
        # A candidate may run on into following words and numbers: take the longest valid prefix.
        expected = _IBAN_LENGTHS.get(candidate[:2].upper())
        compact = 0
        ends = []
        for end, char in enumerate(candidate, 1):
            if char != " ":
                compact += 1
                if (expected is None and compact >= 15) or compact == expected:
                    ends.append(end)
        for end in reversed(ends):
            if is_valid_iban(candidate[:end]):
                yield match.start(), match.start() + end
                break


def is_valid_identity_code(code: str) -> bool:
    match = _HETU.fullmatch(code.strip())
    return bool(match and _valid_hetu(match))


def is_valid_iban(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        return False
    expected = _IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _valid_hetu(match: re.Match[str]) -> bool:
    day, month, year, sign, serial, check = match.groups()
    centuries = [_CENTURY[sign.upper()]] if sign.strip() else [1900, 2000]
    if not any(_is_date(century + int(year), int(month), int(day)) for century in centuries):
        return False
    return _HETU_CHECK[int(day + month + year + serial) % 31] == check.upper()


def _is_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _obfuscated_plausibly(value: str) -> bool:
    """Without an @, a real top-level label must end it: 'x at y.fi' yes, 'meet at home dot' no."""
    return re.split(r"[.\s)\]}>]", value)[-1].lower() in _TLDS


_TLDS = frozenset(
    [
        "fi",
        "se",
        "com",
        "net",
        "org",
        "eu",
        "ax",
        "no",
        "dk",
        "de",
        "ee",
        "uk",
        "io",
        "info",
        "nu",
        "me",
        "edu",
        "gov",
        "fr",
        "nl",
        "es",
        "it",
        "ru",
        "co",
    ]
)
