"""The index port: what every search backend promises, and the factory that picks one.

Contract (tests/contract/test_index.py checks it on every backend):

* A document is keyed by ``id`` (the subject id of the events folded into it).
  Writes are whole documents, never partial updates.
* ``write`` is idempotent and versioned: a document replaces the stored one only
  when its ``version`` is higher. Equal or lower versions are ignored and
  counted in the result, so a replay or a stale worker can never move a
  document backwards. The version comes from the events themselves (how many
  distinct events were folded in), never from log offsets.
* When ``write`` returns, the documents are durable *and* searchable; only then
  may the caller commit its log offsets.
* ``counters`` passed to ``write`` are added to the ingest statistics in the
  same durable step as the documents.
* ``generation`` changes whenever stored content changes, so readers can cache
  computed results (indicators) safely. It may also change when nothing did
  (a redelivered batch); that only costs readers a recomputation.
* ``forget(ids)`` removes documents for good (the right to be forgotten): when
  it returns they are gone from ``get``, ``search``, ``scan`` and ``stats``, the
  generation has changed and the ``erasures`` counter counts the removed ones.
  A later ``write`` of a forgotten id must not bring it back while the caller
  may still hold a batch prepared before the erasure: the embedded index keeps
  the forgotten ids and refuses them for good (reported in
  ``WriteResult.forgotten``); Elasticsearch deletes with the highest external
  version, so writes are refused as older for ``index.gc_deletes`` (60 s). For
  longer, the worker's deny-list (``EventLog.erased``) keeps them out.
* ``cells(doc_type)`` yields every atom of a type with its summary
  (:mod:`search.cells`): an atom is (month in the index's time zone, service,
  area, indicator code) and its summary is ``search.cells.summarise`` over the
  fact rows ``scan`` would return for the atom's documents, so every backend
  gives equal summaries for equal documents. When ``write`` or ``forget``
  returns, the summaries of every atom it touched are recomputed from the
  stored items: the atoms of the new documents, the atoms the replaced or
  removed documents were in, and the stored atoms of documents whose write was
  ignored as older (a redelivery repairs a crash between documents and cells).
  Atoms no write touched are not rewritten (their stored summary stays
  byte-identical); an atom left without items is absent. Atoms are yielded in
  order (month, service, area, code). Several writers may write at once (one
  worker per partition, each writing its own documents): when they have all
  returned, every atom's summary is the one its stored items give, whatever the
  interleaving (Elasticsearch: conditional cell writes; SQLite: one writer at a time).
* ``changed_cells(doc_type, known)`` reads only what moved: every atom's *marker*, a string that changes
  whenever its stored summary does (SQLite: the digest of its items with the stamp of the time zone and
  summary format the cells were built with; Elasticsearch: the cell document's index, primary term and
  sequence number), and the summaries of the atoms whose marker is not the one ``known`` gives them. Each
  summary comes with the marker read with it, so a pair is never torn; an atom whose marker matched keeps
  the caller's pair. It may answer a marker for an atom without items (Elasticsearch keeps empty cells)
  but then no summary; atoms without a marker are always among the changed. None: this index cannot tell
  (made before markers, or not reachable now; read ``cells``). A reader that keeps what it read per atom
  recomputes, after a batch, what rests on the atoms the batch touched, not on all history.
* ``position`` passed to ``write`` (per stream, i.e. per log topic: a :class:`StreamPosition` for the
  batch) is recorded in the same durable step as the documents (SQLite: the same transaction;
  Elasticsearch: the meta document ``log_position`` in the bulk request that carries the documents,
  before the generation moves). Recording merges: ``events`` are added, ``offset`` and
  ``newest_event_at`` keep the highest seen (offsets per partition), so a position never moves backwards.
  ``log_position()`` answers the merged position per stream: the log position the stored figures
  were computed at. The worker passes the events it *applied* (new to the index: a redelivered
  batch applies none), so a replay does not inflate the count. A position is recorded even when no
  document is written (every record of the batch dead-lettered), without moving the generation.
  The embedded index records it during a rebuild too (its new file starts empty); Elasticsearch
  writing into one concrete index (a reindex) does not, as the namespace's live position is shared.
* ``atom_ids(doc_type, atoms, after, size)`` pages through the ids of the stored items of some atoms
  (the documents whose summaries make those atoms), in id order: the ``size`` first ids greater than
  ``after`` (None: from the start). Items a write or ``forget`` left or removed are not among them.
* Documents carry the ``redaction_version`` their text was redacted with (the
  lowest over their events); ``stats`` counts documents per redaction version,
  so an upgrade of :mod:`privacy.redact` shows what still needs a reindex.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from core.settings import Settings
from search.cells import Atom
from search.query import SearchQuery, SearchResult


@dataclass
class Document:
    id: str
    type: str
    version: int
    date: str  # ISO-8601 UTC, the date the document is sorted and filtered by
    body: dict[str, Any]  # the public representation
    facts: dict[str, Any] = field(default_factory=dict)  # numbers the indicators use
    text: str = ""  # analysed full-text terms (search.analysis.index_terms)
    service_code: str | None = None
    area: str | None = None
    status: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)  # folded events, internal
    redaction_version: int = 0  # privacy.redact.REDACTION_VERSION the free text went through (0: unknown)

    def fact_row(self) -> dict[str, Any]:
        """The document as the flat row ``Index.scan`` yields: what its atom's summary and digest are made of."""
        row = dict(self.facts)
        row.update(
            id=self.id,
            version=self.version,
            date=self.date,
            service_code=self.service_code,
            area=self.area,
            status=self.status,
        )
        return row


