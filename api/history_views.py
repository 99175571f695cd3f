"""The history of published values over HTTP: ``GET /v1/corrections`` and the ``?as_of`` answers of
``/v1/indicators`` and ``/v1/indicators/<code>`` (called from api/indicator_views.py).

Thin like every view: parse, ask the read side (figures/as_published.py), serialise. The answers
depend on the history as well as on the index, so api/http_cache.py adds the history's position to
their entity tags (:func:`depends_on_history`).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import request, url_for
from flask.views import MethodView

from api import history_schemas, schemas
from api.blueprint import Blueprint
from api.formats import csv_response, wants_csv
from api.history_pages import reads_history
from api.services import services
from figures import scorecard
from figures.as_published import PUBLIC_ROW, PublishedHistory
from figures.indicators import Filters
from figures.provisional import include_provisional

blp = Blueprint(
    "history", __name__, url_prefix="/v1", description="Corrections: published final values that changed, and why."
)

CORRECTION_COLUMNS = (
    "id",
    "indicator",
    "period",
    "breakdown",
    "service_code",
    "area",
    "unit",
    "old_value",
    "new_value",
    "old_n",
    "new_n",
    "old_suppressed",
    "new_suppressed",
    "old_version",
    "new_version",
    "old_recorded_at",
    "recorded_at",
    "events_added",
    "items_removed",
    "erasures",
    "disclosure",
    "same_inputs",
    "counts_withheld",
)


def depends_on_history() -> bool:
    """Whether this request's answer reads the history: its cache key must then name the history's position."""
    return request.path.startswith("/v1/corrections") or "as_of" in request.args or reads_history(request.path)


def history() -> PublishedHistory:
    found = services().history
    assert found is not None, "create_app gives every app its history"
    return found


@blp.route("/corrections")
class Corrections(MethodView):
    @blp.arguments(history_schemas.CorrectionArgs, location="query", error_status_code=400)
    @blp.response(200, history_schemas.CorrectionList)
    @blp.alt_response(400, schema=schemas.Problem, description="A parameter is not usable")
    def get(self, args: dict[str, Any]) -> Any:
        """Published final values that changed: each with the cell, old → new, both recording times and why
        (late or corrected events, items removed, erasures, a new definition version), oldest first.

        Only values recorded as final count: a provisional month moves by design. As CSV, one row per
        correction with the reasons as columns.
        """
        page = history().corrections(
            indicator=args.get("indicator"),
            since=args.get("since"),
            until=args.get("until"),
            cursor=args.get("cursor"),
            size=args["size"],
        )
        if wants_csv(args):
            return csv_response([_flat(c) for c in page["items"]], CORRECTION_COLUMNS, "corrections.csv")
        return {**page, "next": _next_url(page["next_cursor"])}


def indicators_as_of(args: dict[str, Any], filters: Filters, columns: tuple[str, ...], current: tuple[str, ...]) -> Any:
    """``GET /v1/indicators?as_of=``: the overview as it was published then."""
    items, block = history().overview(filters, args["as_of"])
    items = [{**s, "url": f"/v1/indicators/{s['code']}"} for s in items]
    if wants_csv(args):
        rows = [
            {
                **{f"name_{lang}": s["name"][lang] for lang in ("fi", "sv", "en")},
                **s,
                **({k: s["current"][k] for k in current} if s["current"] else {}),
            }
            for s in items
        ]
        return csv_response(rows, columns, "indicators.csv")
    score = scorecard.score(items, include_provisional(args.get("provisional")))
    return {"as_of": block, "items": items, "total": len(items), "score": asdict(score)}


def indicator_as_of(args: dict[str, Any], code: str, filters: Filters) -> Any:
    """``GET /v1/indicators/<code>?as_of=``: the indicator as it was published then."""
    if wants_csv(args):
        rows, _ = history().dataset_rows(code, args["as_of"])
        rows = [
            r
            for r in rows
            if (not filters.month_from or r["period"] >= filters.month_from)
            and (not filters.month_to or r["period"] <= filters.month_to)
            and (not filters.service or r["service_code"] == filters.service)
            and (not filters.area or r["area"] == filters.area)
        ]
        return csv_response(rows, PUBLIC_ROW, f"{code}.csv")
    return {**history().detail(code, filters, args["as_of"]), "url": f"/v1/indicators/{code}"}


def _flat(correction: dict[str, Any]) -> dict[str, Any]:
    old, new, reasons = correction["old"], correction["new"], correction["reasons"]
    definition = reasons.get("definition") or {}
    return {
        **correction,
        **{f"old_{k}": old.get(k) for k in ("value", "n", "suppressed", "version")},
        **{f"new_{k}": new.get(k) for k in ("value", "n", "suppressed", "version")},
        **{k: reasons.get(k) for k in ("events_added", "items_removed", "erasures", "same_inputs", "counts_withheld")},
        "disclosure": f"{reasons['disclosure']['from']} → {reasons['disclosure']['to']}"
        if "disclosure" in reasons
        else None,
        "old_version": definition.get("from", old.get("version")),
        "new_version": definition.get("to", new.get("version")),
    }


def _next_url(cursor: str | None) -> str | None:
    if not cursor:
        return None
    args = {k: v for k, v in request.args.items() if not k.startswith("_")}
    args["cursor"] = cursor
    return url_for(request.endpoint or "", _external=False, **args)
