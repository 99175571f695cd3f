"""HTTP caching of every GET answer: an ``ETag`` from the index generation and the request,
``Cache-Control`` by kind of answer, ``Vary`` where a header changes the answer, and ``304 Not
Modified`` for ``If-None-Match``.

Why a tag from the generation rather than a hash of the body: every answer is a function of the
index's content (its generation; for corrections and ``as_of`` answers also the history's position,
which moves when a recording appends, independently of the index), the request (path, query,
language, format), the installed code and the hour in the city's time zone (figures move with time
alone: "days waiting" at midnight, an unanswered item becomes late and a provisional month becomes
final on the hour; the figures
themselves are cached per generation and hour, figures/indicators.py). Hashing those
costs microseconds and can be done *before* the view runs, so a client or proxy that already holds
the answer gets its ``304`` without a search, a computation or a serialisation. The generation is
read once per request, before the view: the body is therefore at least as new as its tag (an index
change during the view gives a newer body under an older tag, which only costs one more ``200``
later, never a stale ``304``).

The tags are **weak** (``W/"…"``): the same tag promises the same content, not the same bytes. The
nginx front (deploy/nginx) gzips JSON and CSV and would weaken a strong tag anyway, nothing here
serves byte ranges (the one use of strong tags), and ``If-None-Match`` compares weakly (RFC 9110
13.1.2) so weak tags lose nothing.

What is cached, and for how long (``Cache-Control``):

- a successful read (API JSON, CSV, JSON-LD, pages): ``public, max-age=60`` — the index changes with
  each ingested batch, and after the minute a revalidation with the tag is a cheap ``304``;
- the OpenAPI document and the API docs page: ``public, max-age=3600``; they change only with the
  code, so their tag leaves the generation out;
- the Atom feeds: ``public, max-age=300`` (feed readers poll; five minutes is their usual pace);
- ``400`` and ``404`` problems: ``public, max-age=10`` — the same bad request gets the same answer,
  and a script that repeats it is answered by the proxy; an id unknown now may exist after the next
  batch, hence only seconds;
- every other error (``5xx``, the ``503`` of an unreachable index, ``429``), ``/v1/status`` (live
  counters), ``/healthz`` and ``/readyz`` (probes must reach the process), and every non-GET:
  ``no-store``.

``Vary``: ``Accept`` on ``/v1/`` (JSON or CSV by the header) and ``Accept-Language`` on ``/`` (the
redirect to the reader's language). The pages carry their language in the path.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, g, has_request_context, request
from werkzeug.http import parse_etags

from api import formats, i18n
from api.history_views import depends_on_history, history
from api.response_cache import ResponseCache, Stored
from api.services import services
from search.index import Index

#: a successful read: a minute of staleness in a shared cache, then revalidation by the tag
READ_MAX_AGE = 60
#: answers that change only with the code
DOCS_MAX_AGE = 3600
#: the Atom feeds: feed readers poll
FEED_MAX_AGE = 300
#: a 400 or 404 problem: the same request gets the same answer until the next batch
CLIENT_ERROR_MAX_AGE = 10
CLIENT_ERRORS_CACHED = (400, 404)

NEVER_STORED = frozenset({"/healthz", "/readyz", "/v1/status"})
CODE_ONLY = frozenset({"/v1/openapi.json", "/v1/docs"})
CONDITIONAL_METHODS = ("GET", "HEAD")


#: the packages whose code shapes an answer; a deploy that changes any of their files changes every tag
SHAPING_PACKAGES = ("api", "figures", "search", "core", "privacy")


def _code_version(root: Path | None = None) -> str:
    """A digest of the installed code that shapes answers (sources, templates, static files), so a new release
    is never answered ``304`` for an old representation even when the version number did not move; the same
    on every worker and host of one install, read once at import (a few milliseconds)."""
    digest = hashlib.blake2b(digest_size=8)
    root = root or Path(__file__).resolve().parent.parent
    for package in SHAPING_PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".html", ".css", ".svg", ".json", ".txt"):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


CODE_VERSION = _code_version()


#: says whether the answer came from the worker's store of answers (api/response_cache.py)
STORE_HEADER = "X-Mittari-Cache"


def register(app: Flask) -> None:
    """Called by the app factory after its own ``before_request`` (the request guard runs first)."""
    app.extensions["mittari_responses"] = ResponseCache(app.extensions["mittari"].settings.response_cache_bytes)
    app.before_request(_before_the_view)
    app.after_request(_headers)


def request_generation() -> str:
    """The index generation this request answers from, read once (the first time it is asked for)."""
    return services().index.generation()  # GenerationOncePerRequest keeps it in ``g``


class GenerationOncePerRequest:
    """The index as the views and the figures see it: ``generation()`` inside a request is the one
    :func:`request_generation` read, so the tag and every figure in the answer agree on it and the
    index (an Elasticsearch round trip) is asked once; outside a request (the cache warmer) it asks.
    Everything else goes straight to the index."""

    def __init__(self, index: Index) -> None:
        self._index = index

    def generation(self) -> str:
        if has_request_context():
            if "generation" not in g:
                g.generation = self._index.generation()
            return str(g.generation)
        return self._index.generation()

    @property
    def unpinned(self) -> Index:
        """The index itself, whose ``generation()`` is read afresh: the figures read it before and after
        building a snapshot (figures/indicators.py), so that a batch landing in between cannot tear it."""
        return self._index

    def __getattr__(self, name: str) -> Any:
        return getattr(self._index, name)


def request_key() -> str:
    """What, besides the generation, the answer depends on: path, query (keys sorted, the order of
    one key's values kept), language and format. Repeated or reordered parameters give one key."""
    query = sorted(request.args.items(multi=True), key=lambda kv: kv[0])
    lang = g.get("lang") or (i18n.best_language(request.accept_languages) if request.path == "/" else "")
    fmt = "csv" if request.path.startswith("/v1/") and formats.wants_csv(request.args) else ""
    return repr((request.path, query, lang, fmt))


def current_tag() -> str:
    """The weak entity tag of this request's answer (the opaque part only, without ``W/`` and quotes)."""
    if "tag" not in g:
        g.tag = _tag()
    return str(g.tag)


def _tag() -> str:
    parts: tuple[str, ...]
    if request.path in CODE_ONLY:
        parts = ("code", CODE_VERSION, request_key())
    else:
        parts = (request_generation(), CODE_VERSION, _this_hour(), request_key(), _history_position())
    return hashlib.blake2b(repr(parts).encode(), digest_size=12).hexdigest()


def _history_position() -> str:
    """The history's position for an answer that reads it (corrections, ``as_of``), else nothing: the history
    changes independently of the index generation, so a new correction must change the tag (and with it the
    stored answer's key, api/response_cache.py) even when no batch was ingested."""
    return history().position() if depends_on_history() else ""


def _this_hour() -> str:
    svc = services()
    now: datetime = svc.clock.now()
    return now.astimezone(ZoneInfo(svc.settings.timezone)).strftime("%Y-%m-%dT%H")


def _cacheable_request() -> bool:
    path = request.path
    return (
        request.method in CONDITIONAL_METHODS
        and path not in NEVER_STORED
        and not path.startswith("/static/")
        and path != "/favicon.ico"
    )


def _before_the_view() -> Response | None:
    """``before_request``: a listed tag that matches answers ``304``, and an answer stored for this tag is sent
    again, both without running the view.

    ``*`` is left to :func:`_headers`: it matches only when the resource exists, which the view says.
    """
    if not _cacheable_request():
        return None
    if "If-None-Match" in request.headers:
        wanted = parse_etags(request.headers["If-None-Match"])
        if not wanted.star_tag and wanted.contains_weak(current_tag()):
            g.not_modified = True
            return _not_modified(current_tag())
    stored = _store().get(current_tag(), request_generation())
    if stored is None:
        return None
    g.from_store = True
    response = Response(stored.body, status=stored.status)
    response.headers.clear()
    response.headers.extend(stored.headers)
    response.headers[STORE_HEADER] = "hit"
    return response


def _store() -> ResponseCache:
    return current_app.extensions["mittari_responses"]  # type: ignore[no-any-return]


def _not_modified(tag: str) -> Response:
    response = Response(status=304)
    response.set_etag(tag, weak=True)
    response.headers.pop("Content-Type", None)
    return response


def _headers(response: Response) -> Response:
    """``after_request``: ``ETag`` on a successful GET, ``Cache-Control`` and ``Vary`` on every answer,
    and ``304`` for an ``If-None-Match`` the view's answer matches (``*`` included)."""
    path = request.path
    if path.startswith("/v1/"):
        response.vary.add("Accept")
    elif path == "/":
        response.vary.add("Accept-Language")
    if g.get("not_modified"):
        response.headers["Cache-Control"] = _read_cache_control()
        return response
    if g.get("from_store"):
        if _matches(current_tag()):
            return _conditional(response, current_tag())
        return response
    status = response.status_code
    if request.method not in CONDITIONAL_METHODS or path in NEVER_STORED:
        response.headers["Cache-Control"] = "no-store"
    elif status == 200 and _cacheable_request():
        tag = current_tag()
        response.set_etag(tag, weak=True)
        response.headers["Cache-Control"] = _read_cache_control()
        if not response.is_streamed:
            _store().put(tag, request_generation(), Stored(200, tuple(response.headers.items()), response.get_data()))
            response.headers[STORE_HEADER] = "miss"
        if _matches(tag):
            return _conditional(response, tag)
    elif status == 200:
        pass  # static files: werkzeug's send_file gives them their own tag and lifetime
    elif status in CLIENT_ERRORS_CACHED:
        response.headers["Cache-Control"] = f"public, max-age={CLIENT_ERROR_MAX_AGE}"
    elif 300 <= status < 400:
        response.headers["Cache-Control"] = f"public, max-age={READ_MAX_AGE}"
    else:
        response.headers["Cache-Control"] = "no-store"
    return response


def _matches(tag: str) -> bool:
    return "If-None-Match" in request.headers and parse_etags(request.headers["If-None-Match"]).contains_weak(tag)


def _read_cache_control() -> str:
    """The lifetime of a successful read, by path alone: the early ``304`` gives the same as the ``200``."""
    if request.path in CODE_ONLY:
        return f"public, max-age={DOCS_MAX_AGE}"
    if request.path.endswith(".atom"):
        return f"public, max-age={FEED_MAX_AGE}"
    return f"public, max-age={READ_MAX_AGE}"


def _conditional(response: Response, tag: str) -> Response:
    """The view's answer turned into ``304``: no body, the headers a cache needs to refresh its copy."""
    not_modified = _not_modified(tag)
    for name, value in response.headers.items():
        if name.lower() not in ("content-type", "content-length", "content-disposition", "etag"):
            not_modified.headers.add(name, value)
    return not_modified
