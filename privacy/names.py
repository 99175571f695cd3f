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

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from privacy.language import is_base_form, is_nominative_noun, word_classes
from privacy.streets import has_surname_ending, is_street
from privacy.words import CAPITALISED, sentence_start

_PERSON = frozenset({"etunimi", "sukunimi"})
_PROPER = _PERSON | {"paikannimi"}
_NOMINAL = _PROPER | {"nimisana", "nimisana_laatusana"}

# Words after which the next capitalised words are someone's name.
_CUES = frozenset(
    """olen minä nimeni terveisin terv t yt mvh moi hei kiitos kiitokset rouva herra tri lähettäjä
    allekirjoittanut oon poikani tyttäreni naapurini vaimoni mieheni äitini isäni mummoni siskoni
    veljeni ystäväni kaveri heter hälsningar hälsning hej tack fru herr undertecknad syster bror
    son dotter make vän regards sincerely thanks dear hi hello mr mrs ms miss dr signed am by owner
    contact wife husband daughter sister brother grandmother grandfather mother father friend""".split()  # noqa: SIM905 (a word list reads better as words)
)
# Cues that can only be followed by a person (kinship words, honorifics): after them, with a single space,
# any capitalised word in its base form continues the name ("Naapurini Kaija Rinne", "rouva Koski").
_PERSON_CUES = frozenset(
    """rouva herra tri poikani tyttäreni naapurini vaimoni mieheni äitini isäni mummoni siskoni veljeni
    ystäväni kaveri fru herr syster bror son dotter make mr mrs ms miss dr wife husband daughter sister
    brother grandmother grandfather mother father friend""".split()  # noqa: SIM905 (a word list reads better as words)
)
# Capitalised words that are never names themselves, whatever their neighbours.
_NEVER = frozenset(
    """hei moi terveisin kiitos kiitokset olen minä me te he hän se ne tämä tässä ja tai mutta jag
    vi du han hon det den och eller men tack hej hälsningar i we you he she it they the and or but
    thanks hello hi dear regards my name is am dr mr mrs ms tri rouva herra fru herr""".split()  # noqa: SIM905 (a word list reads better as words)
)
_MAX_CUED = 3
# Cue words reversed (they are read backwards from the word they cue), with their kind.
_CUE_KINDS = {cue[::-1]: "person" if cue in _PERSON_CUES else "cue" for cue in _CUES}
_NUMBER_AFTER = re.compile(r" {1,2}\d")  # a street's house number
_AND = re.compile(r" (?:and|och|ja|&) ")  # "Noah and Emma Wilson", "Jean-Luc och Marie"
# Reversed: one to three of " .,:" then a word no longer than the longest cue (a longer word is no cue).
_CUE_BACKWARDS = re.compile(rf"([ .,:]{{1,3}})([^\W\d_]{{1,{max(map(len, _CUES))}}})(?![^\W\d_])")


@dataclass(frozen=True, slots=True)
class _Reading:
    """What a word form says by itself, whatever its neighbours: looked up once per form (forms repeat)."""

    classes: frozenset[str]
    strong: bool  # a name wherever it stands: a person's name with no other reading and no place reading
    strong_inside: bool  # a name unless it opens a sentence: a person's name with an ordinary reading too
    first_name: bool
    surname: bool
    proper: bool
    # May be a surname after a first name: any capitalised word but a street name. Many Finnish
    # surnames are place names or ordinary words too ("Peltola", "Salo", "Lahti", "Rinne",
    # "Kivimäki"), and inflected ones may be unknown ("Tiina Elovaaralle"); measured on the
    # development set, refusing inflected places here lost names and gained no precision.
    may_follow: bool
    # A street-like word that may be a surname too ("Jyrki Kivimäki"): a surname after a first name
    # unless a house number follows ("Kivimäki 4").
    may_follow_unless_number: bool
    street: bool
    # may end a run of names after a cue: no street, and unknown, a person's name or (after a person cue) a noun
    may_be_cued: bool
    cue_member: bool  # may belong to a run of names after a cue word: unknown, or a person's name
    # Whether a text can hold a name at all, read off the rules of ``_capitalised``: a run of names always
    # starts at a word that is a name by itself (``strong``, or ``strong_inside`` within a sentence), a cue's
    # member, or a noun after a person cue (never at a sentence's start); a text with none of these has none.
    starts_anywhere: bool  # strong or cue_member
    starts_inside: bool  # strong_inside or may_be_cued: only where it does not open a sentence


