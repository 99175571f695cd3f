"""The history port: an append-only store of every value ever published, and of its corrections.

Why a store of its own beside the index: the index holds what is true *now* (documents and atom
summaries, rewritten with every batch), while a reader who cited a figure last week must be able to
find it again, and see when and why it changed. The recorder (``figures/published.py``) appends a
row whenever a published cell differs from what was last recorded for it, and a correction when a
value recorded as final changes. This package imports only ``core``: it stores rows, it does not
know how they are computed.

Contract (``tests/contract/test_history.py`` checks it on every backend):

* A **row** is a dict holding at least the key fields (:data:`KEY_FIELDS`: indicator, period,
  breakdown, service_code, area) and ``recorded_at`` (a :func:`stamp`: UTC, microseconds, ``Z``, so
  string order is time order); everything else in it is kept as given and returned unchanged.
* A **correction** is a dict holding the key fields, ``recorded_at`` (the new recording) and
  ``old_recorded_at`` (the recording it corrects); the rest is kept as given.
* ``append(rows, corrections)`` only ever adds. Ids are deterministic (:func:`row_id`,
  :func:`correction_id`): appending a row or a correction already stored appends nothing and is not
  an error, so a recording that is run again after a crash halfway adds only what is missing. It
  returns how many rows and corrections were new. Nothing stored is ever changed or removed (the
  embedded store's triggers refuse UPDATE and DELETE; Elasticsearch is written with
  ``op_type=create``). When ``append`` returns, what it added is durable and visible to readers.
* Within one key, rows are ordered by ``(recorded_at, id)``; ``latest()`` gives the last row of every
  key, ``as_of(moment)`` the last row of every key recorded at or before ``moment`` (inclusive: a row
  recorded exactly at the moment belongs to it). Both can be narrowed to one indicator.
* ``last_recorded_at(moment)`` is the newest ``recorded_at`` of any row at or before ``moment`` (None:
  nothing recorded by then; no moment: the newest of all).
* ``corrections(indicator, since, until, after, size)`` pages through corrections ordered by
  ``(recorded_at, id)``; ``since`` and ``until`` bound ``recorded_at`` inclusively, ``after`` is the
  ``(recorded_at, id)`` of the last correction of the previous page. Every correction appears on
  exactly one page.
* ``position()`` changes whenever something is appended (and only then), so readers can key cached
  answers on it: the history changes independently of the index generation.
* A store opened ``readonly`` on a history that does not exist yet answers as an empty one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from core.settings import Settings

#: what identifies one published cell
KEY_FIELDS = ("indicator", "period", "breakdown", "service_code", "area")

Key = tuple[str, str, str, str, str]
Row = dict[str, Any]


def stamp(moment: datetime) -> str:
    """A recording time as stored: UTC with microseconds and ``Z``, so string order is time order."""
    if moment.tzinfo is None:
        raise ValueError("a recording time must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def key_of(row: Mapping[str, Any]) -> Key:
    return tuple(str(row.get(name) or "") for name in KEY_FIELDS)  # type: ignore[return-value]


def encoded_key(row: Mapping[str, Any]) -> str:
    """The key as one string (canonical JSON), for backends that index one field."""
    return json.dumps(key_of(row), ensure_ascii=False, separators=(",", ":"))


def row_id(row: Mapping[str, Any]) -> str:
    """A row's id: its key and recording time, so the same recording appended twice is one row."""
    return _digest(["row", *key_of(row), str(row["recorded_at"])])


def correction_id(correction: Mapping[str, Any]) -> str:
    """A correction's id: its key and the two recordings it lies between."""
    return _digest(
        ["correction", *key_of(correction), str(correction["old_recorded_at"]), str(correction["recorded_at"])]
    )


def _digest(parts: list[str]) -> str:
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode("utf-8")).hexdigest()[:32]


def check_row(row: Mapping[str, Any]) -> None:
    """Refuse a row the contract does not allow (a programming error, not input)."""
    for name in KEY_FIELDS:
        if name not in row:
            raise ValueError(f"a history row needs {name!r}")
    check_stamp(str(row.get("recorded_at", "")))


def check_stamp(value: str) -> None:
    try:
        parsed = datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")
    except ValueError as exc:
        raise ValueError(f"recorded_at {value!r} is not a stamp (YYYY-MM-DDTHH:MM:SS.ffffffZ)") from exc
    if stamp(parsed.replace(tzinfo=UTC)) != value:
        raise ValueError(f"recorded_at {value!r} is not a stamp (YYYY-MM-DDTHH:MM:SS.ffffffZ)")


def last_per_key(rows: Sequence[Row]) -> dict[Key, Row]:
    """The last row of every key by ``(recorded_at, id)``: how every backend reduces a history."""
    found: dict[Key, Row] = {}
    for row in rows:
        key = key_of(row)
        old = found.get(key)
        if old is None or (row["recorded_at"], row["id"]) > (old["recorded_at"], old["id"]):
            found[key] = row
    return found


class HistoryStore(Protocol):
    """See the module docstring for the guarantees."""

    def append(self, rows: Sequence[Mapping[str, Any]], corrections: Sequence[Mapping[str, Any]] = ()) -> int:
        """Add rows and corrections (ids filled in); returns how many were new."""
        ...

    def latest(self, indicator: str | None = None) -> dict[Key, Row]:
        """The last row of every key."""
        ...

    def as_of(self, moment: str, indicator: str | None = None) -> dict[Key, Row]:
        """The last row of every key recorded at or before ``moment`` (a stamp)."""
        ...

    def last_recorded_at(self, moment: str | None = None) -> str | None:
        """The newest ``recorded_at`` at or before ``moment`` (None: nothing recorded by then)."""
        ...

    def first_recorded_at(self) -> str | None:
        """The oldest ``recorded_at`` (None: nothing recorded yet)."""
        ...

    def corrections(
        self,
        indicator: str | None = None,
        since: str | None = None,
        until: str | None = None,
        after: tuple[str, str] | None = None,
        size: int = 100,
    ) -> list[Row]:
        """One page of corrections in ``(recorded_at, id)`` order."""
        ...

    def position(self) -> str:
        """Changes whenever something is appended."""
        ...

    def close(self) -> None: ...


def history_path(search_url: str) -> str:
    """The embedded history's file, beside the embedded index's: ``index.sqlite`` → ``index.history.sqlite``."""
    path = search_url.removeprefix("sqlite:///")
    stem, dot, suffix = path.rpartition(".")
    if not dot or "/" in suffix:
        return path + ".history.sqlite"
    return f"{stem}.history.{suffix}"


def open_history(settings: Settings, *, readonly: bool = False) -> HistoryStore:
    """The history backend beside the index named by ``settings.search``; backends are imported when chosen."""
    url = settings.search
    if url.startswith("sqlite:///"):
        from history.sqlite_store import SqliteHistory

        return SqliteHistory(history_path(url), readonly=readonly)
    if url.startswith(("http://", "https://")):
        from history.es_store import ElasticHistory

        return ElasticHistory(
            url, settings.namespace, readonly=readonly, shards=settings.es_shards, replicas=settings.es_replicas
        )
    from core.errors import ConfigError

    raise ConfigError(f"MITTARI_SEARCH={url!r}: use sqlite:///PATH or http://HOST:PORT")
