"""Mittari's configuration: read from the environment once, into one frozen object.

Every setting has a ``MITTARI_`` variable, a default that runs the embedded
(SQLite, no servers) mode and one line of help. The table below is data so the
README's configuration table can be checked against it by a test.
It lives in ``search`` because every other package may import ``search``.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from core.errors import ConfigError


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str
    help: str
    parse: Callable[[str], Any] = str


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("must be 0 or a positive whole number")
    return value


#: more helper processes than this only copy the worker's memory: each one is a forked worker, and checking
#: cannot run faster than the cores the machine has
MAX_INGEST_CHECKERS = 32


def _at_most(parse: Callable[[str], int], most: int) -> Callable[[str], int]:
    """``parse``, refusing any value above ``most`` (a setting whose large values would exhaust the machine)."""

    def bounded(raw: str) -> int:
        value = parse(raw)
        if value > most:
            raise ValueError(f"may not be above {most}")
        return value

    return bounded


_checker_count = _at_most(_non_negative_int, MAX_INGEST_CHECKERS)


#: a batch is held in the worker's memory whole (at most ``ingest.log.MAX_BATCH_BYTES`` of records, plus
#: the stored documents it touches) and written before anything is committed: the first 20,000 demo
#: events fold into 9,098 documents of 17 MB as JSON. Requests to Elasticsearch are bounded apart from
#: this (``ingest.worker.PART_BYTES``), so the cap keeps memory and a batch's retry cost modest
MAX_REMOTE_BATCH_SIZE = 50_000
_remote_batch_size = _at_most(_positive_int, MAX_REMOTE_BATCH_SIZE)


def _positive_float(raw: str) -> float:
    value = float(raw)
    if not value > 0:
        raise ValueError("must be a positive number")
    return value


def _cell_minimum(raw: str) -> int:
    value = int(raw)
    if value < 5:
        raise ValueError("may not be below 5: smaller cells could single out a person")
    return value


def _cursor_keys(raw: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    if any(len(k) < 32 for k in keys):
        raise ValueError("every key must have at least 32 characters")
    return keys


SETTINGS: tuple[Setting, ...] = (
    Setting("data_dir", "MITTARI_DATA_DIR", "data", "Folder for the embedded event log, index and published files."),
    Setting(
        "event_log",
        "MITTARI_EVENT_LOG",
        "",
        "Event log: `sqlite:///PATH` (default: DATA_DIR/events.sqlite) or `kafka://HOST:PORT[,HOST:PORT]`.",
    ),
    Setting(
        "search",
        "MITTARI_SEARCH",
        "",
        "Search index: `sqlite:///PATH` (default: DATA_DIR/index.sqlite) or `http://HOST:PORT` for Elasticsearch.",
    ),
    Setting("publish_dir", "MITTARI_PUBLISH_DIR", "", "Folder for open datasets (default: DATA_DIR/published)."),
    Setting("namespace", "MITTARI_NAMESPACE", "mittari", "Prefix of every topic, consumer group and index name."),
    Setting(
        "base_url", "MITTARI_BASE_URL", "http://127.0.0.1:8000", "Public address of the API, used in dataset links."
    ),
    Setting(
        "kafka_partitions",
        "MITTARI_KAFKA_PARTITIONS",
        "3",
        "Partitions of each Kafka topic Mittari creates: the most workers a group can use.",
        _positive_int,
    ),
    Setting(
        "es_shards",
        "MITTARI_ES_SHARDS",
        "1",
        "Primary shards of a new Elasticsearch index.",
        _positive_int,
    ),
    Setting(
        "es_replicas",
        "MITTARI_ES_REPLICAS",
        "0",
        "Replicas of a new Elasticsearch index (0 on one node; 1 or more in a cluster).",
        int,
    ),
    Setting(
        "batch_size",
        "MITTARI_BATCH_SIZE",
        "5000",
        "Events the ingest worker takes per batch on the embedded index (and a reindex on either); a remote"
        " index takes MITTARI_REMOTE_BATCH_SIZE.",
        _positive_int,
    ),
    Setting(
        "remote_batch_size",
        "MITTARI_REMOTE_BATCH_SIZE",
        "20000",
        "Events the ingest worker takes per batch when the index is remote (Elasticsearch): fewer, larger"
        " writes, so fewer documents and cells are rewritten across batches (at most 50000).",
        _remote_batch_size,
    ),
    Setting(
        "ingest_checkers",
        "MITTARI_INGEST_CHECKERS",
        "0",
        "Helper processes that decode, validate and redact the next batch while the ingest worker folds and"
        " writes the current one (0: the worker does it all; at most 32).",
        _checker_count,
    ),
    Setting(
        "import_max_bytes",
        "MITTARI_IMPORT_MAX_BYTES",
        "209715200",
        "Largest file or URL body `mittari import open311` reads, in bytes (default 200 MiB).",
        _positive_int,
    ),
    Setting(
        "import_time_limit",
        "MITTARI_IMPORT_TIME_LIMIT",
        "300",
        "Seconds `mittari import open311` may spend fetching a URL in all; redirects are followed to http(s) only.",
        _positive_float,
    ),
    Setting("max_page_size", "MITTARI_MAX_PAGE_SIZE", "100", "Largest `size` the API accepts.", _positive_int),
    Setting(
        "response_cache_bytes",
        "MITTARI_RESPONSE_CACHE_BYTES",
        "33554432",
        "Bytes of answers each API worker keeps to send again for identical GETs until the index changes (0: none).",
        _non_negative_int,
    ),
    Setting(
        "min_cell_count",
        "MITTARI_MIN_CELL_COUNT",
        "5",
        "Aggregates over fewer items than this are suppressed (at least 5).",
        _cell_minimum,
    ),
    Setting(
        "response_target_hours",
        "MITTARI_RESPONSE_TARGET_HOURS",
        "120",
        "Feedback answered within this many hours counts as answered on time.",
        _positive_int,
    ),
    Setting("timezone", "MITTARI_TIMEZONE", "Europe/Helsinki", "Time zone that decides which month an event falls in."),
    Setting("publisher_name", "MITTARI_PUBLISHER_NAME", "Mittari demo city", "Publisher named in dataset metadata."),
    Setting(
        "city_name",
        "MITTARI_CITY_NAME",
        "",
        "The city's name as citations name it (\"Espoo, …\"); default: the publisher's name.",
    ),
    Setting("contact_email", "MITTARI_CONTACT_EMAIL", "opendata@example.org", "Contact address in dataset metadata."),
    Setting("license", "MITTARI_LICENSE", "CC-BY-4.0", "Licence of published datasets (SPDX id)."),
    Setting(
        "spatial",
        "MITTARI_SPATIAL",
        "",
        "Place the data covers, a URI (YSO places, Geonames) or a name (default: the publisher's name).",
    ),
    Setting(
        "ckan_url",
        "MITTARI_CKAN_URL",
        "",
        "CKAN portal for `mittari publish --target ckan` (dev: var/services/ckan/env).",
    ),
    Setting(
        "ckan_token", "MITTARI_CKAN_TOKEN", "", "API token of a CKAN user who may edit the organisation's datasets."
    ),
    Setting("ckan_org", "MITTARI_CKAN_ORG", "", "Name or id of the CKAN organisation that owns the datasets."),
    Setting(
        "ckan_batch_size",
        "MITTARI_CKAN_BATCH_SIZE",
        "1000",
        "Rows per DataStore upsert: each batch is one transaction on the portal.",
        _positive_int,
    ),
    Setting(
        "ckan_retry_seconds",
        "MITTARI_CKAN_RETRY_SECONDS",
        "120",
        "How long a publish keeps retrying an unreachable or overloaded portal before it gives up.",
        _positive_int,
    ),
    Setting(
        "publish_debounce",
        "MITTARI_PUBLISH_DEBOUNCE",
        "30",
        "`mittari publish --watch` waits this many quiet seconds after the index changes before publishing.",
        _positive_float,
    ),
    Setting(
        "cursor_keys",
        "MITTARI_CURSOR_KEYS",
        "",
        "Secret keys (32+ characters, comma-separated) that sign paging cursors: the first signs, all verify, so a "
        "new key goes first and the old one stays until its cursors are stale. The same on every host. Required "
        "when the base URL is https; otherwise a development key is derived from the namespace.",
        _cursor_keys,
    ),
    Setting(
        "raw_retention_days",
        "MITTARI_RAW_RETENTION_DAYS",
        "90",
        "Days the source record (`raw`) of events and dead letters is kept (Kafka: the dead-letter topic's retention).",
        _positive_int,
    ),
    Setting("log_level", "MITTARI_LOG_LEVEL", "INFO", "Logging level: DEBUG, INFO, WARNING or ERROR."),
)


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("data")
    event_log: str = ""
    search: str = ""
    publish_dir: Path = Path("")
    namespace: str = "mittari"
    base_url: str = "http://127.0.0.1:8000"
    kafka_partitions: int = 3
    es_shards: int = 1
    es_replicas: int = 0
    batch_size: int = 5000
    remote_batch_size: int = 20_000
    ingest_checkers: int = 0
    import_max_bytes: int = 209_715_200
    import_time_limit: float = 300.0
    max_page_size: int = 100
    response_cache_bytes: int = 33_554_432
    min_cell_count: int = 5
    response_target_hours: int = 120
    timezone: str = "Europe/Helsinki"
    publisher_name: str = "Mittari demo city"
    city_name: str = ""
    contact_email: str = "opendata@example.org"
    license: str = "CC-BY-4.0"
    spatial: str = ""
    ckan_url: str = ""
    ckan_token: str = field(default="", repr=False)  # a secret: never in logs or reprs
    ckan_org: str = ""
    ckan_batch_size: int = 1000
    ckan_retry_seconds: int = 120
    publish_debounce: float = 30.0
    cursor_keys: tuple[str, ...] = field(default=(), repr=False)  # secrets
    raw_retention_days: int = 90
    log_level: str = "INFO"
    extra: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Derived defaults: everything lives under data_dir unless said otherwise.
        data_dir = Path(self.data_dir)
        object.__setattr__(self, "data_dir", data_dir)
        if not self.event_log:
            object.__setattr__(self, "event_log", f"sqlite:///{data_dir / 'events.sqlite'}")
        if not self.search:
            object.__setattr__(self, "search", f"sqlite:///{data_dir / 'index.sqlite'}")
        if not str(self.publish_dir) or str(self.publish_dir) == ".":
            object.__setattr__(self, "publish_dir", data_dir / "published")
        else:
            object.__setattr__(self, "publish_dir", Path(self.publish_dir))
        if not self.cursor_keys and not self.base_url.startswith("https:"):
            # Development only: predictable, but the same in every worker, so paging works across them.
            derived = hashlib.sha256(f"mittari development cursor key:{self.namespace}".encode()).hexdigest()
            object.__setattr__(self, "cursor_keys", (derived,))

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with some values changed; derived paths follow a new data_dir."""
        if "data_dir" in changes:
            for derived in ("event_log", "search", "publish_dir"):
                if getattr(self, derived) == getattr(Settings(data_dir=self.data_dir), derived):
                    changes.setdefault(derived, "")
        return replace(self, **changes)


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from the environment (``os.environ`` by default), then explicit overrides."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = env.get(setting.env, setting.default)
        if raw == "":
            continue
        try:
            values[setting.name] = setting.parse(raw)
        except ValueError as exc:
            raise ConfigError(f"{setting.env}={raw!r}: {exc}") from exc
    values.update({k: v for k, v in overrides.items() if v is not None})
    known = {f.name for f in fields(Settings)}
    unknown = set(values) - known
    if unknown:
        raise ConfigError(f"unknown settings: {sorted(unknown)}")
    return Settings(**values)
