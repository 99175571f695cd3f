"""Finds house numbers of street addresses; the street name itself stays.

"Kivenlahdentie 43 B 12" keeps "Kivenlahdentie" (the location stays useful for the city) and
loses "43 B 12" (which would single out a home). A number counts as a house number after a
street-like word ("-tie", "-katu", "-vägen", ...), after any capitalised word that does not
open a sentence when it has a staircase or flat part ("3 D 55", "2 as 4", "7 lgh 22"), or after
any capitalised word when a cue says an address follows ("asun", "osoite", "bor på", "I live
at"). English order ("I live at 7 Kiltakallio") is covered after the same cues.

Anchors are numbers that follow a word and a space (one linear pattern); for each only the
few words before it are read, so the work is linear in the text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from privacy.streets import is_street
from privacy.words import is_capitalised, sentence_start, word_start, words_before

_FLAT = r"(?:as|as\.|asunto|bst|lgh|lgh\.|apt|apt\.|flat)"
# A word, one or two spaces, then the house number: number, optional range, optional staircase
# letter (not the start of a word), optional flat number.
# Anchored on the number's first digit (the engine skips quickly to digits), preceded by a letter and one or two
# spaces; the cheap test for a space first, as most digits follow other digits.
_ANCHOR = re.compile(
    r"\d(?<= \d)(?:(?<=[^\W\d_] \d)|(?<=[^\W\d_]  \d))"
    rf"(\d{{0,3}}(?:-\d{{1,4}})?(?: ?[A-Za-z](?![^\W\d_]))?"
    rf"(?: {_FLAT} ?\d{{1,4}}| \d{{1,4}}(?![.,:]\d))?)(?![\w\-]|[.,:]\d)"
)
_HAS_FLAT = re.compile(rf"\d ?[A-Z]\b|{_FLAT}")
_NUMBER_FIRST = re.compile(r"(\d{1,4}(?: ?[A-Za-z](?![^\W\d_]))?) {1,2}[^\W\d_]")
_CUES = frozenset(
    """asun asumme asuu asuvat osoite osoitteeni osoitteessa osoitteeseen kotiosoite kotini kotimme muutin
    muutimme bor adress adressen hemadress flyttade live lives living address moved""".split()  # noqa: SIM905 (a word list reads better as words)
)


def house_numbers(text: str) -> Iterator[tuple[int, int]]:
    for match in _ANCHOR.finditer(text):
        number_start = match.start()
        word_end = number_start - 1 if text[number_start - 2].isalpha() else number_start - 2
        begin = word_start(text, word_end)
        word, number = text[begin:word_end], match.group(0)
        if not word or (begin > 0 and text[begin - 1].isdigit()):
            continue
        lower = word.lower()
        if lower in ("at", "on", "på"):
            first = _NUMBER_FIRST.match(text, number_start)
            if first and _cued(text, lower, begin):
                yield first.start(1), first.end(1)
            continue
        capitalised = is_capitalised(word)
        # cheapest test first: a street word; then a staircase or flat inside a sentence; then a cue
        if (
            (is_street(lower) and (capitalised or len(word) > 6))
            or (capitalised and _HAS_FLAT.search(number) and not sentence_start(text, begin))
            or (capitalised and _cued(text, lower, begin))
        ):
            yield number_start, match.end()


def _cued(text: str, lower: str, begin: int) -> bool:
    """The word itself or one of the three before it says an address follows."""
    return lower in _CUES or any(w in _CUES for w in words_before(text, begin, 3))
