"""Turns indicator request parameters (already shaped by the API's schemas) into checked filters.

Errors name the parameter at fault, so the API can answer 400 with it, before anything is computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import BadQuery
from figures.indicators import Filters, check_scope, month_filter


def parse_indicator_filters(args: Mapping[str, Any]) -> Filters:
    filters = Filters(
        service=args.get("service") or None,
        area=args.get("area") or None,
        month_from=month_filter(args.get("from"), "from"),
        month_to=month_filter(args.get("to"), "to"),
    )
    if filters.month_from and filters.month_to and filters.month_from > filters.month_to:
        raise BadQuery("from", "must not be after 'to'")
    check_scope(filters)
    return filters
