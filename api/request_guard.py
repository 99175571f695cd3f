"""Checks every request passes before a view runs: input that would reach the framework's internals.

Flask's ``url_for`` treats ``_method``, ``_external``, ``_anchor``, ``_scheme`` (and any other
leading-underscore key) as instructions, and the pages copy query arguments into links (the
language switch, the next page). A query key starting with ``_`` is therefore refused with a
400 naming it, before any view can pass it on: no ``BuildError`` 500, and no absolute links
to a forged ``Host`` in a cached page. A client's ``X-Request-Id`` is kept only when it is a
short token, so it cannot flood or forge log lines.
"""

from __future__ import annotations

import re
import uuid

from flask import g, request

from core.errors import BadQuery

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def check() -> None:
    """``before_request``: refuse framework-internal query keys; set the request id."""
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if _REQUEST_ID.match(given) else uuid.uuid4().hex[:16]
    for key in request.args:
        if key.startswith("_"):
            raise BadQuery(key[:50], "is not a parameter of this API")
