"""Property tests: every identifier the strategies write, in any writing and context, is removed."""

from hypothesis import given, settings
from hypothesis import strategies as st

from privacy.redact import MARKERS, find, redact
from tests.privacy.strategies import Seeded, seeded_text


def _covered(seeded: Seeded) -> bool:
    covered = set()
    for finding in find(seeded.text):
        covered.update(range(finding.start, finding.end))
    return all(i in covered for i in range(seeded.start, seeded.end) if seeded.text[i].isalnum())


@settings(max_examples=400, deadline=None)
@given(seeded_text())
def test_every_written_identifier_is_found_where_it_stands(seeded):
    assert _covered(seeded), (seeded.kind, seeded.text)


@settings(max_examples=200, deadline=None)
@given(seeded_text())
def test_redacted_text_keeps_no_digits_of_the_identifier(seeded):
    out, found = redact(seeded.text)
    assert sum(found.values()) >= 1
    digits = "".join(ch for ch in seeded.secret if ch.isdigit())
    assert digits not in "".join(ch for ch in out if ch.isdigit()) or len(digits) < 4
    assert all(word in out for word in seeded.text[: seeded.start].split() if word.isalpha())


@settings(max_examples=200, deadline=None)
@given(seeded_text(kinds=("identity_code", "phone", "email", "iban")))
def test_names_kept_mode_still_removes_identifiers(seeded):
    covered = set()
    for finding in find(seeded.text, names=False):
        covered.update(range(finding.start, finding.end))
    assert all(i in covered for i in range(seeded.start, seeded.end) if seeded.text[i].isalnum())


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_handled_and_findings_are_spans_of_it(text):
    findings = find(text)
    previous_end = 0
    for finding in findings:
        assert previous_end <= finding.start < finding.end <= len(text)
        previous_end = finding.end
    out, counts = redact(text)
    assert sum(counts.values()) == len(findings)
    if not findings:
        assert out == text


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Matti",
                "Virtanen",
                "tie",
                "Kivenlahdentie",
                " ",
                "12",
                "B",
                "@",
                "at",
                ".",
                "-",
                "\u2013",
                "\u00a0",
                "+358",
                "0",
                "ä",
                "(",
                ")",
                "fi21",
            ]
        ),
        max_size=60,
    )
)
def test_hostile_mixtures_of_the_patterns_pieces_never_break(pieces):
    text = "".join(pieces)
    out, counts = redact(text)
    findings = find(text)
    expected, position = [], 0
    for finding in findings:
        expected += [text[position : finding.start], MARKERS[finding.kind]]
        position = finding.end
    assert out == "".join([*expected, text[position:]])
    assert sum(counts.values()) == len(findings)
