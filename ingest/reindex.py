"""``mittari reindex``: rebuild the Elasticsearch index from the event log, then swap the aliases.

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
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ingest.events import TOPICS
from ingest.log import open_log
from ingest.worker import Worker
from search.errors import ConfigError
from search.es_index import ElasticIndex
from search.logs import fields
from search.settings import Settings

log = logging.getLogger(__name__)


def reindex(settings: Settings, *, drop_old: bool = False, echo: Callable[[str], None] = print) -> str:
    if not settings.search.startswith(("http://", "https://")):
        raise ConfigError(
            "reindex swaps Elasticsearch aliases; to rebuild the embedded index, delete "
            f"{settings.search.removeprefix('sqlite:///')} and run `mittari ingest --once` with the worker stopped"
        )
    live = ElasticIndex(settings.search, settings.namespace, shards=settings.es_shards, replicas=settings.es_replicas)
    event_log = open_log(settings)
    try:
        versions = live.versions()
        old = live.alias_target(live.read_alias)
        number = max((int(v.rsplit("-v", 1)[1]) for v in versions), default=0) + 1
        new = f"{settings.namespace}-docs-v{number}"
        live.create_version(new)
        echo(f"building {new} from the event log (reading alias still on {old})")
        target = ElasticIndex(settings.search, settings.namespace, concrete=new, replicas=settings.es_replicas)
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
            live.es.indices.delete(index=old)
            echo(f"dropped {old}")
        return new
    finally:
        event_log.close()
        live.close()
