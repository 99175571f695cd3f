"""Hypothesis fuzzing of both importers with random input and mutated real samples.

The property is the importers' promise: no crash, and every record read is accounted for — it became
at least one valid event, or it is in the dead letters with a reason (nothing vanishes silently).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.settings import load_settings
from ingest.importer import ImportReport, Refusal, append_events
from ingest.jsonl import import_jsonl
from ingest.log import open_log
from ingest.open311 import read_open311
from tests.builders import T0, feedback_item
from tests.conftest import SAMPLES

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

JSON_SAMPLES = [
    SAMPLES / "json/open311_bloomington_requests.json",
    SAMPLES / "json/open311_chicago_requests.json",
    SAMPLES / "json/open311_helsinki_request_with_tasks.json",
]
XML_SAMPLES = [SAMPLES / "xml/open311_toronto_requests.xml", SAMPLES / "xml/open311_sanfrancisco_requests.xml"]


def _records(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, list) else [data]


REAL_RECORDS = [r for path in JSON_SAMPLES for r in _records(path)]

# values real feeds get wrong: empty, wrong type, out-of-range times, unreadable dates, extreme numbers
AWKWARD = st.sampled_from(
    [
        None,
        "",
        " ",
        0,
        -1,
        1e308,
        -1e308,
        2**63,
        True,
        [],
        {},
        [None],
        [1, "a"],
        {"tasks": "x"},
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "2026-13-45T25:61:00",
        "2026-01-05",
        "Z",
        "\x00",
        "\ud800",
        "PROCESSED,PUBLIC_WORKS_COMPLETED",
        "x" * 30_000,
    ]
)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40) | AWKWARD
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
OPEN311_KEYS = st.sampled_from(
    [
        "service_request_id",
        "status",
        "status_notes",
        "service_code",
        "service_name",
        "description",
        "agency_responsible",
        "requested_datetime",
        "updated_datetime",
        "address",
        "address_string",
        "lat",
        "long",
        "media_url",
        "media_urls",
        "extended_attributes",
        "title",
    ]
)
TASK_KEYS = st.sampled_from(["task_created", "task_modified", "task_state", "owner_name", "task_type"])


@st.composite
def mutated_record(draw: st.DrawFn) -> Any:
    """A real request with a few fields replaced, removed or given the wrong type."""
    record = json.loads(json.dumps(draw(st.sampled_from(REAL_RECORDS))))
    for _ in range(draw(st.integers(1, 4))):
        action = draw(st.sampled_from(["replace", "delete", "extended", "task"]))
        if action == "replace":
            record[draw(OPEN311_KEYS)] = draw(JSON_VALUES)
        elif action == "delete" and record:
            record.pop(draw(st.sampled_from(sorted(record))), None)
        elif action == "extended":
            extended = record.get("extended_attributes")
            if isinstance(extended, dict):
                extended[draw(st.sampled_from(["detailed_status", "tasks", "title"]))] = draw(JSON_VALUES)
            else:
                record["extended_attributes"] = draw(JSON_VALUES)
        else:
            extended = record.get("extended_attributes")
            tasks = extended.get("tasks") if isinstance(extended, dict) else None
            if isinstance(tasks, list) and tasks and isinstance(tasks[0], dict):
                tasks[draw(st.integers(0, len(tasks) - 1))][draw(TASK_KEYS)] = draw(JSON_VALUES)
    return record


@st.composite
def mutated_bytes(draw: st.DrawFn, sample: bytes) -> bytes:
    """A real file with a few bytes flipped, a slice cut out or random bytes spliced in."""
    data = bytearray(sample)
    for _ in range(draw(st.integers(1, 5))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "splice"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            data[at:at] = draw(st.binary(max_size=32))
    return bytes(data)


def _fresh_log(folder: str) -> Any:
    return open_log(load_settings({}, data_dir=folder))


def check_open311(data: bytes) -> ImportReport:
    """Import bytes as an Open311 file and check that every record is accounted for."""
    with tempfile.TemporaryDirectory() as folder:
        log = _fresh_log(folder)
        try:
            report = ImportReport()
            yielded: Counter[str] = Counter()
            whole: list[str] = []

            def counting() -> Iterator[tuple[str, Any]]:
                for origin, item in read_open311(data, "fuzz.json", "fuzz", "Europe/Helsinki", report):
                    if isinstance(item, Refusal):
                        whole.append(origin)
                    else:
                        yielded[origin] += 1
                    yield origin, item

            append_events(log, counting(), report)
            letters = log.dead_letters(limit=100_000)
        finally:
            log.close()
    # The store keeps one dead letter per origin (re-importing a file adds none), so when several
    # events of one request are refused, one letter with the first reason stands for them.
    refused_origins = {d.origin for d in letters}
    assert all(d.reason.strip() for d in letters), "every refusal says why"
    assert set(whole) <= refused_origins and len(letters) <= report.refused
    assert report.events == sum(yielded.values()) - (report.refused - len(whole))
    if "import:open311 fuzz.json" in whole:  # the file as a whole was unreadable: one refusal stands for it
        assert report.records == 1 and not yielded
        return report
    for number in range(1, report.records + 1):
        origin = f"import:open311 fuzz.json#{number}"
        assert yielded[origin] > 0 or origin in refused_origins, f"record {number} neither imported nor refused"
        if yielded[origin] and origin not in refused_origins:
            assert report.events > 0
    return report


@FUZZ
@given(st.lists(mutated_record(), min_size=1, max_size=6))
def test_open311_json_mutated_real_requests(records):
    report = check_open311(json.dumps(records).encode())
    assert report.records == len(records)


@FUZZ
@given(st.lists(JSON_VALUES, max_size=5) | JSON_VALUES)
def test_open311_json_random_values(value):
    check_open311(json.dumps(value).encode())


@FUZZ
@given(st.sampled_from(JSON_SAMPLES + XML_SAMPLES).flatmap(lambda path: mutated_bytes(path.read_bytes())))
def test_open311_mutated_real_files(data):
    check_open311(data)


@FUZZ
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: ("<service_requests>" + t).encode()))
def test_open311_random_bytes(data):
    check_open311(data)


def test_the_unmutated_samples_import_without_refusals():
    """The fuzzing baseline: the real samples themselves are accounted for and import cleanly."""
    for path in JSON_SAMPLES + XML_SAMPLES:
        report = check_open311(path.read_bytes())
        assert report.events > 0 and report.refused == 0, path.name


REAL_EVENTS = [json.dumps(e).encode() for e in feedback_item("fz-1", T0, respond_hours=5)]


@st.composite
def jsonl_line(draw: st.DrawFn) -> bytes:
    choice = draw(st.sampled_from(["real", "mutated", "random", "bytes"]))
    if choice == "real":
        return draw(st.sampled_from(REAL_EVENTS))
    if choice == "mutated":
        event = json.loads(draw(st.sampled_from(REAL_EVENTS)))
        target = event["payload"] if draw(st.booleans()) else event
        target[draw(st.sampled_from([*sorted(target), "extra"]))] = draw(JSON_VALUES)
        return json.dumps(event).encode()
    if choice == "random":
        return json.dumps(draw(JSON_VALUES)).encode()
    return draw(mutated_bytes(draw(st.sampled_from(REAL_EVENTS))))


@FUZZ
@given(st.lists(jsonl_line(), min_size=1, max_size=8))
def test_jsonl_every_line_is_appended_or_refused(lines):
    lines = [line.replace(b"\n", b" ") for line in lines]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        log = _fresh_log(folder)
        try:
            report = import_jsonl(log, path)
            letters = log.dead_letters(limit=100_000)
        finally:
            log.close()
    assert report.records == sum(1 for line in lines if line.strip())
    assert report.events + report.refused == report.records
    assert len(letters) == report.refused and all(d.reason.strip() for d in letters)
