"""The parts of the OpenAPI document flask-smorest cannot derive from the views' decorators.

The document is the contract clients and the fuzzing tests (schemathesis) hold the API to, so it must
describe everything the API answers: every error as ``application/problem+json`` (flask-smorest would
say ``application/json`` with its own error shape), the CSV that list endpoints give for
``?format=csv`` or ``Accept: text/csv``, the catalog's JSON-LD, a 503 when the index cannot be
reached, and the health, readiness, status and documentation routes, which are plain Flask views.
"""

from __future__ import annotations

from typing import Any

from apispec import BasePlugin
from flask import Flask

from api.schemas import Problem

PROBLEM = {"$ref": "#/components/schemas/Problem"}
#: operations that also answer CSV (api/formats.py), by their path in the document
CSV_PATHS = (
    "/v1/search",
    "/v1/initiatives",
    "/v1/indicators",
    "/v1/indicators/{code}",
    "/v1/indicators/{code}/cells",
    "/v1/corrections",
)
_CSV = {"text/csv": {"schema": {"type": "string"}}}
_PROBLEM_TITLES = {
    "400": "A parameter is not usable; `parameter` and `invalid-params` name it",
    "404": "No such item",
    "503": "The index cannot be reached; try again after Retry-After seconds",
}


#: what every successful read carries (api/http_cache.py), and the answer to a matching If-None-Match
CACHE_HEADERS = {
    "ETag": {
        "description": "Weak tag of this answer: the index generation, the day and the request. Send it back in "
        "`If-None-Match` to get `304` while nothing changed.",
        "schema": {"type": "string"},
    },
    "Cache-Control": {
        "description": "`public, max-age=60` for data (the index changes with each ingested batch)",
        "schema": {"type": "string"},
    },
}
NOT_MODIFIED = {
    "description": "Not Modified: the `If-None-Match` tag is still this answer's (no body)",
    "headers": {"ETag": CACHE_HEADERS["ETag"]},
}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/problem+json": {"schema": PROBLEM}}}


_STATUS_BODY = {"type": "object", "properties": {"status": {"type": "string"}}, "required": ["status"]}
META_PATHS: dict[str, dict[str, Any]] = {
    "/healthz": {
        "summary": "Liveness: the process is up (it says nothing about the index).",
        "responses": {"200": {"description": "Up", "content": {"application/json": {"schema": _STATUS_BODY}}}},
    },
    "/readyz": {
        "summary": "Readiness: the index answers, so a load balancer may send traffic.",
        "responses": {
            "200": {"description": "Ready", "content": {"application/json": {"schema": _STATUS_BODY}}},
            "503": {
                "description": "Not ready: the index cannot be reached",
                "content": {
                    "application/json": {
                        "schema": {
                            **_STATUS_BODY,
                            "properties": {"status": {"type": "string"}, "reason": {"type": "string"}},
                        }
                    }
                },
            },
        },
    },
    "/v1/status": {
        "summary": "Document counts and ingest counters (events indexed, dead-lettered, duplicates, late events).",
        "responses": {
            "200": {
                "description": "Counters, never cached",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "503": _problem(_PROBLEM_TITLES["503"]),
        },
    },
    "/v1/openapi.json": {
        "summary": "This document.",
        "responses": {
            "200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}}
        },
    },
    "/v1/docs": {
        "summary": "The API documentation as a readable page.",
        "responses": {"200": {"description": "HTML", "content": {"text/html": {"schema": {"type": "string"}}}}},
    },
}


class ProblemResponses(BasePlugin):
    """Rewrites each operation's responses as it is registered (after the marshmallow plugin resolved schemas)."""

    def operation_helper(self, path: str | None = None, operations: dict[str, Any] | None = None, **_: Any) -> None:
        if path in META_PATHS:  # described whole below
            return
        for method, operation in (operations or {}).items():
            if method not in ("get", "head"):
                continue
            responses = operation.setdefault("responses", {})
            for code in list(responses):
                if code == "default" or str(code)[0] in "45":
                    description = responses[code].get("description") if isinstance(responses[code], dict) else None
                    responses[code] = _problem(description or _PROBLEM_TITLES.get(str(code), "An error"))
            responses.setdefault("400", _problem(_PROBLEM_TITLES["400"]))
            responses.setdefault("503", _problem(_PROBLEM_TITLES["503"]))
            ok = responses.get("200") or responses.get(200)
            if isinstance(ok, dict):
                ok.setdefault("headers", {}).update(CACHE_HEADERS)
                responses.setdefault("304", NOT_MODIFIED)
            if isinstance(ok, dict) and path in CSV_PATHS:
                ok.setdefault("content", {}).update(_CSV)
            if isinstance(ok, dict) and path == "/v1/catalog":
                ok["content"] = {"application/ld+json": {"schema": {"type": "object"}}}


def describe(api: Any) -> None:
    """Call before the API blueprints are registered: error, CSV and JSON-LD responses of every operation."""
    spec = api.spec
    plugin = ProblemResponses()
    plugin.init_spec(spec)
    spec.plugins.append(plugin)
    if "Problem" not in spec.components.schemas:
        spec.components.schema("Problem", schema=Problem)


def describe_plain_routes(app: Flask, api: Any) -> None:
    """Call once every blueprint is registered: the health, status and documentation routes."""
    for rule in app.url_map.iter_rules():
        operation = META_PATHS.get(rule.rule)
        if operation is not None:
            api.spec.path(rule=rule, operations={"get": {**operation, "tags": ["meta"]}})