@dataclass(frozen=True)
class StreamPosition:
    """How far the index has applied one stream of the event log (see the module docstring)."""

    events: int  # events applied to the index (new ones: duplicates and refused ones are not counted)
    #: per partition, the next offset after the highest one consumed, sorted by partition
    offsets: tuple[tuple[int, int], ...] = ()
    newest_event_at: str | None = None  # ISO-8601 UTC: the newest occurred_at among the applied events

    @property
    def offset(self) -> int:
        """The stream's high-water mark: records consumed over all its partitions (one partition: the next
        offset to read). The same on every log backend for the same records, however they are partitioned."""
        return sum(o for _, o in self.offsets)

    def merged(self, other: StreamPosition) -> StreamPosition:
        """This position advanced by a batch's: events added, each partition's offset and the time the highest."""
        offsets = dict(self.offsets)
        for partition, offset in other.offsets:
            offsets[partition] = max(offsets.get(partition, 0), offset)
        newest = max((t for t in (self.newest_event_at, other.newest_event_at) if t), default=None)
        return StreamPosition(self.events + other.events, tuple(sorted(offsets.items())), newest)

    def as_dict(self) -> dict[str, Any]:
        """As a recipe shows it (figures/recipe.py)."""
        return {"events": self.events, "offset": self.offset, "newest_event_at": self.newest_event_at}

    def stored(self) -> dict[str, Any]:
        """As the index keeps it (partitions as string keys, for JSON)."""
        return {
            "events": self.events,
            "offsets": {str(p): o for p, o in self.offsets},
            "newest_event_at": self.newest_event_at,
        }

    @classmethod
    def from_stored(cls, data: Mapping[str, Any]) -> StreamPosition:
        offsets = tuple(sorted((int(p), int(o)) for p, o in (data.get("offsets") or {}).items()))
        return cls(int(data.get("events") or 0), offsets, data.get("newest_event_at"))


LogPosition = Mapping[str, StreamPosition]  # by stream (log topic)


@dataclass
class WriteResult:
    written: int = 0
    ignored_older: int = 0
    ignored_ids: list[str] = field(default_factory=list)  # documents not replaced: the stored one was not older
    rejected: list[tuple[str, str]] = field(default_factory=list)  # (document id, reason): for dead letters
    forgotten: list[str] = field(default_factory=list)  # refused: the subject was forgotten


