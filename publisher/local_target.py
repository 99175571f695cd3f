"""Publishes to a local folder: a CSV per indicator, a Frictionless ``datapackage.json``
with the data dictionary, and the DCAT-AP catalog as ``catalog.jsonld``.

A file is written only when its bytes change (through a temporary file and a
rename, so a reader never sees half a file), so republishing unchanged data
leaves every file, and its modification time, as it was.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from core.settings import Settings
from figures.catalog import text_in
from publisher.target import Dataset, PublishReport

_FORMATS = {"string": "string", "number": "number", "integer": "integer", "boolean": "boolean"}


class LocalTarget:
    def __init__(self, folder: Path, settings: Settings) -> None:
        self.folder = Path(folder)
        self.settings = settings

    def publish(self, datasets: list[Dataset], catalog: dict[str, Any]) -> PublishReport:
        self.folder.mkdir(parents=True, exist_ok=True)
        report = PublishReport()
        wanted: dict[str, bytes] = {}
        for dataset in datasets:
            wanted[f"{dataset.code}.csv"] = dataset.csv_bytes()
        wanted["datapackage.json"] = _json(self._datapackage(datasets))
        wanted["catalog.jsonld"] = _json(catalog)
        for name, content in wanted.items():
            path = self.folder / name
            if path.exists() and path.read_bytes() == content:
                report.unchanged.append(name)
                continue
            _write_atomically(path, content)
            report.changed.append(name)
        for stale in sorted(self.folder.glob("*.csv")):
            if stale.name not in wanted:
                stale.unlink()
                report.removed.append(stale.name)
        return report

    def _datapackage(self, datasets: list[Dataset]) -> dict[str, Any]:
        return {
            "profile": "tabular-data-package",
            "name": "mittari-indicators",
            "title": "Mittari indicators",
            "licenses": [
                {"name": self.settings.license, "path": "https://creativecommons.org/licenses/by/4.0/"}
                if self.settings.license == "CC-BY-4.0"
                else {"name": self.settings.license}
            ],
            "contributors": [{"title": self.settings.publisher_name, "email": self.settings.contact_email}],
            "resources": [
                {
                    "profile": "tabular-data-resource",
                    "name": dataset.code,
                    "path": f"{dataset.code}.csv",
                    "format": "csv",
                    "mediatype": "text/csv",
                    "encoding": "utf-8",
                    "title": text_in(dataset.metadata.get("dct:title"), "en"),
                    "description": text_in(dataset.metadata.get("dct:description"), "en"),
                    "schema": {
                        "fields": [
                            {"name": name, "type": _FORMATS[kind], "description": description}
                            for name, kind, description in dataset.fields
                        ],
                        "primaryKey": list(dataset.primary_key),
                        "missingValues": [""],
                    },
                }
                for dataset in datasets
            ],
        }


def _json(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _write_atomically(path: Path, content: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
