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
from collections.abc import Callable, Iterator
from datetime import date
from functools import lru_cache

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
# separated by at most three of " . - / ( )" each ("040 - 123 4567"); each group is atomic, so a digit run is
# never re-split.
_PHONE = re.compile(
    # the first character (the engine skips quickly to these), then the boundary checks before it
    r"[+0(](?<![\w+].)(?<!\d[.,/\- ].)(?<!\d [.,/\-].)"
    # +CC, 00CC, the trunk 0 with up to three more digits, or (0..)
    r"(?:(?<=\+) ?\d{1,3}|(?<=0)0 ?\d{1,3}|(?<=0)\d{0,3}\)?|(?<=\()0\d{0,3}\)?)"
    r"(?:(?>[ .\-/]{0,3}\(?\d{1,5}\)?)){1,7}+"
    r"(?![\w])"
)
_DIGIT_GROUPS = re.compile(r"\d+")
_LIST_SEPARATOR = re.compile(r" [/\-] ")  # between two numbers of a list; within a number, separators are shorter
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.(?:\d{2}|\d{4})|\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{2,4}")

# A date's six digits, a dash and a serial: an identity code without its control character, or a case number.
_CODE_LIKE = re.compile(r"(\d\d)(\d\d)(\d\d)-\d{3,4}")

# Anchored on the first check digit (the engine skips quickly to digits); the country code (glued
# or followed by a space: "FI21", "fi21", "FI 21") and the word boundary before it are checked by
# look-behinds, and the match is widened back to the country code in Python. Any grouping: one or
# two spaces or a dash between any two characters ("FI21 1234 5600", "FI21-1234-5600", "FI21  1234").
_IBAN_SEPARATOR = r"[ \-]{0,2}"
_IBAN = re.compile(
    r"\d(?:(?<=[A-Za-z]{2}\d)(?<![A-Za-z0-9]...)|(?<=[A-Za-z]{2} \d)(?<![A-Za-z0-9]....))"
    rf"\d(?:{_IBAN_SEPARATOR}[A-Za-z0-9]){{11,34}}+"
)
_COMPACT_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}")
# The length of each country's IBAN (ISO 13616 registry): a candidate with another country code is no IBAN.
_IBAN_LENGTHS = {
    **{country: 15 for country in ["NO"]},
    **{country: 16 for country in ["BE"]},
    **{country: 18 for country in ["DK", "FI", "FO", "GL", "NL"]},
    **{country: 19 for country in ["MK", "SI"]},
    **{country: 20 for country in ["AT", "BA", "EE", "KZ", "LT", "LU", "XK"]},
    **{country: 21 for country in ["CH", "HR", "LI", "LV"]},
    **{country: 22 for country in ["BG", "BH", "CR", "DE", "GB", "GE", "IE", "ME", "RS", "VA"]},
    **{country: 23 for country in ["AE", "GI", "IL", "IQ", "TL"]},
    **{country: 24 for country in ["AD", "CZ", "ES", "MD", "PK", "RO", "SA", "SE", "SK", "TN", "VG"]},
    **{country: 25 for country in ["PT", "ST"]},
    **{country: 26 for country in ["IS", "TR"]},
    **{country: 27 for country in ["FR", "GR", "IT", "MC", "MR", "SM"]},
    **{country: 28 for country in ["AL", "AZ", "BY", "CY", "DO", "GT", "HU", "LB", "PL", "SV"]},
    **{country: 29 for country in ["BR", "EG", "PS", "QA", "UA"]},
    **{country: 30 for country in ["JO", "KW", "MU"]},
    **{country: 31 for country in ["MT", "SC"]},
    **{country: 32 for country in ["LC"]},
}
# The first n characters of a candidate, spaces between them not counted, for each known length n.
_IBAN_PREFIXES = {
    length: re.compile(rf"[A-Za-z0-9](?:{_IBAN_SEPARATOR}[A-Za-z0-9]){{{length - 1}}}")
    for length in set(_IBAN_LENGTHS.values())
}


