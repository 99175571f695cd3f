"""Finds personal names in Finnish, Swedish and English free text.

A word is a name by Voikko's dictionary (first name or surname, inflected forms too) when it
is capitalised where capitals mean something (not the first word of a sentence, unless the
word has no ordinary reading at all: "Anna" may be the verb, "Merja" may not) and has no
place-name reading ("Lahti", "Mari" and "London" are places first). Neighbours extend a name:
a capitalised word right after a first name is a surname even if the dictionary does not know
it ("Heikki Lindroos", "Markku Lahti"), one right before a name with a surname reading a first
name ("Nieminen Pekka"). Cue words ("olen", "terveisin", "t.", "jag heter", "hälsningar",
"my name is", "regards", honorifics, kinship words) make the next capitalised words names
even when unknown. Office-holders' names are found too; the caller decides by field whether to
keep them (``privacy.redact.redact(..., names=False)``).

Only capitalised words are looked at (one linear pattern), and for each only the few words
before it, so the work is linear in the text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from privacy.language import is_base_form, word_classes
from privacy.streets import is_street
from privacy.words import CAPITALISED, only_space_between, sentence_start, word_start

_PERSON = frozenset({"etunimi", "sukunimi"})
_PROPER = _PERSON | {"paikannimi"}

# Words after which the next capitalised words are someone's name.
_CUES = frozenset(
    """olen minä nimeni terveisin terv t yt mvh moi hei kiitos kiitokset rouva herra tri lähettäjä
    allekirjoittanut oon poikani tyttäreni naapurini vaimoni mieheni äitini isäni mummoni siskoni
    veljeni ystäväni kaveri heter hälsningar hälsning hej tack fru herr undertecknad syster bror
    son dotter make vän regards sincerely thanks dear hi hello mr mrs ms miss dr signed am by owner
    contact wife husband daughter sister brother grandmother grandfather mother father friend""".split()  # noqa: SIM905 (a word list reads better as words)
)
# Capitalised words that are never names themselves, whatever their neighbours.
_NEVER = frozenset(
    """hei moi terveisin kiitos kiitokset olen minä me te he hän se ne tämä tässä ja tai mutta jag
    vi du han hon det den och eller men tack hej hälsningar i we you he she it they the and or but
    thanks hello hi dear regards my name is am dr mr mrs ms tri rouva herra fru herr""".split()  # noqa: SIM905 (a word list reads better as words)
)
_MAX_CUED = 3


@dataclass
class _Word:
    start: int
    end: int
    text: str
    classes: frozenset[str]
    first: bool | None = None  # opens a sentence; looked up only when a rule needs it
    name: bool = False


def names(text: str) -> Iterator[tuple[int, int]]:
    found = [
        _Word(m.start(), m.end(), w, frozenset())
        for m in CAPITALISED.finditer(text)
        if len(w := m.group(0)) > 1 and not w.isupper() and w.lower() not in _NEVER
    ]
    for word in found:
        word.classes = word_classes(word.text)
        word.name = _strong(text, word)
    for i, word in enumerate(found):
        if word.name:
            continue
        prev = found[i - 1] if i > 0 and only_space_between(text, found[i - 1].end, word.start) else None
        nxt = found[i + 1] if i + 1 < len(found) and only_space_between(text, word.end, found[i + 1].start) else None
        after_first_name = prev is not None and prev.name and "etunimi" in prev.classes and _may_follow(word)
        before_name = (
            nxt is not None
            and nxt.name
            and ("sukunimi" in nxt.classes or "sukunimi" in word.classes or _nominative_proper(word))
            and bool(word.classes & _PROPER or not _first(text, word))
        )
        # "Hilkka tässä": "X here" introduces the writer
        introduced = text.startswith(" tässä", word.end) and (not word.classes or bool(word.classes & _PERSON))
        word.name = after_first_name or before_name or introduced or _cued(text, found, i)
    yield from _spans(text, found)


def _strong(text: str, word: _Word) -> bool:
    classes = word.classes
    if not classes & _PERSON or "paikannimi" in classes:
        return False
    return not (classes - _PROPER and _first(text, word))


def _first(text: str, word: _Word) -> bool:
    if word.first is None:
        word.first = sentence_start(text, word.start)
    return word.first


def _may_follow(word: _Word) -> bool:
    """A surname after a first name: any capitalised word but a street name.

    Many Finnish surnames are place names or ordinary words too ("Peltola", "Salo", "Lahti",
    "Rinne", "Kivimäki"), and inflected ones may be unknown ("Tiina Elovaaralle"); measured on
    the development set, refusing inflected places here lost names and gained no precision.
    """
    return "sukunimi" in word.classes or not is_street(word.text.lower())


def _nominative_proper(word: _Word) -> bool:
    """A surname-like word before a first name ("Nieminen Pekka"): a proper noun in its base form."""
    return bool(word.classes & _PROPER) and is_base_form(word.text)


def _cued(text: str, found: list[_Word], i: int) -> bool:
    """A cue word just before this word, or before the run of capitalised words that ends with it."""
    word = found[i]
    if word.classes and not word.classes & _PERSON:
        return False  # an ordinary word or a place after a cue ("Terveisin Espoon kaupunki")
    if is_street(word.text.lower()):
        return False
    first = i
    while (
        first > 0 and i - first < _MAX_CUED - 1 and only_space_between(text, found[first - 1].end, found[first].start)
    ):
        first -= 1
    for j in range(first, i + 1):
        start = found[j].start
        gap_start = start
        while gap_start > 0 and start - gap_start < 3 and text[gap_start - 1] in " .,:":
            gap_start -= 1
        if gap_start == start or not text[gap_start - 1 : gap_start].isalpha():
            continue
        previous = text[word_start(text, gap_start) : gap_start].lower()
        if previous in _CUES and (previous != "t" or text[gap_start : gap_start + 1] in ".:"):
            return all(not found[k].classes or found[k].classes & _PERSON or found[k].name for k in range(j, i + 1))
    return False


def _spans(text: str, found: list[_Word]) -> Iterator[tuple[int, int]]:
    start = end = -1
    for word in found:
        if not word.name:
            continue
        if start >= 0 and only_space_between(text, end, word.start):
            end = word.end
            continue
        if start >= 0:
            yield start, end
        start, end = word.start, word.end
    if start >= 0:
        yield start, end
