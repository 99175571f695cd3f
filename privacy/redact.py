"""Removes personal data from residents' free text before it can reach the index or a published file.

What is found: Finnish personal identity codes whose control character is
right (a wrong one is far more likely a case or order number), e-mail
addresses, phone numbers in Finnish and international forms, and IBANs whose
check digits are right. Each is replaced by a marker that says what was removed,
so readers know something was there.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from datetime import date

MARKERS = {
    "identity_code": "[REDACTED:identity-code]",
    "email": "[REDACTED:email]",
    "phone": "[REDACTED:phone]",
    "iban": "[REDACTED:iban]",
}

_HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_CENTURY = {"+": 1800, "-": 1900, "Y": 1900, "X": 1900, "W": 1900, "V": 1900, "U": 1900}
_CENTURY.update({c: 2000 for c in "ABCDEF"})

_HETU = re.compile(r"(?<![\w])(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-Y])(?![\w])", re.IGNORECASE)
_EMAIL = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"
)
# Finnish numbers: 040 123 4567, 050-1234567, (09) 310 12345, +358 40 123 4567, +358 (0)9 1234 567, 00358 ...
_PHONE_FI = re.compile(
    r"(?<![\w+\-/.,])(?:(?:\+|00)358[\s\-]?(?:\(0\)[\s\-]?)?|\(?0)\d{1,3}\)?(?:[\s\-]?\d){5,8}(?![\w\-])"
)
# Other international numbers: +46 8 123 456 78, +1 (555) 123-4567, +44 20 7946 0958
_PHONE_INTL = re.compile(r"(?<![\w+])\+\d{1,3}(?:[\s\-.]?\(?\d{1,4}\)?){2,6}(?![\w])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}")


Check = Callable[[re.Match[str]], bool]


def _always(match: re.Match[str]) -> bool:
    return True


def redact(text: str, *, names: bool = True) -> tuple[str, Counter[str]]:
    """The text with personal data replaced, and how many of each kind were removed.

    ``names=False`` keeps personal names (fields naming people acting in office).
    """
    found: Counter[str] = Counter()
    if not text:
        return text, found

    def _sub(kind: str, pattern: re.Pattern[str], value: str, valid: Check = _always) -> str:
        def repl(match: re.Match[str]) -> str:
            if not valid(match):
                return match.group(0)
            found[kind] += 1
            return MARKERS[kind]

        return pattern.sub(repl, value)

    text = _sub("email", _EMAIL, text)
    text = _IBAN.sub(lambda m: _replace_iban(m, found), text)
    text = _sub("identity_code", _HETU, text, _valid_hetu)
    text = _sub("phone", _PHONE_INTL, text, _digits_between(8, 15))
    text = _sub("phone", _PHONE_FI, text, _digits_between(7, 13))
    return text, found


def is_valid_identity_code(code: str) -> bool:
    match = _HETU.fullmatch(code.strip())
    return bool(match and _valid_hetu(match))


def is_valid_iban(candidate: str) -> bool:
    compact = candidate.replace(" ", "").upper()
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", compact):
        return False
    if compact.startswith("FI") and len(compact) != 18:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def _valid_hetu(match: re.Match[str]) -> bool:
    day, month, year, sign, serial, check = match.groups()
    century = _CENTURY.get(sign.upper())
    if century is None:
        return False
    try:
        date(century + int(year), int(month), int(day))
    except ValueError:
        return False
    return _HETU_CHECK[int(day + month + year + serial) % 31] == check.upper()


def _replace_iban(match: re.Match[str], found: Counter[str]) -> str:
    """IBAN candidates may run on into following capitals; take the longest valid prefix."""
    candidate = match.group(0)
    for end in range(len(candidate), 14, -1):
        prefix = candidate[:end]
        if prefix.endswith(" "):
            continue
        if is_valid_iban(prefix):
            found["iban"] += 1
            return MARKERS["iban"] + candidate[end:]
    return candidate


def _digits_between(low: int, high: int) -> Check:
    def check(match: re.Match[str]) -> bool:
        digits = sum(ch.isdigit() for ch in match.group(0))
        return low <= digits <= high

    return check


def redact_url(url: str) -> tuple[str, Counter[str]]:
    """A URL without query string, fragment or credentials, and with any flagged path segment replaced."""
    from urllib.parse import unquote, urlsplit, urlunsplit

    found: Counter[str] = Counter()
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = host + (f":{parts.port}" if parts.port else "")
    segments = []
    for segment in parts.path.split("/"):
        _, hits = redact(unquote(segment))
        found.update(hits)
        segments.append("REDACTED" if hits else segment)
    return urlunsplit((parts.scheme, netloc, "/".join(segments), "", "")), found
