"""Indicators: definitions as data, and their computation from the index.

Each indicator has a code, a plain-language definition, a unit, a direction
(is higher or lower better) and a class (input, output, outcome or resident
experience). Values are computed per month, service and area from document
facts; targets come from governance events and carry the decision that set
them. What may be published is decided per indicator by its protected table
(``figures/indicator_table.py`` over ``privacy/disclosure.py``): a cell resting
on fewer than ``min_cell_count`` items (at least 5), and every cell from which
such a one could be computed, is withheld: value and n are null, a band and
the reason are given, so no one can be singled out, not even by arithmetic.

Computation happens in Python over scanned facts, not in the index, so every
backend gives the same figures by construction (percentiles are exact).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from core.clock import Clock, SystemClock
from core.errors import BadQuery, NotFound
from core.settings import Settings
from core.times import parse
from figures import definition_versions, indicator_table, order_statistics, provisional
from figures.content_memo import ContentMemo, digests_key
from figures.indicator_table import Table
from figures.protection_store import open_blocks
from privacy import disclosure, policy
from search.cells import CELL_TYPES, Atom
from search.index import Index, StreamPosition
from search.query import SearchQuery

DOCUMENT_PAGE = 500  # documents read per search page by Indicators.documents
MAX_RESULTS = 1024  # cached series, summaries and tables per Indicators
MAX_RESULT_BYTES = 64 * 1024 * 1024  # and their estimated size (JSON length), whichever bound comes first
MAX_KEPT_VALUES = 20_000  # cells' values and n kept across generations (a few per published cell)
SUPPRESSED_REASON = "fewer than {n} items"
SECONDARY_REASON = "withheld so that a cell of fewer than {n} items cannot be computed from the others"
UNSERVED_REASON = "totals over a range are published for one calendar month, quarter or year only"


@dataclass(frozen=True)
class Indicator:
    code: str
    name: dict[str, str]
    definition: dict[str, str]
    method: dict[str, str]
    unit: str
    direction: str  # 'higher' or 'lower' is better
    kind: str  # input / output / outcome / experience
    sources: tuple[str, ...]  # document types it reads
    #: value and n of a cell from its atoms' summaries (search/cells.py); n is additive over atoms
    compute: Callable[[Sequence[Mapping[str, Any]], Context], tuple[float | None, int]]
    dynamic: bool = False
    #: the definition version in force (figures/definition_versions.py): a changed definition is a new version
    version: int = definition_versions.DYNAMIC_VERSION
    #: n alone, where ``compute`` would pay for the value too (a median sorts every value; n is their number)
    count: Callable[[Sequence[Mapping[str, Any]], Context], int] | None = None

    def n(self, summaries: Sequence[Mapping[str, Any]], ctx: Context) -> int:
        """The cell's n, as ``compute`` gives it (disclosure control asks every cell for it)."""
        return self.count(summaries, ctx) if self.count is not None else self.compute(summaries, ctx)[1]


@dataclass(frozen=True)
class Context:
    now: datetime
    response_target_hours: int


def median(values: Sequence[float]) -> float:
    return order_statistics.median([sorted(values)])


def nearest_rank(values: Sequence[float], pct: float) -> float:
    """The nearest-rank percentile: the smallest value with at least pct % of values at or below it."""
    return order_statistics.nearest_rank([sorted(values)], pct)


Summaries = Sequence[Mapping[str, Any]]  # the atom summaries behind a cell (search/cells.py)


def _lists(summaries: Summaries, key: str) -> list[Sequence[float]]:
    """The atoms' sorted lists of one value, the empty ones left out: a cell's values are their union, whose
    order statistics :mod:`figures.order_statistics` finds without merging them."""
    return [s[key] for s in summaries if s.get(key)]


def _values_count(summaries: Summaries, key: str) -> int:
    """How many values the atoms' lists hold: a cell's n, without looking at a value."""
    return sum(len(s.get(key) or ()) for s in summaries)


def _median_response(summaries: Summaries, ctx: Context) -> tuple[float | None, int]:
    return _statistic(_lists(summaries, "hours"), order_statistics.median)


def _p90_response(summaries: Summaries, ctx: Context) -> tuple[float | None, int]:
    return _statistic(_lists(summaries, "hours"), lambda lists: order_statistics.nearest_rank(lists, 90))


def _statistic(
    lists: Sequence[Sequence[float]], statistic: Callable[[Sequence[Sequence[float]]], float]
) -> tuple[float | None, int]:
    """A cell's value and n from its atoms' sorted lists: None for a cell without values."""
    n = sum(len(values) for values in lists)
    return (statistic(lists) if n else None), n


def _answered_on_time(summaries: Summaries, ctx: Context) -> tuple[float | None, int]:
    """Answered items with an exact time are judged by it; still-unanswered ones count as late once they
    waited longer than the target (decided now, from their stored received times)."""
    target = ctx.response_target_hours
    on_time = judged = 0
    for s in summaries:
        hours = s.get("hours") or ()
        judged += len(hours)
        on_time += bisect.bisect_right(hours, target)
        unanswered = s.get("unanswered") or ()
        if unanswered:
            judged += late_count(unanswered, ctx.now, target)
    return _share(on_time, judged), judged


#: length of a stored date (``core.times.iso``: ``YYYY-MM-DDTHH:MM:SSZ``), whose string order is time order
_ISO_SECONDS = 20


