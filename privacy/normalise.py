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
from bisect import bisect_right

# Hyphen, non-breaking hyphen, figure dash, en dash, em dash, horizontal bar, minus sign,
# small and full-width hyphen-minus, and the soft hyphen's visible cousins.
_DASHES = frozenset("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d\u2043")
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff")


class OffsetMap:
    """Where each position of the normalised copy came from in the original text.

    Only the replaced characters are stored (the copy's position of the replacement, the
    original's index, the replacement's length); every other position is the one before it
    plus one, so a lookup is a binary search over the replacements. Position ``len(copy)``
    maps to ``len(text)``, so that an end offset maps too. A plain list of every position
    would cost more than all the matching on a long field.
    """

    __slots__ = ("_copy_at", "_length", "_original_at")

    def __init__(self) -> None:
        self._copy_at: list[int] = []
        self._original_at: list[int] = []
        self._length: list[int] = []

    def replaced(self, copy_at: int, original_at: int, length: int) -> None:
        """The character at ``original_at`` became ``length`` characters at ``copy_at`` (in increasing order)."""
        self._copy_at.append(copy_at)
        self._original_at.append(original_at)
        self._length.append(length)

    @property
    def unchanged(self) -> bool:
        """Nothing was replaced: every position of the copy is the same position of the original."""
        return not self._copy_at

    def __getitem__(self, position: int) -> int:
        at = bisect_right(self._copy_at, position) - 1
        return position if at < 0 else self._from(at, position)

    def _from(self, at: int, position: int) -> int:
        """The original index of ``position``, given that replacement ``at`` is the last one at or before it."""
        copy_at, length = self._copy_at[at], self._length[at]
        if position < copy_at + length:
            return self._original_at[at]  # inside an expansion: all of it came from one character
        return self._original_at[at] + 1 + position - copy_at - length

    def spans(self, starts: list[int], ends: list[int]) -> tuple[list[int], list[int]]:
        """The original starts and ends of the copy's spans ``[starts[i], ends[i])``, which are sorted and disjoint.

        One walk over the replacements maps them all (first and last character of each span):
        past the latest replacement a position is shifted by a constant, inside it it is the
        replaced character.
        """
        copy_at, original_at, length = self._copy_at, self._original_at, self._length
        count = len(copy_at)
        at = -1
        stop = shift = inside = 0  # the latest replacement's end in the copy, the shift past it, its character
        begins: list[int] = []
        finishes: list[int] = []
        for start, end in zip(starts, ends, strict=True):
            last = end - 1 if end > start else start
            while at + 1 < count and copy_at[at + 1] <= start:
                at += 1
                stop = copy_at[at] + length[at]
                inside = original_at[at]
                shift = inside + 1 - stop
            begin = start + shift if start >= stop else inside
            while at + 1 < count and copy_at[at + 1] <= last:
                at += 1
                stop = copy_at[at] + length[at]
                inside = original_at[at]
                shift = inside + 1 - stop
            finish = last + shift if last >= stop else inside
            begins.append(begin)
            finishes.append(finish + 1 if end > start else finish)
        return begins, finishes


_UNCHANGED = OffsetMap()  # shared by every text that normalisation leaves alone; never added to


def normalise(text: str) -> tuple[str, OffsetMap]:
    """The matching copy of ``text`` and the map from its positions back to ``text``'s.

    Linear: runs of characters that normalisation leaves alone (ASCII, and the Latin letters
    of fi/sv/en text such as "ä", "å", "é") are copied as they are; only the other characters
    are looked at, each expanded by NFKC to at most a few characters. Most texts have none of
    those, and then the copy is the text itself.
    """
    if unchanged(text):
        return text, _UNCHANGED
    origin = OffsetMap()
    out: list[str] = []
    position = 0
    copied = 0  # length of the copy so far
    for match in _SPECIAL.finditer(text):
        index = match.start()
        char = match.group(0)
        mapped = _mapped(char)
        if mapped == char:
            continue
        out.append(text[position:index])
        copied += index - position
        origin.replaced(copied, index, len(mapped))
        out.append(mapped)
        copied += len(mapped)
        position = index + 1
    out.append(text[position:])
    return "".join(out), origin


def unchanged(text: str) -> bool:
    """Whether :func:`normalise` returns ``text`` itself (only characters it leaves alone): a cheap test
    that lets a caller reason about the matching copy from the text it holds."""
    return text.isascii() or _SPECIAL.search(text) is None


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


def original_span(origin: OffsetMap, start: int, end: int) -> tuple[int, int]:
    """The span of the original string that normalised ``[start, end)`` came from."""
    begins, finishes = origin.spans([start], [end])
    return begins[0], finishes[0]
