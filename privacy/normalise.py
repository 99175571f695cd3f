"""Unicode normalisation before matching, with a map back to the caller's offsets.

Residents paste text from phones, word processors and web forms: en and em dashes, minus
signs, non-breaking and thin spaces, full-width digits. Every pattern runs on one normalised
copy (NFKC per character, every dash variant to ``-``, every space variant to `` ``) and each
position of that copy remembers which character of the original it came from, so findings
are reported (and markers placed) in the original string.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# Hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar, minus sign,
# small and full-width hyphen-minus, and the soft hyphen's visible cousins.
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u2043")
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")


def normalise(text: str) -> tuple[str, Sequence[int]]:
    """The matching copy of ``text`` and, for each of its characters, the index it came from.

    The map has one extra entry at the end (``len(text)``) so that an end offset maps too.
    Linear: runs of characters that normalisation leaves alone (ASCII, and the Latin letters
    of fi/sv/en text such as "ä", "å", "é") are copied as they are; only the other characters
    are looked at, each expanded by NFKC to at most a few characters. Most texts have none of
    those, and then the copy is the text itself and the map a ``range`` (nothing is built).
    """
    if text.isascii() or _SPECIAL.search(text) is None:
        return text, range(len(text) + 1)
    out: list[str] = []
    origin: list[int] = []
    position = 0
    for match in _SPECIAL.finditer(text):
        index = match.start()
        char = match.group(0)
        mapped = _mapped(char)
        if mapped == char:
            continue
        out.append(text[position:index])
        origin.extend(range(position, index))
        out.append(mapped)
        origin.extend([index] * len(mapped))
        position = index + 1
    out.append(text[position:])
    origin.extend(range(position, len(text) + 1))
    return "".join(out), origin


def _mapped(char: str) -> str:
    if char in _INVISIBLE:
        return ""
    if char in _DASHES:
        return "-"
    if char.isspace():
        return " "
    if unicodedata.is_normalized("NFKC", char):
        return char
    return "".join("-" if c in _DASHES else (" " if c.isspace() else c) for c in unicodedata.normalize("NFKC", char))


def _stable_ranges() -> str:
    """Character ranges (as a regex class body) of the Latin letters and quotes that ``_mapped`` keeps."""
    ranges: list[tuple[int, int]] = [(0x00, 0x7F)]
    for code in (*range(0x80, 0x250), *range(0x2018, 0x2020), 0x20AC):
        if _mapped(chr(code)) != chr(code):
            continue
        if ranges[-1][1] == code - 1:
            ranges[-1] = (ranges[-1][0], code)
        else:
            ranges.append((code, code))
    return "".join(f"\\u{low:04x}-\\u{high:04x}" for low, high in ranges)


# Characters that normalisation may change: everything outside the stable ranges.
_SPECIAL = re.compile(f"[^{_stable_ranges()}]")


def original_span(origin: Sequence[int], start: int, end: int) -> tuple[int, int]:
    """The span of the original string that normalised ``[start, end)`` came from."""
    if end <= start:
        return origin[start], origin[start]
    return origin[start], origin[end - 1] + 1