def late_count(received: Sequence[str], now: datetime, target_hours: float) -> int:
    """How many of the sorted received times waited longer than ``target_hours`` by ``now``.

    Stored dates are whole seconds in one format, so "received before ``now - target``" is a string
    comparison and, over a sorted list, one bisection: parsing each time was a tenth of a cold overview at a
    million events. A list holding any other form of time is judged one time at a time, as before."""
    if any(map(_ISO_SECONDS.__ne__, map(len, received))):  # in C: a whole-history cell has every unanswered time
        return sum(1 for r in received if (now - parse(r)).total_seconds() / 3600 > target_hours)
    whole, within_second = _cutoff(now, target_hours)
    # received strictly before the cutoff; a time in the cutoff's own second is before it when it has a fraction
    return (bisect.bisect_right if within_second else bisect.bisect_left)(received, whole)


@functools.lru_cache(maxsize=64)
def _cutoff(now: datetime, target_hours: float) -> tuple[str, bool]:
    """``now - target`` as a stored date (whole seconds) and whether a fraction of a second was cut off."""
    cutoff = (now - timedelta(hours=target_hours)).astimezone(UTC)
    return cutoff.strftime("%Y-%m-%dT%H:%M:%SZ"), bool(cutoff.microsecond)


def _closed_share(summaries: Summaries, ctx: Context) -> tuple[float | None, int]:
    received = sum(s.get("received", 0) for s in summaries)
    return _share(sum(s.get("closed", 0) for s in summaries), received), received


def _reopened_share(summaries: Summaries, ctx: Context) -> tuple[float | None, int]:
    received = sum(s.get("received", 0) for s in summaries)
    return _share(sum(s.get("reopened", 0) for s in summaries), received), received


def _satisfaction(summaries: Summaries, ctx: Context) -> tuple[float | None, int]:
    """The mean rating; ``math.fsum`` (correctly rounded) so the value does not depend on the order atoms are
    combined in; fed the lists as they are, not copied into one (a whole-history cell holds every rating)."""
    lists = _lists(summaries, "satisfaction")
    n = sum(len(values) for values in lists)
    return (math.fsum(itertools.chain.from_iterable(lists)) / n if n else None), n


def _waiting_time(summaries: Summaries, ctx: Context) -> tuple[float | None, int]:
    return _statistic(_lists(summaries, "waiting_days"), order_statistics.median)


def _outcome(summaries: Summaries, ctx: Context) -> tuple[float | None, int]:
    """Mean of reported values, weighted by sample size; n is the summed sample size."""
    measures = [m for s in summaries for m in s.get("measures") or ()]
    if not measures:
        return None, 0
    total = sum(int(w) for _, w in measures)
    if total == 0:
        return None, 0
    return math.fsum(v * w for v, w in measures) / total, total


def _share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _t(fi: str, sv: str, en: str) -> dict[str, str]:
    return {"fi": fi, "sv": sv, "en": en}


