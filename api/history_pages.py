"""What the pages need from the history (api/page_views.py): the facade, the corrections newest first,
``as_of`` series, the citation's version argument and recording times in words."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app, request

from api import i18n
from api.services import services
from core.errors import BadQuery, NotFound
from figures.as_published import PublishedHistory
from figures.indicators import Filters
from figures.restatements import Restatements

#: answers that read the history even without ``as_of``: citations, corrections counts and lists, past reports
READS_HISTORY = re.compile(r"^/(v1/indicators/[^/]+$|(fi|sv|en)/(indicators/|corrections/|feeds/corrections|report))")
CORRECTIONS_PAGE = 50
FEED_ENTRIES = 50


def history() -> PublishedHistory:
    found = services().history
    assert found is not None, "create_app gives every app its history"
    return found


def restatements() -> Restatements:
    found = current_app.extensions.get("mittari_restatements")
    if found is None:
        found = current_app.extensions.setdefault("mittari_restatements", Restatements(history()))
    return found  # type: ignore[no-any-return]


def series_as_of(code: str, as_of: str) -> list[dict[str, Any]]:
    try:
        return list(history().detail(code, Filters(), as_of)["series"])
    except NotFound:
        return []


def requested_version() -> int | None:
    """``definition_version`` from a citation's page URL: a whole number, or the pages' 400 naming it."""
    raw = request.args.get("definition_version")
    if raw in (None, ""):
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise BadQuery("definition_version", "must be a whole number from 1")
    return int(raw)


def page_number() -> int:
    raw = request.args.get("page") or "1"
    if not raw.isdigit() or not 1 <= int(raw) <= 1_000_000:
        raise BadQuery("page", "must be a whole number from 1")
    return int(raw)


def known_indicator(code: str | None) -> str | None:
    if code and code not in {i.code for i in services().indicators.definitions()}:
        raise BadQuery("indicator", f"no indicator with code {code!r}")
    return code or None


def moment_text(stamp: str | None, lang: str) -> str:
    """A recording time (UTC stamp) as a reader reads it: the day and minute in the city's time zone."""
    if not stamp:
        return "–"
    when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=ZoneInfo("UTC"))
    local = when.astimezone(ZoneInfo(services().settings.timezone))
    return i18n.t("at_time", lang, day=i18n.day(local, lang), time=local.strftime("%H:%M"))


def reads_history(path: str) -> bool:
    """Whether an answer at this path reads the history (api/http_cache.py then keys it on the history's
    position): an indicator's citation and corrections count, the corrections page and feed, a past report."""
    return bool(READS_HISTORY.match(path))
