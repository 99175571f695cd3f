"""Charts are valid SVG with a title, a description in words and escaped text; every page
text exists in Finnish, Swedish and English."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from api import charts, i18n

SVG = "{http://www.w3.org/2000/svg}"
SERIES = [
    {"period": "2026-01", "value": 40.0, "target": 48.0, "n": 20},
    {"period": "2026-02", "value": None, "target": 48.0, "n": 3},
    {"period": "2026-03", "value": 52.5, "target": 48.0, "n": 25},
]


def test_line_chart_is_described_in_words():
    svg = ET.fromstring(str(charts.line_chart(SERIES, chart_id="c1", title="Vastausaika <b>", unit="h", lang="fi")))
    assert svg.get("role") == "img" and svg.get("aria-labelledby") == "c1-t c1-d"
    assert svg.find(f"{SVG}title").text == "Vastausaika <b>"  # escaped in the markup, intact when parsed
    desc = svg.find(f"{SVG}desc").text
    assert "tammikuu 2026" in desc and "maaliskuu 2026" in desc and "52,5" in desc and "48,0" in desc
    assert len(svg.findall(f"{SVG}circle")) == 2  # the withheld month is a gap, not a zero
    assert svg.find(f"{SVG}path").get("stroke-dasharray")  # the target is dashed, not only coloured


def test_sparkline_and_bars_parse():
    ET.fromstring(str(charts.sparkline(SERIES, chart_id="s", title="t", unit="h", lang="sv")))
    bands = [{"from": 0, "to": 4, "n": 12, "suppressed": False}, {"from": 4, "to": None, "n": None, "suppressed": True}]
    svg = ET.fromstring(str(charts.bar_chart(bands, chart_id="b", title="t", lang="en", minimum=5)))
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "0–4 h" in texts and "over 4 h" in texts and "withheld (under 5)" in texts


def test_every_message_has_three_languages():
    for key, texts in i18n.MESSAGES.items():
        assert set(texts) == {"fi", "sv", "en"}, key
        assert all(texts.values()), key
        placeholders = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in texts.items()}
        assert placeholders["fi"] == placeholders["sv"] == placeholders["en"], key


def test_every_key_the_templates_use_exists():
    templates = Path(i18n.__file__).parent / "templates"
    used = set()
    for path in templates.glob("*.html"):
        used |= set(re.findall(r"\bt\('([a-z0-9_%]+)'", path.read_text()))
    prefixes = {k for k in used if k.endswith("_")}  # t('status_' ~ code)
    used -= prefixes
    for code in ("met", "not_met", "no_target", "no_value"):
        assert f"status_{code}" in i18n.MESSAGES
    for code in ("improving", "worsening", "steady", "unknown"):
        assert f"trend_{code}" in i18n.MESSAGES
    for code in ("no_target", "no_value", "no_ratio"):
        assert f"reason_{code}" in i18n.MESSAGES
    dynamic = {k for k in i18n.MESSAGES if k.startswith((*prefixes, "unit_"))}
    assert used, "no t('...') calls found"
    assert used - set(i18n.MESSAGES) == set()
    sources = "".join(p.read_text() for p in Path(i18n.__file__).parent.rglob("*") if p.suffix in (".py", ".html"))
    sources = sources.replace(Path(i18n.__file__).read_text(), "")
    unused = {k for k in set(i18n.MESSAGES) - dynamic if f"'{k}'" not in sources and f'"{k}"' not in sources}
    assert unused == set(), f"messages nothing uses: {unused}"


def test_formats_follow_the_language():
    assert i18n.number(1234.5, "fi") == "1\xa0234,5"
    assert i18n.number(1234.5, "en") == "1,234.5"
    assert i18n.month("2026-10", "sv") == "oktober 2026"
    assert i18n.duration(0.5, "en") == "30 min" and i18n.duration(72, "fi") == "3,0 pv"


@settings(max_examples=600, deadline=None)
@given(
    value=st.one_of(
        st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12),
        st.integers(min_value=-(10**12), max_value=10**12),
        st.sampled_from([0.0, -0.0, 0.05, -0.04, 2.675, 1234567.25, 0.5, 1.5, 2.5, 99.995, 1e-7]),
    ),
    lang=st.sampled_from(i18n.LANGUAGES),
    digits=st.integers(min_value=0, max_value=3),
)
def test_numbers_are_written_exactly_as_babel_writes_them(value, lang, digits):
    """i18n.number formats without babel for speed; it must give babel's text for every number."""
    from babel.numbers import format_decimal

    pattern = "#,##0" if digits == 0 else "#,##0." + "0" * digits
    assert i18n.number(value, lang, digits) == format_decimal(value, format=pattern, locale=lang)


def test_zero_and_negative_zero_are_written_apart_whatever_came_first():
    """A cache keyed by the value would answer -0.0 with 0.0's text (they are equal keys); babel writes "-0"."""
    for lang in i18n.LANGUAGES:
        assert (i18n.number(0.0, lang, 0), i18n.number(-0.0, lang, 0)) == ("0", "-0")
        assert (i18n.number(-0.0, lang, 1), i18n.number(0.0, lang, 1))[1] in ("0,0", "0.0")
