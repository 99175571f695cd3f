"""Street names by their endings (Finnish and Swedish compounds, English words), for names and addresses."""

from __future__ import annotations

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


def is_street(word_lower: str) -> bool:
    """A compound ending in a street word ("Kivenlahdentie", "Ringvägen"); the bare word ("tie") is not."""
    if word_lower in _WORDS:
        return True
    if not word_lower.endswith(_ENDINGS):
        return False
    return any(word_lower.endswith(ending) and len(word_lower) >= len(ending) + 3 for ending in _ENDINGS)
