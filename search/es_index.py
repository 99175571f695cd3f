"""The Elasticsearch index (elasticsearch-py), for a city's scale and a replicated read side.

Documents live in versioned concrete indices (``{ns}-docs-v1``, ``-v2``…)
behind two aliases: readers use ``{ns}-docs``, the worker writes through
``{ns}-docs-write``. ``mittari reindex`` fills a new version from the event
log and then moves the aliases, so the API never sees a half-built index.

Writes are bulk requests with external versioning: Elasticsearch itself
refuses a document whose version is not higher than the stored one (counted as
ignored-as-older). Versions come from the events (how many were folded in),
never from Kafka offsets. Overload (429/503) and lost connections are retried
with backoff and, when they persist, raised as :class:`TransientError` so the
worker keeps its offsets uncommitted.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from elastic_transport import ConnectionError as ESConnectionError
from elastic_transport import ConnectionTimeout
from elasticsearch import ApiError, Elasticsearch, NotFoundError

from core.errors import MittariError, TransientError
from core.logs import fields
from core.times import iso
from search import cells, plain_json
from search.analysis import query_terms
from search.cells import Atom
from search.es_json import AnswerJson
from search.index import Document, LogPosition, StreamPosition, WriteResult
from search.mappings import (
    CELL_ITEM_LIMIT,
    CELLS_MAPPING,
    COUNTERS_MAPPING,
    DOC_ITEM_FIELD,
    DOCS_MAPPING,
    META_MAPPING,
    docs_mapping,
    docs_settings,
)
from search.query import (
    FACET_FIELDS,
    FACET_SIZE,
    TOTAL_EXACT_UP_TO,
    SearchQuery,
    SearchResult,
    decode_cursor,
    encode_cursor,
)

log = logging.getLogger(__name__)

_RETRY_STATUS = {429, 502, 503, 504}
_SOURCE_FIELDS = [
    "id",
    "type",
    "version",
    "date",
    "service_code",
    "area",
    "status",
    "body",
    "facts",
    "events",
    "redaction_version",
]
#: how many times one write reads and writes again the cells another writer changed meanwhile (then the batch
#: fails as transient and comes again)
CELL_WRITE_ATTEMPTS = 5
#: deleting with this external version makes every later write of the id "older" while ES keeps the tombstone
FORGOTTEN_VERSION = 2**62


class ElasticIndex:
    remote = True

    def __init__(
        self,
        url: str,
        namespace: str = "mittari",
        *,
        readonly: bool = False,
        shards: int = 1,
        replicas: int = 0,
        timeout: float = 30.0,
        concrete: str | None = None,
        timezone: str = "Europe/Helsinki",
    ) -> None:
        self.namespace = namespace
        self.timezone = timezone  # decides a document's month (its atom), as on every backend
        self._cells_known: set[str] = set()  # concrete indices known to have a cells index beside them
        self.read_alias = f"{namespace}-docs"
        self.write_alias = f"{namespace}-docs-write"
        self.counters_index = f"{namespace}-counters"
        self.meta_index = f"{namespace}-meta"
        self.readonly = readonly
        self.shards, self.replicas = shards, replicas
        self.es = Elasticsearch(
            url,
            request_timeout=timeout,
            max_retries=3,
            retry_on_timeout=True,
            retry_on_status=tuple(_RETRY_STATUS),
            serializers={AnswerJson.mimetype: AnswerJson()},
        )
        # A reindex writes into one concrete index directly; everyone else goes through the aliases.
        self.target = concrete or self.write_alias
        self.source = concrete or (self.read_alias if readonly else self.write_alias)
        # ingest counters describe live ingestion; a rebuild replaying the log must not add to them
        self.counting = concrete is None
        if not readonly:
            self._call(self.ensure)

    # -- setup -------------------------------------------------------------------------------------
    def ensure(self) -> None:
        """Create the index template, the first versioned index with both aliases, and the side indices."""
        self.es.indices.put_index_template(
            name=f"{self.namespace}-docs",
            index_patterns=[f"{self.namespace}-docs-v*"],
            template={"mappings": docs_mapping(), "settings": docs_settings(self.shards, self.replicas)},
            priority=100,
        )
        if not self.es.indices.exists_alias(name=self.read_alias):
            first = f"{self.namespace}-docs-v1"
            if not self.es.indices.exists(index=first):
                self.create_version(first)
            self.es.indices.update_aliases(
                actions=[
                    {"add": {"index": first, "alias": self.read_alias}},
                    {"add": {"index": first, "alias": self.write_alias, "is_write_index": True}},
                ]
            )
        # indices made before documents carried their redaction version or their cells' item learn the fields
        # (additive changes; documents written before keep neither and are read from ``_source``)
        self.es.indices.put_mapping(
            index=f"{self.namespace}-docs-v*",
            properties={"redaction_version": DOCS_MAPPING["properties"]["redaction_version"], **DOC_ITEM_FIELD},
        )
        for name, mapping in ((self.counters_index, COUNTERS_MAPPING), (self.meta_index, META_MAPPING)):
            if not self.es.indices.exists(index=name):
                try:
                    self.es.indices.create(
                        index=name,
                        mappings=mapping,
                        settings={"number_of_shards": 1, "number_of_replicas": self.replicas},
                    )
                except ApiError as exc:
                    if "resource_already_exists" not in str(exc):
                        raise

    def create_version(self, name: str) -> None:
        """A new concrete index (mappings and settings from the template) and its cells index beside it.

        Only versions created with a cells index keep cells; an index from before cells existed is read
        the whole-scan way (``cells``) until ``mittari reindex`` builds a new version."""
        self.es.indices.create(index=name)
        try:
            self.es.indices.create(
                index=cells_index_name(name),
                mappings=CELLS_MAPPING,
                settings={"number_of_shards": 1, "number_of_replicas": self.replicas, "refresh_interval": "1s"},
            )
        except ApiError as exc:
            if "resource_already_exists" not in str(exc):
                raise

    def versions(self) -> list[str]:
        found = self.es.indices.get(index=f"{self.namespace}-docs-v*", allow_no_indices=True, expand_wildcards="open")
        return sorted(found, key=lambda n: int(n.rsplit("-v", 1)[1]))

    def alias_target(self, alias: str) -> str | None:
        try:
            return next(iter(self.es.indices.get_alias(name=alias)))
        except NotFoundError:
            return None

    def swap_aliases(self, new: str, *, read: bool, write: bool) -> None:
        actions: list[dict[str, Any]] = []
        for alias, wanted in ((self.read_alias, read), (self.write_alias, write)):
            if not wanted:
                continue
            old = self.alias_target(alias)
            if old and old != new:
                actions.append({"remove": {"index": old, "alias": alias}})
            extra = {"is_write_index": True} if alias == self.write_alias else {}
            actions.append({"add": {"index": new, "alias": alias, **extra}})
        self.es.indices.update_aliases(actions=actions)

    # -- errors ------------------------------------------------------------------------------------
    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """One place that turns client errors into Mittari's: transient ones are retried by the worker."""
        try:
            return fn(*args, **kwargs)
        except (ESConnectionError, ConnectionTimeout) as exc:
            raise TransientError(f"Elasticsearch cannot be reached: {exc}") from exc
        except ApiError as exc:
            if exc.meta.status in _RETRY_STATUS:
                raise TransientError(f"Elasticsearch is overloaded ({exc.meta.status}): {exc}") from exc
            raise MittariError(f"Elasticsearch refused the request ({exc.meta.status}): {exc}") from exc

    # -- writing -----------------------------------------------------------------------------------
    def write(
        self,
        docs: Sequence[Document],
        counters: Mapping[str, int] | None = None,
        position: LogPosition | None = None,
    ) -> WriteResult:
        """One bulk request carries the documents, the batch's counters, its log position and a new generation.

        The server applies a bulk request whole once it has it, even if this
        process dies meanwhile, so counters cannot drift from the documents.
        A redelivered batch (every document refused as not newer) still sets a
        new generation: harmless, readers only recompute.
        """
        result = WriteResult()
        pending = list(docs)
        concrete = self._concrete(self.target) if docs else None
        keeps_cells = concrete is not None and self._has_cells(concrete)
        # with cells, the generation moves after them: a reader never sees a new generation with old cells
        side = self._side_operations(
            (counters or {}) if self.counting else {}, generation=bool(docs) and not keeps_cells
        )
        # a rebuild into one concrete index must not move the namespace's live position
        moves = self._position_operations(position) if self.counting and position else []
        side = moves + side
        touched: set[tuple[str, cells.Atom]] = set()
        if keeps_cells and concrete is not None:
            touched = self._stored_atoms(concrete, [d.id for d in docs])
        atom_fields = {d.id: self._atom_fields(d) for d in docs}
        attempt = 0
        position_conflict = False
        while pending or side:
            # each line encoded here, byte-identical to the client's encoder but by orjson where it can
            operations: list[bytes | dict[str, Any]] = []
            for doc in pending:
                action = {"_index": self.target, "_id": doc.id, "version": doc.version, "version_type": "external"}
                operations += [
                    plain_json.dumps({"index": action}).encode("utf-8", "surrogatepass"),
                    plain_json.dumps({**_source(doc), **atom_fields[doc.id]}).encode("utf-8", "surrogatepass"),
                ]
            response = self._call(self.es.bulk, operations=operations + side, refresh="wait_for", timeout="60s")
            if side:
                position_conflict = _side_refused(response["items"][len(pending) :], bool(moves)) or position_conflict
            side = []
            retry: list[Document] = []
            for doc, item in zip(pending, response["items"], strict=False):
                outcome = item["index"]
                status = outcome.get("status", 500)
                if status in (200, 201):
                    result.written += 1
                    if atom_fields[doc.id]:
                        fields_ = atom_fields[doc.id]
                        touched.add((doc.type, _atom(fields_)))
                elif status == 409:
                    result.ignored_older += 1
                    result.ignored_ids.append(doc.id)
                elif status in _RETRY_STATUS:
                    retry.append(doc)
                else:
                    reason = outcome.get("error", {}).get("reason") or str(outcome.get("error"))
                    result.rejected.append((doc.id, f"Elasticsearch rejected the document ({status}): {reason}"))
            pending = retry
            if pending:
                attempt += 1
                if attempt > 5:
                    raise TransientError(f"Elasticsearch kept refusing {len(pending)} documents with 429/503")
                log.warning(
                    "bulk items refused as overloaded, retrying", extra=fields(items=len(pending), attempt=attempt)
                )
                time.sleep(min(0.2 * 2**attempt, 5))
        if position_conflict and position:
            # Another worker (another partition) moved the position between our read and our write. Our
            # documents and counters are in; only the position is merged and written again, before the
            # generation moves. Failing the batch here instead had the worker write it twice: its events
            # were then counted as duplicates and its counters added twice.
            self._advance_position(position)
        if result.ignored_older and self.counting:
            stale = self._side_operations({"stale_writes_ignored": result.ignored_older}, generation=False)
            self._call(self.es.bulk, operations=stale, refresh="wait_for", timeout="60s")
        if keeps_cells and concrete is not None:
            self._recompute(concrete, touched)
        return result

    def _side_operations(self, counters: Mapping[str, int], *, generation: bool) -> list[dict[str, Any]]:
        now = datetime.now(UTC).isoformat()
        side: list[dict[str, Any]] = []
        for name, value in counters.items():
            if value:
                side += [
                    {"index": {"_index": self.counters_index, "_id": uuid.uuid4().hex}},
                    {"name": name, "value": value, "at": now},
                ]
        if generation:
            side += [{"index": {"_index": self.meta_index, "_id": "generation"}}, {"value": uuid.uuid4().hex}]
        return side

    def _position_operations(self, position: LogPosition) -> list[dict[str, Any]]:
        """The meta document ``log_position`` with the batch's position merged into the stored one, written
        only if nobody wrote it since it was read (sequence number), so two workers (one per partition)
        cannot lose each other's increments: on a conflict :meth:`_advance_position` merges again."""
        stored, concurrency = self._stored_position()
        merged = dict(stored)
        for stream, step in position.items():
            merged[stream] = merged[stream].merged(step) if stream in merged else step
        action: dict[str, Any] = {"_index": self.meta_index, "_id": "log_position", **concurrency}
        body = {"streams": {stream: p.stored() for stream, p in sorted(merged.items())}}
        return [{"index" if concurrency else "create": action}, body]

    def _advance_position(self, position: LogPosition) -> None:
        for _ in range(10):
            response = self._call(self.es.bulk, operations=self._position_operations(position), refresh="wait_for")
            outcome = next(iter(response["items"][0].values()))
            if outcome.get("status") in (200, 201):
                return
            if outcome.get("status") != 409:
                raise TransientError(f"Elasticsearch did not take the log position: {outcome}")
        raise TransientError("the log position keeps changing while being written")

    def _stored_position(self) -> tuple[dict[str, StreamPosition], dict[str, int]]:
        """The stored position and what a conditional write of it needs (nothing when none is stored)."""
        try:
            found = self._call(self.es.get, index=self.meta_index, id="log_position")
        except (MittariError, NotFoundError):
            return {}, {}
        streams = (found.get("_source") or {}).get("streams") or {}
        position = {stream: StreamPosition.from_stored(p) for stream, p in sorted(streams.items())}
        return position, {"if_seq_no": found["_seq_no"], "if_primary_term": found["_primary_term"]}

    def log_position(self) -> dict[str, StreamPosition]:
        return self._stored_position()[0]

    def atom_ids(self, doc_type: str, atoms: Sequence[Atom], after: str | None, size: int) -> list[str]:
        concrete = self._concrete(self.source)
        if concrete is None or not atoms or size <= 0:
            return []
        unique = sorted(set(atoms))
        found: list[str] = []
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            should = [
                {"bool": {"filter": [{"term": {f: v}} for f, v in zip(_CELL_FIELDS, atom, strict=True)]}}
                for atom in chunk
            ]
            query: dict[str, Any] = {
                "bool": {"filter": [{"term": {"type": doc_type}}], "should": should, "minimum_should_match": 1}
            }
            body: dict[str, Any] = {"query": query, "sort": [{"id": "asc"}], "size": size, "_source": False}
            if after:
                body["search_after"] = [after]
            response = self._call(self.es.search, index=concrete, **body)
            _complete(response)
            found += [hit["_id"] for hit in response["hits"]["hits"]]
        return sorted(found)[:size]

    def forget(self, ids: Sequence[str]) -> int:
        """Delete from the read and the write index (they differ during a reindex) with the highest version.

        The external version on the delete makes ES refuse, as older, any write
        of these ids while it keeps the tombstone (``index.gc_deletes``, 60 s):
        long enough for a batch prepared before the erasure; the worker's
        deny-list covers every later one.
        """
        if not ids:
            return 0
        targets = {self.target} if self.target == self.source else {self.target, self.source}
        concrete: set[str] = set()
        for name in targets:
            resolved = self._call(self.es.indices.resolve_index, name=name)
            concrete.update(a for alias in resolved.get("aliases", []) for a in alias.get("indices", []))
            concrete.update(i["name"] for i in resolved.get("indices", []))
        operations: list[dict[str, Any]] = [
            {"delete": {"_index": index, "_id": doc_id, "version": FORGOTTEN_VERSION, "version_type": "external"}}
            for index in sorted(concrete)
            for doc_id in ids
        ]
        touched = {name: self._stored_atoms(name, list(ids)) for name in sorted(concrete) if self._has_cells(name)}
        response = self._call(self.es.bulk, operations=operations, refresh="wait_for", timeout="60s")
        removed = {
            item["delete"]["_id"]
            for item in response["items"]
            if item["delete"].get("result") == "deleted" and item["delete"].get("status") == 200
        }
        failed = [i["delete"] for i in response["items"] if i["delete"].get("status", 500) not in (200, 404, 409)]
        if failed:
            raise TransientError(f"Elasticsearch did not delete {len(failed)} forgotten documents: {failed[0]}")
        for name, atoms in touched.items():
            self._recompute(name, atoms, generation=False)
        side = self._side_operations({"erasures": len(removed)}, generation=True)
        self._call(self.es.bulk, operations=side, refresh="wait_for", timeout="60s")
        return len(removed)

    # -- cells -------------------------------------------------------------------------------------
    def _concrete(self, name: str) -> str | None:
        """The concrete documents index an alias (or a concrete name) leads to."""
        try:
            resolved = self._call(self.es.indices.resolve_index, name=name)
        except MittariError:
            return None
        found = [i for alias in resolved.get("aliases", []) for i in alias.get("indices", [])]
        found += [i["name"] for i in resolved.get("indices", [])]
        if len(found) != 1:
            return None
        return str(found[0])

    def _has_cells(self, concrete: str) -> bool:
        if concrete in self._cells_known:
            return True
        exists = bool(self._call(self.es.indices.exists, index=cells_index_name(concrete)))
        if exists:
            self._cells_known.add(concrete)
        return exists

    def _atom_fields(self, doc: Document) -> dict[str, Any]:
        """The document's atom, and its ``cell_item`` (see :func:`_cell_item`) when it fits in doc values."""
        row = doc.fact_row()
        atom = cells.atom_of(doc.type, row, self.timezone)
        if atom is None:
            return {}
        fields_: dict[str, Any] = dict(zip(_CELL_FIELDS, atom, strict=True))
        item = _cell_item(atom, row)
        if item is not None:
            fields_["cell_item"] = item
        return fields_

    def _stored_atoms(self, concrete: str, ids: list[str]) -> set[tuple[str, cells.Atom]]:
        """The atoms the stored versions of these documents are in (they are recomputed after the write)."""
        found: set[tuple[str, cells.Atom]] = set()
        for start in range(0, len(ids), 1000):
            response = self._call(
                self.es.mget, index=concrete, ids=ids[start : start + 1000], source=["type", *_CELL_FIELDS]
            )
            for hit in response["docs"]:
                src = hit.get("_source") if hit.get("found") else None
                if src and src.get("cell_month") is not None:
                    found.add((src["type"], _atom(src)))
        return found

    def _recompute(self, concrete: str, touched: set[tuple[str, cells.Atom]], *, generation: bool = True) -> None:
        """Each touched atom's summary from its stored items, written only if the cell did not change meanwhile.

        Several workers (one per partition) write at once, and two batches can touch the same atom. Each
        cell is therefore written conditionally (optimistic concurrency), in this order, per attempt:

        1. the writer's documents are already visible (the documents' bulk waited for a refresh);
        2. it reads each touched cell's ``_seq_no``/``_primary_term``, or its absence (one realtime ``mget``,
           no ``_source``: :meth:`_cell_versions`);
        3. it reads the atoms' items (a search: only refreshed documents) and summarises them;
        4. it writes each cell with ``if_seq_no``/``if_primary_term``, or ``create`` when it was absent.

        A cell whose write is refused as changed (409) is read again and recomputed alone, at most
        :data:`CELL_WRITE_ATTEMPTS` times; then :class:`TransientError`: the worker rewinds, the batch comes
        again, its documents are ignored as older, and their stored atoms are recomputed the same way.

        *Why no stale cell survives.* Let W be the last successful write of a cell, by writer P, who read
        the cell's state at time r and the items at t > r, and suppose P's items missed a change d (a
        document entering or leaving the atom) made visible at v > t by writer Q. Q read the cell after v
        and its items after that (so Q saw d), and some write by Q succeeded with them (else Q's batch
        fails and comes again). That write is not W (P missed d) and not after W (W is last), so it fell
        between r and W: the cell changed after P read it, so P's conditional write was refused, which
        contradicts W succeeding. Hence the last write of every cell saw every change of its atom. Two
        things make "changed" detectable: cells are never deleted, and a shard's sequence numbers only
        grow. A cell left without items is written as an empty cell (no ``summary``; readers skip it, so
        the atom is absent as the port says) rather than deleted: a deleted cell would read as "absent",
        and a writer that read "absent" before someone created and deleted the cell again would then
        create it from its stale items. A realtime ``mget`` sees every acknowledged write, on any copy.

        ``forget`` recomputes the atoms of the removed documents the same way, after their deletion is
        visible. The embedded index needs none of this: it has one writer at a time (``BEGIN IMMEDIATE``),
        documents and cells in one transaction. Not covered: a worker of an older Mittari that still
        deletes empty cells, running beside this one.
        """
        cells_index = cells_index_name(concrete)
        pending = sorted(touched)
        for attempt in range(1, CELL_WRITE_ATTEMPTS + 1):
            versions = self._cell_versions(cells_index, pending)
            written: list[tuple[str, cells.Atom]] = []
            operations: list[dict[str, Any]] = []
            for (doc_type, atom), document in self._summaries(concrete, pending):
                key = _cell_id(doc_type, atom)
                written.append((doc_type, atom))
                operations += [_cell_action(cells_index, key, versions.get(key)), document]
            if generation:
                # after the cells (again after a retry): a reader never sees a new generation with old cells
                operations += self._side_operations({}, generation=True)
            if not operations:
                return
            # refresh now rather than wait for the next periodic one: the cells index is small, and a batch
            # already waited for its documents' refresh
            response = self._call(self.es.bulk, operations=operations, refresh="true", timeout="60s")
            conflicted: list[tuple[str, cells.Atom]] = []
            for n, item in enumerate(response["items"]):
                status = next(iter(item.values())).get("status", 500)
                if status in (200, 201):
                    continue
                if status == 409 and n < len(written):
                    conflicted.append(written[n])
                    continue
                raise TransientError(f"Elasticsearch did not take the cells: {item}")
            if not conflicted:
                return
            log.info(
                "cells changed by another writer, recomputing them",
                extra=fields(cells=len(conflicted), attempt=attempt),
            )
            pending = conflicted
        raise TransientError(
            f"{len(pending)} cells kept changing under other writers ({CELL_WRITE_ATTEMPTS} attempts); "
            "the batch will be retried"
        )

    def _cell_versions(self, cells_index: str, touched: Sequence[tuple[str, cells.Atom]]) -> dict[str, dict[str, int]]:
        """Each stored cell's ``if_seq_no``/``if_primary_term`` by cell id (absent: no cell stored), read in real
        time (the last acknowledged write, refreshed or not) and without ``_source``."""
        ids = [_cell_id(doc_type, atom) for doc_type, atom in touched]
        versions: dict[str, dict[str, int]] = {}
        for start in range(0, len(ids), 1000):
            response = self._call(self.es.mget, index=cells_index, ids=ids[start : start + 1000], source=False)
            for hit in response["docs"]:
                if "error" in hit:
                    raise TransientError(f"cell {hit.get('_id')} cannot be read yet: {hit['error']}")
                if hit.get("found"):
                    versions[hit["_id"]] = {"if_seq_no": hit["_seq_no"], "if_primary_term": hit["_primary_term"]}
        return versions

    def _summaries(
        self, concrete: str, touched: Sequence[tuple[str, cells.Atom]]
    ) -> Iterator[tuple[tuple[str, cells.Atom], dict[str, Any]]]:
        """Each touched atom's cell document from its stored items (no ``summary`` when it has none)."""
        by_type: dict[str, list[cells.Atom]] = {}
        for doc_type, atom in touched:
            by_type.setdefault(doc_type, []).append(atom)
        for doc_type, atoms in by_type.items():
            for start in range(0, len(atoms), 500):
                chunk = atoms[start : start + 500]
                rows: dict[cells.Atom, list[dict[str, Any]]] = {atom: [] for atom in chunk}
                for atom, row in self._atom_rows(concrete, doc_type, chunk):
                    if atom in rows:
                        rows[atom].append(row)
                for atom, items in rows.items():
                    document: dict[str, Any] = {"type": doc_type, **dict(zip(_CELL_KEYS, atom, strict=True))}
                    if items:
                        document["summary"] = cells.encode(cells.summarise(doc_type, items))
                    yield (doc_type, atom), document

    def _atom_rows(
        self, concrete: str, doc_type: str, atoms: list[cells.Atom]
    ) -> Iterator[tuple[cells.Atom, dict[str, Any]]]:
        """The stored items of some atoms of one type as (atom, fact row), paged with ``search_after``.

        Rows come from the ``cell_item`` doc values, never from ``_source`` (which Elasticsearch would
        decompress whole, folded events included, for every item); only the items without one (written
        before the field existed, or too long for doc values) are read from ``_source``, by id.
        """
        should = [
            {"bool": {"filter": [{"term": {f: v}} for f, v in zip(_CELL_FIELDS, atom, strict=True)]}} for atom in atoms
        ]
        query = {"bool": {"filter": [{"term": {"type": doc_type}}], "should": should, "minimum_should_match": 1}}
        after: list[Any] | None = None
        without: list[str] = []
        while True:
            body: dict[str, Any] = {
                "query": query,
                "sort": [{"id": "asc"}],
                "size": 5000,
                "stored_fields": ["_none_"],
                "docvalue_fields": ["cell_item"],
            }
            if after:
                body["search_after"] = after
            response = self._call(
                self.es.search, index=concrete, filter_path=["_shards", "hits.hits.fields", "hits.hits.sort"], **body
            )
            _complete(response)
            hits = (response.get("hits") or {}).get("hits") or []
            for hit in hits:
                item = (hit.get("fields") or {}).get("cell_item")
                if item:
                    yield _from_cell_item(item[0])
                else:
                    without.append(hit["sort"][0])
            if len(hits) < 5000:
                break
            after = hits[-1]["sort"]
        yield from self._source_rows(concrete, without)

    def _source_rows(self, concrete: str, ids: list[str]) -> Iterator[tuple[cells.Atom, dict[str, Any]]]:
        """(atom, fact row) of documents from their ``_source``: the way for items without ``cell_item``."""
        fields_ = ["id", "version", "date", "service_code", "area", "status", "facts", *_CELL_FIELDS]
        for start in range(0, len(ids), 1000):
            response = self._call(self.es.mget, index=concrete, ids=ids[start : start + 1000], source=fields_)
            for hit in response["docs"]:
                if "error" in hit:
                    raise TransientError(f"document {hit.get('_id')} cannot be read yet: {hit['error']}")
                src = hit.get("_source") if hit.get("found") else None
                if src and src.get("cell_month") is not None:
                    row = dict(src.get("facts") or {})
                    row.update({k: src.get(k) for k in ("id", "version", "date", "service_code", "area", "status")})
                    yield _atom(src), row

    def stored_cells(self, doc_type: str) -> dict[cells.Atom, str]:
        """Each atom's summary as stored (bytes-level view, for tests that nothing else moved)."""
        concrete = self._concrete(self.source)
        if concrete is None or not self._has_cells(concrete):
            return {}
        return {atom: encoded for atom, encoded in self._stored_cell_rows(concrete, doc_type)}

    def _stored_cell_rows(self, concrete: str, doc_type: str) -> Iterator[tuple[cells.Atom, str]]:
        for hit in self._cell_hits(concrete, doc_type):
            src = hit["_source"]
            if src.get("summary") is not None:  # an empty cell (see _recompute): the atom has no items
                yield _cell_atom(src), src["summary"]

    def _cell_hits(self, concrete: str, doc_type: str, **options: Any) -> Iterator[dict[str, Any]]:
        """Every cell document of a type, in atom order, paged by ``search_after``."""
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {
                "query": {"term": {"type": doc_type}},
                "sort": [{k: "asc"} for k in _CELL_KEYS],
                "size": 5000,
                **options,
            }
            if after:
                body["search_after"] = after
            response = self._call(self.es.search, index=cells_index_name(concrete), **body)
            _complete(response)
            hits = response["hits"]["hits"]
            yield from hits
            if len(hits) < 5000:
                return
            after = hits[-1]["sort"]

    def changed_cells(
        self, doc_type: str, known: Mapping[cells.Atom, str]
    ) -> tuple[dict[cells.Atom, str], dict[cells.Atom, dict[str, Any]]] | None:
        """Markers from one search of the cells' keys with their sequence numbers (no summary read); the moved
        atoms' cells then by a real-time ``mget``, each with the sequence number of the version it returns. A
        cell's marker names its concrete index, since a reindexed one numbers its writes from the start."""
        concrete = self._concrete(self.source)
        if concrete is None or not self._has_cells(concrete):
            return None  # no index yet, one that cannot be resolved now, or one from before cells: ``cells``
        markers: dict[cells.Atom, str] = {}
        moved: list[cells.Atom] = []
        for hit in self._cell_hits(concrete, doc_type, source=list(_CELL_KEYS), seq_no_primary_term=True):
            atom = _cell_atom(hit["_source"])
            marker = _cell_marker(concrete, hit)
            if known.get(atom) == marker:
                markers[atom] = marker
            else:
                moved.append(atom)
        changed: dict[cells.Atom, dict[str, Any]] = {}
        for start in range(0, len(moved), 1000):
            chunk = moved[start : start + 1000]
            ids = [_cell_id(doc_type, atom) for atom in chunk]
            response = self._call(self.es.mget, index=cells_index_name(concrete), ids=ids, source=["summary"])
            for atom, hit in zip(chunk, response["docs"], strict=True):
                if "error" in hit:
                    raise TransientError(f"cell {hit.get('_id')} cannot be read: {hit['error']}")
                if not hit.get("found"):
                    continue  # emptied and gone since the search (cells are not deleted, but an index may be)
                markers[atom] = _cell_marker(concrete, hit)
                summary = hit["_source"].get("summary")
                if summary is not None:  # an empty cell keeps its marker, so it is not read again until it moves
                    changed[atom] = json.loads(summary)
        return markers, changed

    # -- reading -----------------------------------------------------------------------------------
    def get_many(self, ids: Sequence[str]) -> dict[str, Document]:
        found: dict[str, Document] = {}
        for start in range(0, len(ids), 1000):
            chunk = list(ids[start : start + 1000])
            try:
                response = self._call(self.es.mget, index=self.source, ids=chunk, source=_SOURCE_FIELDS)
            except MittariError as exc:
                if "index_not_found" in str(exc):
                    return found
                raise
            for item in response["docs"]:
                if "error" in item:  # e.g. shards still recovering: "not found" would be a lie
                    raise TransientError(f"document {item.get('_id')} cannot be read yet: {item['error']}")
                if item.get("found"):
                    doc = _document(item["_source"])
                    found[doc.id] = doc
        return found

    def get(self, doc_id: str) -> Document | None:
        return self.get_many([doc_id]).get(doc_id)

    def search(self, query: SearchQuery) -> SearchResult:
        position = decode_cursor(query, scored=True)
        must = _word_clauses(query.q)
        if query.q.strip() and not must:
            return SearchResult(items=[], total=0, facets={f: [] for f in FACET_FIELDS} if query.facets else {})
        # filters in filter context (cached, never scored); words alone score. Totals are counted up to a
        # bound (exact below it, "gte" above); with facets the type facet counts every match exactly anyway.
        body: dict[str, Any] = {
            "query": {"bool": {"filter": _filters(query), "must": must}},
            "size": query.size + 1,
            "track_total_hits": TOTAL_EXACT_UP_TO,
            "_source": ["body"],
        }
        if query.sort == "relevance":
            # search_after on (score, id) as for dates: from + size is capped at index.max_result_window (10,000)
            body["sort"] = [{"_score": "desc"}, {"id": "asc"}]
        else:
            order = "desc" if query.sort == "newest" else "asc"
            body["sort"] = [{"date": order}, {"id": order}]
        if position:
            body["search_after"] = position
        if query.facets:
            body["aggs"] = {
                name: {"terms": {"field": name, "size": FACET_SIZE, "order": [{"_count": "desc"}, {"_key": "asc"}]}}
                for name in FACET_FIELDS
            }
        response = self._call(self.es.search, index=self.read_alias if self.readonly else self.source, **body)
        _complete(response)
        hits = response["hits"]["hits"]
        has_more = len(hits) > query.size
        hits = hits[: query.size]
        next_position = list(hits[-1]["sort"]) if has_more else None
        facets = {}
        if query.facets:
            facets = {
                name: [{"value": b["key"], "count": b["doc_count"]} for b in response["aggregations"][name]["buckets"]]
                for name in FACET_FIELDS
            }
            total, relation = sum(b["count"] for b in facets["type"]), "eq"
        else:
            counted = response["hits"]["total"]
            total, relation = counted["value"], "gte" if counted["relation"] == "gte" else "eq"
        return SearchResult(
            items=[h["_source"]["body"] for h in hits],
            total=total,
            facets=facets,
            next_cursor=encode_cursor(query, next_position) if next_position is not None else None,
            total_relation=relation,
        )

    def scan(self, doc_type: str) -> Iterator[dict[str, Any]]:
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {
                "query": {"term": {"type": doc_type}},
                "sort": [{"id": "asc"}],
                "size": 5000,
                "_source": ["id", "version", "date", "service_code", "area", "status", "facts"],
            }
            if after:
                body["search_after"] = after
            try:
                response = self._call(self.es.search, index=self.source, **body)
            except MittariError as exc:
                if "index_not_found" in str(exc):
                    return
                raise
            _complete(response)
            hits = response["hits"]["hits"]
            for hit in hits:
                src = hit["_source"]
                row = dict(src.get("facts") or {})
                row.update({k: src.get(k) for k in ("id", "version", "date", "service_code", "area", "status")})
                yield row
            if len(hits) < 5000:
                return
            after = hits[-1]["sort"]

    def cells(self, doc_type: str) -> Iterator[tuple[Atom, dict[str, Any]]]:
        """The stored cells of the index readers use; for an index from before cells (no cells index
        beside it), computed from the scanned fact rows with the same :func:`search.cells.from_rows`."""
        concrete = self._concrete(self.source)
        if concrete is None or not self._has_cells(concrete):
            yield from cells.from_rows(doc_type, self.scan(doc_type), self.timezone).items()
            return
        for atom, encoded in self._stored_cell_rows(concrete, doc_type):
            yield atom, json.loads(encoded)

    def stats(self) -> dict[str, Any]:
        try:
            docs = self._call(
                self.es.search, index=self.source, size=0, aggs={"t": {"terms": {"field": "type", "size": 50}}}
            )
            versions = self._call(
                self.es.search,
                index=self.source,
                size=0,
                aggs={"r": {"terms": {"field": "redaction_version", "size": 50, "missing": 0}}},
            )
            counters = self._call(
                self.es.search,
                index=self.counters_index,
                size=0,
                aggs={"n": {"terms": {"field": "name", "size": 200}, "aggs": {"v": {"sum": {"field": "value"}}}}},
            )
        except MittariError as exc:
            if "index_not_found" in str(exc):
                return {"documents": {}, "redaction_versions": {}, "counters": {}}
            raise
        return {
            "documents": {
                b["key"]: b["doc_count"] for b in sorted(docs["aggregations"]["t"]["buckets"], key=lambda b: b["key"])
            },
            "redaction_versions": {
                int(b["key"]): b["doc_count"]
                for b in sorted(versions["aggregations"]["r"]["buckets"], key=lambda b: b["key"])
            },
            "counters": {
                b["key"]: int(b["v"]["value"])
                for b in sorted(counters["aggregations"]["n"]["buckets"], key=lambda b: b["key"])
            },
        }

    def generation(self) -> str:
        try:
            return str(self._call(self.es.get, index=self.meta_index, id="generation")["_source"]["value"])
        except MittariError:
            return "0"
        except NotFoundError:
            return "0"

    def ping(self) -> bool:
        try:
            health = self.es.cluster.health(timeout="2s")
            return bool(self.es.indices.exists_alias(name=self.read_alias)) and health["status"] in ("green", "yellow")
        except (ApiError, ESConnectionError, ConnectionTimeout):
            return False

    def close(self) -> None:
        self.es.close()


