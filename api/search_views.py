"""Search and documents: /v1/search, /v1/feedback/<id>, /v1/decisions/<id>, /v1/initiatives."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask.views import MethodView

from api import schemas
from api.blueprint import Blueprint
from api.formats import csv_response, json_as_dumped, wants_csv
from api.services import services
from core.errors import NotFound
from figures.governance import with_waiting
from search.parser import parse_search

blp = Blueprint(
    "documents", __name__, url_prefix="/v1", description="Search feedback, decisions, initiatives and meetings."
)

SEARCH_COLUMNS = ("id", "type", "date", "title", "status", "service_code", "area", "excerpt", "url")
INITIATIVE_COLUMNS = (
    "id",
    "title",
    "status",
    "first_signatory",
    "responsible_body",
    "case_id",
    "submitted_at",
    "answered_at",
    "days_waiting",
    "url",
)


def _next_url(cursor: str | None) -> str | None:
    if not cursor:
        return None
    args = {k: v for k, v in request.args.items() if not k.startswith("_")}
    args["cursor"] = cursor
    return url_for(request.endpoint or "", _external=False, **args)


def _summary(body: dict[str, Any]) -> dict[str, Any]:
    kind = body["type"]
    text = body.get("description") if kind == "feedback" else body.get("text")
    date = body.get("received_at") or body.get("submitted_at") or body.get("date")
    paths = {"feedback": "feedback", "decision": "decisions", "initiative": "initiatives", "meeting": "meetings"}
    return {
        "id": body["id"],
        "type": kind,
        "title": body.get("title"),
        "excerpt": (text[:280] + "…") if text and len(text) > 280 else text,
        "date": date,
        "status": body.get("status"),
        "service_code": body.get("service_code") or (body.get("services") or [None])[0],
        "area": body.get("area"),
        "url": f"/v1/{paths[kind]}/{body['id']}",
    }


@blp.route("/search")
class Search(MethodView):
    @blp.arguments(schemas.SearchArgs, location="query", error_status_code=400)
    @blp.response(200, schemas.SearchResponse)
    @blp.alt_response(400, schema=schemas.Problem, description="A parameter is not usable")
    def get(self, args: dict[str, Any]) -> Any:
        """Full-text search with filters, facets and cursor pagination.

        Finnish, Swedish and English words match by stem and by prefix, with or
        without diacritics. Results are newest first unless `sort` says otherwise.
        """
        svc = services()
        result = svc.index.search(parse_search(args, svc.settings))
        items = [_summary(item) for item in result.items]
        if wants_csv(args):
            return csv_response(items, SEARCH_COLUMNS, "search.csv")
        return json_as_dumped(search_answer(items, result))


def search_answer(items: list[dict[str, Any]], result: Any) -> dict[str, Any]:
    """The search answer, built exactly as ``schemas.SearchResponse`` dumps it (checked by a test)."""
    return {
        "items": items,
        "total": result.total,
        "total_relation": result.total_relation,
        "facets": result.facets,
        "next_cursor": result.next_cursor,
        "next": _next_url(result.next_cursor),
    }


def _document(doc_id: str, doc_type: str) -> dict[str, Any]:
    doc = services().index.get(doc_id)
    if doc is None or doc.type != doc_type:
        raise NotFound(f"no {doc_type} with id {doc_id!r}")
    return doc.body


@blp.route("/feedback/<path:feedback_id>")
class FeedbackItem(MethodView):
    @blp.arguments(schemas.QueryArgs, location="query", error_status_code=400)
    @blp.response(200, schemas.Feedback)
    @blp.alt_response(404, schema=schemas.Problem, description="No such feedback")
    def get(self, args: dict[str, Any], feedback_id: str) -> Any:
        """One feedback item: its state, timeline with time spent in each state, and the city's response."""
        return _document(feedback_id, "feedback")


@blp.route("/decisions/<path:decision_id>")
class DecisionItem(MethodView):
    @blp.arguments(schemas.QueryArgs, location="query", error_status_code=400)
    @blp.response(200, schemas.Decision)
    @blp.alt_response(404, schema=schemas.Problem, description="No such decision")
    def get(self, args: dict[str, Any], decision_id: str) -> Any:
        """One decision of a council, board or committee."""
        return _document(decision_id, "decision")


@blp.route("/initiatives")
class Initiatives(MethodView):
    @blp.arguments(schemas.InitiativeArgs, location="query", error_status_code=400)
    @blp.response(200, schemas.InitiativeList)
    @blp.alt_response(400, schema=schemas.Problem, description="A parameter is not usable")
    def get(self, args: dict[str, Any]) -> Any:
        """Council initiatives with their status and how long each has waited for an answer."""
        svc = services()
        result = svc.index.search(parse_search({**args, "facets": False}, svc.settings, types=("initiative",)))
        now = svc.clock.now()
        items = [with_waiting(item, now) for item in result.items]
        if wants_csv(args):
            rows = [{**i, "url": f"/v1/initiatives/{i['id']}"} for i in items]
            return csv_response(rows, INITIATIVE_COLUMNS, "initiatives.csv")
        return {
            "items": items,
            "total": result.total,
            "total_relation": result.total_relation,
            "next_cursor": result.next_cursor,
            "next": _next_url(result.next_cursor),
        }


@blp.route("/initiatives/<path:initiative_id>")
class InitiativeItem(MethodView):
    @blp.arguments(schemas.QueryArgs, location="query", error_status_code=400)
    @blp.response(200, schemas.Initiative)
    @blp.alt_response(404, schema=schemas.Problem, description="No such initiative")
    def get(self, args: dict[str, Any], initiative_id: str) -> Any:
        """One council initiative."""
        return with_waiting(_document(initiative_id, "initiative"), services().clock.now())
