"""Read-time views of governance documents: how long each open initiative has waited."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from search.times import parse


def with_waiting(initiative: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The initiative with ``days_waiting``: until its answer, or until now while it is open."""
    end = parse(initiative["answered_at"]) if initiative.get("answered_at") else now
    waited = (end - parse(initiative["submitted_at"])).total_seconds() / 86400
    return {**initiative, "days_waiting": round(max(0.0, waited), 1)}
