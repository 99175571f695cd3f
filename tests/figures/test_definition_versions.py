"""Definitions are versioned data: no built-in definition changes without a new recorded version."""

from dataclasses import replace

from figures import definition_versions
from figures.indicators import BUILT_IN, _outcome_indicator
from figures.recipe import canonical_definition, definition, definition_sha256


def test_every_built_in_definition_matches_its_newest_recorded_version():
    """Fails when a definition's text, unit, direction, sources, compute rule or provisional rule changed
    without a new version (with its hash and a note) in figures/definition_versions.json."""
    for indicator in BUILT_IN:
        newest = definition_versions.current(indicator.code)
        assert newest is not None, f"{indicator.code}: no version recorded"
        assert definition_sha256(indicator) == newest.sha256, (
            f"{indicator.code}: its definition changed; record version {newest.version + 1} with its sha256 "
            f"{definition_sha256(indicator)} and a note of what changed"
        )
        assert indicator.version == newest.version


def test_versions_are_recorded_in_order_with_notes():
    for code, versions in definition_versions.registry().items():
        assert [v.version for v in versions] == list(range(1, len(versions) + 1)), code
        assert all(v.note.strip() for v in versions), code
        assert len({v.sha256 for v in versions}) == len(versions), f"{code}: a version repeats an earlier content"


def test_the_hash_covers_every_part_of_a_definition():
    base = BUILT_IN[0]
    changed = [
        replace(base, name={**base.name, "en": base.name["en"] + "!"}),
        replace(base, definition={**base.definition, "sv": "annat"}),
        replace(base, method={**base.method, "fi": "toinen"}),
        replace(base, unit="min"),
        replace(base, direction="higher"),
        replace(base, sources=("feedback", "survey")),
        replace(base, compute=BUILT_IN[1].compute),
        replace(base, code="feedback_closed_share"),  # another code has another provisional rule (and id)
    ]
    hashes = {definition_sha256(i) for i in changed}
    assert definition_sha256(base) not in hashes
    assert len(hashes) == len(changed)


def test_outcome_indicators_are_version_1_with_the_hash_of_their_reported_definition():
    first = _outcome_indicator("hyvinvointi", {"name": {"fi": "Hyvinvointi"}, "unit": "%", "direction": "higher"})
    other = _outcome_indicator("hyvinvointi", {"name": {"fi": "Hyvinvointi"}, "unit": "points", "direction": "higher"})
    assert first.version == 1
    assert definition(first) == {"id": "hyvinvointi", "version": 1, "sha256": definition_sha256(first)}
    assert canonical_definition(first)["unit"] == "%"
    assert definition_sha256(first) != definition_sha256(other)
