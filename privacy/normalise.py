"""Unicode normalisation before matching, with a map back to the caller's offsets.

Residents paste text from phones, word processors and web forms: en and em dashes, minus
signs, non-breaking and thin spaces, full-width digits. Every pattern runs on one normalised
copy (NFKC per character, every dash variant to ``-``, every space variant to `` ``) and each
position of that copy remembers which character of the original it came from, so findings
are reported (and markers placed) in the original string.
"""

from __future__ import annotations

import unicodedata

# Hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar, minus sign,
# small and full-width hyphen-minus, and the soft hyphen's visible cousins.
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u2043")
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")


def normalise(text: str) -> tuple[str, list[int]]:
    """The matching copy of ``text`` and, for each of its characters, the index it came from.

    The map has one extra entry at the end (``len(text)``) so that an end offset maps too.
    Linear: one pass over the characters, each expanded by NFKC to at most a few characters.
    """
    if text.isascii():
        return text, list(range(len(text) + 1))
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        if char in _INVISIBLE:
            continue
        if char in _DASHES:
            mapped = "-"
        elif char.isspace():
            mapped = " " if char not in "\n\r" else char
        elif char.isascii():
            mapped = char
        else:
            mapped = unicodedata.normalize("NFKC", char)
            mapped = "".join("-" if c in _DASHES else (" " if c.isspace() else c) for c in mapped)
        out.append(mapped)
        origin.extend([index] * len(mapped))
    origin.append(len(text))
    return "".join(out), origin


def original_span(origin: list[int], start: int, end: int) -> tuple[int, int]:
    """The span of the original string that normalised ``[start, end)`` came from."""
    if end <= start:
        return origin[start], origin[start]
    return origin[start], origin[end - 1] + 1
