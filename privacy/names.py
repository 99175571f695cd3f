"""Finds personal names in Finnish, Swedish and English free text.

A word is a name by Voikko's dictionary (first name or surname, inflected forms too) when it
is capitalised where capitals mean something (not the first word of a sentence, unless the
word has no ordinary reading at all: "Anna" may be the verb, "Merja" may not). Neighbours
extend a name: a capitalised word right after a first name is a surname even if the
dictionary does not know it ("Heikki Lindroos", "Kaija Rinne"), one right before a surname a
first name. Cue words ("olen", "terveisin", "t.", "jag heter", "hälsningar", "my name is",
"regards", honorifics) make the next capitalised words names even when unknown. Place names
and street names are not names. Office-holders' names are found too; the caller decides by
field whether to keep them (``privacy.redact.redact(..., names=False)``).
"""

from __future__ import annotations

from collections.abc import Iterator

from privacy.language import word_classes
from privacy.streets import is_street
from privacy.words import Word, adjacent, words

_PERSON = frozenset({"etunimi", "sukunimi"})
_PROPER = _PERSON | {"paikannimi"}

# Words after which the next capitalised words are someone's name.
_CUES = frozenset(
    [
        "olen",
        "minä",
        "nimeni",
        "terveisin",
        "terv",
        "t",
        "yt",
        "mvh",
        "moi",
        "hei",
        "kiitos",
        "kiitokset",
        "rouva",
        "herra",
        "tri",
        "lähettäjä",
        "allekirjoittanut",
        "heter",
        "hälsningar",
        "hälsning",
        "hej",
        "tack",
        "fru",
        "herr",
        "undertecknad",
        "oon",
        "poikani",
        "tyttäreni",
        "naapurini",
        "vaimoni",
        "mieheni",
        "äitini",
        "isäni",
        "mummoni",
        "siskoni",
        "veljeni",
        "ystäväni",
        "syster",
        "bror",
        "son",
        "dotter",
        "fru",
        "make",
        "vän",
        "regards",
        "sincerely",
        "thanks",
        "dear",
        "hi",
        "hello",
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "signed",
        "am",
        "by",
        "owner",
        "contact",
        "wife",
        "husband",
        "daughter",
        "sister",
        "brother",
        "grandmother",
        "grandfather",
        "mother",
        "father",
        "friend",
    ]
)
# Capitalised words that are never names themselves, whatever their neighbours.
_NEVER = frozenset(
    [
        "hei",
        "moi",
        "terveisin",
        "kiitos",
        "kiitokset",
        "olen",
        "minä",
        "me",
        "te",
        "he",
        "hän",
        "se",
        "ne",
        "tämä",
        "tässä",
        "ja",
        "tai",
        "mutta",
        "jag",
        "vi",
        "du",
        "han",
        "hon",
        "det",
        "den",
        "och",
        "eller",
        "men",
        "tack",
        "hej",
        "hälsningar",
        "i",
        "we",
        "you",
        "he",
        "she",
        "it",
        "they",
        "the",
        "and",
        "or",
        "but",
        "thanks",
        "hello",
        "hi",
        "dear",
        "regards",
        "my",
        "name",
        "is",
        "am",
    ]
)


def names(text: str) -> Iterator[tuple[int, int]]:
    tokens = words(text)
    marked = [False] * len(tokens)
    classes = [_classes(token) for token in tokens]
    for i, token in enumerate(tokens):
        if _strong(token, classes[i]):
            marked[i] = True
    for i, token in enumerate(tokens):
        if marked[i] or not _may_join(token, classes[i]):
            continue
        after_first_name = (
            i > 0 and marked[i - 1] and "etunimi" in classes[i - 1] and adjacent(text, tokens[i - 1], token)
        )
        before_name = (
            i + 1 < len(tokens)
            and marked[i + 1]
            and ("sukunimi" in classes[i + 1] or "sukunimi" in classes[i])
            and adjacent(text, token, tokens[i + 1])
            and (classes[i] & _PROPER or not token.sentence_start)
        )
        if (after_first_name and ("paikannimi" not in classes[i] or "sukunimi" in classes[i])) or before_name:
            marked[i] = True
    for i, token in enumerate(tokens):
        if token.lower in _CUES and not _cue_is_ordinary(tokens, i, text):
            for j in range(i + 1, min(i + 4, len(tokens))):
                nxt = tokens[j]
                if not _may_join(nxt, classes[j]) or (classes[j] and not classes[j] & _PERSON):
                    break
                if j > i + 1 and not adjacent(text, tokens[j - 1], nxt):
                    break
                if j == i + 1 and not _cue_gap(text, token, nxt):
                    break
                marked[j] = True
    yield from _spans(text, tokens, marked)


def _classes(token: Word) -> frozenset[str]:
    if not token.capitalised:
        return frozenset()
    return word_classes(token.text)


def _strong(token: Word, classes: frozenset[str]) -> bool:
    if not token.capitalised or token.lower in _NEVER or not classes & _PERSON:
        return False
    ordinary = classes - _PROPER
    if "paikannimi" in classes:
        return False
    return not (ordinary and token.sentence_start)


def _may_join(token: Word, classes: frozenset[str]) -> bool:
    if not token.capitalised or token.lower in _NEVER:
        return False
    return bool(classes & _PERSON) or not is_street(token.lower)


def _cue_is_ordinary(tokens: list[Word], i: int, text: str) -> bool:
    """'t' is a cue only as 't.' or 't:'; the rest are cues as written."""
    token = tokens[i]
    if token.lower == "t":
        return text[token.end : token.end + 1] not in (".", ":")
    return False


def _cue_gap(text: str, cue: Word, name: Word) -> bool:
    gap = text[cue.end : name.start]
    return len(gap) <= 3 and all(ch in " .,:" for ch in gap)


def _spans(text: str, tokens: list[Word], marked: list[bool]) -> Iterator[tuple[int, int]]:
    start = end = -1
    for i, token in enumerate(tokens):
        if not marked[i]:
            continue
        if start >= 0 and i > 0 and marked[i - 1] and adjacent(text, tokens[i - 1], token):
            end = token.end
            continue
        if start >= 0:
            yield start, end
        start, end = token.start, token.end
    if start >= 0:
        yield start, end
