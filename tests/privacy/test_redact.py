import pytest

from ingest.demo_data import identity_code
from privacy.redact import MARKERS, is_valid_iban, is_valid_identity_code, redact


@pytest.mark.parametrize(
    ("text", "kind", "secret"),
    [
        ("Hetu 131052-308T, kiitos", "identity_code", "131052-308T"),
        ("syntynyt 2000-luvulla: 010105A9876", "identity_code", None),  # computed below
        ("mail matti.meikalainen@example.fi pls", "email", "matti.meikalainen@example.fi"),
        ("Soita 040 123 4567 illalla", "phone", "040 123 4567"),
        ("puh. 050-1234567", "phone", "050-1234567"),
        ("numero +358 40 123 4567", "phone", "+358 40 123 4567"),
        ("vaihde (09) 310 12345", "phone", "(09) 310 12345"),
        ("ring +46 8 123 456 78", "phone", "+46 8 123 456 78"),
        ("call +1 (555) 123-4567 now", "phone", "+1 (555) 123-4567"),
        ("tilille FI21 1234 5600 0007 85 kiitos", "iban", "FI21 1234 5600 0007 85"),
        ("konto SE4550000000058398257466", "iban", "SE4550000000058398257466"),
    ],
)
def test_personal_data_is_replaced_by_a_marker(text, kind, secret):
    if secret is None:
        secret = "010105A987" + "0123456789ABCDEFHJKLMNPRSTUVWXY"[int("010105987") % 31]
        text = text.replace("010105A9876", secret)
    out, found = redact(text)
    assert secret not in out
    assert MARKERS[kind] in out
    assert found[kind] == 1


@pytest.mark.parametrize(
    "text",
    [
        "Päätös HEL 2015-010556 tehtiin 15.12.2015 klo 13:27",
        "Sturenkatu on suljettu, postinumero 00550 Helsinki",
        "Vuosina 2014-2016 tehtiin 12345678 euron hankinta",
        "hetu-näköinen mutta väärä tarkiste 131052-308A",
        "FI21 1234 5600 0007 86 on väärä tarkiste",
        "Kokous 8.3.2026, pykälä 41, äänin 35-24",
    ],
)
def test_ordinary_numbers_are_left_alone(text):
    out, found = redact(text)
    assert out == text
    assert not found


def test_identity_code_checksum():
    assert is_valid_identity_code("131052-308T")
    assert not is_valid_identity_code("131052-308U")
    assert not is_valid_identity_code("311352-308T")  # no 13th month


def test_generated_identity_codes_are_valid_and_caught():
    import random

    rng = random.Random(1)
    for _ in range(200):
        code = identity_code(rng)
        assert is_valid_identity_code(code)
        assert code not in redact(f"tunnus {code}.")[0]


def test_iban_check_digits():
    assert is_valid_iban("FI2112345600000785")
    assert not is_valid_iban("FI2112345600000786")
    assert not is_valid_iban("FI211234560000078")  # Finnish IBANs are 18 characters


def test_several_kinds_in_one_text():
    text = "Olen 131052-308T, soita 0401234567 tai mailaa a@b.fi, tili FI2112345600000785."
    out, found = redact(text)
    for secret in ("131052-308T", "0401234567", "a@b.fi", "FI2112345600000785"):
        assert secret not in out
    assert sum(found.values()) == 4
