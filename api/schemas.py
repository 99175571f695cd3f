"""Request and response schemas: the API's contract and its OpenAPI document.

Response schemas are allowlists: a field reaches the public only if it is
named here, so internal fields (folded events, raw source records) never leak.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, fields, validate

from core.vocabulary import INITIATIVE_STATES
from search.query import SORTS

_short = validate.Length(max=200)
LangMap = fields.Dict(keys=fields.String(), values=fields.String())


class QueryArgs(Schema):
    class Meta:
        unknown = RAISE

    format = fields.String(validate=validate.OneOf(["json", "csv"]), metadata={"description": "json (default) or csv"})


class PageArgs(QueryArgs):
    q = fields.String(validate=validate.Length(max=500), metadata={"description": "Words to find; prefixes match."})
    sort = fields.String(
        validate=validate.OneOf(SORTS), metadata={"description": "newest (default), oldest, relevance"}
    )
    size = fields.Integer(load_default=20, metadata={"description": "Items per page (capped)."})
    cursor = fields.String(
        validate=validate.Length(max=1000), metadata={"description": "next_cursor of the previous page"}
    )


class SearchArgs(PageArgs):
    type = fields.String(
        validate=_short, metadata={"description": "feedback, decision, initiative, meeting; comma-separated"}
    )
    service = fields.String(validate=_short, metadata={"description": "Service code"})
    area = fields.String(validate=_short, metadata={"description": "Area name"})
    status = fields.String(validate=_short, metadata={"description": "Current state, e.g. resolved"})
    from_ = fields.String(
        data_key="from", attribute="from", validate=_short, metadata={"description": "Earliest date, YYYY-MM-DD"}
    )
    to = fields.String(validate=_short, metadata={"description": "Latest date, YYYY-MM-DD (inclusive)"})
    facets = fields.Boolean(load_default=True, metadata={"description": "Include facet counts"})


class InitiativeArgs(PageArgs):
    status = fields.String(validate=validate.OneOf(list(INITIATIVE_STATES)))


class IndicatorArgs(QueryArgs):
    service = fields.String(validate=_short, metadata={"description": "Service code"})
    area = fields.String(validate=_short, metadata={"description": "Area name"})
    from_ = fields.String(
        data_key="from", attribute="from", validate=_short, metadata={"description": "First month, YYYY-MM"}
    )
    to = fields.String(validate=_short, metadata={"description": "Last month, YYYY-MM"})
    as_of = fields.String(
        validate=_short,
        metadata={
            "description": "YYYY-MM-DD or YYYY-MM-DDTHH:MM in the city's time zone (a day means its end): the "
            "answer as it was published then, from the history of published values"
        },
    )


class IndicatorDetailArgs(IndicatorArgs):
    definition_version = fields.Integer(
        validate=validate.Range(min=1, max=1_000_000),
        metadata={
            "description": "From a citation: the definition version the cited values were computed with; an answer "
            "whose values were computed with another version is a 404 saying which"
        },
    )


class IndicatorListArgs(IndicatorArgs):
    provisional = fields.String(
        validate=validate.OneOf(["exclude", "include"]),
        metadata={
            "description": "exclude (default): the score ranks each indicator by its latest final month; "
            "include: by its latest month, provisional or not"
        },
    )


# --- responses -------------------------------------------------------------
class Facet(Schema):
    value = fields.String()
    count = fields.Integer()


class SearchItem(Schema):
    id = fields.String()
    type = fields.String()
    title = fields.String(allow_none=True)
    excerpt = fields.String(allow_none=True)
    date = fields.String()
    status = fields.String(allow_none=True)
    service_code = fields.String(allow_none=True)
    area = fields.String(allow_none=True)
    url = fields.String()


class SearchResponse(Schema):
    items = fields.List(fields.Nested(SearchItem))
    total = fields.Integer()
    total_relation = fields.String(
        metadata={
            "description": "`eq`: `total` is exact; `gte`: more matches than `total` (exact up to 10,000; always"
            " exact when facets are included)",
            "enum": ["eq", "gte"],
        }
    )
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(Facet)))
    next_cursor = fields.String(allow_none=True)
    next = fields.String(allow_none=True, metadata={"description": "URL of the next page"})


class TimelineEntry(Schema):
    state = fields.String()
    at = fields.String()
    hours_in_state = fields.Float(allow_none=True)
    note = fields.String()
    time_approximate = fields.Boolean()


class CityResponse(Schema):
    text = fields.String()
    unit = fields.String(allow_none=True)
    at = fields.String()
    time_approximate = fields.Boolean()


class Location(Schema):
    lat = fields.Float()
    lon = fields.Float()


class Feedback(Schema):
    id = fields.String()
    type = fields.String()
    source = fields.String()
    title = fields.String(allow_none=True)
    description = fields.String(allow_none=True)
    service_code = fields.String(allow_none=True)
    service_name = fields.String(allow_none=True)
    area = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    location = fields.Nested(Location, allow_none=True)
    channel = fields.String(allow_none=True)
    media_urls = fields.List(fields.String())
    status = fields.String()
    status_open311 = fields.String()
    detailed_status = fields.List(fields.String())
    received_at = fields.String()
    updated_at = fields.String()
    closed_at = fields.String(allow_none=True)
    first_response_hours = fields.Float(allow_none=True)
    response = fields.Nested(CityResponse, allow_none=True)
    responses = fields.List(fields.Nested(CityResponse))
    timeline = fields.List(fields.Nested(TimelineEntry))
    time_in_state_hours = fields.Dict(keys=fields.String(), values=fields.Float())
    reopened = fields.Boolean()
    recontacts = fields.Integer()


class Decision(Schema):
    id = fields.String()
    type = fields.String()
    body = fields.String()
    case_id = fields.String(allow_none=True)
    section = fields.String(allow_none=True)
    title = fields.String()
    text = fields.String(allow_none=True)
    date = fields.String()
    meeting_id = fields.String(allow_none=True)
    services = fields.List(fields.String())
    indicators = fields.List(fields.String())
    url = fields.String(allow_none=True)


class InitiativeAnswer(Schema):
    text = fields.String()
    body = fields.String(allow_none=True)
    decision_id = fields.String(allow_none=True)


class InitiativeStep(Schema):
    status = fields.String()
    at = fields.String()
    note = fields.String(allow_none=True)


class Initiative(Schema):
    id = fields.String()
    type = fields.String()
    title = fields.String(allow_none=True)
    text = fields.String(allow_none=True)
    signatories = fields.List(fields.String())
    first_signatory = fields.String(allow_none=True)
    responsible_body = fields.String(allow_none=True)
    case_id = fields.String(allow_none=True)
    services = fields.List(fields.String())
    indicators = fields.List(fields.String())
    status = fields.String()
    submitted_at = fields.String()
    answered_at = fields.String(allow_none=True)
    days_to_answer = fields.Float(allow_none=True)
    days_waiting = fields.Float()
    response = fields.Nested(InitiativeAnswer, allow_none=True)
    history = fields.List(fields.Nested(InitiativeStep))


class InitiativeList(Schema):
    items = fields.List(fields.Nested(Initiative))
    total = fields.Integer()
    total_relation = fields.String(
        metadata={
            "description": "`eq`: `total` is exact; `gte`: more matches than `total` (exact up to 10,000; always"
            " exact when facets are included)",
            "enum": ["eq", "gte"],
        }
    )
    next_cursor = fields.String(allow_none=True)
    next = fields.String(allow_none=True)


# The fields every published cell shares. A field object belongs to one schema, so each schema gets its own
# from these; written once, the descriptions of a month's cell and of a range total cannot drift apart, and
# each schema still lists its fields in the order its answers carry them.
def _n() -> fields.Integer:
    return fields.Integer(allow_none=True, metadata={"description": "Items behind the value; null when withheld."})


def _n_band() -> fields.String:
    return fields.String(
        allow_none=True, metadata={"description": "For a withheld cell, '<5' (too few items) or '≥5' (a companion)."}
    )


def _provisional() -> fields.Boolean:
    return fields.Boolean(
        allow_none=True,
        metadata={
            "description": "True while the items behind the cell may still finish and move it (a young month, or a "
            "period holding one); null for a range total that is not served."
        },
    )


def _final_from() -> fields.String:
    return fields.String(
        allow_none=True,
        metadata={"description": "When the cell becomes final (ISO 8601, UTC), by the indicator's final_after rule."},
    )


def _inputs_sha256() -> fields.String:
    return fields.String(
        allow_none=True,
        metadata={
            "description": "SHA-256 of the items the cell rests on (their ids, versions and facts), over its "
            "atoms' digests: it changes exactly when an input changes, and is equal on every backend."
        },
    )


def _definition_version() -> fields.Integer:
    return fields.Integer(
        metadata={
            "description": "The version of the indicator's definition the values were computed by (definitions "
            "are versioned data: changing one is a new version; figures/definition_versions.json)."
        }
    )


class Cell(Schema):
    period = fields.String()
    value = fields.Float(allow_none=True)
    n = _n()
    n_band = _n_band()
    suppressed = fields.Boolean()
    reason = fields.String(allow_none=True)
    target = fields.Float(allow_none=True)
    status = fields.String()
    provisional = _provisional()
    final_from = _final_from()
    inputs_sha256 = _inputs_sha256()


class Overall(Schema):
    value = fields.Float(allow_none=True)
    n = _n()
    n_band = _n_band()
    suppressed = fields.Boolean()
    reason = fields.String(allow_none=True)
    provisional = _provisional()
    final_from = _final_from()
    inputs_sha256 = _inputs_sha256()


class BreakdownCell(Overall):
    key = fields.String()


class TargetDecision(Schema):
    body = fields.String()
    case_id = fields.String(allow_none=True)
    decision_id = fields.String(allow_none=True)
    date = fields.String(allow_none=True)


class Target(Schema):
    value = fields.Float()
    service_code = fields.String(allow_none=True)
    valid_from = fields.String()
    valid_to = fields.String(allow_none=True)
    decision = fields.Nested(TargetDecision)


class Disclosure(Schema):
    items_public = fields.Boolean(
        metadata={"description": "True when the items behind the indicator are public one by one (feedback)."}
    )
    min_cell_count = fields.Integer()
    method = fields.String()
    note = fields.String()


class FinalAfter(Schema):
    days_after_month_end = fields.Integer()
    plus_response_target_hours = fields.Integer()
    reason = LangMap


class IndicatorSummary(Schema):
    code = fields.String()
    name = LangMap
    definition = LangMap
    method = LangMap
    unit = fields.String()
    direction = fields.String()
    class_ = fields.String(data_key="class", attribute="class")
    sources = fields.List(fields.String())
    definition_version = _definition_version()
    current = fields.Nested(Cell, allow_none=True, metadata={"description": "The latest month with a value."})
    latest_final = fields.Nested(
        Cell, allow_none=True, metadata={"description": "The latest month with a value that is no longer provisional."}
    )
    final_after = fields.Nested(
        FinalAfter, metadata={"description": "When a month's cells become final, and why (figures/provisional.py)."}
    )
    overall = fields.Nested(Overall)
    target = fields.Nested(Target, allow_none=True)
    status = fields.String()
    disclosure = fields.Nested(Disclosure)
    url = fields.String()


class ScoreRatio(Schema):
    code = fields.String()
    period = fields.String(metadata={"description": "The month the indicator counts with."})
    provisional = fields.Boolean(metadata={"description": "True only with provisional=include."})
    final_from = fields.String(allow_none=True)
    value = fields.Float()
    target = fields.Float()
    ratio = fields.Float()
    capped = fields.Float()
    n = fields.Integer()


class LeftOut(Schema):
    code = fields.String()
    reason = fields.String(metadata={"description": "no_target, no_value, only_provisional or no_ratio"})


class Score(Schema):
    score = fields.Float(allow_none=True, metadata={"description": "Mean of the capped ratios; 1.0 is on target."})
    include_provisional = fields.Boolean(
        metadata={"description": "False: each indicator counts with its latest final month."}
    )
    cap = fields.Float()
    ratios = fields.List(fields.Nested(ScoreRatio))
    worst = fields.List(fields.Nested(ScoreRatio), metadata={"description": "Furthest from target first."})
    left_out = fields.List(fields.Nested(LeftOut))


class AsOf(Schema):
    """What an ``as_of`` answer stands on (figures/as_published.py)."""

    requested = fields.String(metadata={"description": "as_of as asked"})
    moment = fields.String(metadata={"description": "The moment it means, UTC (the end of the day or minute)"})
    recorded_at = fields.String(
        metadata={"description": "The last recording at or before the moment that changed a published value"}
    )
    definition_versions = fields.List(
        fields.Integer(), metadata={"description": "The definition versions the values were computed with"}
    )
    not_available = fields.List(
        fields.String(),
        metadata={"description": "Parts of the answer the history does not keep (overall, breakdown, target)"},
    )


class IndicatorList(Schema):
    as_of = fields.Nested(AsOf, metadata={"description": "Only with ?as_of: the moment answered."})
    items = fields.List(fields.Nested(IndicatorSummary))
    total = fields.Integer()
    score = fields.Nested(Score, metadata={"description": "The composite score over these indicators."})


class IndicatorFilters(Schema):
    service = fields.String(allow_none=True)
    area = fields.String(allow_none=True)
    from_ = fields.String(data_key="from", attribute="from", allow_none=True)
    to = fields.String(allow_none=True)


class Breakdown(Schema):
    service = fields.List(fields.Nested(BreakdownCell))
    area = fields.List(fields.Nested(BreakdownCell))


# --- the recipe of a value, and one cell explained (figures/recipe.py, figures/cell_explanation.py) ------
class RecipeDefinition(Schema):
    id = fields.String(metadata={"description": "The definition's id: the indicator code."})
    version = _definition_version()
    sha256 = fields.String(
        metadata={"description": "SHA-256 of the definition's canonical content (texts, unit, rule, sources)."}
    )


class RecipeParameters(Schema):
    timezone = fields.String(metadata={"description": "The city's time zone: it decides an item's month."})
    response_target_hours = fields.Integer(metadata={"description": "The response target the values use."})
    min_cell_count = fields.Integer(metadata={"description": "Cells over fewer items are withheld."})
    final_after = fields.Nested(FinalAfter)


class StreamPosition(Schema):
    events = fields.Integer(metadata={"description": "Events of the stream applied to the index."})
    offset = fields.Integer(metadata={"description": "The stream's high-water mark: the next offset to read."})
    newest_event_at = fields.String(allow_none=True, metadata={"description": "The newest event applied (UTC)."})


class Recipe(Schema):
    definition = fields.Nested(RecipeDefinition)
    parameters = fields.Nested(RecipeParameters)
    log_position = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(StreamPosition),
        metadata={"description": "Per stream of the event log, how far the figures were computed."},
    )
    computed_at = fields.String(metadata={"description": "When the answer was computed (ISO 8601, UTC)."})
    generation = fields.String(metadata={"description": "The index generation it was computed at."})


class CellArgs(QueryArgs):
    period = fields.String(validate=_short, metadata={"description": "The cell's month, YYYY-MM (required)"})
    service = fields.String(validate=_short, metadata={"description": "Service code"})
    area = fields.String(validate=_short, metadata={"description": "Area name"})
    size = fields.Integer(metadata={"description": "Item ids per page, 1–1000 (default 100)."})
    cursor = fields.String(
        validate=validate.Length(max=1000), metadata={"description": "next_cursor of the previous page"}
    )


class ExplainedCell(Overall):
    pass


class CellDefinition(RecipeDefinition):
    name = LangMap
    definition = LangMap
    method = LangMap
    unit = fields.String()


class CellItem(Schema):
    id = fields.String()
    url = fields.String(metadata={"description": "Where the item can be fetched to recompute the value."})


class CellInputs(Schema):
    public = fields.Boolean(metadata={"description": "True when the items are public one by one (ids listed)."})
    items = fields.List(fields.Nested(CellItem), metadata={"description": "Every item of the cell, ids sorted."})
    total = fields.Integer(allow_none=True, metadata={"description": "Items in the cell (the definition decides n)."})
    next_cursor = fields.String(allow_none=True)
    withheld = fields.String(metadata={"description": "Why a withheld cell lists no ids."})
    commitment = fields.String(
        allow_none=True, metadata={"description": "For items that are not public: the cell's inputs_sha256."}
    )
    method = fields.String(metadata={"description": "How the commitment is made and how it can be opened."})

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        """Keys only: an answer without ``items`` (aggregate-only) must not serialise ``dict.items``."""
        return obj.get(attr, default) if isinstance(obj, dict) else super().get_attribute(obj, attr, default)


class CellExplanation(Schema):
    indicator = fields.String()
    period = fields.String()
    service = fields.String(allow_none=True)
    area = fields.String(allow_none=True)
    cell = fields.Nested(ExplainedCell)
    definition = fields.Nested(CellDefinition)
    recipe = fields.Nested(Recipe)
    inputs = fields.Nested(CellInputs)


class Citation(Schema):
    """A pinned citation of the answer's current month (figures/citation.py)."""

    citable = fields.Boolean(metadata={"description": "False until the history has recorded the shown figures"})
    reason = fields.String(allow_none=True, metadata={"description": "Why it is not citable (yet)"})
    as_of = fields.String(metadata={"description": "The recording's minute in the city's time zone"})
    definition_version = fields.Integer()
    period = fields.String()
    value = fields.Float(allow_none=True)
    n = fields.Integer(allow_none=True)
    provisional = fields.Boolean()
    url = fields.String(metadata={"description": "This answer later: as_of and definition_version pinned"})
    pages = LangMap
    text = fields.Dict(
        keys=fields.String(), values=fields.String(), metadata={"description": "A short text to paste, fi/sv/en"}
    )


class IndicatorDetail(IndicatorSummary):
    as_of = fields.Nested(AsOf, metadata={"description": "Only with ?as_of: the moment answered."})
    citation = fields.Nested(Citation, metadata={"description": "How to cite the current month so it reproduces."})
    filters = fields.Nested(IndicatorFilters)
    series = fields.List(fields.Nested(Cell))
    breakdown = fields.Nested(Breakdown)
    recipe = fields.Nested(Recipe, metadata={"description": "What the answer was computed from."})


class Problem(Schema):
    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    parameter = fields.String()
    invalid_params = fields.List(fields.Dict(), data_key="invalid-params")
    request_id = fields.String()