# What each identifier needs at the least, read off the patterns and checks below: an identity code
# six digits of date and three of serial; a phone seven digits (eight in international form); an IBAN
# two letters glued (or one space) to two check digits and at least fifteen characters in all; an
# e-mail an "@", an opening bracket or the "t " of " at "/" ät ". For each set of kinds these needs are
# one pattern, matched at the start (one call into the engine instead of a Python test per need):
_AT_LEAST_DIGITS = r"(?:\D*+\d){%d}"  # possessive, so one pass and no backtracking
_SEPARATOR_ANYWHERE = r"(?s:.)*?(?:[@(\[{<]|[tT] )"
_IBAN_MIN_LENGTH = min(_IBAN_LENGTHS.values())
_IBAN_ANYWHERE = rf"(?=(?s:.){{{_IBAN_MIN_LENGTH}}})(?s:.)*?[A-Za-z]{{2}} ?\d\d"  # long enough, and a start
KINDS = frozenset({"email", "iban", "identity_code", "phone"})


def _ascii_class(char: str) -> bytes:
    """What the pre-check of ASCII text reads of a character: a digit ``0``, a letter ``a``, a space `` ``,
    an e-mail separator's opening (``@ ( [ { <``) ``@``, anything else ``.``."""
    if "0" <= char <= "9":
        return b"0"
    if "a" <= char.lower() <= "z":
        return b"a"
    if char in "@([{<":
        return b"@"
    return b" " if char == " " else b"."


#: :func:`_ascii_class` of every byte, for ``bytes.translate`` (ASCII text only: the upper half is never read)
_ASCII_CLASSES = b"".join(_ascii_class(chr(code)) for code in range(128)) + b"." * 128


@lru_cache(maxsize=16)
def precheck(kinds: frozenset[str] = KINDS) -> Callable[[str], bool]:
    """``may_hold`` for ``kinds`` as one function: ``False`` means none of them can be there.

    For hot loops (the worker's ids and structured strings), where calling ``may_hold`` would cost more than
    the test itself. Text in any script is matched by one compiled pattern of the needs above; ASCII text
    (nearly every id) is read at C speed instead: encoded, its characters translated to their classes
    (:data:`_ASCII_CLASSES`), and the needs counted and found in that copy. A pattern costs a microsecond or more
    on a twenty-character id (the engine tries each position), the copy a fraction of that. Both
    give the same answer (``tests/privacy/test_redact_shortcuts.py`` checks them against each other).
    """
    needs = []
    digits = 0
    if "phone" in kinds:
        needs.append(_AT_LEAST_DIGITS % 7)
        digits = 7
    elif "identity_code" in kinds:
        needs.append(_AT_LEAST_DIGITS % 9)
        digits = 9
    email = "email" in kinds
    if email:
        needs.append(_SEPARATOR_ANYWHERE)
    iban = "iban" in kinds
    if iban:
        needs.append(_IBAN_ANYWHERE)
    match = re.compile("|".join(needs) or r"(?!)").match
    classes = _ASCII_CLASSES

    def may_hold_these(text: str) -> bool:
        if not text.isascii():
            return match(text) is not None
        # back to str: ``in`` on bytes first tries the operand as an int, and raises and clears an error each time
        read = text.encode().translate(classes).decode()
        return bool(
            (digits and read.count("0") >= digits)
            or (email and ("@" in read or "t " in text or "T " in text))
            or (iban and len(read) >= _IBAN_MIN_LENGTH and ("aa00" in read or "aa 00" in read))
        )

    may_hold_these.pattern = match  # type: ignore[attr-defined]  # the one pattern, for any text (and the tests)
    return may_hold_these


def may_hold(text: str, kinds: frozenset[str] = KINDS) -> bool:
    """False only when ``text``, as it is (already normalised), certainly holds none of these ``kinds``.

    A test of a few counts that spares the patterns for the many short codes, states and ids that
    cannot hold an identifier (``410``, ``in_process``, ``fb-0000159:received`` for the kinds that
    refuse an id). It must never say False where a pattern would find something:
    ``tests/privacy/test_may_hold.py`` checks it against the finders on drawn and seeded strings.
    """
    return precheck(kinds)(text)


