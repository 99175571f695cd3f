"""The recorder: appends every published cell that changed to the history, and a correction when a final
value changed.

Why here: what is *published* is decided in ``figures`` (the dataset rows of ``figures/datasets.py``:
every cell of every indicator, city-wide, per service and per area, by month, with disclosure control
applied), so this is where it is compared with what was last recorded (``history/``). A row is appended
for a key (indicator, period, breakdown, service_code, area) only when something a reader sees or the
cell rests on differs from the key's latest row (:data:`COMPARED`), so a history grows with changes,
not with recordings; ``as_of`` then answers the latest row at or before a moment.

A **correction** is a change to a value that was recorded as *final* (``provisional: false``): its
value, its n, or whether it is withheld. Young months move by design and are not corrections, and
neither is the step from provisional to final (both are recorded rows, so ``as_of`` reproduces them).
Each correction says why, as far as the history can tell without naming anyone:

* ``events_added``: how many more events the cell's items hold than at the old recording (late
  events, corrected source records);
* ``items_removed``: how many fewer items the cell rests on (erasures, records that moved to another
  month, service or area); a net count, so one item leaving while another arrives shows as none;
* ``erasures``: how many items were erased from the whole index between the two recordings (the
  index's ``erasures`` counter; no ids);
* ``definition``: the indicator's definition version, old → new, when it changed;
* ``disclosure``: published → withheld or back. Disclosure control protects each publication as a
  whole (figures/indicator_table.py): a cell may be withheld, or released, because *other* cells
  changed (a new month, a companion cell that grew past the minimum);
* ``same_inputs``: the cell's own items are exactly those of the old recording (equal
  ``inputs_sha256``): the change came from elsewhere (disclosure of other cells, a new definition).

When either side is withheld, the counts (``events_added``, ``items_removed``) are left out and
``counts_withheld`` says so: they would reveal what suppression hides. The internal inputs (items,
events) are kept in the history for this comparison and never served.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import MittariError
from figures.datasets import indicator_rows
from figures.indicator_table import ALL
from figures.indicators import Indicator, Indicators, cell_inputs
from history.store import HistoryStore, Key, key_of, stamp

#: what a reader sees of a cell, or what it rests on: a change in any of them is a new row
COMPARED = ("value", "n", "n_band", "suppressed", "provisional", "target", "inputs_sha256", "version", "absent")
#: a change in any of them, on a final cell, is a correction
CORRECTED = ("value", "n", "suppressed", "absent")
#: what a correction shows of each side
SIDE = ("value", "n", "n_band", "suppressed", "provisional", "version", "recorded_at")


@dataclass(frozen=True)
class Recording:
    recorded_at: str
    generation: str
    cells: int  # published cells seen
    rows: int  # rows appended (cells that changed, appeared or disappeared)
    corrections: int

    def summary(self) -> str:
        return (
            f"recorded at {self.recorded_at}: {self.cells} cells, {self.rows} changed, "
            f"{self.corrections} corrections (index generation {self.generation})"
        )


def definition_version(indicator: Indicator) -> int:
    """The indicator's definition version (figures/definition_versions.py)."""
    return indicator.version