BUILT_IN: tuple[Indicator, ...] = (
    Indicator(
        "feedback_response_time_median",
        _t("Palautteen vastausaika (mediaani)", "Svarstid på respons (median)", "Time to first response (median)"),
        _t(
            "Aika palautteen vastaanottamisesta kaupungin ensimmäiseen vastaukseen, tunteina; puolet vastauksista tuli tätä nopeammin.",
            "Tid från att responsen tagits emot till stadens första svar, i timmar; hälften av svaren kom snabbare.",
            "Hours from receiving feedback to the city's first response; half of the responses came faster than this.",
        ),
        _t(
            "Mediaani vastatuista palautteista, joiden vastausaika on tarkka, vastaanottokuukauden mukaan.",
            "Median av besvarad respons med exakt svarstid, efter mottagningsmånad.",
            "Median over answered feedback with an exact response time, by month received.",
        ),
        "h",
        "lower",
        "output",
        ("feedback",),
        _median_response,
        count=lambda summaries, ctx: _values_count(summaries, "hours"),
    ),
    Indicator(
        "feedback_response_time_p90",
        _t(
            "Palautteen vastausaika (90. persentiili)",
            "Svarstid på respons (90:e percentil)",
            "Time to first response (90th percentile)",
        ),
        _t(
            "Aika, jonka kuluessa 90 % palautteista sai ensimmäisen vastauksen, tunteina.",
            "Tiden inom vilken 90 % av responsen fick ett första svar, i timmar.",
            "Hours within which 90% of feedback got its first response.",
        ),
        _t(
            "Lähimmän järjestysluvun 90. persentiili vastatuista palautteista, joiden vastausaika on tarkka.",
            "90:e percentilen (närmaste rang) av besvarad respons med exakt svarstid.",
            "Nearest-rank 90th percentile over answered feedback with an exact response time.",
        ),
        "h",
        "lower",
        "output",
        ("feedback",),
        _p90_response,
        count=lambda summaries, ctx: _values_count(summaries, "hours"),
    ),
    Indicator(
        "feedback_answered_on_time",
        _t("Määräajassa vastatut palautteet", "Respons besvarad i tid", "Feedback answered within the target time"),
        _t(
            "Osuus palautteista, joihin vastattiin tavoiteajassa.",
            "Andelen respons som besvarades inom måltiden.",
            "Share of feedback that got its first response within the target time.",
        ),
        _t(
            "Mukana vastatut palautteet, joiden vastausaika on tarkka, sekä vastaamattomat, joiden tavoiteaika on jo kulunut (ne lasketaan myöhästyneiksi).",
            "Med räknas besvarad respons med exakt svarstid och obesvarad respons vars måltid redan gått ut (räknas som sena).",
            "Counts answered feedback with an exact response time, and unanswered feedback whose target time has already passed (as late).",
        ),
        "%",
        "higher",
        "output",
        ("feedback",),
        _answered_on_time,
    ),
    Indicator(
        "feedback_closed_share",
        _t("Suljetut palautteet", "Avslutad respons", "Feedback closed"),
        _t(
            "Osuus kuukauden aikana saaduista palautteista, jotka on nyt suljettu millä tahansa tavalla.",
            "Andelen av månadens respons som nu är avslutad på något sätt.",
            "Share of the month's feedback that is now closed in any way (resolved, scheduled, without action, not the city's).",
        ),
        _t(
            "Suljetut / kaikki vastaanotetut, vastaanottokuukauden mukaan. Suljettu ei tarkoita korjattua.",
            "Avslutade / alla mottagna, efter mottagningsmånad. Avslutad betyder inte åtgärdad.",
            "Closed / all received, by month received. Closed does not mean resolved.",
        ),
        "%",
        "higher",
        "output",
        ("feedback",),
        _closed_share,
    ),
    Indicator(
        "feedback_reopened_share",
        _t(
            "Uudelleen avatut tai uudelleen yhteyttä ottaneet",
            "Återöppnad respons eller ny kontakt",
            "Reopened or re-contacted feedback",
        ),
        _t(
            "Osuus palautteista, jotka avattiin uudelleen tai joista asukas otti uudelleen yhteyttä: merkki siitä, ettei asia ratkennut.",
            "Andelen respons som öppnades igen eller där invånaren tog ny kontakt: ett tecken på att ärendet inte löstes.",
            "Share of feedback reopened after closing or followed up by the resident: a sign the matter was not settled.",
        ),
        _t(
            "Uudelleen avatut tai yhteydenotot / kaikki vastaanotetut, vastaanottokuukauden mukaan.",
            "Återöppnade eller nya kontakter / alla mottagna, efter mottagningsmånad.",
            "Reopened or re-contacted / all received, by month received.",
        ),
        "%",
        "lower",
        "outcome",
        ("feedback",),
        _reopened_share,
    ),
    Indicator(
        "resident_satisfaction",
        _t("Asukastyytyväisyys", "Invånarnöjdhet", "Resident satisfaction"),
        _t(
            "Asukkaiden arviot palvelusta ja palautteen käsittelystä asteikolla 0–100.",
            "Invånarnas betyg på tjänsten och på hanteringen av respons, på skalan 0–100.",
            "Residents' ratings of services and of how their feedback was handled, on a 0–100 scale.",
        ),
        _t(
            "Jokainen arvio muunnetaan ilmoitetulta asteikolta välille 0–100 ja lasketaan keskiarvo.",
            "Varje betyg räknas om från sin angivna skala till 0–100 och medelvärdet tas.",
            "Each rating is rescaled from its declared scale to 0–100, then averaged.",
        ),
        "points",
        "higher",
        "experience",
        ("feedback", "survey"),
        _satisfaction,
    ),
    Indicator(
        "service_waiting_time",
        _t("Palveluun jonottaminen (mediaani)", "Väntetid till tjänsten (median)", "Waiting time for service (median)"),
        _t(
            "Päivät asian vireille tulosta palvelun alkamiseen, suljetuista asioista.",
            "Dagar från att ärendet inleddes till att tjänsten började, för avslutade ärenden.",
            "Days from a case being opened to the service starting, over closed cases.",
        ),
        _t(
            "Mediaani suljettujen asioiden jonotusajoista, sulkemiskuukauden mukaan.",
            "Median av väntetiderna i avslutade ärenden, efter avslutningsmånad.",
            "Median waiting time of closed cases, by month closed.",
        ),
        "d",
        "lower",
        "output",
        ("case",),
        _waiting_time,
        count=lambda summaries, ctx: _values_count(summaries, "waiting_days"),
    ),
)

#: each built-in definition carries the version recorded for its content
BUILT_IN = tuple(replace(i, version=definition_versions.version_of(i.code)) for i in BUILT_IN)


def _outcome_indicator(code: str, row: dict[str, Any]) -> Indicator:
    name = row.get("name") or {}
    label = {lang: name.get(lang) or name.get("en") or name.get("fi") or code for lang in ("fi", "sv", "en")}
    return Indicator(
        code,
        label,
        _t(
            f"Palvelujärjestelmän raportoima vaikuttavuusmittari: {label['fi']}.",
            f"Effektmått som tjänstesystemet rapporterar: {label['sv']}.",
            f"Outcome measure reported by a service system: {label['en']}.",
        ),
        _t(
            "Raportoitujen arvojen keskiarvo otoskoolla painotettuna; n on otoskokojen summa.",
            "Medelvärdet av rapporterade värden viktat med urvalsstorleken; n är summan av urvalen.",
            "Mean of reported values weighted by sample size; n is the summed sample size.",
        ),
        str(row.get("unit") or ""),
        str(row.get("direction") or "higher"),
        "outcome",
        ("outcome",),
        _outcome,
        dynamic=True,
    )


