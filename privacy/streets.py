"""Street names by their endings (Finnish and Swedish compounds, English words), for names and addresses."""

from __future__ import annotations

from functools import lru_cache

_ENDINGS = tuple(
    [
        "tie",
        "katu",
        "kuja",
        "polku",
        "kaari",
        "väylä",
        "raitti",
        "rinne",
        "aukio",
        "tori",
        "portti",
        "silta",
        "ranta",
        "kallio",
        "mäki",
        "tanhua",
        "taival",
        "piha",
        "puistikko",
        "kaarre",
        "kulma",
        "kumpu",
        "ahde",
        "vägen",
        "väg",
        "gatan",
        "gata",
        "gränd",
        "stigen",
        "backen",
        "gången",
        "kroken",
        "stranden",
        "torget",
        "allén",
        "plan",
        "esplanaden",
    ]
)
_WORDS = frozenset(["street", "road", "avenue", "lane", "way", "drive", "close", "square"])


@lru_cache(maxsize=65536)
def is_street(word_lower: str) -> bool:
    """A compound ending in a street word ("Kivenlahdentie", "Ringvägen"); the bare word ("tie") is not."""
    if word_lower in _WORDS:
        return True
    return any(
        len(word_lower) >= length + 3 and word_lower[-length:] in endings for length, endings in _BY_LENGTH.items()
    )


_BY_LENGTH: dict[int, frozenset[str]] = {
    length: frozenset(e for e in _ENDINGS if len(e) == length) for length in sorted({len(e) for e in _ENDINGS})
}


# Street endings that are common Finnish surnames too ("Kivimäki", "Rinne", "Ranta", "Kallio", "Silta").
_SURNAME_ENDINGS = ("mäki", "rinne", "ranta", "kallio", "silta", "kulma", "kumpu", "piha")


def has_surname_ending(word_lower: str) -> bool:
    """A street-like word that may as well be a surname ("Kivimäki"); "Kivenlahdentie" may not."""
    return word_lower.endswith(_SURNAME_ENDINGS)
