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
_LAST_WORDS = re.compile(r"[^\W\d_]++")
_SENTENCE_END = frozenset(".!?\n\r")
_OPENERS = " \t\"'«»“”(-"
WINDOW = 60


def is_capitalised(word: str) -> bool:
    return len(word) > 1 and word[0].isupper() and not word.isupper()


def sentence_start(text: str, start: int) -> bool:
    """The word at ``start`` opens the text or a sentence, where capitals say nothing."""
    before = text[max(0, start - 8) : start].rstrip(_OPENERS)
    return not before or before[-1] in _SENTENCE_END


def words_before(text: str, start: int, count: int) -> list[str]:
    """The last ``count`` words before ``start`` (lower-cased, within a bounded window)."""
    window = text[max(0, start - WINDOW) : start]
    return [w.lower() for w in _LAST_WORDS.findall(window)[-count:]]


def only_space_between(text: str, end: int, start: int) -> bool:
    """Only one or two spaces between two words (as in "Matti Virtanen")."""
    return 0 < start - end <= 2 and not text[end:start].strip()
