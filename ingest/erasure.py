"""The right to be forgotten and raw-record retention: ``mittari forget`` and ``mittari retention``.

Forgetting goes log first, index second: the deny-list entry is durable before
the document is deleted, so a worker that reads the log after this point drops
the subject's records, and one that prepared a batch before it is refused by
the index (see ``Index.forget``). Published files and CKAN datasets are
recomputed from the index, so they change at the next ``mittari publish``.
Nothing about the content is kept: only the subject id, the reason and the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from core.clock import Clock
from ingest.log import EventLog, RawDropped
from search.index import Index

#: exit code of ``mittari forget`` when the log and the index knew nothing of the subject
UNKNOWN_SUBJECT_EXIT = 3


@dataclass(frozen=True)
class ForgetReport:
    subject_id: str
    already: bool
    documents_removed: int
    events_erased: int
    dead_letters_erased: int

    @property
    def unknown(self) -> bool:
        """Nothing was stored about the subject, and it was not forgotten before."""
        return not (self.already or self.documents_removed or self.events_erased or self.dead_letters_erased)

    def lines(self) -> list[str]:
        out = [
            f"{self.subject_id}: {self.documents_removed} document(s) removed from the index, "
            f"{self.events_erased} event(s) and {self.dead_letters_erased} dead letter(s) erased from the log",
            "tombstone: already on the deny-list" if self.already else "tombstone written to the deny-list",
            "published files and CKAN datasets change at the next `mittari publish`",
        ]
        if self.unknown:
            out.append(
                f"nothing was stored about {self.subject_id}; it stays on the deny-list, so its events are dropped"
                " if they arrive later (check the id if this is unexpected)"
            )
        return out


def forget(log: EventLog, index: Index, subject_id: str, reason: str, clock: Clock) -> ForgetReport:
    """Deny-list the subject and erase what it left; safe to run again (the second run reports ``already``)."""
    erasure = log.erase(subject_id, reason, clock.now().isoformat())
    removed = index.forget([subject_id])
    return ForgetReport(subject_id, erasure.already, removed, erasure.events_erased, erasure.dead_letters_erased)


def drop_old_raw(log: EventLog, retention_days: int, clock: Clock) -> RawDropped:
    """Remove ``raw`` from what the log took more than ``retention_days`` ago (MITTARI_RAW_RETENTION_DAYS)."""
    return log.drop_raw(clock.now() - timedelta(days=retention_days))
