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
    # glued to letters, "_" or "-" is still a code ("asiakas-131052-308T"): the checksum keeps look-alikes out
    r"(\d(?<![0-9+].)\d)(\d{2})(\d{2}) ?([-+A-FU-Y]|(?<=\d) (?=\d)) ?(\d{3})([0-9A-Y])(?![0-9A-Za-z\-+])",
    re.IGNORECASE,
)

# E-mails are anchored on their separator: "@" or a common obfuscation ("(at)", "[at]", " at ").
# The local part is read backwards from it (letters in any script, digits and . _ % + - ', at most
# 64, RFC 5321); the domain is matched forwards: labels joined by dots (or "dot"/"piste"/"punkt")
# ending in an alphabetic top-level label. Labels and separators share no character.
_SEPARATOR = re.compile(
    # one character class first (the engine skips quickly to it), then which separator it starts;
    # cases spelt out rather than IGNORECASE, which makes the engine fold every character it reads
    r"[@(\[{<aäAÄ](?:(?<=@)|(?<=[(\[{<]) ?(?:[aA][tT]|[äÄ][tT]|[aA]) ?[)\]}>]|(?<= [aäAÄ])[tT](?= ))"
)
_DOT = r"(?:\.| ?[(\[{<] ?(?:dot|piste|punkt) ?[)\]}>] ?| (?:dot|piste|punkt) )"
_DOMAIN = re.compile(rf"(?:(?>[^\W_][\w\-]{{0,62}}){_DOT}){{1,8}}(?>[^\W\d_]{{2,24}})(?![\w\-])", re.IGNORECASE)
_LOCAL_MAX = 64
# Letters in any script, digits and . _ % + - ', one more than allowed so that too long is seen.
_LOCAL_BACKWARDS = re.compile(rf"[\w.%+\-']{{0,{_LOCAL_MAX + 1}}}")

# Phones: a Finnish/Swedish trunk prefix 0, an international +CC or 00CC, optionally glued to
# "puh."/"tel." (the lookbehind lets a letter-and-dot precede). Groups of digits follow,
# separated by at most two of " . - / ( )" each; each group is atomic, so a digit run is never re-split.
_PHONE = re.compile(
    # the first character (the engine skips quickly to these), then the boundary checks before it
    r"[+0(](?<![\w+].)(?<!\d[.,/\- ].)(?<!\d [.,/\-].)"
    # +CC, 00CC, the trunk 0 with up to three more digits, or (0..)
    r"(?:(?<=\+) ?\d{1,3}|(?<=0)0 ?\d{1,3}|(?<=0)\d{0,3}\)?|(?<=\()0\d{0,3}\)?)"
    r"(?:(?>[ .\-/]{0,2}\(?\d{1,5}\)?)){1,7}+"
    r"(?![\w])"
)
_DIGIT_GROUPS = re.compile(r"\d+")
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.(?:\d{2}|\d{4})|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}")

# A date's six digits, a dash and a serial: an identity code without its control character, or a case number.
_CODE_LIKE = re.compile(r"(\d\d)(\d\d)(\d\d)-\d{3,4}")

# Anchored on the first check digit (the engine skips quickly to digits); the country code and the
# word boundary before it are checked by look-behinds, and the match is widened by two in Python.
_IBAN = re.compile(r"\d(?<=[A-Za-z]{2}\d)(?<![A-Za-z0-9]...)\d(?: ?[A-Za-z0-9]){11,34}+")
_COMPACT_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
_IBAN_LENGTHS = {"FI": 18, "SE": 24, "NO": 15, "DK": 18, "DE": 22, "EE": 20, "GB": 22, "FR": 27, "NL": 18, "ES": 24}
# The first n characters of a candidate, spaces between them not counted, for each known length n.
_IBAN_PREFIXES = {
    length: re.compile(rf"[A-Za-z0-9](?: ?[A-Za-z0-9]){{{length - 1}}}") for length in set(_IBAN_LENGTHS.values())
}