class Index(Protocol):
    #: writes cross a network, so the worker overlaps them with preparing the next batch
    remote: bool

    def write(
        self,
        docs: Sequence[Document],
        counters: Mapping[str, int] | None = None,
        position: LogPosition | None = None,
    ) -> WriteResult:
        """Store documents, and the batch's counters and log position (see the module docstring)."""
        ...

    def log_position(self) -> dict[str, StreamPosition]:
        """The recorded log position per stream (see the module docstring); empty before any batch."""
        ...

    def atom_ids(self, doc_type: str, atoms: Sequence[Atom], after: str | None, size: int) -> list[str]:
        """The ids of the stored items of some atoms, in id order, paged (see the module docstring)."""
        ...

    def forget(self, ids: Sequence[str]) -> int:
        """Remove documents for good; returns how many were stored (see the module docstring)."""
        ...

    def get_many(self, ids: Sequence[str]) -> dict[str, Document]:
        """Stored documents by id; ids not stored are absent from the answer."""
        ...

    def get(self, doc_id: str) -> Document | None: ...

    def search(self, query: SearchQuery) -> SearchResult:
        """Full-text search with filters, facets and cursor pagination over public types."""
        ...

    def scan(self, doc_type: str) -> Iterator[dict[str, Any]]:
        """Every document of a type as a flat row: id, date, service_code, area, status and its facts."""
        ...

    def cells(self, doc_type: str) -> Iterator[tuple[Atom, dict[str, Any]]]:
        """Every atom of a type with its summary (see the module docstring)."""
        ...

    def changed_cells(
        self, doc_type: str, known: Mapping[Atom, str]
    ) -> tuple[dict[Atom, str], dict[Atom, dict[str, Any]]] | None:
        """Every atom's marker and the summaries of atoms not at their ``known`` marker (see the module
        docstring); None when this index cannot tell which moved."""
        ...

    def stored_cells(self, doc_type: str) -> dict[Atom, str]:
        """Each atom's summary exactly as stored (canonical JSON, :func:`search.cells.encode`), so a test can
        see that a write left the atoms it did not touch byte for byte as they were."""
        ...

    def stats(self) -> dict[str, Any]:
        """Document counts per type and per redaction version (``redaction_versions``), and the ingest counters."""
        ...

    def generation(self) -> str:
        """Changes whenever stored content changes."""
        ...

    def ping(self) -> bool:
        """True when the index can answer queries."""
        ...

    def close(self) -> None: ...


def embedded_index_path(settings: Settings) -> Path | None:
    """The file the embedded index's path leads to (a reindex swaps a link there); None for other backends."""
    if not settings.search.startswith("sqlite:///"):
        return None
    return Path(settings.search.removeprefix("sqlite:///")).resolve()


def open_index(settings: Settings, *, readonly: bool = False) -> Index:
    """The index backend named by ``settings.search``; backend modules are imported only when chosen."""
    url = settings.search
    if url.startswith("sqlite:///"):
        from search.sqlite_index import SqliteIndex

        return SqliteIndex(url.removeprefix("sqlite:///"), readonly=readonly, timezone=settings.timezone)
    if url.startswith(("http://", "https://")):
        from search.es_index import ElasticIndex

        return ElasticIndex(
            url,
            settings.namespace,
            readonly=readonly,
            shards=settings.es_shards,
            replicas=settings.es_replicas,
            timezone=settings.timezone,
        )
    from core.errors import ConfigError

    raise ConfigError(f"MITTARI_SEARCH={url!r}: use sqlite:///PATH or http://HOST:PORT")


def store_errors() -> tuple[type[Exception], ...]:
    """Exceptions the index clients may raise past the backends' own translation.

    The API maps all of them to 503 with ``Retry-After`` in one place: a corrupt or
    unreachable store is an outage to wait out, never a 500 blamed on the request.
    Elasticsearch's are named only once its client is loaded (by ``search/es_index.py``, which
    ``open_index`` imports for an Elasticsearch URL): without it none of them can be raised, and
    importing the client only to name them cost an embedded serving worker a second and 27 MB.
    """
    import sqlite3
    import sys

    from core.errors import MittariError

    elastic = sys.modules.get("elasticsearch")
    if elastic is None:
        return (MittariError, sqlite3.Error)
    return (MittariError, sqlite3.Error, elastic.ApiError, elastic.TransportError)