@lru_cache(maxsize=65536)
def _reading(word: str) -> _Reading | None:
    """The word form's reading, or ``None`` when it cannot be a name (one letter, all capitals, a never-name)."""
    if len(word) < 2 or word.isupper() or word.lower() in _NEVER:
        return None
    classes = word_classes(word)
    person = bool(classes & _PERSON)
    surname = "sukunimi" in classes
    street = is_street(word.lower())
    place = "paikannimi" in classes
    cue_member = not classes or person
    strong_inside = person and not place
    strong = strong_inside and not classes - _PROPER
    may_be_cued = not street and (cue_member or bool(classes & _NOMINAL))
    return _Reading(
        classes=classes,
        strong=strong,
        strong_inside=strong_inside,
        first_name="etunimi" in classes,
        surname=surname,
        proper=bool(classes & _PROPER),
        may_follow=surname or not street,
        may_follow_unless_number=street and has_surname_ending(word.lower()),
        street=street,
        may_be_cued=may_be_cued,
        cue_member=cue_member,
        starts_anywhere=strong or cue_member,
        starts_inside=strong_inside or may_be_cued,
    )


def names(text: str) -> Iterator[tuple[int, int]]:
    yield from _capitalised(text)
    yield from _lower_case(text)


def _capitalised(text: str) -> Iterator[tuple[int, int]]:
    # Most short fields have no word a name could start from (a verb or a noun opening the sentence): done,
    # without the match objects, lists and neighbour rules of ``_by_rules``. A long text almost always has
    # one, and the test would only read it twice.
    if len(text) > _SHORT or _may_start_a_name(text):
        yield from _by_rules(text)


def _by_rules(text: str) -> Iterator[tuple[int, int]]:
    """The capitalised words that are names by the rules of this module, with their neighbours and cues."""
    found = [(m, r) for m in CAPITALISED.finditer(text) if (r := _reading(m[0])) is not None]
    if not found:
        return
    starts = [m.start() for m, _ in found]
    ends = [m.end() for m, _ in found]
    readings = [r for _, r in found]
    count = len(readings)
    # joined[i]: word i follows word i - 1 with only a space or two between (as in "Matti Virtanen")
    joined = [False] + [0 < s - e <= 2 and not text[e:s].strip() for e, s in zip(ends, starts[1:], strict=False)]
    name = [
        r.strong or (r.strong_inside and not sentence_start(text, s)) for r, s in zip(readings, starts, strict=True)
    ]
    cue_before: list[str | None] = [None] * count  # what precedes each word, looked up when first needed
    backwards = text[::-1]  # for ``_cue_before``
    for i, reading in enumerate(readings):
        if name[i]:
            continue
        name[i] = (
            # a surname after a first name ("Heikki Lindroos")
            (
                joined[i]
                and name[i - 1]
                and readings[i - 1].first_name
                and (
                    reading.may_follow or (reading.may_follow_unless_number and not _NUMBER_AFTER.match(text, ends[i]))
                )
            )
            # a first name or unknown word joined to a first name by "and" ("Noah and Emma Wilson")
            or (
                reading.cue_member
                and i + 1 < count
                and name[i + 1]
                and readings[i + 1].first_name
                and _AND.fullmatch(text, ends[i], starts[i + 1]) is not None
            )
            # a surname-like word before a name ("Nieminen Pekka")
            or (
                i + 1 < count
                and joined[i + 1]
                and name[i + 1]
                and _before_name(text, starts[i], ends[i], reading, readings[i + 1])
            )
            # "Hilkka tässä": "X here" introduces the writer
            or (reading.cue_member and text.startswith(" tässä", ends[i]))
            # after a cue; a noun only after a person cue and in the nominative, so never at a sentence's start
            or (
                reading.may_be_cued
                and (
                    reading.cue_member
                    or (not sentence_start(text, starts[i]) and is_nominative_noun(text[starts[i] : ends[i]]))
                )
                and _cued(text, backwards, starts, ends, joined, readings, name, cue_before, i)
            )
        )
    yield from _spans(starts, ends, joined, name)


_SHORT = 300  # characters: up to this, a text is first asked whether a name may start in it


def _may_start_a_name(text: str) -> bool:
    """Whether some capitalised word may start a run of names (``_Reading.starts_anywhere``, or
    ``starts_inside`` where it does not open a sentence); False means ``_capitalised`` finds nothing.

    Read from the words alone (no match objects): where a word may only start a name inside a sentence,
    each place its letters occur is checked, every place of the word itself among them, so a word that
    opens one sentence and stands inside another is not missed.
    """
    for word in CAPITALISED.findall(text):
        reading = _reading(word)
        if reading is None:
            continue
        if reading.starts_anywhere:
            return True
        if reading.starts_inside:
            at = text.find(word)
            while at >= 0:
                if at and not sentence_start(text, at):  # the text's first word opens a sentence
                    return True
                at = text.find(word, at + 1)
    return False


def _before_name(text: str, start: int, end: int, reading: _Reading, following: _Reading) -> bool:
    """A word right before a name is a name too when either has a surname reading or it is a proper noun in its
    base form, and it is a proper noun or stands inside a sentence."""
    return (following.surname or reading.surname or _nominative_proper(text, start, end, reading)) and (
        reading.proper or not sentence_start(text, start)
    )


def _nominative_proper(text: str, start: int, end: int, reading: _Reading) -> bool:
    """A surname-like word before a first name ("Nieminen Pekka"): a proper noun in its base form."""
    return reading.proper and is_base_form(text[start:end])


