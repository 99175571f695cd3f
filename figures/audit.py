"""``mittari cells open``: the city opens a cell's commitment to an auditor, on its own machine.

For an aggregate-only indicator the public gets a cell's ``inputs_sha256`` and no item ids
(figures/cell_explanation.py). An auditor the city lets in runs this next to the index: it prints the
canonical line of every item behind the cell (:func:`search.cells.item_line`), grouped by atom, with
each atom's digest, recomputes the commitment from those lines and checks it against the published
``inputs_sha256``. Local only: it reads the index directly and is never served over HTTP.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import click

from core.errors import BadQuery, NotFound
from core.settings import Settings
from figures.cell_explanation import cell_atoms, parse_period
from figures.indicators import Filters, Indicators
from search.cells import Atom, digest, item_line
from search.index import open_index

PAGE = 1000


@dataclass
class Opened:
    """A cell's items as canonical lines per atom, the commitment they make and the one published."""

    published: str | None
    atoms: list[tuple[str, Atom, str, list[str]]] = field(default_factory=list)  # (type, atom, digest, lines)

    @property
    def commitment(self) -> str | None:
        if not self.atoms:
            return None
        digests = sorted(d for _, _, d, _ in self.atoms)
        return hashlib.sha256("\n".join(digests).encode("ascii")).hexdigest()

    @property
    def agrees(self) -> bool:
        return self.commitment == self.published


def open_cell(
    indicators: Indicators, code: str, period: str, service: str | None = None, area: str | None = None
) -> Opened:
    """Every item behind one cell, read from the index, and whether they hash to the published commitment."""
    indicator = indicators.definition(code)
    month = parse_period(period)
    filters = Filters(service=service or None, area=area or None)
    indicators.check_filters(filters)
    opened = Opened(published=indicators.cell(indicator, month, filters.service, filters.area)["inputs_sha256"])
    index = indicators.index
    for doc_type, atom in cell_atoms(indicators, indicator, month, filters):
        rows: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            ids = index.atom_ids(doc_type, [atom], after, PAGE)
            rows += [d.fact_row() for d in index.get_many(ids).values()]
            if len(ids) < PAGE:
                break
            after = ids[-1]
        opened.atoms.append((doc_type, atom, digest(rows), sorted(item_line(r) for r in rows)))
    return opened


@click.group("cells")
def cells_group() -> None:
    """Auditing published cells (local only)."""


@cells_group.command("open")
@click.argument("code")
@click.option("--period", required=True, help="The cell's month, YYYY-MM.")
@click.option("--service", default=None, help="The cell's service code (or none: every service).")
@click.option("--area", default=None, help="The cell's area (or none: every area).")
@click.pass_obj
def open_cmd(settings: Settings, code: str, period: str, service: str | None, area: str | None) -> None:
    """Print the canonical lines behind a cell and check that they hash to its published inputs_sha256."""
    index = open_index(settings, readonly=True)
    try:
        opened = open_cell(Indicators(index, settings), code, period, service, area)
    except BadQuery as exc:
        raise click.BadParameter(exc.message, param_hint=f"--{exc.parameter}") from exc
    except NotFound as exc:
        raise click.BadParameter(str(exc), param_hint="CODE") from exc
    finally:
        index.close()
    _print(opened, click.echo)
    if not opened.agrees:
        raise SystemExit(1)


def _print(opened: Opened, echo: Callable[[str], None]) -> None:
    for doc_type, (month, service, area, code), atom_digest, lines in opened.atoms:
        echo(f"# {doc_type} atom month={month} service={service} area={area} code={code}")
        echo(f"# {len(lines)} items, digest {atom_digest}")
        for line in lines:
            echo(line)
    verdict = "agrees" if opened.agrees else "DOES NOT AGREE"
    echo(f"# commitment from these lines: {opened.commitment}")
    echo(f"# published inputs_sha256:     {opened.published}")
    echo(f"# {verdict}")
