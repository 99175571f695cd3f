"""Every writing of a phone number and an IBAN that issue #9 lists, each as its own case.

Phones: separators ``. / - ( )`` and spaces (also " - " and doubled), ``00358``, ``+358`` (with
``(0)``), ``0``-prefixed, ``puh.``/``tel.`` glued on, no-break and thin spaces, Swedish
``070-123 45 67`` and ``08-123 456 78``, international ``+1 (555) 123-4567``. IBANs: any case,
any grouping (fours, none, odd groups, doubled spaces, dashes, a space after the country code),
no-break and thin spaces, and other countries' IBANs (with letters in the account part too).
Each writing is tried after several lead-ins ("puh.", "tel:", "IBAN:", ...) and must be covered
whole by a finding of its kind. The IBANs' check digits are computed here, not copied.
"""

import pytest

from privacy.redact import MARKERS, find, redact
from tests.privacy.strategies import iban_check_digits

PHONES = [
    "0401234567",
    "040 123 4567",
    "040-123 4567",
    "040-1234567",
    "040 1234 567",
    "040 12 34 567",
    "040 123 45 67",
    "0401 234 567",
    "040.123.4567",
    "040/123 4567",
    "040/1234567",
    "040 - 123 4567",
    "040\u2013123 4567",
    "040 \u2013 123 4567",
    "040  123  4567",
    "(040) 123 4567",
    "(040)1234567",
    "+358401234567",
    "+358 40 123 4567",
    "+358 40 1234567",
    "+358-40-123-4567",
    "+358 (0)40 123 4567",
    "+358 (0) 40 123 4567",
    "+358(0)401234567",
    "00358 40 123 4567",
    "00358401234567",
    "00 358 40 123 4567",
    "09 123 4567",
    "(09) 816 2100",
    "09-816 2100",
    "09 310 12345",
    "+358 9 310 12345",
    "070-123 45 67",
    "070 123 45 67",
    "08-123 456 78",
    "08 123 456 78",
    "08-12345678",
    "031-123 45 67",
    "+46 70 123 45 67",
    "+46 (0)70-123 45 67",
    "0046 70 123 45 67",
    "+46 8 123 456 78",
    "+1 (555) 123-4567",
    "+1 555 123 4567",
    "+1-555-123-4567",
    "+1.555.123.4567",
    "+44 20 7946 0958",
    "+44 (0)20 7946 0958",
    "+49 30 12345678",
    "+372 5123 4567",
    "+7 912 345 67 89",
]
PHONE_LEAD_INS = ["soita ", "puh.", "puh. ", "Puh:", "tel.", "tel:", "p.", "(puh. ", "tfn ", "ring ", "call me on "]
SPACES = ["\u00a0", "\u2009", "\u202f"]  # no-break, thin, narrow no-break


def _iban(country: str, account: str) -> str:
    return country + iban_check_digits(country, account) + account


# Invented accounts of each country's length; GB, NL, IE, FR and IT carry letters in the account part.
IBANS = [
    _iban("FI", "12345600000785"),
    _iban("FI", "79000017553206"),
    _iban("SE", "50000000058398257466"),
    _iban("NO", "86011117947"),
    _iban("DK", "00400440116243"),
    _iban("DE", "370400440532013000"),
    _iban("EE", "2200221020145685"),
    _iban("GB", "ABCD60161331926819"),
    _iban("NL", "ABNA0417164300"),
    _iban("ES", "21000418450200051332"),
    _iban("FR", "20041010050500013M02606"),
    _iban("LT", "1000011101001000"),
    _iban("BE", "539007547034"),
    _iban("IT", "X0542811101000000123456"),
    _iban("PL", "109010140000071219812874"),
    _iban("IE", "AIBK93115212345678"),
]
IBAN_LEAD_INS = ["tili ", "tilille ", "IBAN:", "IBAN ", "konto ", "account no. ", "tilinro:"]


def _fours(compact: str, separator: str = " ") -> str:
    return separator.join(compact[i : i + 4] for i in range(0, len(compact), 4))


def _writings(compact: str) -> list[str]:
    grouped = _fours(compact)
    return [
        compact,
        grouped,
        compact.lower(),
        grouped.lower(),
        grouped.title(),
        _fours(compact, "  "),
        _fours(compact, "-"),
        _fours(compact, "\u00a0"),
        _fours(compact, "\u2009"),
        f"{compact[:2]} {compact[2:4]} {_fours(compact[4:])}",  # a space after the country code
        f"{compact[:4]} {compact[4:10]} {compact[10:]}",  # odd groups
        f"{compact[:6]} {compact[6:]}",
    ]


def _covered_by(text: str, start: int, end: int, kind: str) -> bool:
    covered = set()
    kinds = set()
    for finding in find(text):
        if finding.start < end and start < finding.end:
            covered.update(range(finding.start, finding.end))
            kinds.add(finding.kind)
    return kinds == {kind} and all(i in covered for i in range(start, end) if text[i].isalnum())


@pytest.mark.parametrize("number", PHONES)
def test_every_phone_writing_after_every_lead_in_is_found_whole(number):
    for lead_in in PHONE_LEAD_INS:
        closing = ") kiitos" if lead_in.startswith("(") else ", kiitos"
        text = f"{lead_in}{number}{closing}"
        assert _covered_by(text, len(lead_in), len(lead_in) + len(number), "phone"), text


@pytest.mark.parametrize("number", [n for n in PHONES if " " in n])
@pytest.mark.parametrize("space", SPACES)
def test_phone_writings_with_no_break_and_thin_spaces(number, space):
    written = number.replace(" ", space)
    text = f"soita {written}."
    assert _covered_by(text, 6, 6 + len(written), "phone"), text


@pytest.mark.parametrize("compact", IBANS)
def test_every_iban_writing_after_every_lead_in_is_found_whole(compact):
    for writing in _writings(compact):
        for lead_in in IBAN_LEAD_INS:
            text = f"{lead_in}{writing}, kiitos"
            assert _covered_by(text, len(lead_in), len(lead_in) + len(writing), "iban"), text


def test_an_iban_is_not_lost_to_a_failed_candidate_that_runs_into_it():
    # "AB12 ..." starts a candidate that fails its check digits and would swallow the real IBAN
    iban = _fours(IBANS[0])
    text = f"huone AB12 ja tili {iban} nimellä"
    out, found = redact(text, names=False)
    assert found == {"iban": 1}
    assert out == f"huone AB12 ja tili {MARKERS['iban']} nimellä"


@pytest.mark.parametrize(
    "text",
    [
        "tili FI21 1234 5600 0007 86",  # wrong check digits
        "FI21-1234-5600-0007-86",
        "FI 21 1234 5600 0007 86",
        "at 040 klo 12 ja huone 3",  # words of two letters before numbers are no country codes
        "HEL 2025-001234 ja ESP/1234/2026",
        "Vuosina 2014 - 2016 ja 2017 - 2019",
    ],
)
def test_iban_and_phone_look_alikes_stay(text):
    assert redact(text, names=False) == (text, {})


@pytest.mark.parametrize(
    "text",
    [
        "soita 040 123 4567 / 050 765 4321 kiitos",
        "numerot 040 123 4567 - 09 816 2100",
        "+358 40 123 4567 / +46 70 123 45 67",
    ],
)
def test_a_list_of_phone_numbers_loses_each_of_them(text):
    out, found = redact(text, names=False)
    assert found == {"phone": 2}
    assert not any(ch.isdigit() for ch in out)