def identity_codes(text: str) -> Iterator[tuple[int, int]]:
    for match in _HETU.finditer(text):
        if _valid_hetu(match):
            yield match.start(), match.end()


def emails(text: str) -> Iterator[tuple[int, int]]:
    """E-mails: each separator does bounded work (64 characters back, a bounded domain pattern forwards)."""
    taken = 0
    backwards: str | None = None
    for separator in _SEPARATOR.finditer(text):
        left, right = separator.start(), separator.end()
        if left < taken:
            continue
        if text[left - 1 : left] == " ":
            left -= 1
        if text[right : right + 1] == " ":
            right += 1
        if backwards is None:
            backwards = text[::-1]
        # the local part, read backwards from the separator (a match on the reversed text: no re-reading)
        mirrored = len(text) - left
        local = _LOCAL_BACKWARDS.match(backwards, mirrored)
        length = local.end() - mirrored if local else 0
        if length > _LOCAL_MAX:
            continue
        begin = left - length
        while begin < left and text[begin] in ".'":
            begin += 1
        if begin == left:
            continue
        domain = _DOMAIN.match(text, right)
        if domain is None:
            continue
        value = text[begin : domain.end()]
        if "@" not in value and not _obfuscated_plausibly(value):
            continue
        yield begin, domain.end()
        taken = domain.end()


def phones(text: str) -> Iterator[tuple[int, int]]:
    for match in _PHONE.finditer(text):
        value = match.group(0)
        lengths = [len(group) for group in _DIGIT_GROUPS.findall(value)]  # the pattern holds no other digits
        international = value.lstrip("(").startswith(("+", "00"))
        low, high = (8, 15) if international else (7, 12)
        if not low <= sum(lengths) <= high or max(lengths) < 3:  # "0-0-0-0-0-0-0-0" is no phone
            continue
        if _DATE.fullmatch(value) or _code_like(value):
            continue
        yield match.start(), match.end()


def ibans(text: str) -> Iterator[tuple[int, int]]:
    for match in _IBAN.finditer(text):
        start = match.start() - 2
        candidate = text[start : match.end()]
        # A candidate may run on into following words and numbers: take the longest valid prefix,
        # of the country's length when it is known, else of 15 characters or more.
        expected = _IBAN_LENGTHS.get(candidate[:2].upper())
        if expected is not None:
            prefix = _IBAN_PREFIXES[expected].match(candidate)
            if prefix is not None and is_valid_iban(prefix.group(0)):
                yield start, start + prefix.end()
            continue
        ends = [end for end, char in enumerate(candidate, 1) if char != " "]  # after each compact character
        for end in ends[:13:-1]:  # longest first
            if is_valid_iban(candidate[:end]):
                yield start, start + end
                break


def is_valid_identity_code(code: str) -> bool:
    match = _HETU.fullmatch(code.strip())
    return bool(match and _valid_hetu(match))


def is_valid_iban(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not _COMPACT_IBAN.fullmatch(compact):
        return False
    expected = _IBAN_LENGTHS.get(compact[:2])
    if expected is not None and len(compact) != expected:
        return False
    rearranged = compact[4:] + compact[:4]
    return int(rearranged.translate(_LETTER_VALUES)) % 97 == 1


# ISO 13616: letters count as two-digit numbers, A = 10 ... Z = 35.
_LETTER_VALUES = {ord(letter): str(value) for value, letter in enumerate("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 10)}


def _valid_hetu(match: re.Match[str]) -> bool:
    day, month, year, sign, serial, check = match.groups()
    centuries = [_CENTURY[sign.upper()]] if sign.strip() else [1900, 2000]
    if not any(_is_date(century + int(year), int(month), int(day)) for century in centuries):
        return False
    return _HETU_CHECK[int(day + month + year + serial) % 31] == check.upper()


def _code_like(value: str) -> bool:
    match = _CODE_LIKE.fullmatch(value)
    if match is None:
        return False
    day, month, year = (int(part) for part in match.groups())
    return _is_date(2000 + year, month, day)


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
