"""Health, readiness, ingest status and the human-readable API docs."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template

from api.errors import RETRY_AFTER_SECONDS
from api.http_cache import request_generation
from api.services import services
from core.logs import fields
from figures.status import public_stats
from search.index import store_errors
from search.query import SearchQuery

log = logging.getLogger(__name__)

blp = Blueprint("meta", __name__)


@blp.get("/healthz")
def healthz() -> Response:
    """The process is up (it says nothing about the index)."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz() -> Any:
    """Ready only when the index answers a real query, so a load balancer sends no traffic before.

    A ping alone says ready on a corrupt index while every endpoint fails; one small
    search (through the same path as the API) does not.
    """
    index = services().index
    try:
        answers = index.ping() and index.search(SearchQuery(size=1, facets=False)).total >= 0
    except store_errors() as exc:
        log.warning("not ready", extra=fields(error=str(exc)))
        answers = False
    if answers:
        return jsonify(status="ready")
    response = jsonify(status="not ready", reason="the index does not answer queries")
    response.status_code = 503
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@blp.get("/v1/status")
def status() -> Response:
    """Document counts and ingest counters, including events ignored as duplicates and late arrivals."""
    svc = services()
    stats = public_stats(svc.index.stats(), svc.settings.min_cell_count)
    return jsonify(generation=request_generation(), **stats)


@blp.get("/v1/docs")
def docs() -> str:
    spec = current_app.extensions["mittari_api"].spec.to_dict()
    return render_template("docs.html", spec=spec, paths=sorted(spec["paths"].items()))
