"""The publishing port: a place open datasets go (a local folder, a CKAN portal).

Contract (tests/contract/test_publish.py checks it on every target):

* ``publish`` receives every dataset with its rows and metadata, and the
  catalog. It makes the target hold exactly these, in full.
* Publishing unchanged data changes nothing at the target: no file is
  rewritten, no portal activity is created. The report says what changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from search.errors import ConfigError
from search.settings import Settings


@dataclass(frozen=True)
class Dataset:
    code: str
    metadata: dict[str, Any]  # the DCAT-AP dataset node
    fields: tuple[tuple[str, str, str], ...]  # the data dictionary: name, type, description
    primary_key: tuple[str, ...]
    rows: list[dict[str, Any]]


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
        raise ConfigError("the CKAN target is not part of this build yet")
    from publisher.local_target import LocalTarget

    return LocalTarget(Path(spec) if spec else settings.publish_dir, settings)
