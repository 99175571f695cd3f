"""The public pages, in Finnish, Swedish and English: server-rendered, working without JavaScript.

Views stay thin: they read arguments, call the same ``search`` layer as the JSON API and hand
the result to a template. Bad arguments raise ``BadQuery`` and get an HTML 400 page that names
the parameter; unknown ids a 404 page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, g, redirect, render_template, request, url_for

from api import atom, charts, history_pages, i18n
from api.citations import cite
from api.services import services
from core.errors import BadQuery, NotFound
from core.times import hours_between
from core.vocabulary import FEEDBACK_STATES, INDICATOR_CLASSES, INITIATIVE_STATES
from figures import feeds, governance, report, scorecard, service_catalog
from figures.citation import local_minute
from figures.datasets import dataset_name
from figures.indicators import Filters, month_filter
from figures.provisional import include_provisional
from figures.recipe import recipe
from figures.restatements import reasons_text as restatement_reasons
from search.parser import parse_search
from search.query import SearchQuery

blp = Blueprint("pages", __name__, url_prefix="/<lang>")
root = Blueprint("root", __name__)

TREND_MONTHS = 12
FEEDBACK_PAGE = 20
DECISIONS_SHOWN = 100


@root.get("/")
def home() -> Response:
    """The overview in the reader's language (Finnish unless the browser asks for Swedish or English)."""
    return redirect(url_for("pages.overview", lang=i18n.best_language(request.accept_languages)))  # type: ignore[return-value]


@root.get("/favicon.ico")
def favicon() -> Response:
    return current_app.send_static_file("favicon.svg")


@blp.url_value_preprocessor
def _language(endpoint: str | None, values: dict[str, Any] | None) -> None:
    lang = (values or {}).pop("lang", i18n.DEFAULT)
    if lang not in i18n.LANGUAGES:
        abort(404)
    g.lang = lang


@blp.url_defaults
def _keep_language(endpoint: str, values: dict[str, Any]) -> None:
    if "lang" not in values and endpoint.startswith("pages."):
        values["lang"] = g.get("lang", i18n.DEFAULT)


@blp.app_context_processor
def _helpers() -> dict[str, Any]:
    lang = g.get("lang", i18n.DEFAULT)
    timezone = services().settings.timezone
    return {
        "lang": lang,
        "languages": i18n.LANGUAGES,
        "native": i18n.NATIVE,
        "t": lambda key, **kw: i18n.t(key, lang, **kw),
        "num": lambda value, digits=1: i18n.number(value, lang, digits),
        "share": lambda value: i18n.share(value, lang),
        "month": lambda period: i18n.month(period, lang) if period else "–",
        "day": lambda value: i18n.day(value, lang),
        "final_on": lambda final_from: i18n.t("final_on", lang, date=i18n.day(final_from, lang, timezone)),
        "unit": lambda code: i18n.unit(code, lang),
        "duration": lambda hours: i18n.duration(hours, lang),
        "classes": INDICATOR_CLASSES,
        "feedback_states": FEEDBACK_STATES,
        "initiative_states": INITIATIVE_STATES,
        "min_cell": services().settings.min_cell_count,
        "switch_url": _switch_url,
    }


@blp.app_context_processor
def _history_helpers() -> dict[str, Any]:
    """The history's outputs in words: correction sides, recording times, the as_of of a recording."""
    lang = g.get("lang", i18n.DEFAULT)
    return {
        "side": lambda side, unit_code: atom.side_text(side, unit_code, lang),
        "as_of_minute": lambda stamp: local_minute(stamp, services().settings.timezone),
        "recorded_text": lambda stamp: history_pages.moment_text(stamp, lang),
        "reasons_text": lambda reasons: restatement_reasons(reasons, lang),
        "as_of_text": lambda value: _as_of_text(value, lang),
    }


def _as_of_text(value: str, lang: str) -> str:
    """An ``as_of`` (YYYY-MM-DD[THH:MM], city time) in words."""
    day, _, minute = value.partition("T")
    return i18n.t("at_time", lang, day=i18n.day(day, lang), time=minute) if minute else i18n.day(day, lang)


