"""Health, readiness, ingest status and the human-readable API docs."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, render_template

from api.services import services
from search.status import public_stats

blp = Blueprint("meta", __name__)


@blp.get("/healthz")
def healthz() -> Response:
    """The process is up (it says nothing about the index)."""
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz() -> Any:
    """Ready only when the index answers, so a load balancer sends no traffic before."""
    if services().index.ping():
        return jsonify(status="ready")
    return jsonify(status="not ready", reason="the index cannot be reached"), 503


@blp.get("/v1/status")
def status() -> Response:
    """Document counts and ingest counters, including events ignored as duplicates and late arrivals."""
    svc = services()
    stats = public_stats(svc.index.stats(), svc.settings.min_cell_count)
    return jsonify(generation=svc.index.generation(), **stats)


@blp.get("/v1/docs")
def docs() -> str:
    spec = current_app.extensions["mittari_api"].spec.to_dict()
    return render_template("docs.html", spec=spec, paths=sorted(spec["paths"].items()))
