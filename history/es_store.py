"""The history on Elasticsearch: ``{namespace}-history`` (published values) and ``{namespace}-corrections``.

Append-only as far as the client can make it: every document is written with ``op_type=create`` under
its deterministic id (history/store.py), so an existing row is never overwritten (a re-run's ``409``
is "already there", not an error), and this module has no update or delete. The rows themselves are
stored, not indexed (``enabled: false``); only the key, the indicator, the id and ``recorded_at`` are
searchable. A bulk append is refreshed before it returns, so readers see it at once.

Reading the last row per key scans the rows recorded up to the moment (``search_after`` in
``(recorded_at, id)`` order) and keeps the last of every key in Python, as the embedded store's window
query does in SQL, so both backends reduce the same way (:func:`history.store.last_per_key`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from elasticsearch import ApiError, ConnectionError, ConnectionTimeout, Elasticsearch, NotFoundError

from core.errors import MittariError, TransientError
from history.store import Key, Row, check_row, correction_id, encoded_key, last_per_key, row_id

_KEYWORD = {"type": "keyword"}
_MAPPING: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "id": _KEYWORD,
        "key": _KEYWORD,
        "indicator": _KEYWORD,
        "recorded_at": _KEYWORD,  # a stamp: string order is time order
        "body": {"type": "object", "enabled": False},
    },
}
_SORT = [{"recorded_at": "asc"}, {"id": "asc"}]
_PAGE = 5000


class ElasticHistory:
    def __init__(
        self,
        url: str,
        namespace: str = "mittari",
        *,
        readonly: bool = False,
        shards: int = 1,
        replicas: int = 0,
        timeout: float = 30.0,
    ) -> None:
        self.published_index = f"{namespace}-history"
        self.corrections_index = f"{namespace}-corrections"
        self.readonly = readonly
        self.es = Elasticsearch(url, request_timeout=timeout, max_retries=3, retry_on_timeout=True)
        if not readonly:
            for name in (self.published_index, self.corrections_index):
                self._call(self._ensure, name, shards, replicas)

    def _ensure(self, name: str, shards: int, replicas: int) -> None:
        if self.es.indices.exists(index=name):
            return
        try:
            self.es.indices.create(
                index=name,
                mappings=_MAPPING,
                settings={"number_of_shards": shards, "number_of_replicas": replicas},
            )
        except ApiError as exc:
            if "resource_already_exists" not in str(exc):
                raise

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (ConnectionError, ConnectionTimeout) as exc:
            raise TransientError(f"Elasticsearch cannot be reached: {exc}") from exc
        except NotFoundError:
            raise
        except ApiError as exc:
            raise MittariError(f"Elasticsearch refused the request ({exc.meta.status}): {exc}") from exc

    # -- writing -----------------------------------------------------------------------------------
    def append(self, rows: Sequence[Mapping[str, Any]], corrections: Sequence[Mapping[str, Any]] = ()) -> int:
        if self.readonly:
            raise PermissionError("this history store was opened read-only")
        operations: list[dict[str, Any]] = []
        for row in rows:
            check_row(row)
            body = {**row, "id": row_id(row)}
            operations += [
                {"create": {"_index": self.published_index, "_id": body["id"]}},
                {
                    "id": body["id"],
                    "key": encoded_key(row),
                    "indicator": row["indicator"],
                    "recorded_at": row["recorded_at"],
                    "body": body,
                },
            ]
        for correction in corrections:
            check_row(correction)
            body = {**correction, "id": correction_id(correction)}
            operations += [
                {"create": {"_index": self.corrections_index, "_id": body["id"]}},
                {
                    "id": body["id"],
                    "key": encoded_key(correction),
                    "indicator": correction["indicator"],
                    "recorded_at": correction["recorded_at"],
                    "body": body,
                },
            ]
        appended = 0
        for start in range(0, len(operations), 2 * _PAGE):
            result = self._call(self.es.bulk, operations=operations[start : start + 2 * _PAGE], refresh="wait_for")
            for item in result["items"]:
                status = item["create"]["status"]
                if status == 201:
                    appended += 1
                elif status != 409:  # 409: already stored by an earlier run of the same recording
                    raise MittariError(f"the history refused a row ({status}): {item['create'].get('error')}")
        return appended

    # -- reading -----------------------------------------------------------------------------------
    def _scan(self, index: str, filters: list[dict[str, Any]], after: list[str] | None = None) -> Iterator[Row]:
        while True:
            kwargs: dict[str, Any] = {"search_after": after} if after else {}
            try:
                result = self._call(
                    self.es.search,
                    index=index,
                    query={"bool": {"filter": filters}},
                    sort=_SORT,
                    size=_PAGE,
                    ignore_unavailable=True,
                    track_total_hits=False,
                    **kwargs,
                )
            except NotFoundError:
                return
            hits = result["hits"]["hits"]
            for hit in hits:
                yield hit["_source"]["body"]
            if len(hits) < _PAGE:
                return
            after = hits[-1]["sort"]

    def latest(self, indicator: str | None = None) -> dict[Key, Row]:
        return last_per_key(list(self._scan(self.published_index, _indicator(indicator))))

    def as_of(self, moment: str, indicator: str | None = None) -> dict[Key, Row]:
        filters = [{"range": {"recorded_at": {"lte": moment}}}, *_indicator(indicator)]
        return last_per_key(list(self._scan(self.published_index, filters)))

    def _edge(self, order: str, moment: str | None) -> str | None:
        filters = [{"range": {"recorded_at": {"lte": moment}}}] if moment is not None else []
        try:
            result = self._call(
                self.es.search,
                index=self.published_index,
                query={"bool": {"filter": filters}},
                sort=[{"recorded_at": order}],
                size=1,
                ignore_unavailable=True,
                track_total_hits=False,
                source=["recorded_at"],
            )
        except NotFoundError:
            return None
        hits = result["hits"]["hits"]
        return str(hits[0]["_source"]["recorded_at"]) if hits else None

    def last_recorded_at(self, moment: str | None = None) -> str | None:
        return self._edge("desc", moment)

    def first_recorded_at(self) -> str | None:
        return self._edge("asc", None)

    def corrections(
        self,
        indicator: str | None = None,
        since: str | None = None,
        until: str | None = None,
        after: tuple[str, str] | None = None,
        size: int = 100,
    ) -> list[Row]:
        if size <= 0:
            return []
        bounds = {k: v for k, v in (("gte", since), ("lte", until)) if v is not None}
        filters = [*_indicator(indicator), *([{"range": {"recorded_at": bounds}}] if bounds else [])]
        kwargs: dict[str, Any] = {"search_after": list(after)} if after else {}
        try:
            result = self._call(
                self.es.search,
                index=self.corrections_index,
                query={"bool": {"filter": filters}},
                sort=_SORT,
                size=size,
                ignore_unavailable=True,
                track_total_hits=False,
                **kwargs,
            )
        except NotFoundError:
            return []
        return [hit["_source"]["body"] for hit in result["hits"]["hits"]]

    def position(self) -> str:
        counts = []
        for index in (self.published_index, self.corrections_index):
            try:
                counts.append(int(self._call(self.es.count, index=index, ignore_unavailable=True)["count"]))
            except NotFoundError:
                counts.append(0)
        return f"{counts[0]}.{counts[1]}"

    def close(self) -> None:
        self.es.close()


def _indicator(indicator: str | None) -> list[dict[str, Any]]:
    return [{"term": {"indicator": indicator}}] if indicator is not None else []
