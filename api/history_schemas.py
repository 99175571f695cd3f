"""Request and response schemas of the history's resources: ``GET /v1/corrections``.

Allowlists like api/schemas.py: a correction shows each side's published value, n (none for a
withheld side), band, flags, definition version and recording time, and its reasons; never the
internal item and event counts the recorder compares.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from api.schemas import QueryArgs
from figures.as_published import MAX_CORRECTIONS_PAGE

_short = validate.Length(max=200)
_moment = "YYYY-MM-DD or YYYY-MM-DDTHH:MM in the city's time zone"


class CorrectionArgs(QueryArgs):
    indicator = fields.String(validate=_short, metadata={"description": "Indicator code"})
    since = fields.String(validate=_short, metadata={"description": f"Recorded at or after: {_moment} (its start)"})
    until = fields.String(validate=_short, metadata={"description": f"Recorded at or before: {_moment} (its end)"})
    size = fields.Integer(
        load_default=100, metadata={"description": f"Corrections per page, 1 to {MAX_CORRECTIONS_PAGE}"}
    )
    cursor = fields.String(
        validate=validate.Length(max=500), metadata={"description": "next_cursor of the previous page"}
    )


class CorrectionSide(Schema):
    value = fields.Float(allow_none=True)
    n = fields.Integer(allow_none=True, metadata={"description": "Null when the cell was withheld."})
    n_band = fields.String(allow_none=True)
    suppressed = fields.Boolean(allow_none=True)
    provisional = fields.Boolean(allow_none=True)
    version = fields.Integer(allow_none=True, metadata={"description": "Definition version"})
    recorded_at = fields.String()


class DefinitionChange(Schema):
    from_ = fields.Integer(data_key="from", attribute="from", allow_none=True)
    to = fields.Integer(allow_none=True)


class DisclosureChange(Schema):
    from_ = fields.String(data_key="from", attribute="from", metadata={"description": "published or withheld"})
    to = fields.String(metadata={"description": "published or withheld"})


class CorrectionReasons(Schema):
    events_added = fields.Integer(
        metadata={"description": "More events in the cell's items than at the old recording (late or corrected)"}
    )
    items_removed = fields.Integer(
        metadata={"description": "Fewer items in the cell (erased or moved away); a net count"}
    )
    erasures = fields.Integer(
        metadata={"description": "Items erased from the whole index between the two recordings (no ids)"}
    )
    definition = fields.Nested(DefinitionChange, metadata={"description": "The definition version changed"})
    disclosure = fields.Nested(
        DisclosureChange,
        metadata={"description": "Withheld ↔ published, often because other cells changed (disclosure control)"},
    )
    same_inputs = fields.Boolean(
        metadata={"description": "True when the cell's own items did not change: the change came from elsewhere"}
    )
    counts_withheld = fields.Boolean(
        metadata={"description": "True when a side is withheld: counts would reveal what suppression hides"}
    )


class Correction(Schema):
    id = fields.String()
    indicator = fields.String()
    period = fields.String()
    breakdown = fields.String(metadata={"description": "city, service or area"})
    service_code = fields.String()
    area = fields.String()
    unit = fields.String(allow_none=True)
    old = fields.Nested(CorrectionSide)
    new = fields.Nested(CorrectionSide)
    old_recorded_at = fields.String()
    recorded_at = fields.String(metadata={"description": "When the new value was recorded (UTC)"})
    reasons = fields.Nested(CorrectionReasons)


class CorrectionList(Schema):
    items = fields.List(fields.Nested(Correction))
    next_cursor = fields.String(allow_none=True)
    next = fields.String(allow_none=True, metadata={"description": "URL of the next page"})