def _cued(
    text: str,
    backwards: str,
    starts: list[int],
    ends: list[int],
    joined: list[bool],
    readings: list[_Reading],
    name: list[bool],
    cue_before: list[str | None],
    i: int,
) -> bool:
    """A cue word just before this word, or before the run of capitalised words that ends with it.

    The run's words must be unknown words or persons' names (or already names): "Terveisin
    Espoon kaupunki" is an ordinary word and a place after a cue, no name. After a person cue
    and a single space, nouns in the nominative count too: "Naapurini Kaija Rinne" ("Kaija" is a place to
    the dictionary, "Rinne" a slope), but not "poikani Kilon koulussa".
    """
    first = i
    while first > 0 and i - first < _MAX_CUED - 1 and joined[first]:
        first -= 1
    for j in range(first, i + 1):
        cue = cue_before[j]
        if cue is None:
            cue = cue_before[j] = _cue_before(backwards, starts[j])
        if cue == "person":
            return all(
                readings[k].cue_member
                or name[k]
                or (not readings[k].street and is_nominative_noun(text[starts[k] : ends[k]]))
                for k in range(j, i + 1)
            )
        if cue:
            return all(readings[k].cue_member or name[k] for k in range(j, i + 1))
    return False


def _cue_before(backwards: str, start: int) -> str:
    """What precedes ``start``: "person" for a person cue and a space, "cue" for another cue, else "".

    A cue is a cue word across one to three of " .,:" ("t" only as "t." or "t:"), or a
    signature's "//" ("//Liisa"). Read as one match on the reversed text (``backwards``), from
    the character before ``start``.
    """
    position = len(backwards) - start
    if backwards.startswith(("//", " //"), position):
        return "cue"
    match = _CUE_BACKWARDS.match(backwards, position)
    if match is None:
        return ""
    kind = _CUE_KINDS.get(match.group(2).lower(), "")
    if kind == "person":
        return kind if match.group(1) == " " else "cue"
    if kind and match.group(2) in "tT" and match.group(1)[-1] not in ".:":
        return ""
    return kind


# Lower-case names are looked for only right after a word that introduces a person ("moi oon eetu",
# "mun kaveri aleksi", "hi its jake again"): one pattern that starts with a space (the engine skips
# quickly to those), and a dictionary look-up of the one or two words after it.
_LOWER_CUES = """olen oon terveisin kaveri kaverini ystäväni poikani tyttäreni naapurini siskoni veljeni
    heter i'm i’m im it's it’s its Olen Oon Im I'm I’m Its It's It’s""".split()  # noqa: SIM905 (a word list reads better as words)
# Literal alternatives only (capitalised where a sentence may open with them): the engine then
# rejects most spaces at the first character of each.
_LOWER_CUE = re.compile(
    " (?:"
    + "|".join(re.escape(cue) for cue in _LOWER_CUES)
    + r") ([a-zåäöéü][^\W\d_]*+)(?: ([a-zåäöéü][^\W\d_]*+))?(?![\w\-])"
)
# A cue can open the text only if the text starts with its first letter (most texts do not).
_LOWER_CUE_INITIALS = frozenset(cue[0] for cue in _LOWER_CUES)
_FIRST_NAME_ONLY = frozenset({"etunimi", "sukunimi", "nimisana"})


def _lower_case(text: str) -> Iterator[tuple[int, int]]:
    """A lower-case first name after a word that introduces a person, with a lower-case surname after it."""
    if text[:1] in _LOWER_CUE_INITIALS:  # a cue that opens the text has no space before it
        opening = _LOWER_CUE.match(" " + text[:80])
        if opening is not None:
            yield from _lower_case_name(opening, -1)
    if _LOWER_CUE.search(text) is None:  # the usual case: no introducing word, no loop
        return
    for match in _LOWER_CUE.finditer(text):
        yield from _lower_case_name(match, 0)


def _lower_case_name(match: re.Match[str], shift: int) -> Iterator[tuple[int, int]]:
    if not _is_lower_case_first_name(match.group(1)):
        return
    end = match.end(1)
    if match.group(2) and "sukunimi" in word_classes(match.group(2)):
        end = match.end(2)
    yield match.start(1) + shift, end + shift


@lru_cache(maxsize=4096)
def _is_lower_case_first_name(word: str) -> bool:
    """A first name with no reading but a name's or a noun's: "eetu", "aleksi", "onni"; not "aina" (an adverb)."""
    classes = word_classes(word)
    return "etunimi" in classes and classes <= _FIRST_NAME_ONLY


def _spans(starts: list[int], ends: list[int], joined: list[bool], name: list[bool]) -> Iterator[tuple[int, int]]:
    """Runs of names joined by spaces as one span each ("Matti Virtanen", not two)."""
    start = -1
    end = -1
    for i, is_name in enumerate(name):
        if not is_name:
            continue
        if start >= 0 and joined[i] and name[i - 1]:
            end = ends[i]
            continue
        if start >= 0:
            yield start, end
        start, end = starts[i], ends[i]
    if start >= 0:
        yield start, end
