"""Folds a subject's events into its document: the read model of one feedback item, case, decision...

Folding is a pure function of the set of events, sorted by the source's own
order (``occurred_at``, then ``sequence``, then ``event_id``). So replaying, a
duplicate, or a late event can never move an item backwards: a late
'received' after 'closed' lands early in the timeline and the item stays
closed. The version is the number of distinct events folded in.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

import orjson

from core.times import hours_between
from core.vocabulary import CLOSED_STATES, FEEDBACK_STATES
from privacy.policy import public_body
from search.analysis import index_terms
from search.index import Document

#: the most events one item (a document) may hold. Folding an item re-reads all its events and its document
#: stores them, so a source that keeps sending events for one subject id (by fault or on purpose) would make
#: every later batch slower and the document without bound; no real item comes near (a feedback item has
#: about 4, the demo's most is 8). Events beyond it are dead-lettered with the reason by the worker.
MAX_EVENTS_PER_ITEM = 1000

#: the most bytes of events one item may hold, each event measured by :func:`event_bytes`. A record may be
#: 256 KiB (ingest.events.MAX_EVENT_BYTES), so the event bound alone still let one document reach 256 MB:
#: past Elasticsearch's 100 MB request limit, when one refused bulk stopped the worker on that batch. A real
#: item holds a few KiB (the demo's largest about 9); 4 MiB is a thousand long feedback texts. Events
#: beyond it are dead-lettered with the reason by the worker, in log order like the event bound.
MAX_ITEM_BYTES = 4 * 1024 * 1024


def event_bytes(event: dict[str, Any]) -> int:
    """An event's size as an item's byte bound counts it: its compact UTF-8 JSON.

    orjson measures (about a µs an event); what it refuses (integers past 64 bits, keys that are not
    strings) is measured by the standard encoder. Either way the figure depends only on the event, so
    live ingest and a reindex refuse the same events.
    """
    try:
        return len(orjson.dumps(event))
    except TypeError:
        return len(json.dumps(event, ensure_ascii=False, separators=(",", ":"), default=str).encode())


DOC_TYPE_OF_EVENT = {
    "feedback.received": "feedback",
    "feedback.status_changed": "feedback",
    "feedback.response_given": "feedback",
    "feedback.recontacted": "feedback",
    "feedback.rating": "feedback",
    "service.case_opened": "case",
    "service.case_closed": "case",
    "service.survey_response": "survey",
    "service.outcome_measured": "outcome",
    "governance.meeting_held": "meeting",
    "governance.decision_made": "decision",
    "governance.initiative_submitted": "initiative",
    "governance.initiative_status_changed": "initiative",
    "governance.initiative_answered": "initiative",
    "governance.indicator_target_set": "target",
}


def order_key(event: dict[str, Any]) -> tuple[str, int, str]:
    return (event["occurred_at"], event.get("sequence", 0), event["event_id"])


def fold(subject_id: str, events: Iterable[dict[str, Any]]) -> Document:
    """The document for one subject from all its events (already validated and redacted)."""
    unique = {e["event_id"]: e for e in events}
    ordered = sorted(unique.values(), key=order_key)
    doc_type = DOC_TYPE_OF_EVENT[ordered[0]["type"]]
    builder = _BUILDERS[doc_type]
    doc = builder(subject_id, ordered)
    doc.version = len(ordered)
    doc.events = ordered
    return doc


def _seconds(ts: str) -> str:
    """Event time (microseconds) to the stored date format (whole seconds)."""
    return ts[:19] + "Z"


def _text(*parts: Any) -> str:
    return index_terms(" ".join(str(p) for p in parts if p))


def _feedback(subject_id: str, events: Sequence[dict[str, Any]]) -> Document:
    received: dict[str, Any] | None = None
    timeline: list[dict[str, Any]] = []
    responses: list[dict[str, Any]] = []
    recontacts = 0
    rating: dict[str, Any] | None = None
    detailed: list[str] = []
    reopened = False
    for event in events:
        kind, p, at = event["type"], event["payload"], event["occurred_at"]
        if kind == "feedback.received":
            if received is None:
                received = event
                timeline.append({"state": "received", "at": _seconds(at)})
            else:
                recontacts += 1
        elif kind == "feedback.status_changed":
            if timeline and timeline[-1]["state"] in CLOSED_STATES and p["state"] not in CLOSED_STATES:
                reopened = True
            entry = {"state": p["state"], "at": _seconds(at)}
            if p.get("note"):
                entry["note"] = p["note"]
            if p.get("time_approximate"):
                entry["time_approximate"] = True
            timeline.append(entry)
            detailed = p.get("detailed_status") or detailed
        elif kind == "feedback.response_given":
            responses.append(
                {
                    "text": p["text"],
                    "unit": p.get("responding_unit"),
                    "at": _seconds(at),
                    "time_approximate": bool(p.get("time_approximate")),
                }
            )
            current = timeline[-1]["state"] if timeline else None
            if current not in CLOSED_STATES:
                timeline.append({"state": "response_given", "at": _seconds(at)})
        elif kind == "feedback.recontacted":
            recontacts += 1
        elif kind == "feedback.rating":
            rating = {"score": p["score"], "scale_min": p["scale_min"], "scale_max": p["scale_max"]}
    # collapse repeats of the same state, then attach the time spent in each state
    collapsed: list[dict[str, Any]] = []
    for entry in timeline:
        if collapsed and collapsed[-1]["state"] == entry["state"]:
            continue
        collapsed.append(entry)
    time_in_state: dict[str, float] = {}
    for current, following in pairwise(collapsed):
        hours = round(hours_between(current["at"], following["at"]), 2)
        current["hours_in_state"] = hours
        time_in_state[current["state"]] = round(time_in_state.get(current["state"], 0.0) + hours, 2)
    if collapsed:
        collapsed[-1]["hours_in_state"] = None
    state = collapsed[-1]["state"] if collapsed else "received"
    rp = received["payload"] if received else {}
    # Without a 'received' event (it may still be on its way) the first known event stands in.
    received_at = _seconds((received or events[0])["occurred_at"])
    first_exact = next((r for r in responses if not r["time_approximate"]), None)
    first_response_hours = (
        round(hours_between(received_at, first_exact["at"]), 2) if first_exact and received is not None else None
    )
    closed_at = collapsed[-1]["at"] if state in CLOSED_STATES else None
    closed_exact = closed_at is not None and not collapsed[-1].get("time_approximate")
    location = None
    if rp.get("lat") is not None and rp.get("lon") is not None:
        location = {"lat": rp["lat"], "lon": rp["lon"]}
    body = {
        "id": subject_id,
        "type": "feedback",
        "source": (received or events[0])["source"],
        "title": rp.get("title"),
        "description": rp.get("description"),
        "service_code": rp.get("service_code"),
        "service_name": rp.get("service_name"),
        "area": rp.get("area"),
        "address": rp.get("address"),
        "location": location,
        "channel": rp.get("channel"),
        "media_urls": rp.get("media_urls") or [],
        "status": state,
        "status_open311": FEEDBACK_STATES[state].open311,
        "detailed_status": detailed,
        "received_at": received_at,
        "updated_at": _seconds(events[-1]["occurred_at"]),
        "closed_at": closed_at,
        "first_response_hours": first_response_hours,
        "response": responses[-1] if responses else None,
        "responses": responses,
        "timeline": collapsed,
        "time_in_state_hours": time_in_state,
        "reopened": reopened,
        "recontacts": recontacts,
    }
    facts = {
        "first_response_hours": first_response_hours,
        "responded": bool(responses),
        "closed": state in CLOSED_STATES,
        "closed_hours": round(hours_between(received_at, closed_at), 2) if closed_at and closed_exact else None,
        "reopened_or_recontacted": reopened or recontacts > 0,
        "satisfaction": _normalised(rating),
        "has_received": received is not None,
        "service_name": rp.get("service_name"),
    }
    return Document(
        id=subject_id,
        type="feedback",
        version=0,
        date=received_at,
        body=public_body("feedback", body),  # a rating is one person's value: in figures only (facts)
        facts=facts,
        text=_text(
            rp.get("title"),
            rp.get("description"),
            rp.get("service_name"),
            rp.get("address"),
            *(r["text"] for r in responses),
        ),
        service_code=rp.get("service_code"),
        area=rp.get("area"),
        status=state,
    )


def _normalised(rating: dict[str, Any] | None) -> float | None:
    """A score on any declared scale as 0–100, so scales can be averaged together."""
    if not rating:
        return None
    low, high = rating["scale_min"], rating["scale_max"]
    return round(float(rating["score"] - low) / float(high - low) * 100.0, 4)


def _case(subject_id: str, events: Sequence[dict[str, Any]]) -> Document:
    merged: dict[str, Any] = {}
    opened_at = closed_at = None
    for event in events:
        merged.update({k: v for k, v in event["payload"].items() if v is not None})
        if event["type"] == "service.case_opened" and opened_at is None:
            opened_at = _seconds(event["occurred_at"])
        if event["type"] == "service.case_closed":
            closed_at = _seconds(event["occurred_at"])
    status = "closed" if closed_at else "open"
    body = {
        "id": subject_id,
        "type": "case",
        "service_code": merged.get("service_code"),
        "service_point": merged.get("service_point"),
        "channel": merged.get("channel"),
        "area": merged.get("area"),
        "opened_at": opened_at,
        "closed_at": closed_at,
        "waiting_days": merged.get("waiting_days") if closed_at else None,
        "handling_hours": merged.get("handling_hours") if closed_at else None,
        "outcome": merged.get("outcome") if closed_at else None,
        "status": status,
    }
    facts = {k: body[k] for k in ("waiting_days", "handling_hours", "outcome", "channel")}
    return Document(
        id=subject_id,
        type="case",
        version=0,
        date=closed_at or opened_at or _seconds(events[0]["occurred_at"]),
        body=body,
        facts=facts,
        service_code=body["service_code"],
        area=body["area"],
        status=status,
    )


def _survey(subject_id: str, events: Sequence[dict[str, Any]]) -> Document:
    event = events[-1]
    p = event["payload"]
    body = {
        "id": subject_id,
        "type": "survey",
        "service_code": p["service_code"],
        "area": p.get("area"),
        "question": p.get("question"),
        "score": p["score"],
        "scale_min": p["scale_min"],
        "scale_max": p["scale_max"],
        "answered_at": _seconds(event["occurred_at"]),
    }
    return Document(
        id=subject_id,
        type="survey",
        version=0,
        date=body["answered_at"],
        body=body,
        facts={"satisfaction": _normalised(body)},
        service_code=p["service_code"],
        area=p.get("area"),
    )


def _outcome(subject_id: str, events: Sequence[dict[str, Any]]) -> Document:
    event = events[-1]  # a later report for the same subject corrects the earlier one
    p = dict(event["payload"])
    body = {"id": subject_id, "type": "outcome", **p, "reported_at": _seconds(event["occurred_at"])}
    return Document(
        id=subject_id,
        type="outcome",
        version=0,
        date=p["period"] + "-01T00:00:00Z",
        body=body,
        facts={k: p.get(k) for k in ("indicator_code", "name", "value", "unit", "period", "sample_size", "direction")},
        service_code=p.get("service_code"),
        area=p.get("area"),
    )


def _target(subject_id: str, events: Sequence[dict[str, Any]]) -> Document:
    event = events[-1]
    p = dict(event["payload"])
    body = {"id": subject_id, "type": "target", **p, "set_at": _seconds(event["occurred_at"])}
    return Document(
        id=subject_id,
        type="target",
        version=0,
        date=body["set_at"],
        body=body,
        facts=body,
        service_code=p.get("service_code"),
    )


def _meeting(subject_id: str, events: Sequence[dict[str, Any]]) -> Document:
    event = events[-1]
    p = event["payload"]
    body = {"id": subject_id, "type": "meeting", "date": _seconds(event["occurred_at"]), **p}
    return Document(
        id=subject_id,
        type="meeting",
        version=0,
        date=body["date"],
        body=body,
        text=_text(p.get("title"), p["body"], p.get("location"), *p.get("agenda", [])),
        status="held",
    )


def _decision(subject_id: str, events: Sequence[dict[str, Any]]) -> Document:
    event = events[-1]
    p = event["payload"]
    body = {"id": subject_id, "type": "decision", "date": _seconds(event["occurred_at"]), **p}
    return Document(
        id=subject_id,
        type="decision",
        version=0,
        date=body["date"],
        body=body,
        text=_text(p["title"], p.get("text"), p["body"], p.get("case_id")),
        service_code=(p.get("services") or [None])[0],
        status="decided",
    )


def _initiative(subject_id: str, events: Sequence[dict[str, Any]]) -> Document:
    submitted: dict[str, Any] = {}
    submitted_at = answered_at = None
    status = "submitted"
    history: list[dict[str, Any]] = []
    answer: dict[str, Any] | None = None
    for event in events:
        p, at = event["payload"], _seconds(event["occurred_at"])
        if event["type"] == "governance.initiative_submitted":
            submitted = p
            submitted_at = submitted_at or at
            status = "submitted" if status == "submitted" else status
            history.append({"status": "submitted", "at": at})
        elif event["type"] == "governance.initiative_status_changed":
            status = p["status"]
            history.append({"status": status, "at": at, "note": p.get("note")})
        else:
            status = "answered"
            answered_at = at
            answer = {"text": p["response"], "body": p.get("responding_body"), "decision_id": p.get("decision_id")}
            history.append({"status": "answered", "at": at})
    start = submitted_at or _seconds(events[0]["occurred_at"])
    body = {
        "id": subject_id,
        "type": "initiative",
        "title": submitted.get("title"),
        "text": submitted.get("text"),
        "signatories": submitted.get("signatories", []),
        "first_signatory": submitted.get("first_signatory"),
        "responsible_body": submitted.get("responsible_body"),
        "case_id": submitted.get("case_id"),
        "services": submitted.get("services", []),
        "indicators": submitted.get("indicators", []),
        "status": status,
        "submitted_at": start,
        "answered_at": answered_at,
        "days_to_answer": round(hours_between(start, answered_at) / 24, 1) if answered_at else None,
        "response": answer,
        "history": history,
    }
    return Document(
        id=subject_id,
        type="initiative",
        version=0,
        date=start,
        body=body,
        facts={"days_to_answer": body["days_to_answer"], "responsible_body": body["responsible_body"]},
        text=_text(
            body["title"],
            body["text"],
            body["first_signatory"],
            *(body["signatories"] or []),
            answer["text"] if answer else None,
        ),
        status=status,
    )


_BUILDERS = {
    "feedback": _feedback,
    "case": _case,
    "survey": _survey,
    "outcome": _outcome,
    "target": _target,
    "meeting": _meeting,
    "decision": _decision,
    "initiative": _initiative,
}