_CELL_FIELDS = ("cell_month", "cell_service", "cell_area", "cell_code")  # on documents
_CELL_KEYS = ("month", "service", "area", "code")  # on cells


def _side_refused(items: Sequence[Mapping[str, Any]], with_position: bool) -> bool:
    """Check the bulk's side items (the log position first when ``with_position``, then the counters and the
    generation): True when only the position was refused as changed meanwhile (409), to be merged again;
    any other refusal fails the batch, since counters or the generation did not land."""
    conflict = False
    for n, item in enumerate(items):
        status = next(iter(item.values())).get("status", 500)
        if status < 300:
            continue
        if with_position and n == 0 and status == 409:
            conflict = True
            continue
        raise TransientError("Elasticsearch did not take the ingest counters and log position")
    return conflict


def cells_index_name(concrete: str) -> str:
    """``ns-docs-v3`` → ``ns-cells-v3``: outside the documents' template pattern and ``versions()``."""
    return concrete.replace("-docs-v", "-cells-v")


def _atom(src: Mapping[str, Any]) -> cells.Atom:
    return (src["cell_month"], src["cell_service"], src["cell_area"], src["cell_code"])


def _cell_item(atom: cells.Atom, row: Mapping[str, Any]) -> str | None:
    """A document's atom and fact row as stored in its ``cell_item`` doc values: canonical JSON
    ``[month, service, area, code, row]``. None when it would not fit (its item is then read from
    ``_source``) or the row holds something JSON cannot carry as it is."""
    try:
        item = json.dumps([*atom, row], ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return None
    return item if len(item) <= CELL_ITEM_LIMIT else None


def _from_cell_item(item: str) -> tuple[cells.Atom, dict[str, Any]]:
    month, service, area, code, row = json.loads(item)
    return (month, service, area, code), row


def _cell_action(cells_index: str, key: str, version: Mapping[str, int] | None) -> dict[str, Any]:
    """The bulk action writing one cell only if it is as it was read: ``if_seq_no``/``if_primary_term`` of the
    cell read, or ``create`` when none was stored (see ``ElasticIndex._recompute``)."""
    if version is None:
        return {"create": {"_index": cells_index, "_id": key}}
    return {"index": {"_index": cells_index, "_id": key, **version}}


def _cell_atom(src: Mapping[str, Any]) -> cells.Atom:
    return (src["month"], src["service"], src["area"], src["code"])


def _cell_marker(concrete: str, hit: Mapping[str, Any]) -> str:
    """What changes with every write of a cell: its index, and its primary term and sequence number there."""
    return f"{concrete}:{hit['_primary_term']}:{hit['_seq_no']}"


def _cell_id(doc_type: str, atom: cells.Atom) -> str:
    return json.dumps([doc_type, *atom], ensure_ascii=False, separators=(",", ":"))


def _complete(response: Mapping[str, Any]) -> None:
    """A search that some shards could not answer is not an answer: figures from it would be wrong."""
    shards = response.get("_shards") or {}
    if shards.get("failed"):
        raise TransientError(f"{shards['failed']} of {shards.get('total')} shards did not answer")


def _source(doc: Document) -> dict[str, Any]:
    return {
        "id": doc.id,
        "type": doc.type,
        "version": doc.version,
        "date": doc.date,
        "service_code": doc.service_code,
        "area": doc.area,
        "status": doc.status,
        "terms": doc.text,
        "body": doc.body,
        "facts": doc.facts,
        "events": doc.events,
        "redaction_version": doc.redaction_version,
    }


def _document(src: Mapping[str, Any]) -> Document:
    return Document(
        id=src["id"],
        type=src["type"],
        version=src["version"],
        date=src["date"],
        body=src["body"],
        facts=src.get("facts") or {},
        events=src.get("events") or [],
        service_code=src.get("service_code"),
        area=src.get("area"),
        status=src.get("status"),
        redaction_version=src.get("redaction_version") or 0,
    )


def _filters(query: SearchQuery) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"terms": {"type": list(query.types)}}]
    for field, value in (("service_code", query.service), ("area", query.area), ("status", query.status)):
        if value is not None:
            out.append({"term": {field: value}})
    date: dict[str, str] = {}
    if query.date_from:
        date["gte"] = iso(query.date_from)
    if query.date_to:
        date["lt"] = iso(query.date_to)
    if date:
        out.append({"range": {"date": date}})
    return out


def _word_clauses(q: str) -> list[dict[str, Any]]:
    """Every word must match, as a prefix of its folded form or as one of its stems (as in SQLite).

    Only term and prefix queries on analysed tokens: user text never reaches a query parser.
    """
    clauses = []
    for prefixes, stems in query_terms(q):
        should: list[dict[str, Any]] = [{"prefix": {"terms": p}} for p in prefixes]
        should += [{"term": {"terms": s}} for s in stems]
        clauses.append({"bool": {"should": should, "minimum_should_match": 1}})
    return clauses
