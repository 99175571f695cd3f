"""Content negotiation: JSON by default, CSV on list endpoints (``?format=csv`` or ``Accept: text/csv``).

Every cell goes through :func:`figures.csv_cells.csv_cell`, so text cannot run as a spreadsheet formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask import Response, current_app, request

from figures.csv_cells import csv_cell


def json_as_dumped(body: Mapping[str, Any]) -> Response:
    """A JSON answer already in the shape its response schema would dump, sent without dumping it again.

    flask-smorest passes a returned ``Response`` through untouched, so the schema still documents the
    answer (OpenAPI) but does not walk it: for a search page that walk was a sixth of the request's CPU.
    Only for answers built field by field to the schema; a test compares the two for every variant."""
    response: Response = current_app.json.response(body)  # type: ignore[assignment]  # the app's Response class
    return response


def wants_csv(args: Mapping[str, Any]) -> bool:
    if args.get("format"):
        return bool(args["format"] == "csv")
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv" and request.accept_mimetypes["text/csv"] > request.accept_mimetypes["application/json"]


def csv_response(rows: Iterable[Mapping[str, Any]], columns: Sequence[str], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _cell(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    return csv_cell(value)