def _switch_url(lang: str) -> str:
    """This page in another language, with the same arguments (never ``url_for``'s own ``_`` keys)."""
    given = {k: v for k, v in request.args.items() if not k.startswith("_")}
    args = {**(request.view_args or {}), **given, "lang": lang}
    return url_for(request.endpoint or "pages.overview", **args)


@blp.errorhandler(BadQuery)
def _bad_query(exc: BadQuery) -> tuple[str, int]:
    return render_template("error.html", title=i18n.t("error_bad_parameter", g.lang), exc=exc), 400


@blp.errorhandler(NotFound)
def _not_found(exc: NotFound) -> tuple[str, int]:
    return render_template("error.html", title=i18n.t("error_not_found", g.lang), exc=exc), 404


# -- overview and indicators --------------------------------------------------------
@blp.get("/")
def overview() -> str:
    svc = services()
    include = include_provisional(request.args.get("provisional"))
    as_of = request.args.get("as_of") or None
    block = None
    if as_of:  # what was published then (figures/as_published.py)
        summaries, block = history_pages.history().overview(Filters(), as_of)
        trends = {s["code"]: history_pages.series_as_of(s["code"], as_of)[-TREND_MONTHS:] for s in summaries}
    else:
        summaries = svc.indicators.overview(Filters())
        trends = {i.code: svc.indicators.series(i, Filters())[-TREND_MONTHS:] for i in svc.indicators.definitions()}
    return render_template(
        "overview.html",
        summaries=summaries,
        trends=trends,
        score=scorecard.score(summaries, include),
        charts=charts,
        as_of=block,
    )


@blp.get("/indicators/<code>")
def indicator(code: str) -> str:
    svc = services()
    service = request.args.get("service") or None
    as_of = request.args.get("as_of") or None
    filters = Filters(service=service)
    # with as_of, what was published then (figures/as_published.py)
    detail = history_pages.history().detail(code, filters, as_of) if as_of else svc.indicators.detail(code, filters)
    citation = cite(detail, filters, history_pages.requested_version())["citation"]
    catalog = service_catalog.catalog(svc.indicators)
    if service and not any(s["code"] == service for s in catalog):
        raise BadQuery("service", f"no service with code {service!r}")
    portal = None
    if svc.settings.ckan_url:
        portal = f"{svc.settings.ckan_url.rstrip('/')}/dataset/{dataset_name(svc.settings.namespace, code)}"
    api_url = f"/v1/indicators/{code}" + (f"?service={service}" if service else "")
    decided = (detail.get("target") or {}).get("decision") or {}
    target_decision = svc.index.get(decided["decision_id"]) if decided.get("decision_id") else None
    return render_template(
        "indicator.html",
        item=detail,
        service=service,
        services=catalog,
        names={s["code"]: s["name"] for s in catalog},
        portal=portal,
        api_url=api_url,
        target_decision=target_decision.body if target_decision and target_decision.type == "decision" else None,
        csv_url=f"/v1/indicators/{code}?format=csv",
        decisions=governance.decisions(svc.indicators, indicator=code)[:20],
        **_recipe_context(code, service),
        charts=charts,
        as_of=detail.get("as_of"),
        citation=citation,
        corrections=history_pages.restatements().counts().get(code, 0),
    )


def _recipe_context(code: str, service: str | None) -> dict[str, Any]:
    """What the indicator page shows of its recipe (figures/recipe.py), and where each month is explained."""
    svc = services()
    cells_url = f"/v1/indicators/{code}/cells?" + (f"service={quote(service)}&" if service else "") + "period="
    return {"recipe": recipe(svc.indicators, svc.indicators.definition(code)), "cells_url": cells_url}


# -- services -------------------------------------------------------------------------
@blp.get("/services/")
def service_list() -> str:
    return render_template("services.html", services=service_catalog.catalog(services().indicators))


@blp.get("/services/<code>")
def service_page(code: str) -> str:
    svc = services()
    found = service_catalog.service(svc.indicators, code)
    if found is None:
        raise NotFound(f"no service with code {code!r}")
    filters = Filters(service=code)
    summaries = [s for s in svc.indicators.overview(filters) if s["overall"]["n"] != 0]
    recent = svc.index.search(SearchQuery(types=("feedback",), service=code, size=10, facets=False)).items
    return render_template(
        "service.html",
        service=found,
        summaries=summaries,
        recent=recent,
        bands=service_catalog.response_distribution(svc.indicators, code),
        decisions=governance.decisions(svc.indicators, service=code)[:10],
        charts=charts,
    )


