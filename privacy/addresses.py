"""Finds house numbers of street addresses; the street name itself stays.

"Kivenlahdentie 43 B 12" keeps "Kivenlahdentie" (the location stays useful for the city) and
loses "43 B 12" (which would single out a home). A number counts as a house number after a
street-like word ("-tie", "-katu", "-vägen", ...), after any capitalised word when it has a
staircase or flat part ("3 D 55", "2 as 4", "7 lgh 22"), or after any capitalised word when
a cue says an address follows ("asun", "osoite", "bor på", "I live at"). English order ("I live
at 7 Kiltakallio") is covered after the same cues.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from privacy.streets import is_street
from privacy.words import words

_FLAT = r"(?:as|as\.|asunto|bst|lgh|lgh\.|apt|apt\.|flat)"
# Number, optional range, optional staircase letter (not the start of a word), optional flat number.
_HOUSE = re.compile(
    rf" {{1,2}}(\d{{1,4}}(?:-\d{{1,4}})?(?: ?[A-Za-z](?![^\W\d_]))?"
    rf"(?: {_FLAT} ?\d{{1,4}}| \d{{1,4}}(?![.,:]\d))?)(?![\w\-]|[.,:]\d)"
)
_HAS_FLAT = re.compile(rf"\d ?[A-Z]\b|{_FLAT}")
_NUMBER_FIRST = re.compile(r" {1,2}(\d{1,4}(?: ?[A-Za-z](?![^\W\d_]))?) {1,2}[^\W\d_]")
_CUES = frozenset(
    [
        "asun",
        "asumme",
        "asuu",
        "asuvat",
        "osoite",
        "osoitteeni",
        "osoitteessa",
        "osoitteeseen",
        "kotiosoite",
        "kotini",
        "kotimme",
        "muutin",
        "muutimme",
        "bor",
        "adress",
        "adressen",
        "hemadress",
        "flyttade",
        "live",
        "lives",
        "living",
        "address",
        "moved",
    ]
)


def house_numbers(text: str) -> Iterator[tuple[int, int]]:
    tokens = words(text)
    for i, token in enumerate(tokens):
        cue = any(t.lower in _CUES for t in tokens[max(0, i - 3) : i + 1])
        if token.lower in ("at", "on", "på") and cue:
            match = _NUMBER_FIRST.match(text, token.end)
            if match:
                yield match.start(1), match.end(1)
            continue
        match = _HOUSE.match(text, token.end)
        if not match:
            continue
        street = is_street(token.lower) and (token.capitalised or len(token.text) > 6)
        capitalised = token.capitalised and not token.sentence_start
        if street or (capitalised and (cue or _HAS_FLAT.search(match.group(1)))) or (token.capitalised and cue):
            yield match.start(1), match.end(1)
