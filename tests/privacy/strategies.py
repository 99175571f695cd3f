"""Hypothesis strategies that write personal identifiers the way residents do, embedded in text.

Reused by the redaction property tests here and by end-to-end tests over every event field::

    from tests.privacy.strategies import seeded_text, identity_codes, phones, emails, ibans

``identity_codes()``, ``phones()``, ``emails()`` and ``ibans()`` draw one valid identifier in
one of many writings (century signs incl. the 2023 ones and dash/space variants; Finnish,
Swedish and international phone forms with ``. / - ( )`` and spaces, ``puh.``/``tel.`` glued on;
non-ASCII and obfuscated e-mails; IBANs of several countries with right check digits in any case and
grouping: fours, none, odd groups, dashes, doubled spaces, a space after the country code).
``seeded_text()`` draws ``Seeded(text, start, end, kind)``: harmless lower-case words around one
such identifier at ``text[start:end]`` (phones with "puh."/"tel." glued on just before), so a test can assert the redactor covers exactly it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hypothesis import strategies as st

HETU_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
CENTURY_SIGNS = {1800: "+", 1900: "-YXWVU", 2000: "ABCDEF"}
DASHES = ["-", "\u2010", "\u2011", "\u2013", "\u2014", "\u2212", "\uff0d"]
SPACES = [" ", "\u00a0", "\u2009", "\u202f"]
FILLER = [
    "soita",
    "numero",
    "kiitos",
    "tili",
    "hetu",
    "viesti",
    "ja",
    "tai",
    "ring",
    "mejl",
    "call",
    "mail",
    "on",
    "is",
]


@st.composite
def identity_codes(draw: st.DrawFn) -> str:
    born = draw(st.dates(min_value=date(1850, 1, 1), max_value=date(2025, 12, 31)))
    century = born.year // 100 * 100
    sign = draw(st.sampled_from(CENTURY_SIGNS[century]))
    if sign == "-":
        sign = draw(st.sampled_from(DASHES))
    serial = draw(st.integers(2, 899))
    digits = f"{born:%d%m}{born.year % 100:02d}"
    check = HETU_CHECK[int(f"{digits}{serial:03d}") % 31]
    code = f"{digits}{sign}{serial:03d}{check}"
    return code.lower() if draw(st.booleans()) and sign.isalpha() else code


def _group(digits: str, sizes: list[int], separator: str) -> str:
    parts, position = [], 0
    for size in sizes:
        if position >= len(digits):
            break
        parts.append(digits[position : position + size])
        position += size
    if position < len(digits):
        parts.append(digits[position:])
    return separator.join(parts)


@st.composite
def phones(draw: st.DrawFn) -> str:
    country = draw(st.sampled_from(["358", "46"]))
    if country == "358":
        area = draw(st.sampled_from(["40", "41", "44", "45", "50", "9"]))
    else:
        area = draw(st.sampled_from(["70", "72", "73", "8"]))
    subscriber = draw(st.text("0123456789", min_size=7, max_size=7))
    separator = draw(st.sampled_from([" ", "-", ".", "", " - ", *SPACES[1:]]))
    body = _group(subscriber, draw(st.sampled_from([[3, 4], [3, 2, 2], [2, 3, 2], [7]])), separator)
    form = draw(st.sampled_from(["trunk", "plus", "double-zero", "plus-trunk", "slash", "parens"]))
    if form == "trunk":
        # the area code glued to a dashed body ("040100-0000") reads as a date and a serial: not drawn
        glue = draw(st.sampled_from([" ", "-", ""] if separator in ("", " ") else [" ", "-"]))
        number = f"0{area}{glue}{body}"
    elif form == "plus":
        number = f"+{country} {area} {body}"
    elif form == "double-zero":
        number = f"00{country} {area} {body}"
    elif form == "plus-trunk":
        number = f"+{country} (0){area} {body}"
    elif form == "slash":
        number = f"0{area}/{subscriber}"
    else:
        number = f"(0{area}) {body}"
    return number


@st.composite
def emails(draw: st.DrawFn) -> str:
    letters = "abcdefghijklmnopqrstuvwxyzäöåéü"
    first = draw(st.text(letters, min_size=1, max_size=10))
    last = draw(st.text(letters + "0123456789", min_size=1, max_size=10))
    local = first + draw(st.sampled_from([".", "_", "-", ""])) + last
    domain = draw(st.text("abcdefghijklmnopqrstuvwxyz", min_size=2, max_size=12))
    tld = draw(st.sampled_from(["fi", "se", "com", "net", "org"]))
    at = draw(st.sampled_from(["@", "@", "(at)", "[at]", " at ", " (at) ", "ät"]))
    dot = "." if at != " at " else draw(st.sampled_from([".", " dot "]))
    if at == "ät":
        at = " ät "
    return f"{local}{at}{domain}{dot}{tld}"


def iban_check_digits(country: str, bban: str) -> str:
    number = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{98 - int(number) % 97:02d}"


@st.composite
def ibans(draw: st.DrawFn) -> str:
    country, length = draw(st.sampled_from([("FI", 14), ("SE", 20), ("DE", 18), ("NO", 11), ("DK", 14), ("ES", 20)]))
    bban = draw(st.text("0123456789", min_size=length, max_size=length))
    compact = country + iban_check_digits(country, bban) + bban
    spacing = draw(st.sampled_from(["groups", "none", "nbsp", "dashes", "double", "country", "odd"]))
    separator = {"groups": " ", "nbsp": "\u00a0", "dashes": "-", "double": "  "}.get(spacing)
    if separator is not None:
        text = separator.join(compact[i : i + 4] for i in range(0, len(compact), 4))
    elif spacing == "country":  # "FI 21 1234 ..."
        text = f"{compact[:2]} {compact[2:4]} " + " ".join(compact[i : i + 4] for i in range(4, len(compact), 4))
    elif spacing == "odd":  # groups of any size
        cuts = sorted(draw(st.sets(st.integers(4, len(compact) - 1), max_size=4)))
        text = " ".join(compact[a:b] for a, b in zip([0, *cuts], [*cuts, len(compact)], strict=True))
    else:
        text = compact
    case = draw(st.sampled_from(["upper", "lower", "title"]))
    return text.lower() if case == "lower" else (text.title() if case == "title" else text)


@dataclass(frozen=True)
class Seeded:
    text: str
    start: int
    end: int
    kind: str

    @property
    def secret(self) -> str:
        return self.text[self.start : self.end]


KINDS = {"identity_code": identity_codes, "phone": phones, "email": emails, "iban": ibans}


@st.composite
def seeded_text(draw: st.DrawFn, kinds: tuple[str, ...] = tuple(KINDS)) -> Seeded:
    """Harmless words, one identifier of a drawn kind, more harmless words."""
    kind = draw(st.sampled_from(kinds))
    secret = draw(KINDS[kind]())
    before = " ".join(draw(st.lists(st.sampled_from(FILLER), max_size=4)))
    after = " ".join(draw(st.lists(st.sampled_from(FILLER), max_size=4)))
    opening = draw(st.sampled_from([" ", ": ", " (", "\n"])) if before else ""
    if kind == "phone":  # residents glue the word to the number: "puh.0401234567"
        opening += draw(st.sampled_from(["", "puh.", "tel.", "p.", "puh. ", "tel:"]))
    closing = draw(st.sampled_from([" ", ". ", ", ", ") "])) if after else draw(st.sampled_from(["", "."]))
    text = f"{before}{opening}{secret}{closing}{after}"
    start = len(before) + len(opening)
    return Seeded(text, start, start + len(secret), kind)


__all__ = ["Seeded", "emails", "iban_check_digits", "ibans", "identity_codes", "phones", "seeded_text"]
