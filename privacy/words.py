"""Cheap word access for the name and address finders, without tokenising the whole text.

Both finders start from few anchors (capitalised words, numbers after a word) and look only at
the words just before them, through small windows. Every pattern here is a possessive run of
letters, so it is linear, and the work per anchor is bounded by the window.
"""

from __future__ import annotations

import re

# Capitalised words: an upper-case Latin letter (the alphabets of fi/sv/en names and of most
# residents' names written in Latin letters) followed by letters, hyphen- or apostrophe-joined.
_UPPER = "A-ZÀ-ÖØ-ÞĀĂĄĆČĎĐĒĖĘĚĞĢĪĮİĶĹĻĽŁŃŅŇŌŐŒŔŘŚŞŠŢŤŪŮŰŲŹŻŽ"
# The letter class comes first (the engine then skips quickly to candidates); the lookbehind
# after it makes sure the letter starts a word.
CAPITALISED = re.compile(rf"[{_UPPER}](?<![^\W\d_'’\-].)[^\W\d_]*+(?:['’\-][^\W\d_]++)*+")
_SENTENCE_END = frozenset(".!?\n\r")
_OPENERS = " \t\"'«»“”(-"
WINDOW = 60


def is_capitalised(word: str) -> bool:
    return len(word) > 1 and word[0].isupper() and not word.isupper()


def sentence_start(text: str, start: int) -> bool:
    """The word at ``start`` opens the text or a sentence, where capitals say nothing."""
    before = text[max(0, start - 8) : start].rstrip(_OPENERS)
    return not before or before[-1] in _SENTENCE_END


def word_start(text: str, end: int) -> int:
    """Where the run of letters ending at ``end`` begins (``end`` itself when none); at most ``WINDOW`` back."""
    start = end
    while start > 0 and end - start < WINDOW and text[start - 1].isalpha():
        start -= 1
    return start


def words_before(text: str, start: int, count: int) -> list[str]:
    """The last ``count`` words before ``start``, lower-cased, nearest last (a bounded backward scan)."""
    found: list[str] = []
    position = start
    while len(found) < count:
        gap = position
        while gap > 0 and position - gap < 4 and not text[gap - 1].isalpha():
            gap -= 1
        begin = word_start(text, gap)
        if begin == gap:
            break
        found.append(text[begin:gap].lower())
        position = begin
    found.reverse()
    return found


def only_space_between(text: str, end: int, start: int) -> bool:
    """Only one or two spaces between two words (as in "Matti Virtanen")."""
    return 0 < start - end <= 2 and not text[end:start].strip()
