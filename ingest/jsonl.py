"""Importer for envelope events, one JSON object per line (``mittari import events FILE.jsonl``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ingest import bounded_json
from ingest.importer import ImportReport, Refusal, append_events
from ingest.log import EventLog


def read_events(path: Path, report: ImportReport) -> Iterator[tuple[str, Any]]:
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            report.records += 1
            origin = f"import:events {path.name}#{number}"
            try:
                event = bounded_json.loads(line)
            except bounded_json.BadJson as exc:
                yield origin, Refusal(origin, line.rstrip(b"\n"), exc.reason)
                continue
            yield origin, event


def import_jsonl(log: EventLog, path: Path) -> ImportReport:
    report = ImportReport()
    return append_events(log, read_events(path, report), report)