# -- feedback tracker -------------------------------------------------------------------
@blp.get("/feedback/")
def feedback_list() -> str:
    svc = services()
    allowed = ("q", "service", "area", "status", "from", "to", "cursor", "size", "sort")
    args = {k: v for k, v in request.args.items() if k in allowed and v}
    # the page shows no facet counts: not asking for them keeps it from counting every match
    query = parse_search(
        _page_size({"size": FEEDBACK_PAGE, **args, "facets": False}), svc.settings, types=("feedback",)
    )
    if query.status and query.status not in FEEDBACK_STATES:
        raise BadQuery("status", f"unknown status {query.status!r}")
    result = svc.index.search(query)
    catalog = service_catalog.catalog(svc.indicators)
    areas = svc.indicators.areas("feedback")
    next_url = _url("pages.feedback_list", {**args, "cursor": result.next_cursor}) if result.next_cursor else None
    first_url = _url("pages.feedback_list", {k: v for k, v in args.items() if k != "cursor"}) if query.cursor else None
    return render_template(
        "feedback_list.html",
        args=args,
        first_url=first_url,
        sort=query.sort,
        result=result,
        services=catalog,
        names={s["code"]: s["name"] for s in catalog},
        areas=areas,
        next_url=next_url,
    )


def _page_size(args: dict[str, Any]) -> dict[str, Any]:
    """The page size as a number (the search parser checks its range)."""
    try:
        return {**args, "size": int(args["size"])}
    except ValueError:
        raise BadQuery("size", "must be a whole number") from None


def _url(endpoint: str, values: dict[str, Any]) -> str:
    return url_for(endpoint, **values)


@blp.get("/feedback/<path:feedback_id>")
def feedback_item(feedback_id: str) -> str:
    doc = services().index.get(feedback_id)
    if doc is None or doc.type != "feedback":
        raise NotFound(f"no feedback with id {feedback_id!r}")
    return render_template("feedback_item.html", item=doc.body, steps=_steps(doc.body))