def record(indicators: Indicators, store: HistoryStore) -> Recording:
    """Compare every published cell with the history and append what changed, at the indicators' clock's now.

    Refuses to record at or before the history's last recording: ``as_of`` would then be ambiguous."""
    recorded_at = stamp(indicators.clock.now())
    last = store.last_recorded_at()
    if last is not None and recorded_at <= last:
        raise MittariError(f"the clock ({recorded_at}) is not after the last recording ({last}); not recorded")
    generation = indicators.snapshot().generation
    erasures = int(indicators.index.stats().get("counters", {}).get("erasures", 0) or 0)
    latest = store.latest()
    seen: set[Key] = set()
    rows: list[dict[str, Any]] = []
    corrections: list[dict[str, Any]] = []
    for indicator in indicators.definitions():
        version = definition_version(indicator)
        table = indicators.table(indicator)  # once per indicator: Indicators.inputs would read it per cell
        for cell in indicator_rows(indicators, indicator):
            inputs = cell_inputs(table.summaries_of((cell["period"], cell["service_code"] or ALL, cell["area"] or ALL)))
            row = {
                **cell,
                "inputs_sha256": inputs["inputs_sha256"],
                "version": version,
                "absent": False,
                "recorded_at": recorded_at,
                "generation": generation,
                "items": inputs["items"],
                "events": inputs["events"],
                "erasures": erasures,
            }
            key = key_of(row)
            seen.add(key)
            _compare(latest.get(key), row, rows, corrections)
    for key, old in latest.items():
        if key not in seen and not old.get("absent"):
            # a cell published before and no longer (all its items gone): recorded as absent from now on
            gone = {
                **{name: old.get(name) for name in ("indicator", "period", "breakdown", "service_code", "area")},
                **{name: old.get(name) for name in ("unit", "target", "version")},
                "value": None,
                "n": None,
                "n_band": "",
                "suppressed": False,
                "reason": "",
                "provisional": old.get("provisional"),
                "final_from": old.get("final_from"),
                "status": "no_value",
                "inputs_sha256": None,
                "absent": True,
                "recorded_at": recorded_at,
                "generation": generation,
                "items": 0,
                "events": 0,
                "erasures": erasures,
            }
            _compare(old, gone, rows, corrections)
    store.append(rows, corrections)
    cells = len(seen)
    return Recording(recorded_at, generation, cells, len(rows), len(corrections))


def _compare(
    old: Mapping[str, Any] | None, new: dict[str, Any], rows: list[dict[str, Any]], corrections: list[dict[str, Any]]
) -> None:
    if old is not None and all(_same(old.get(name), new.get(name)) for name in COMPARED):
        return
    rows.append(new)
    if old is not None and is_correction(old, new):
        corrections.append(correction(old, new))


def _same(a: Any, b: Any) -> bool:
    """Equal as a reader sees them: a missing flag is false, an empty text is no text (but 0 is not None)."""
    return bool(_plain(a) == _plain(b))


def _plain(value: Any) -> Any:
    return None if value is False or value == "" else value


def is_correction(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """A change to a value recorded as final (and present): value, n, or withheld ↔ published."""
    if old.get("provisional") or old.get("absent"):
        return False
    return any(not _same(old.get(name), new.get(name)) for name in CORRECTED)


def correction(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """The correction between two recordings of one cell, with its reasons (see the module docstring)."""
    reasons: dict[str, Any] = {}
    if old.get("suppressed") or new.get("suppressed"):
        reasons["counts_withheld"] = True
    else:
        events_added = int(new.get("events") or 0) - int(old.get("events") or 0)
        if events_added > 0:
            reasons["events_added"] = events_added
        items_removed = int(old.get("items") or 0) - int(new.get("items") or 0)
        if items_removed > 0:
            reasons["items_removed"] = items_removed
    erasures = int(new.get("erasures") or 0) - int(old.get("erasures") or 0)
    if erasures > 0:
        reasons["erasures"] = erasures
    if bool(old.get("suppressed")) != bool(new.get("suppressed")):
        reasons["disclosure"] = {"from": _shown(old), "to": _shown(new)}
    if old.get("inputs_sha256") and old.get("inputs_sha256") == new.get("inputs_sha256"):
        reasons["same_inputs"] = True
    if old.get("version") != new.get("version"):
        reasons["definition"] = {"from": old.get("version"), "to": new.get("version")}
    return {
        **{name: new[name] for name in ("indicator", "period", "breakdown", "service_code", "area")},
        "unit": new.get("unit") or old.get("unit"),
        "old": {name: old.get(name) for name in SIDE} | {"n": _n(old)},
        "new": {name: new.get(name) for name in SIDE} | {"n": _n(new)},
        "old_recorded_at": old["recorded_at"],
        "recorded_at": new["recorded_at"],
        "reasons": reasons,
    }


def _shown(side: Mapping[str, Any]) -> str:
    return "withheld" if side.get("suppressed") else "published"


def _n(side: Mapping[str, Any]) -> int | None:
    """n as published: none for a withheld cell."""
    return None if side.get("suppressed") else side.get("n")