@dataclass(frozen=True)
class Filters:
    service: str | None = None
    area: str | None = None
    month_from: str | None = None  # YYYY-MM, inclusive
    month_to: str | None = None  # YYYY-MM, inclusive


class Snapshot:
    """The read model at one index generation: the atoms' summaries per type, the targets, and every result
    computed from them. A result is stored only in the snapshot it was computed from, so it can never be
    served under a generation it was not computed at, however reads, writes and the warmer interleave."""

    def __init__(
        self,
        generation: str,
        cells: dict[str, dict[Atom, dict[str, Any]]],
        targets: list[dict[str, Any]],
        log_position: Mapping[str, StreamPosition] | None = None,
        markers: Mapping[str, Mapping[Atom, str]] | None = None,
        epoch: int = 0,
    ):
        self.generation = generation
        self.cells = cells
        #: what the values and tables kept across generations are valid for (``Indicators._read_cells``): part of
        #: their keys, so a computation still running on a snapshot of an older epoch keeps its results apart
        self.epoch = epoch
        #: each type's atoms' markers as read with their summaries (``Index.changed_cells``); a type the index
        #: could not mark is absent, and is read whole again next time
        self.markers: Mapping[str, Mapping[Atom, str]] = markers or {}
        self.targets = targets
        self.log_position: Mapping[str, StreamPosition] = log_position or {}  # read with the cells (recipes)
        self._results: OrderedDict[Any, Any] = OrderedDict()  # least recently used first
        self._result_bytes: dict[Any, int] = {}  # estimated size of each cached result
        self._lock = threading.Lock()

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """A result cached in this snapshot, at most ``MAX_RESULTS`` of them (least recently used go first, so
        any number of distinct filters cannot grow it); callers must treat it as read-only."""
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        value = compute()
        size = _estimated_bytes(value)
        with self._lock:
            self._results[key] = value
            self._result_bytes[key] = size
            while len(self._results) > MAX_RESULTS or (
                len(self._results) > 1 and sum(self._result_bytes.values()) > MAX_RESULT_BYTES
            ):
                evicted, _ = self._results.popitem(last=False)
                self._result_bytes.pop(evicted, None)
        return value

    def cached_bytes(self) -> int:
        with self._lock:
            return sum(self._result_bytes.values())

    def cached_keys(self) -> list[Any]:
        with self._lock:
            return list(self._results)


