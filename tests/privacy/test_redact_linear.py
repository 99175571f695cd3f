"""Adversarial 50,000-character inputs finish with the right output (a guard against catastrophic backtracking).

The alarm is generous (2 s per input, where the redactor takes tens of milliseconds): it is a
guard that a quadratic or exponential pattern would trip, not a performance figure
(``mittari bench redaction`` prints those).
"""

import signal
from contextlib import contextmanager

import pytest

from privacy.bench import ADVERSARIAL
from privacy.redact import redact


@contextmanager
def alarm(seconds: int):
    def expire(signum, frame):
        raise TimeoutError(f"redaction took over {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# Nothing in these adversarial inputs is personal data, except the repeated name (a run of
# names: one span) and the staircase numbers after "Tie".
UNCHANGED = [label for label in ADVERSARIAL if label not in ('"Matti " * 8334', '"Tie 1 A " * 6250')]


@pytest.mark.parametrize("label", UNCHANGED)
def test_adversarial_input_finishes_unchanged(label):
    text = ADVERSARIAL[label]
    assert len(text) >= 49_999
    with alarm(2):
        out, found = redact(text)
    assert (out, found) == (text, {})


def test_a_run_of_names_is_one_finding():
    with alarm(2):
        out, found = redact(ADVERSARIAL['"Matti " * 8334'])
    assert found == {"name": 1}
    assert out == "[REDACTED:name]"


def test_long_email_like_and_phone_like_runs():
    texts = ["a" * 49_990 + "@b.fi", "x." * 24_000 + "@example.fi", "0" * 50_000, "+358 " * 10_000 + "40 123 4567"]
    for text in texts:
        with alarm(2):
            redact(text)
