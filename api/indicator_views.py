"""Indicators and the open-data catalog: /v1/indicators, /v1/indicators/<code>, /v1/indicators/<code>/cells,
/v1/catalog."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import Response, json, request, url_for
from flask.views import MethodView

from api import history_views, schemas
from api.blueprint import Blueprint
from api.citations import cite
from api.formats import csv_response, wants_csv
from api.services import services
from figures import scorecard
from figures.catalog import build_catalog
from figures.cell_explanation import explain
from figures.datasets import FIELDS, indicator_rows
from figures.parser import parse_indicator_filters
from figures.provisional import include_provisional
from figures.recipe import recipe

blp = Blueprint("indicators", __name__, url_prefix="/v1", description="Indicators against the targets the council set.")

LIST_COLUMNS = (
    "code",
    "name_fi",
    "name_sv",
    "name_en",
    "class",
    "unit",
    "direction",
    "period",
    "value",
    "n",
    "n_band",
    "suppressed",
    "provisional",
    "final_from",
    "target",
    "status",
    "definition_version",
    "inputs_sha256",
    "url",
)
CURRENT_COLUMNS = (
    "period",
    "value",
    "n",
    "n_band",
    "suppressed",
    "provisional",
    "final_from",
    "target",
    "inputs_sha256",
)


@blp.route("/indicators")
class IndicatorList(MethodView):
    @blp.arguments(schemas.IndicatorListArgs, location="query", error_status_code=400)
    @blp.response(200, schemas.IndicatorList)
    @blp.alt_response(400, schema=schemas.Problem, description="A parameter is not usable")
    @blp.alt_response(404, schema=schemas.Problem, description="Nothing was published as of ?as_of")
    def get(self, args: dict[str, Any]) -> Any:
        """Every indicator with its latest month, whole-range value, target and whether the target is met,
        and the composite score (by each indicator's latest final month unless ``provisional=include``)."""
        svc = services()
        filters = parse_indicator_filters(args)
        if args.get("as_of"):
            return history_views.indicators_as_of(args, filters, LIST_COLUMNS, CURRENT_COLUMNS)
        svc.indicators.check_filters(filters)
        items = [{**s, "url": f"/v1/indicators/{s['code']}"} for s in svc.indicators.overview(filters)]
        if wants_csv(args):
            rows = [
                {
                    **{f"name_{lang}": s["name"][lang] for lang in ("fi", "sv", "en")},
                    **s,
                    **({k: s["current"][k] for k in CURRENT_COLUMNS} if s["current"] else {}),
                }
                for s in items
            ]
            return csv_response(rows, LIST_COLUMNS, "indicators.csv")
        score = scorecard.score(items, include_provisional(args.get("provisional")))
        return {"items": items, "total": len(items), "score": asdict(score)}


@blp.route("/indicators/<code>")
class IndicatorDetail(MethodView):
    @blp.arguments(schemas.IndicatorDetailArgs, location="query", error_status_code=400)
    @blp.response(200, schemas.IndicatorDetail)
    @blp.alt_response(404, schema=schemas.Problem, description="No such indicator")
    def get(self, args: dict[str, Any], code: str) -> Any:
        """One indicator: monthly series against its target, breakdowns by service and area, and its method.

        As CSV, the same rows as the published dataset (city-wide, per service
        and per area, monthly), narrowed by the filters.
        """
        svc = services()
        filters = parse_indicator_filters(args)
        if args.get("as_of"):
            answer = history_views.indicator_as_of(args, code, filters)
            return answer if wants_csv(args) else cite(answer, filters, args.get("definition_version"))
        if wants_csv(args):
            indicator = svc.indicators.definition(code)
            svc.indicators.check_filters(filters)
            rows = [
                r
                for r in indicator_rows(svc.indicators, indicator)
                if (not filters.month_from or r["period"] >= filters.month_from)
                and (not filters.month_to or r["period"] <= filters.month_to)
                and (not filters.service or r["service_code"] == filters.service)
                and (not filters.area or r["area"] == filters.area)
            ]
            return csv_response(rows, [name for name, _, _ in FIELDS], f"{code}.csv")
        answer = {
            **svc.indicators.detail(code, filters),
            "recipe": recipe(svc.indicators, svc.indicators.definition(code)),
            "url": f"/v1/indicators/{code}",
        }
        return cite(answer, filters, args.get("definition_version"))


CELL_COLUMNS = ("indicator", "period", "service", "area", "id", "url", "definition_version", "inputs_sha256")


@blp.route("/indicators/<code>/cells")
class IndicatorCell(MethodView):
    @blp.arguments(schemas.CellArgs, location="query", error_status_code=400)
    @blp.response(200, schemas.CellExplanation)
    @blp.alt_response(400, schema=schemas.Problem, description="A parameter is not usable")
    @blp.alt_response(404, schema=schemas.Problem, description="No such indicator")
    def get(self, args: dict[str, Any], code: str) -> Any:
        """One cell explained: its value, definition, recipe and inputs. For an indicator whose items are
        public one by one, the ids of every item in the cell (sorted, paged), so anyone can fetch them and
        recompute it; otherwise the commitment (the cell's inputs_sha256) the city can open to an auditor.

        As CSV, the page of item ids, one a row.
        """
        svc = services()
        answer = explain(
            svc.indicators,
            code,
            args.get("period"),
            args.get("service"),
            args.get("area"),
            args.get("size"),
            args.get("cursor"),
        )
        if wants_csv(args):
            common = {
                "indicator": answer["indicator"],
                "period": answer["period"],
                "service": answer["service"] or "",
                "area": answer["area"] or "",
                "definition_version": answer["definition"]["version"],
                "inputs_sha256": answer["cell"]["inputs_sha256"],
            }
            rows = [{**common, **item} for item in answer["inputs"].get("items", [])]
            response = csv_response(rows, CELL_COLUMNS, f"{code}-{answer['period']}-cells.csv")
            if answer["inputs"].get("next_cursor"):  # the next page, as the JSON answer's next_cursor
                nxt = url_for(
                    request.endpoint or "", code=code, **{**request.args, "cursor": answer["inputs"]["next_cursor"]}
                )
                response.headers["Link"] = f'<{nxt}>; rel="next"'
            return response
        return answer


@blp.route("/catalog")
class Catalog(MethodView):
    @blp.arguments(schemas.QueryArgs, location="query", error_status_code=400)
    @blp.response(200, description="DCAT-AP catalog as JSON-LD")
    def get(self, args: dict[str, Any]) -> Any:
        """The open-data catalog (DCAT-AP, JSON-LD): one dataset per indicator, CC BY 4.0 by default."""
        svc = services()
        body = json.dumps(build_catalog(svc.indicators, svc.settings, with_corrections=True), ensure_ascii=False)
        return Response(body, mimetype="application/ld+json")