def _steps(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The timeline with the time each step took (until the next one)."""
    timeline = body.get("timeline") or []
    out = []
    for i, step in enumerate(timeline):
        following = timeline[i + 1]["at"] if i + 1 < len(timeline) else None
        took = None
        if following:
            took = hours_between(step["at"], following)
        out.append({**step, "took_hours": took})
    return out


# -- governance -----------------------------------------------------------------------------
@blp.get("/initiatives/")
def initiative_list() -> str:
    svc = services()
    body = request.args.get("body") or None
    now = svc.clock.now()
    everything = governance.initiatives(svc.indicators, now)
    shown = [i for i in everything if not body or i.get("responsible_body") == body]
    return render_template(
        "initiatives.html",
        initiatives=shown,
        body=body,
        bodies=governance.bodies(everything, governance.decisions(svc.indicators)),
    )


@blp.get("/decisions/")
def decision_list() -> str:
    svc = services()
    body = request.args.get("body") or None
    service = request.args.get("service") or None
    everything = governance.decisions(svc.indicators)
    shown = governance.select_decisions(everything, body=body, service=service)
    catalog = service_catalog.catalog(svc.indicators)
    return render_template(
        "decisions.html",
        decisions=shown[:DECISIONS_SHOWN],
        total=len(shown),
        body=body,
        service=service,
        bodies=governance.bodies([], everything),
        services=catalog,
        names={s["code"]: s["name"] for s in catalog},
        indicator_names={i.code: i.name for i in svc.indicators.definitions()},
    )


@blp.get("/decisions/<path:decision_id>")
def decision_item(decision_id: str) -> str:
    svc = services()
    doc = svc.index.get(decision_id)
    if doc is None or doc.type != "decision":
        raise NotFound(f"no decision with id {decision_id!r}")
    catalog = service_catalog.catalog(svc.indicators)
    return render_template(
        "decision.html",
        item=doc.body,
        names={s["code"]: s["name"] for s in catalog},
        indicator_names={i.code: i.name for i in svc.indicators.definitions()},
    )


# -- the meeting report -------------------------------------------------------------------------
def previous_month(now: datetime) -> str:
    first = now.replace(day=1)
    return (first - timedelta(days=1)).strftime("%Y-%m")


def report_context(body: str | None, period_arg: str | None, as_of: str | None = None) -> dict[str, Any]:
    """Everything the meeting report shows; shared by the page and ``mittari report``. A past period shows
    what was published then (figures/report.py)."""
    svc = services()
    period = month_filter(period_arg, "period") or previous_month(svc.clock.now())
    now = svc.clock.now()
    bodies = governance.all_bodies(svc.indicators, now)
    if body and body not in bodies:
        raise BadQuery("body", f"no council, board or committee called {body!r}")
    data = report.build(svc.indicators, body, period, now, svc.history, as_of) if body else None
    return {"data": data, "body": body, "period": period, "bodies": bodies, "charts": charts}


@blp.get("/report")
def report_page() -> str:
    return render_template(
        "report.html",
        **report_context(
            request.args.get("body") or None, request.args.get("period"), request.args.get("as_of") or None
        ),
    )


# -- corrections ------------------------------------------------------------------------------------
@blp.get("/corrections/")
def corrections_page() -> str:
    """Published final values that changed, newest first, with why (figures/restatements.py)."""
    svc = services()
    indicator_code = history_pages.known_indicator(request.args.get("indicator"))
    number = history_pages.page_number()
    found = history_pages.restatements().page(indicator_code, number, history_pages.CORRECTIONS_PAGE)
    catalog = service_catalog.catalog(svc.indicators)

    def page_url(page: int) -> str:
        return url_for("pages.corrections_page", indicator=indicator_code, page=page if page > 1 else None)

    return render_template(
        "corrections.html",
        found=found,
        indicator=indicator_code,
        definitions={i.code: i for i in svc.indicators.definitions()},
        names={s["code"]: s["name"] for s in catalog},
        previous_url=page_url(number - 1) if number > 1 else None,
        next_url=page_url(number + 1) if number < found["pages"] else None,
    )


@blp.get("/feeds/corrections.atom")
def corrections_feed() -> Response:
    svc = services()
    indicator_code = history_pages.known_indicator(request.args.get("indicator"))
    items = history_pages.restatements().page(indicator_code, 1, history_pages.FEED_ENTRIES)["items"]
    names = {i.code: i.name for i in svc.indicators.definitions()}
    scope = names[indicator_code][g.lang] if indicator_code else None
    return atom.corrections(
        items,
        g.lang,
        svc.settings.base_url,
        request.full_path,
        scope,
        names,
        lambda stamp: history_pages.moment_text(stamp, g.lang),
    )


# -- feeds ----------------------------------------------------------------------------------------
@blp.get("/feeds/")
def feed_list() -> str:
    svc = services()
    return render_template(
        "feeds.html",
        bodies=governance.all_bodies(svc.indicators, svc.clock.now()),
        services=service_catalog.catalog(svc.indicators),
        indicators=svc.indicators.definitions(),
    )


@blp.get("/feeds/decisions.atom")
def decisions_feed() -> Response:
    svc = services()
    body, service = request.args.get("body") or None, request.args.get("service") or None
    items = feeds.new_decisions(svc.indicators, body=body, service=service)
    return atom.decisions(items, g.lang, svc.settings.base_url, request.full_path, body or service)


@blp.get("/feeds/initiatives.atom")
def initiatives_feed() -> Response:
    svc = services()
    body = request.args.get("body") or None
    items = feeds.answered_initiatives(svc.indicators, svc.clock.now(), body=body)
    return atom.initiatives(items, g.lang, svc.settings.base_url, request.full_path, body)


@blp.get("/feeds/indicators.atom")
def indicators_feed() -> Response:
    svc = services()
    service = request.args.get("service") or None
    items = feeds.target_crossings(svc.indicators, service=service)
    return atom.crossings(items, g.lang, svc.settings.base_url, request.full_path, service, svc.settings.timezone)
