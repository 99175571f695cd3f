"""The shortcuts that spare redaction's work on ordinary fields give the answers of the full rules.

Each shortcut (``privacy/names.py``'s test for a word a name may start from, the lower-case cue's quick
exits, the e-mail separator's pre-check, the compiled identifier pre-check, the remembered envelope ids)
is checked against what it stands in for, on drawn texts dense in what the rules read: names and
ordinary words, capitals at and after sentence starts, cue words, separators and digits.
"""

import re
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from privacy import enforce, identifiers, names
from privacy.identifiers import KINDS, may_hold, precheck
from privacy.policy import ID_REFUSING_KINDS
from tests.privacy.strategies import seeded_text

# words the name rules read: first names, surnames, places, streets, nouns, verbs, cues (both cases), unknowns
_WORDS = """Matti Virtanen Anna anna Lahti Kivimäki Rinne Kaija Peltola Hilkka tässä olen oon eetu aleksi Noah and
Emma Wilson och ja Naapurini naapurini rouva Koski terveisin Terveisin t. T. // Kiitos Asia Hain Espoon kaupunki
Kivenlahdentie Mannerheimintie 43 B 12 I live at i'm Its hälsningar Jean-Luc Marie Tiina Elovaaralle Nieminen
Pekka Poikani Kilon koulussa Jyrki lupasi Heikki Lindroos Hiroshi Gatuunderhåll Tack Hej Min syster Malin
my name is Regards Mr Dr Xyzzy Qwerty Biblioteket""".split()  # noqa: SIM905 (a word list reads better as words)
_SEPARATORS = [" ", " ", "  ", ", ", ". ", "! ", "\n", " - ", ": ", ' "', " (", "… "]
_texts = st.lists(st.tuples(st.sampled_from(_WORDS), st.sampled_from(_SEPARATORS)), max_size=12).map(
    lambda parts: "".join(word + separator for word, separator in parts).strip()
)
_texts_anywhere = st.one_of(_texts, _texts.map(lambda t: "x " + t), st.text(max_size=30))


@settings(max_examples=800, deadline=None)
@given(_texts_anywhere)
def test_a_text_without_a_word_a_name_may_start_from_has_no_name_by_the_rules(text):
    if not names._may_start_a_name(text):
        assert list(names._by_rules(text)) == [], text
    assert list(names._capitalised(text)) == list(names._by_rules(text))


def _lower_case_without_shortcuts(text: str) -> list[tuple[int, int]]:
    """``names._lower_case`` as it was before its quick exits (the reference)."""
    found = []
    opening = names._LOWER_CUE.match(" " + text[:80])
    if opening is not None:
        found += names._lower_case_name(opening, -1)
    for match in names._LOWER_CUE.finditer(text):
        found += names._lower_case_name(match, 0)
    return found


@settings(max_examples=1000, deadline=None)
@given(_texts_anywhere)
def test_lower_case_names_with_the_quick_exits_are_those_without(text):
    assert list(names._lower_case(text)) == _lower_case_without_shortcuts(text)


def test_the_lower_case_cue_opening_a_text_is_still_read():
    assert list(names._lower_case("oon eetu ja tykkään puistosta")) == [(4, 8)]
    assert list(names._lower_case("hei oon eetu")) == [(8, 12)]


_dense = st.text(alphabet="aäAÄtT @([{<)]}>. xyz0123456789", max_size=40)


@settings(max_examples=1000, deadline=None)
@given(st.one_of(_dense, seeded_text(kinds=("email",)).map(lambda s: s.text), _texts))
def test_the_email_pre_check_says_no_only_where_no_separator_is(text):
    if not identifiers._may_hold_separator(text):
        assert identifiers._SEPARATOR.search(text) is None, text
        assert list(identifiers.emails(text)) == []


_AT_LEAST = {n: re.compile(rf"(?:\D*+\d){{{n}}}").match for n in (7, 9)}


def _may_hold_as_it_was(text: str, kinds: frozenset[str]) -> bool:
    """The pre-check as a sequence of Python tests, before it was one compiled pattern (the reference)."""
    if "email" in kinds and any(s in text for s in ("@", "t ", "T ", "(", "[", "{", "<")):
        return True
    if "phone" in kinds:
        if _AT_LEAST[7](text):
            return True
    elif "identity_code" in kinds and _AT_LEAST[9](text):
        return True
    return "iban" in kinds and len(text) >= 15 and re.search(r"[A-Za-z]{2} ?\d\d", text) is not None


_kind_sets = st.sampled_from(
    [
        KINDS,
        ID_REFUSING_KINDS,
        frozenset({"iban"}),
        frozenset({"email", "phone"}),
        frozenset({"identity_code"}),
        frozenset(),
    ]
)
_id_like = st.text(alphabet="0123456789" * 3 + "abFISEfi-_: @(tT\n", max_size=30)
_ascii = st.text(alphabet=st.characters(max_codepoint=127), max_size=40)  # every ASCII character, classes and all


@settings(max_examples=1000, deadline=None)
@given(st.one_of(_id_like, _dense, _ascii, seeded_text().map(lambda s: s.text)), _kind_sets)
def test_the_compiled_pre_check_answers_as_the_tests_it_replaced(text, kinds):
    assert may_hold(text, kinds) is _may_hold_as_it_was(text, kinds)
    assert precheck(kinds)(text) is may_hold(text, kinds)
    # ASCII text is read as bytes of character classes, other text by the one pattern: the same answers
    assert (precheck(kinds).pattern(text) is not None) is may_hold(text, kinds)


def _event(subject_id: str, event_id: str = "e-1") -> dict:
    return {"event_id": event_id, "subject_id": subject_id, "source": "test", "type": "feedback.status_changed"} | {
        "payload": {"state": "in_process"}
    }


def test_a_subject_id_is_remembered_only_once_it_passed_and_the_memory_is_bounded(monkeypatch):
    monkeypatch.setattr(enforce, "_passed_ids", set())
    monkeypatch.setattr(enforce, "_MAX_PASSED_IDS", 3)
    refusing = "asiakas-131052-308T"  # an identity code
    for _ in range(2):  # refused every time: a refusing id is never remembered
        with pytest.raises(enforce.PersonalDataInId, match="subject_id"):
            enforce.redact_event(_event(refusing), Counter())
    assert refusing not in enforce._passed_ids
    for n in range(5):
        enforce.redact_event(_event(f"fb-{n}"), Counter())
    assert len(enforce._passed_ids) <= 3 and "fb-4" in enforce._passed_ids
    # the event id is checked first and never remembered: the same event id with an identity code is refused again
    for _ in range(2):
        with pytest.raises(enforce.PersonalDataInId, match="event_id"):
            enforce.redact_event(_event("fb-4", event_id=refusing), Counter())
    assert refusing not in enforce._passed_ids
