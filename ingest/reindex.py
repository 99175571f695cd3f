"""``mittari reindex``: rebuild the index from the event log, then swap it in without downtime.

Both backends replay the whole log with a consumer group of their own, so the
worker's deny-list (``EventLog.erased``) applies: a forgotten subject is not
brought back by a rebuild. Documents come out with the current
``REDACTION_VERSION``, which is how a redaction upgrade reaches old documents.

Elasticsearch (aliases):

There is no ``_reindex`` in the server Mittari runs against, and rebuilding
from the log is the honest way anyway: a new mapping or a fix in folding
applies to every document. Steps:

1. create ``{ns}-docs-v{N+1}``;
2. replay the whole log into it with a consumer group of its own;
3. point the write alias at it, so the live worker writes there too;
4. replay again, to take what the live worker sent to the old index meanwhile
   (folding is idempotent and conflicting writes are merged, so overlap is safe);
5. point the read alias at it: the API switches in one atomic alias update.

The old index is kept unless ``--drop-old`` is given.

The embedded index (a file): the configured path becomes a symbolic link to
``NAME.vN``. The new version is built beside the current one, the live
counters and forgotten ids are copied over, the link is replaced in one
``rename`` (readers and the worker notice on their next query and reopen), and
a second replay takes what the live worker wrote to the old file meanwhile.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path

from core.errors import ConfigError
from core.logs import fields
from core.settings import Settings
from ingest.events import TOPICS
from ingest.log import open_log
from ingest.worker import Worker
from search.sqlite_index import SqliteIndex

log = logging.getLogger(__name__)


def reindex(settings: Settings, *, drop_old: bool = False, echo: Callable[[str], None] = print) -> str:
    if settings.search.startswith("sqlite:///"):
        return reindex_embedded(settings, drop_old=drop_old, echo=echo)
    if not settings.search.startswith(("http://", "https://")):
        raise ConfigError(f"MITTARI_SEARCH={settings.search!r}: use sqlite:///PATH or http://HOST:PORT")
    from search.es_index import ElasticIndex, cells_index_name

    live = ElasticIndex(
        settings.search,
        settings.namespace,
        shards=settings.es_shards,
        replicas=settings.es_replicas,
        timezone=settings.timezone,
    )
    event_log = open_log(settings)
    try:
        versions = live.versions()
        old = live.alias_target(live.read_alias)
        number = max((int(v.rsplit("-v", 1)[1]) for v in versions), default=0) + 1
        new = f"{settings.namespace}-docs-v{number}"
        live.create_version(new)
        echo(f"building {new} from the event log (reading alias still on {old})")
        target = ElasticIndex(
            settings.search, settings.namespace, concrete=new, replicas=settings.es_replicas, timezone=settings.timezone
        )
        group = f"reindex-v{number}"
        event_log.reset(group, TOPICS)
        replayed = Worker(event_log, target, group=group, batch_size=settings.batch_size).run(until_caught_up=True)
        live.swap_aliases(new, read=False, write=True)
        replayed += Worker(event_log, target, group=group, batch_size=settings.batch_size).run(until_caught_up=True)
        live.swap_aliases(new, read=True, write=False)
        target.close()
        echo(f"{new} holds {replayed} events; readers and the worker now use it")
        log.info("reindexed", extra=fields(old=old, new=new, events=replayed))
        if drop_old and old and old != new:
            live.es.indices.delete(index=[old, cells_index_name(old)], ignore_unavailable=True)
            echo(f"dropped {old}")
        return new
    finally:
        event_log.close()
        live.close()


def reindex_embedded(settings: Settings, *, drop_old: bool = False, echo: Callable[[str], None] = print) -> str:
    """Build ``NAME.vN`` beside the live index from the whole log, then point the path's link at it."""
    link = Path(settings.search.removeprefix("sqlite:///"))
    link.parent.mkdir(parents=True, exist_ok=True)
    old = link.resolve() if link.exists() else None
    number = 1 + max((_version_of(p) for p in link.parent.glob(f"{link.name}.v*")), default=1)
    new = link.with_name(f"{link.name}.v{number}")
    for leftover in (new, *(new.with_name(new.name + s) for s in ("-wal", "-shm"))):
        leftover.unlink(missing_ok=True)
    group = f"reindex-v{number}"
    event_log = open_log(settings)
    target = SqliteIndex(new, counting=False, timezone=settings.timezone)
    try:
        echo(f"building {new.name} from the event log (readers still on {old.name if old else 'nothing'})")
        event_log.reset(group, TOPICS)
        replayed = Worker(event_log, target, group=group, batch_size=settings.batch_size).run(until_caught_up=True)
        if old is not None:
            _carry_over(new, old)
        staged = link.with_name(f".{link.name}.swap")
        staged.unlink(missing_ok=True)
        staged.symlink_to(new.name)
        if old is not None and not link.is_symlink():
            old = _keep_beside(link)
        os.replace(staged, link)  # atomic: a reader sees the old file or the new one, never neither
        replayed += Worker(event_log, target, group=group, batch_size=settings.batch_size).run(until_caught_up=True)
    finally:
        target.close()
        event_log.close()
    echo(f"{new.name} holds {replayed} events; readers and the worker now use it")
    log.info("reindexed", extra=fields(old=str(old), new=str(new), events=replayed))
    if drop_old and old is not None and old != new:
        for path in (old, *(old.with_name(old.name + s) for s in ("-wal", "-shm"))):
            path.unlink(missing_ok=True)
        echo(f"dropped {old.name}")
    return str(new)


def _version_of(path: Path) -> int:
    suffix = path.name.rsplit(".v", 1)[-1]
    return int(suffix) if suffix.isdigit() else 0


def _carry_over(new: Path, old: Path) -> None:
    """The live ingest counters and the forgotten ids belong to the index, not to the replay."""
    conn = sqlite3.connect(new, timeout=30, isolation_level=None)
    try:
        conn.execute("ATTACH DATABASE ? AS old", (str(old),))
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("DELETE FROM counters")
        conn.execute("INSERT INTO counters SELECT name, value FROM old.counters")
        conn.execute("INSERT OR IGNORE INTO forgotten SELECT id FROM old.forgotten")
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE old")
    finally:
        conn.close()


def _keep_beside(link: Path) -> Path:
    """The first reindex: the live index is a plain file; give it a version name so the path can become a link.

    Connections that have it open keep working (a rename changes no inode) and
    its WAL is named after the old path, which the new link never uses.
    """
    kept = link.with_name(f"{link.name}.v1")
    os.link(link, kept)  # a second name for the same inode; the rename of the link over the path drops the first
    return kept
