"""Every error the API gives is an RFC 9457 problem document (application/problem+json).

Bad parameters answer 400 and name the parameter; unknown ids 404; an
unreachable or failing store (either index backend) 503 with ``Retry-After``.
A bug answers 500 with a request id to quote, and is logged with its traceback;
user input must never get there.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, json, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from core.errors import BadQuery, NotFound, TransientError
from core.logs import fields
from search.index import store_errors

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
PROBLEM_TYPES = {
    400: "/v1/docs#problem-bad-parameter",
    404: "/v1/docs#problem-not-found",
    503: "/v1/docs#problem-unavailable",
}


def problem(status: int, title: str, detail: str | None = None, **extra: Any) -> Response:
    body: dict[str, Any] = {"type": PROBLEM_TYPES.get(status, "about:blank"), "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    if getattr(g, "request_id", None):
        body["request_id"] = g.request_id
    body.update({k: v for k, v in extra.items() if v is not None})
    return Response(json.dumps(body, ensure_ascii=False), status=status, mimetype="application/problem+json")


def _invalid_params(messages: Any) -> list[dict[str, str]]:
    """webargs messages ({'query': {'size': ['Not a valid integer.']}}) to RFC 9457 invalid-params."""
    out: list[dict[str, str]] = []
    if isinstance(messages, dict):
        for location in messages.values():
            if isinstance(location, dict):
                for name, reasons in sorted(location.items()):
                    text = " ".join(str(r) for r in reasons) if isinstance(reasons, list) else str(reasons)
                    out.append({"name": str(name), "reason": text})
    return out


class MittariApi(Api):
    """flask-smorest's Api with one error shape for every error."""

    def handle_http_exception(self, error: HTTPException) -> Response:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        invalid = _invalid_params(data.get("messages"))
        if status == 422:  # webargs' default for a body we never take; keep one shape
            status = 400
        if invalid:
            names = ", ".join(p["name"] for p in invalid)
            return problem(
                400,
                "Bad parameter",
                f"check the parameter{'s' if len(invalid) > 1 else ''} {names}",
                parameter=invalid[0]["name"],
                **{"invalid-params": invalid},
            )
        return problem(status, error.name, error.description)


def register(app: Flask) -> None:
    @app.errorhandler(BadQuery)
    def bad_query(exc: BadQuery) -> Response:
        return problem(
            400,
            "Bad parameter",
            str(exc),
            parameter=exc.parameter,
            **{"invalid-params": [{"name": exc.parameter, "reason": exc.message}]},
        )

    @app.errorhandler(NotFound)
    def not_found(exc: NotFound) -> Response:
        return problem(404, "Not found", str(exc))

    def unavailable(exc: Exception) -> Response:
        if isinstance(exc, TransientError):
            log.warning("backend unavailable", extra=fields(error=str(exc), path=request.path))
        else:
            log.exception("store error", extra=fields(error=str(exc), path=request.path))
        response = problem(503, "Service unavailable", "the index cannot answer; try again shortly")
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

    for error in store_errors():  # TransientError, any other MittariError, sqlite3 and Elasticsearch errors
        app.register_error_handler(error, unavailable)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            return app.extensions["mittari_api"].handle_http_exception(exc)  # type: ignore[no-any-return]
        log.exception("request failed", extra=fields(path=request.path))
        return problem(500, "Internal error", "quote the request_id when reporting this")