def identity_codes(text: str) -> Iterator[tuple[int, int]]:
    for match in _HETU.finditer(text):
        if _valid_hetu(match):
            yield match.start(), match.end()


def emails(text: str) -> Iterator[tuple[int, int]]:
    """E-mails: each separator does bounded work (64 characters back, a bounded domain pattern forwards)."""
    if not _may_hold_separator(text):
        return
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


# The " at "/" ät " separators: a space, the word, a space (anchored on the space, rarer than a/ä in Finnish).
_AT_SEPARATOR = re.compile(r" [aäAÄ][tT] ").search


def _may_hold_separator(text: str) -> bool:
    """What every match of ``_SEPARATOR`` needs: an "@" or an opening bracket (substring tests, as fast as a
    scan of memory), or " at "/" ät " (a pattern, asked only where a "t " is: many Finnish words end in t)."""
    if "@" in text or "(" in text or "[" in text or "{" in text or "<" in text:
        return True
    return ("t " in text or "T " in text) and _AT_SEPARATOR(text) is not None


def phones(text: str) -> Iterator[tuple[int, int]]:
    for match in _PHONE.finditer(text):
        start, value = match.start(), match.group(0)
        if _is_phone(value):
            yield start, match.end()
            continue
        # "040 123 4567 / 050 765 4321": a list of numbers read as one; each part may be a phone
        position = 0
        for between in _LIST_SEPARATOR.finditer(value):
            part = value[position : between.start()]
            if _is_phone(part):
                yield start + position, start + between.start()
            position = between.end()
        if position and _is_phone(value[position:]):
            yield start + position, match.end()


def _is_phone(value: str) -> bool:
    lengths = [len(group) for group in _DIGIT_GROUPS.findall(value)]  # the pattern holds no other digits
    if not lengths:
        return False
    international = value.lstrip("(").startswith(("+", "00"))
    low, high = (8, 15) if international else (7, 12)
    if not low <= sum(lengths) <= high or max(lengths) < 3:  # "0-0-0-0-0-0-0-0" is no phone
        return False
    return not (_DATE.fullmatch(value) or _code_like(value))


def ibans(text: str) -> Iterator[tuple[int, int]]:
    """IBANs with valid check digits; a candidate that fails is searched again from its second character.

    A false candidate ("at 040 332 1987 tilinumero FI60 6601 ...") may run into a real IBAN, which
    must not be lost. Candidates are at most about a hundred characters long, so this stays linear.
    """
    match = _IBAN.search(text)
    while match is not None:
        span = _valid_iban_span(text, match)
        if span is None:
            match = _IBAN.search(text, match.start() + 1)
            continue
        yield span
        match = _IBAN.search(text, span[1])


def _valid_iban_span(text: str, match: re.Match[str]) -> tuple[int, int] | None:
    start = match.start() - (3 if text[match.start() - 1] == " " else 2)
    candidate = text[start : match.end()]
    # A candidate may run on into following words and numbers: take its prefix of the country's length.
    expected = _IBAN_LENGTHS.get(candidate[:2].upper())
    if expected is None:
        return None
    prefix = _IBAN_PREFIXES[expected].match(candidate)
    if prefix is None or not is_valid_iban(prefix.group(0)):
        return None
    return start, start + prefix.end()


def is_valid_identity_code(code: str) -> bool:
    match = _HETU.fullmatch(code.strip())
    return bool(match and _valid_hetu(match))


def is_valid_iban(candidate: str) -> bool:
    compact = candidate.replace(" ", "").replace("-", "").upper()
    if not _COMPACT_IBAN.fullmatch(compact):
        return False
    if len(compact) != _IBAN_LENGTHS.get(compact[:2]):
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
