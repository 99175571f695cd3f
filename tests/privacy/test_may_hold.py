"""The pre-check before the identifier patterns, and the memo of structured strings: the same answers as without.

``may_hold`` lets short codes, states and ids skip the patterns, so it must never say "cannot hold" of a
string in which a pattern finds something; the memo must return exactly what redaction returns. Both are
checked against the full patterns on drawn strings (dense in digits, separators and letters, which is
where the two meet) and on seeded identifiers.
"""

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from privacy import enforce
from privacy.identifier_memo import IdentifierMemo
from privacy.identifiers import KINDS, may_hold
from privacy.normalise import normalise, unchanged
from privacy.policy import ID_REFUSING_KINDS
from privacy.redact import find, redact
from tests.privacy.strategies import iban_check_digits, identity_codes, seeded_text

# digits, letters glued to digits (IBAN country codes), every separator a pattern reads, spaces, Latin letters
_ALPHABET = "0123456789" * 4 + "FIfiSEseGBatATdot" + " -+./()[]{}<>@_:#" + "äöåéAXY" + "\u00a0\u2013\uff10\u00b2"
_dense = st.text(alphabet=_ALPHABET, max_size=40)
_seeded = seeded_text(kinds=("identity_code", "phone", "email", "iban")).map(lambda s: s.text)
_cut = _seeded.flatmap(lambda t: st.tuples(st.just(t), st.integers(0, len(t)), st.integers(0, len(t)))).map(
    lambda x: x[0][min(x[1], x[2]) : max(x[1], x[2])]
)
_digit_groups = st.lists(st.text("0123456789", min_size=1, max_size=4), min_size=1, max_size=4)
# identifiers at their shortest: a phone of six to nine digits, Norway's 15-character IBAN written every way
_short_phones = st.builds(
    lambda lead, groups, separator: lead + separator.join(groups),
    st.sampled_from(["0", "+", "00", "(0", "+358 ", "0) "]),
    _digit_groups,
    st.sampled_from(["", " ", "-", ".", "/", " - "]),
)
_short_ibans = st.builds(
    lambda bban, country, space, group: f"{country}{space}{iban_check_digits('NO', bban)}{' ' if group else ''}{bban}",
    st.text("0123456789", min_size=11, max_size=11),
    st.sampled_from(["NO", "no", "No"]),
    st.sampled_from(["", " "]),
    st.booleans(),
)
_strings = st.one_of(_dense, _seeded, _cut, _short_phones, _short_ibans, identity_codes())


def _kinds_found(text: str) -> set[str]:
    return {finding.kind for finding in find(text, names=False)}


@settings(max_examples=1000, deadline=None)
@given(_strings)
def test_may_hold_never_says_no_where_a_pattern_finds(text):
    normal, _ = normalise(text)
    found = _kinds_found(normal)
    for kinds in (KINDS, ID_REFUSING_KINDS):
        if found & kinds:
            assert may_hold(normal, kinds), (text, found)


@settings(max_examples=1000, deadline=None)
@given(_strings)
def test_structured_redaction_with_precheck_and_memo_is_redaction(text):
    cleaned, found = redact(text, names=False)
    for _ in range(2):  # the miss, then the hit
        memo_cleaned, memo_found = enforce._memo(text)
        assert (memo_cleaned, dict(memo_found)) == (cleaned, dict(found))
    refusing = sorted(kind for kind in found if kind in ID_REFUSING_KINDS)
    assert enforce._refusing_kinds(text) == refusing


def test_may_hold_at_each_identifier_s_shortest_writing():
    shortest = ["0401234", "040 1234", "NO9386011117947", "NO 9386011117947", "no 93 8601 1117 947", "010101-123N"]
    assert [s for s in shortest if _kinds_found(s)] == shortest
    assert [s for s in shortest if may_hold(s)] == shortest


def test_the_precheck_spares_codes_states_and_ids_and_not_identifiers():
    spared = ["410", "in_process", "Vanha-Espoo", "fb-000159", "§ 41", "2024-01", "valtuusto-2024-02"]
    assert not [s for s in spared if may_hold(s)]
    # seven digits may be a phone; nine an identity code; an @ an e-mail; two letters and two digits an IBAN
    held = ["040 1234567", "010101-123N", "a@b.fi", "FI21 1234 5600 0007 85", "nimi (at) posti.fi"]
    assert [s for s in held if may_hold(s)] == held
    # ids are refused only for identity codes, e-mails and IBANs: seven or eight digits need no patterns
    ids = ["fb-0000159:received", "survey-0001826", "fb-01000000"]
    assert not [s for s in ids if may_hold(s, ID_REFUSING_KINDS)]
    assert [s for s in ids if may_hold(s)] == ids


def test_non_ascii_text_that_normalisation_changes_takes_the_full_patterns():
    full_width = "０４０ １２３ ４５６７"  # a phone in full-width digits: normalisation makes it one
    assert not unchanged(full_width)
    assert _kinds_found(full_width) == {"phone"}
    assert enforce._identifiers_only(full_width)[0] == redact(full_width, names=False)[0] != full_width


def test_the_memo_is_bounded_in_entries_and_characters_and_drops_the_oldest_first():
    calls: list[str] = []

    def compute(value: str) -> tuple[str, Counter[str]]:
        calls.append(value)
        return value.upper(), Counter()

    memo = IdentifierMemo(compute, max_entries=3, max_chars=40, max_length=10)
    for value in ["a", "b", "c", "d"]:
        memo(value)
    assert len(memo) == 3 and memo("a") == ("A", Counter()) and calls.count("a") == 2  # "a" left first
    memo("b")
    assert calls.count("b") == 2  # "a" came back in, so "b" (now oldest) had left
    memo("x" * 11)
    memo("x" * 11)
    assert calls.count("x" * 11) == 2  # longer than max_length: never kept
    for value in ["0123456789", "abcdefghij", "ABCDEFGHIJ"]:  # 20 characters each (key and upper-cased copy)
        memo(value)
    assert memo.chars <= 40 and len(memo) == 2


def test_free_text_is_never_memoised():
    before = len(enforce._memo)
    event = {
        "event_id": "e-1",
        "subject_id": "s-1",
        "source": "t",
        "type": "feedback.received",
        "payload": {"description": "Ainutkertainen teksti numero 8723", "service_code": "memo-test-code"},
    }
    enforce.redact_event(event, Counter())
    assert len(enforce._memo) == before + 1  # the service code only
    assert "Ainutkertainen teksti numero 8723" not in enforce._memo._kept
