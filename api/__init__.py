"""The public, read-only HTTP API: a Flask application factory and its blueprints.

Views are thin: they parse with marshmallow (through flask-smorest), call
``search`` and serialise through allowlist schemas. No SQL or Elasticsearch
here.
"""

from __future__ import annotations

import logging
import time
from typing import Any, cast

from flask import Flask, Response, current_app, g, request
from jinja2 import FileSystemBytecodeCache

from api import errors, http_cache, request_guard, security_headers
from api.services import Services
from core.clock import Clock, SystemClock
from core.errors import ConfigError
from core.logs import fields
from core.settings import Settings, load_settings
from figures.as_published import PublishedHistory
from figures.indicators import Indicators
from history.store import open_history
from search.index import Index, open_index

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None, *, index: Index | None = None, clock: Clock | None = None, warm: bool = False
) -> Flask:
    """Build the app; gunicorn calls ``create_app()`` and tests pass their own settings, index and clock.

    ``warm`` starts a thread that recomputes the indicators whenever the index changes (``mittari serve``).
    """
    settings = settings or load_settings()
    if not settings.cursor_keys:
        raise ConfigError("MITTARI_CURSOR_KEYS must be set when MITTARI_BASE_URL is https (see README, Security)")
    app = Flask(__name__)
    app.config.update(
        API_TITLE="Mittari API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/v1",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    # Compiled templates are kept on disk (Jinja's per-user folder in the temporary directory, checked
    # against each template's source), so a fresh worker loads them instead of compiling for 0.3-0.7 s on
    # its first page.
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache()
    index = cast(Index, http_cache.GenerationOncePerRequest(index or open_index(settings, readonly=True)))
    clock = clock or SystemClock()
    indicators = Indicators(index, settings, clock)
    history = PublishedHistory(open_history(settings, readonly=True), indicators, settings)
    app.extensions["mittari"] = Services(settings, index, indicators, clock, history)
    if warm:
        from api import warmer

        warmer.start(indicators)

    from api import history_views, indicator_views, meta_views, openapi, page_views, search_views

    api = errors.MittariApi(app, spec_kwargs={"info": {"description": "Open data on how a city serves its residents."}})
    app.extensions["mittari_api"] = api
    openapi.describe(api)
    api.register_blueprint(search_views.blp)
    api.register_blueprint(indicator_views.blp)
    api.register_blueprint(history_views.blp)
    app.register_blueprint(meta_views.blp)
    app.register_blueprint(page_views.root)
    app.register_blueprint(page_views.blp)
    openapi.describe_plain_routes(app, api)
    errors.register(app)
    app.before_request(_start)
    app.after_request(_finish)
    http_cache.register(app)  # after the request guard; its after_request runs before _finish
    return app


def _start() -> None:
    g.started = time.perf_counter()
    request_guard.check()


def _finish(response: Response) -> Response:
    response.headers["X-Request-Id"] = g.get("request_id", "")
    security_headers.apply(response, https=current_app.extensions["mittari"].settings.base_url.startswith("https:"))
    elapsed: Any = round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 1)
    log.info(
        "request",
        extra=fields(
            request_id=g.get("request_id"),
            method=request.method,
            route=request.url_rule.rule if request.url_rule else None,
            path=request.path,
            status=response.status_code,
            ms=elapsed,
        ),
    )
    return response