class Indicators:
    """Computes indicators from the index's atom summaries, through one snapshot per index generation."""

    #: how often a snapshot is reread when the generation moves while it is being read
    READ_ATTEMPTS = 3

    def __init__(self, index: Index, settings: Settings, clock: Clock | None = None) -> None:
        self.index = index
        self.settings = settings
        self.clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        #: each year's protection, kept across generations and processes (figures/protection_store.py)
        self.protections = open_blocks(settings.data_dir / "protection")
        #: computed cells' values and n, and indicators' tables, kept across generations under the items
        #: and moment they are computed from (figures/content_memo.py)
        self.values: ContentMemo[tuple[float | None, int]] = ContentMemo(MAX_KEPT_VALUES)
        #: each indicator's latest table with its key (one per indicator: however many indicators there are,
        #: none is pushed out before it is asked for again, and a replaced table's summaries are let go)
        self._tables: dict[str, tuple[Hashable, Table]] = {}
        self._tables_lock = threading.Lock()  # not ``_lock``, which a snapshot's read holds for its I/O
        self._epoch = 0  # moved (under ``_lock``) when a read keeps nothing of a type: see ``_read_cells``

    # -- data --------------------------------------------------------------
    def snapshot(self) -> Snapshot:
        """The read model at the index's current generation, read once per generation.

        The generation is read before and after the data: when it moved in between, the data is read again,
        and if it keeps moving the snapshot gets a label no generation has, so no one shares it."""
        with self._lock:
            current = self._snapshot
            generation = self.index.generation()
            if current is not None and current.generation == generation:
                return current
            # Inside a request the API pins the generation it read first (api/http_cache.py): the check
            # around the data must read it afresh, or a batch landing in between would go unseen.
            fresh: Index = getattr(self.index, "unpinned", self.index)
            generation = fresh.generation()
            if current is not None and current.generation == generation:
                return current  # a batch landed after the request pinned its generation: the newer data is read
            previous = current
            for _ in range(self.READ_ATTEMPTS):
                cells, markers = self._read_cells(previous)
                targets = list(self.index.scan("target"))
                position = self.index.log_position()
                after = fresh.generation()
                settled = after == generation
                generation = after
                label = generation if settled else f"{generation}~unsettled"
                snapshot = Snapshot(label, cells, targets, position, markers, self._epoch)
                if settled:
                    break
                previous = snapshot  # read again, from what this attempt read
            self._snapshot = snapshot
            return snapshot

    def _read_cells(
        self, previous: Snapshot | None
    ) -> tuple[dict[str, dict[Atom, dict[str, Any]]], dict[str, Mapping[Atom, str]]]:
        """Each type's atoms and summaries, reading and decoding only the atoms whose marker moved since
        ``previous`` (issue 11: a batch touches a few atoms, and every serving process read all of them again
        at every generation); the others keep ``previous``'s summary objects, read with the same marker. Any
        previous snapshot will do, settled or not: each pair of marker and summary was read together."""
        cells: dict[str, dict[Atom, dict[str, Any]]] = {}
        markers: dict[str, Mapping[Atom, str]] = {}
        for doc_type in CELL_TYPES:
            known = previous.markers.get(doc_type, {}) if previous is not None else {}
            found = self.index.changed_cells(doc_type, known)
            if found is None:  # this index cannot tell what moved: all of it, as before markers
                cells[doc_type] = dict(self.index.cells(doc_type))
                continue
            type_markers, changed = found
            kept = previous.cells.get(doc_type, {}) if previous is not None else {}
            # kept only where the marker is the one read with the kept summary: an atom emptied since keeps a
            # marker (Elasticsearch keeps empty cells) but a new one, and no summary
            atoms = {
                atom: kept[atom]
                for atom, marker in type_markers.items()
                if atom not in changed and atom in kept and known.get(atom) == marker
            }
            if kept and not atoms:
                # nothing kept of what was read before: a rebuild (a new summary format or time zone), a reindex,
                # or the first marked read of a file a worker has just given markers (and perhaps rebuilt). Values
                # kept under the items' digests may rest on summaries of another format: a new epoch, in every
                # key, so that neither what was kept nor what a computation on an older snapshot still stores is
                # found again (a batch that moves every atom of a small type costs one recomputation, as before).
                self._epoch += 1
                self.values.clear()
                with self._tables_lock:
                    self._tables.clear()
            atoms.update(changed)
            cells[doc_type] = dict(sorted(atoms.items()))  # in atom order, as ``Index.cells`` yields them
            markers[doc_type] = type_markers
        return cells, markers

    def cells(self, doc_type: str) -> dict[Atom, dict[str, Any]]:
        """The atoms of a type with their summaries (shared: callers must not change them)."""
        return self.snapshot().cells.get(doc_type, {})

    def areas(self, doc_type: str) -> list[str]:
        """The areas the documents of a type name, sorted."""
        return sorted({area for _, _, area, _ in self.cells(doc_type) if area})

    def documents(self, doc_type: str) -> list[dict[str, Any]]:
        """Every public document of a type, newest first, read once per generation and shared by every reader
        (decisions and initiatives: hundreds or thousands a year; callers must not change them).

        Read through the search port, page by page, with no cap: a list that silently stopped at some
        number would hide the oldest decisions from every page that filters them."""
        snap = self.snapshot()
        found: list[dict[str, Any]] = snap.memo(("documents", doc_type), lambda: list(_every(self.index, doc_type)))
        return found

    def definitions(self) -> list[Indicator]:
        return _definitions(self.snapshot())

    def definition(self, code: str) -> Indicator:
        for indicator in self.definitions():
            if indicator.code == code:
                return indicator
        raise NotFound(f"no indicator {code!r}")

    def targets(self) -> list[dict[str, Any]]:
        return self.snapshot().targets

    # -- computation -------------------------------------------------------
    def _context(self) -> Context:
        """The moment figures are computed at: the start of the current hour, so that every result cached in
        the same hour (``_memo``) was computed at the same, published moment (the recipe's ``computed_at``)
        and anyone can recompute "late by now" and "provisional" exactly."""
        now = self.clock.now().replace(minute=0, second=0, microsecond=0)
        return Context(now=now, response_target_hours=self.settings.response_target_hours)

    def computed_at(self) -> datetime:
        """When the figures served now were computed (see ``_context``)."""
        return self._context().now

    def _memo(
        self, snap: Snapshot, kind: str, indicator: Indicator, filters: Filters, compute: Callable[[], Any]
    ) -> Any:
        """A result cached in the snapshot it is computed from, per hour (on-time shares move with the clock)."""
        key = (kind, indicator.code, filters, self._context().now.strftime("%Y-%m-%dT%H"))
        return snap.memo(key, compute)

    def table(self, indicator: Indicator) -> Table:
        """The indicator's protected table (every publishable cell and which are withheld), once per generation."""
        return self._table(self.snapshot(), indicator)

    def _table(self, snap: Snapshot, indicator: Indicator) -> Table:
        result: Table = self._memo(snap, "table", indicator, Filters(), lambda: self._build_table(snap, indicator))
        return result

    def _build_table(self, snap: Snapshot, indicator: Indicator) -> Table:
        """The table from the snapshot's atoms, or the one built from the same atoms' items at the same moment
        in an earlier generation (a batch that touched none of this indicator's atoms leaves it as it was)."""
        ctx = self._context()
        by_atom = _atoms_for(snap, indicator, Filters())
        threshold = self.settings.min_cell_count
        content = digests_key(summary for summaries in by_atom.values() for summary in summaries)
        key = (snap.epoch, indicator.version, indicator.compute, indicator.count, content, ctx, threshold)
        with self._tables_lock:
            kept = self._tables.get(indicator.code)
        if content is not None and kept is not None and kept[0] == key:
            return kept[1]
        table = indicator_table.build(
            by_atom, lambda summaries: indicator.n(summaries, ctx), threshold, self.protections
        )
        if content is not None:
            with self._tables_lock:
                self._tables[indicator.code] = (key, table)
        return table

    def _cell(
        self, snap: Snapshot, indicator: Indicator, table: Table, key: indicator_table.Key, ctx: Context
    ) -> dict[str, Any]:
        """A published cell: its value and n, or, when withheld, neither but a band and the reason."""
        minimum = self.settings.min_cell_count
        summaries = table.summaries_of(key)
        inputs = {"inputs_sha256": inputs_sha256(summaries)}
        if table.withheld(key):
            n = table.count(key)
            reason = SUPPRESSED_REASON if table.small(key) else SECONDARY_REASON
            return {
                "value": None,
                "n": None,
                "n_band": disclosure.band(n, minimum),
                "suppressed": True,
                "reason": reason.format(n=minimum),
                **self._provisional(indicator, key[0], ctx),
                **inputs,
            }
        value, n = (None, 0)
        if table.count(key):
            # the same items and moment give the same value: kept across generations (figures/content_memo.py)
            digest = inputs["inputs_sha256"]
            value, n = self.values.get(
                (snap.epoch, indicator.code, indicator.version, indicator.compute, digest, ctx)
                if digest is not None
                else None,
                lambda: indicator.compute(summaries, ctx),
            )
        return {
            "value": round(value, 2) if value is not None else None,
            "n": n,
            "n_band": None,
            "suppressed": False,
            "reason": None,
            **self._provisional(indicator, key[0], ctx),
            **inputs,
        }

    def _provisional(self, indicator: Indicator, period: str, ctx: Context) -> dict[str, Any]:
        """``provisional`` and ``final_from`` of a cell (figures/provisional.py), by the indicator's rule."""
        rule = provisional.rule_for(indicator.code, indicator.sources)
        tz, hours = self.settings.timezone, self.settings.response_target_hours
        return provisional.fields(rule, period, ctx.now, tz, hours)

    @staticmethod
    def _unserved() -> dict[str, Any]:
        return {
            "value": None,
            "n": None,
            "n_band": None,
            "suppressed": True,
            "reason": UNSERVED_REASON,
            "provisional": None,
            "final_from": None,
        }

    def inputs(
        self, indicator: Indicator, period: str, service: str | None = None, area: str | None = None
    ) -> dict[str, Any]:
        """What one cell rests on (:func:`cell_inputs`): for the history of published values, not for readers."""
        table = self.table(indicator)
        return cell_inputs(table.summaries_of((period, service or indicator_table.ALL, area or indicator_table.ALL)))

    def cell(
        self, indicator: Indicator, period: str, service: str | None = None, area: str | None = None
    ) -> dict[str, Any]:
        """One published cell (value, n, band, reason, provisional, final_from, inputs_sha256), as the series
        and breakdowns carry it: what ``/v1/indicators/<code>/cells`` explains."""
        key = (period, service or indicator_table.ALL, area or indicator_table.ALL)
        snap = self.snapshot()
        return self._cell(snap, indicator, self._table(snap, indicator), key, self._context())

    def target_for(self, indicator: Indicator, month: str, service: str | None) -> dict[str, Any] | None:
        """The target in force for a month: a service's own target before a city-wide one, newest decision first."""
        return _target_for(self.targets(), indicator, month, service)

    @staticmethod
    def status(indicator: Indicator, value: float | None, target: dict[str, Any] | None) -> str:
        if target is None:
            return "no_target"
        if value is None:
            return "no_value"
        met = value >= target["value"] if indicator.direction == "higher" else value <= target["value"]
        return "met" if met else "not_met"

    def cached_bytes(self) -> int:
        """The estimated size of the cached results (for tests and status)."""
        snap = self._snapshot
        return snap.cached_bytes() if snap is not None else 0

    def known_scopes(self) -> tuple[frozenset[str], frozenset[str]]:
        """The service codes and areas any document names, for checking filters before computing."""
        snap = self.snapshot()
        found: tuple[frozenset[str], frozenset[str]] = snap.memo("scopes", lambda: _scopes(snap))
        return found

    def check_filters(self, filters: Filters) -> None:
        """An unknown service or area is a 400 naming the parameter, before anything is computed."""
        check_scope(filters)
        services, areas = self.known_scopes()
        if filters.service and filters.service not in services:
            raise BadQuery("service", f"no service {filters.service!r} in the data")
        if filters.area and filters.area not in areas:
            raise BadQuery("area", f"no area {filters.area!r} in the data")

    def series(self, indicator: Indicator, filters: Filters) -> list[dict[str, Any]]:
        """Monthly cells with target and status."""
        return self._series(self.snapshot(), indicator, filters)

    def _series(self, snap: Snapshot, indicator: Indicator, filters: Filters) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._memo(
            snap, "series", indicator, filters, lambda: self._compute_series(snap, indicator, filters)
        )
        return result

    def _compute_series(self, snap: Snapshot, indicator: Indicator, filters: Filters) -> list[dict[str, Any]]:
        check_scope(filters)
        ctx = self._context()
        table = self._table(snap, indicator)
        scope = (
            table.atoms
            if not (filters.service or filters.area)
            else _atoms_for(snap, indicator, replace(filters, month_from=None, month_to=None))
        )
        months = {atom[0] for atom in scope}
        out = []
        for month in _months_between(months, filters):
            cell = self._cell(snap, indicator, table, _key(month, filters), ctx)
            target = _target_for(snap.targets, indicator, month, filters.service)
            cell.update(
                period=month,
                target=target["value"] if target else None,
                status=self.status(indicator, cell["value"], target),
            )
            out.append({"period": month, **{k: v for k, v in cell.items() if k != "period"}})
        return out

    def breakdown(self, indicator: Indicator, filters: Filters, field: str) -> list[dict[str, Any]]:
        """Cells by service or by area over the filters' period; a service within an area is never published."""
        check_scope(filters)
        snap = self.snapshot()
        result: list[dict[str, Any]] = self._memo(
            snap, f"breakdown:{field}", indicator, filters, lambda: self._breakdown(snap, indicator, filters, field)
        )
        return result

    def _breakdown(self, snap: Snapshot, indicator: Indicator, filters: Filters, field: str) -> list[dict[str, Any]]:
        period = indicator_table.served_period(filters.month_from, filters.month_to)
        if period is None:
            return []
        ctx = self._context()
        table = self._table(snap, indicator)
        if field == "service_code":
            if filters.area:
                return []
            keys = [filters.service] if filters.service else list(table.services)
            cells = [(k, (period, k, indicator_table.ALL)) for k in keys]
        else:
            if filters.service:
                return []
            keys = [filters.area] if filters.area else list(table.areas)
            cells = [(k, (period, indicator_table.ALL, k)) for k in keys]
        return [{"key": k, **self._cell(snap, indicator, table, key, ctx)} for k, key in cells if table.count(key)]

    def summary(self, indicator: Indicator, filters: Filters) -> dict[str, Any]:
        """The indicator's description with its latest month and its whole-range value."""
        snap = self.snapshot()
        result: dict[str, Any] = self._memo(
            snap, "summary", indicator, filters, lambda: self._summary(snap, indicator, filters)
        )
        return result

    def _summary(self, snap: Snapshot, indicator: Indicator, filters: Filters) -> dict[str, Any]:
        series = self._series(snap, indicator, filters)
        latest = next((s for s in reversed(series) if not s["suppressed"]), series[-1] if series else None)
        final = next((s for s in reversed(series) if s["value"] is not None and not s["provisional"]), None)
        period = indicator_table.served_period(filters.month_from, filters.month_to)
        overall = (
            self._cell(snap, indicator, self._table(snap, indicator), _key(period, filters), self._context())
            if period is not None
            else self._unserved()
        )
        current_month = latest["period"] if latest else self.clock.now().strftime("%Y-%m")
        target = _target_for(snap.targets, indicator, current_month, filters.service)
        result = {
            **describe(indicator),
            "current": latest,
            "latest_final": final,
            "final_after": provisional.rule_for(indicator.code, indicator.sources).describe(
                self.settings.response_target_hours
            ),
            "overall": overall,
            "target": target,
            "status": self.status(indicator, latest["value"] if latest else None, target),
            "disclosure": disclosure_note(indicator, self.settings.min_cell_count),
        }
        return result

    def detail(self, code: str, filters: Filters) -> dict[str, Any]:
        indicator = self.definition(code)
        self.check_filters(filters)
        return {
            **self.summary(indicator, filters),
            "filters": {
                "service": filters.service,
                "area": filters.area,
                "from": filters.month_from,
                "to": filters.month_to,
            },
            "series": self.series(indicator, filters),
            "breakdown": {
                "service": self.breakdown(indicator, filters, "service_code"),
                "area": self.breakdown(indicator, filters, "area"),
            },
        }

    def overview(self, filters: Filters | None = None) -> list[dict[str, Any]]:
        filters = filters or Filters()
        return [self.summary(i, filters) for i in self.definitions()]

    def warm(self) -> None:
        """Compute what the overview needs now, so the next reader does not wait for it."""
        for indicator in self.definitions():
            self.summary(indicator, Filters())
            self.series(indicator, Filters())


