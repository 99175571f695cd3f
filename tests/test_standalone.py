"""The test suite stands alone: a clone with nothing beside it must pass `make test`."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_no_test_reads_outside_the_repository():
    offenders = []
    for path in (REPO / "tests").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "test_standalone.py" and ('"shared"' in text or "../shared" in text):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


def test_every_sample_has_its_provenance():
    readme = (REPO / "tests" / "samples" / "README.md").read_text(encoding="utf-8")
    samples = [p for p in (REPO / "tests" / "samples").rglob("*") if p.is_file() and p.name != "README.md"]
    assert samples
    for sample in samples:
        assert f"`{sample.relative_to(REPO / 'tests' / 'samples')}`" in readme
