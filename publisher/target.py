"""The publishing port: a place open datasets go (a local folder, a CKAN portal).

Contract (tests/contract/test_publish.py checks it on every target):

* ``publish`` receives every dataset with its rows and metadata, and the
  catalog. It makes the target hold exactly these, in full.
* Publishing unchanged data changes nothing at the target: no file is
  rewritten, no portal activity is created. The report says what changed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from core.settings import Settings
from figures.csv_cells import csv_cell


@dataclass(frozen=True)
class Dataset:
    code: str
    metadata: dict[str, Any]  # the DCAT-AP dataset node
    fields: tuple[tuple[str, str, str], ...]  # the data dictionary: name, type, description
    primary_key: tuple[str, ...]
    rows: list[dict[str, Any]]

    def csv_bytes(self) -> bytes:
        """The rows as CSV: the same bytes in a folder, on a portal and from ``?format=csv``."""
        out = io.StringIO()
        names = [name for name, _, _ in self.fields]
        writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
        writer.writeheader()
        for row in self.rows:
            writer.writerow({k: csv_cell(row.get(k)) for k in names})
        return out.getvalue().encode("utf-8")


@dataclass
class PublishReport:
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"{len(self.changed)} changed, {len(self.unchanged)} unchanged, {len(self.removed)} removed"


class Target(Protocol):
    def publish(self, datasets: list[Dataset], catalog: dict[str, Any]) -> PublishReport:
        """Make the target hold exactly these datasets; unchanged data changes nothing."""
        ...


def open_target(spec: str | None, settings: Settings) -> Target:
    """A folder path (default: MITTARI_PUBLISH_DIR) or 'ckan'."""
    if spec == "ckan":
        from publisher.ckan_target import CkanTarget

        return CkanTarget.from_settings(settings)
    from publisher.local_target import LocalTarget

    return LocalTarget(Path(spec) if spec else settings.publish_dir, settings)