def _atoms_for(snap: Snapshot, indicator: Indicator, filters: Filters) -> dict[tuple[str, str, str], list[Any]]:
    """The indicator's atoms (month, service, area) within the filters, each with its summaries (one per type)."""
    out: dict[tuple[str, str, str], list[Any]] = {}
    for doc_type in indicator.sources:
        for (month, service, area, code), summary in snap.cells.get(doc_type, {}).items():
            if indicator.dynamic and code != indicator.code:
                continue
            if filters.service and service != filters.service:
                continue
            if filters.area and area != filters.area:
                continue
            if filters.month_from and month < filters.month_from:
                continue
            if filters.month_to and month > filters.month_to:
                continue
            out.setdefault((month, service, area), []).append(summary)
    return out


def inputs_sha256(summaries: Summaries) -> str | None:
    """A cell's content hash: SHA-256 over its atoms' digests (search/cells.py), sorted, one per line.

    It changes exactly when an item behind the cell changes (a late event, a corrected record, an erasure);
    equal on every backend. None for an empty cell or for summaries stored before digests existed."""
    return digests_key(summaries) if summaries else None


def cell_inputs(summaries: Summaries) -> dict[str, Any]:
    """What a cell rests on, for the history of published values (not published as such: a withheld cell's
    item and event counts would reveal what suppression hides): items, events folded into them, and the hash."""
    return {
        "items": sum(int(s.get("items") or 0) for s in summaries),
        "events": sum(int(s.get("events") or 0) for s in summaries),
        "inputs_sha256": inputs_sha256(summaries),
    }


