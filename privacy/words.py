"""One tokenising pass over normalised text: words with their positions and sentence context.

Names and addresses are recognised from words, not from backtracking patterns: the word
pattern is a possessive run of letters (hyphen- or apostrophe-joined), so it is linear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[^\W\d_]++(?:['’\-][^\W\d_]++)*+")
_SENTENCE_END = frozenset(".!?\n\r")


@dataclass(frozen=True)
class Word:
    start: int
    end: int
    text: str
    sentence_start: bool  # first word of the text or of a sentence: capitalisation says nothing there

    @property
    def capitalised(self) -> bool:
        return len(self.text) > 1 and self.text[0].isupper() and not self.text.isupper()

    @property
    def lower(self) -> str:
        return self.text.lower()


def words(text: str) -> list[Word]:
    result: list[Word] = []
    previous_end = 0
    for match in _WORD.finditer(text):
        gap = text[previous_end : match.start()].rstrip(" \t\"'«»“”(")
        boundary = (not result and not gap.strip()) or (bool(gap) and gap[-1] in _SENTENCE_END)
        result.append(Word(match.start(), match.end(), match.group(0), boundary))
        previous_end = match.end()
    return result


def adjacent(text: str, left: Word, right: Word) -> bool:
    """Only spaces between two words (as in "Matti Virtanen"), at most two."""
    gap = text[left.end : right.start]
    return 0 < len(gap) <= 2 and not gap.strip()