def _every(index: Index, doc_type: str) -> Iterator[dict[str, Any]]:
    cursor: str | None = None
    while True:
        result = index.search(SearchQuery(types=(doc_type,), size=DOCUMENT_PAGE, cursor=cursor, facets=False))
        yield from result.items
        cursor = result.next_cursor
        if not cursor or not result.items:
            return


def _definitions(snap: Snapshot) -> list[Indicator]:
    """The built-in indicators, then one per outcome code (named by its report with the smallest id)."""
    found: dict[str, Indicator] = {i.code: i for i in BUILT_IN}
    firsts: dict[str, dict[str, Any]] = {}
    for (_, _, _, code), summary in snap.cells.get("outcome", {}).items():
        first = summary.get("first")
        if code and first and (code not in firsts or first["id"] < firsts[code]["id"]):
            firsts[code] = first
    for code in sorted(firsts, key=lambda c: firsts[c]["id"]):
        if code not in found:
            found[code] = _outcome_indicator(code, firsts[code])
    return list(found.values())


def _scopes(snap: Snapshot) -> tuple[frozenset[str], frozenset[str]]:
    services: set[str] = set()
    areas: set[str] = set()
    for doc_type in CELL_TYPES:
        for _, service, area, _ in snap.cells.get(doc_type, {}):
            if service:
                services.add(service)
            if area:
                areas.add(area)
    return frozenset(services), frozenset(areas)


def _target_for(
    targets: list[dict[str, Any]], indicator: Indicator, month: str, service: str | None
) -> dict[str, Any] | None:
    start = month + "-01"
    end = month + "-31"
    candidates = [
        t
        for t in targets
        if t["indicator_code"] == indicator.code
        and t["valid_from"] <= end
        and (not t.get("valid_to") or t["valid_to"] >= start)
        and (t.get("service_code") in (None, service))
    ]
    if not candidates:
        return None
    best = max(
        candidates,
        key=lambda t: (
            t.get("service_code") == service and service is not None,
            t.get("decision_date") or "",
            t["set_at"],
        ),
    )
    return {
        "value": best["target_value"],
        "service_code": best.get("service_code"),
        "valid_from": best["valid_from"],
        "valid_to": best.get("valid_to"),
        "decision": {
            "body": best["body"],
            "case_id": best.get("case_id"),
            "decision_id": best.get("decision_id"),
            "date": best.get("decision_date"),
        },
    }


def _key(period: str, filters: Filters) -> indicator_table.Key:
    return (period, filters.service or indicator_table.ALL, filters.area or indicator_table.ALL)


def check_scope(filters: Filters) -> None:
    """A service within an area is not published: it would let the margins be differenced."""
    if filters.service and filters.area:
        raise BadQuery("area", "cannot be combined with 'service'; indicators are published per service or per area")


def items_public(indicator: Indicator) -> bool:
    """True when every item behind the indicator is itself public (feedback), so its counts are no secret."""
    return all(policy.items_public(source) for source in indicator.sources)


def disclosure_note(indicator: Indicator, min_cell: int) -> dict[str, Any]:
    """What the reader should know about what is withheld and why, as data."""
    public = items_public(indicator)
    return {
        "items_public": public,
        "min_cell_count": min_cell,
        "method": "primary and secondary cell suppression over month, quarter, year, service and area margins",
        "note": (
            "The items behind this indicator are public one by one; cells are withheld for consistency, "
            "not because their counts are secret."
            if public
            else "The items behind this indicator are not published; withheld cells cannot be computed "
            "from the published ones."
        ),
    }


def _estimated_bytes(value: Any) -> int:
    """A cached answer's size as its JSON length: cheap next to computing it, and close enough to bound memory.

    Only answers (series, summaries) grow with the filters asked for; a protected table is one per
    indicator and holds references to the scanned facts, which are cached once per generation anyway.
    """
    if isinstance(value, (dict, list)):
        return len(json.dumps(value, default=str, separators=(",", ":")))
    return 0


def describe(indicator: Indicator) -> dict[str, Any]:
    return {
        "code": indicator.code,
        "name": indicator.name,
        "definition": indicator.definition,
        "method": indicator.method,
        "unit": indicator.unit,
        "direction": indicator.direction,
        "class": indicator.kind,
        "sources": list(indicator.sources),
        "definition_version": indicator.version,
    }


def month_filter(value: str | None, parameter: str) -> str | None:
    """YYYY-MM or YYYY-MM-DD to a month, or a BadQuery naming the parameter."""
    if value is None or value == "":
        return None
    for fmt in ("%Y-%m", "%Y-%m-%d"):
        try:
            return datetime.strptime(value, fmt).strftime("%Y-%m")
        except ValueError:
            continue
    raise BadQuery(parameter, "must be a month (YYYY-MM) or a date (YYYY-MM-DD)")


def _months_between(by_month: Iterable[str], filters: Filters) -> list[str]:
    months = sorted(by_month)
    if not months:
        return []
    first = filters.month_from or months[0]
    last = filters.month_to or months[-1]
    first, last = max(first, months[0]), min(last, months[-1])
    out = []
    cursor = datetime.strptime(first, "%Y-%m")
    while cursor.strftime("%Y-%m") <= last:
        out.append(cursor.strftime("%Y-%m"))
        cursor = (cursor.replace(day=28) + timedelta(days=4)).replace(day=1)
    return out
