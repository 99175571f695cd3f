"""The publication policy: what of each event may be published, and how, as data.

Two decisions are written down here, once, and read by the ingest worker (what
to redact), the fold (what a public document holds), the API and the pages
(what to say about who can be identified) and the tests (every field of every
event type must be decided):

* **Documents**: a document type is public *item by item* (feedback, as
  Helsinki's Open311 service publishes it; decisions, initiatives, meetings and
  targets, which are public by law) or *only in aggregates* (service cases,
  survey answers, outcome measures: each is one person's value and may only be
  published as a figure resting on enough people).
* **Fields**: every payload field of every event type has a treatment. A
  string is **text** — redacted for every kind of personal data — unless the
  policy names it otherwise; a field the policy does not know is text too, so a
  new field is never published unredacted by oversight. Even structured
  strings (codes, states, names of bodies) go through the identifier patterns:
  a source that puts a phone number in a status token still has it removed.

Names of people acting in public office (initiative signatories, decision
makers) are public by law, so those fields keep names and lose only
identifiers. A value that is one person's own (a feedback rating) is used in
figures but never shown item by item.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Visibility(StrEnum):
    ITEMS = "items"  # each item is published on its own (after redaction)
    AGGREGATES = "aggregates"  # only figures over at least the minimum number of items


class Treatment(StrEnum):
    TEXT = "text"  # free text: identifiers, personal names and house numbers removed
    OFFICE_HOLDER = "office_holder"  # names of people acting in office kept; identifiers removed
    STRUCTURED = "structured"  # codes, states, dates, numbers from a closed vocabulary; identifiers still removed
    URL = "url"  # query string, fragment, credentials and any flagged path segment removed
    AGGREGATE_ONLY = "aggregate_only"  # one person's value: in figures only, never item by item


@dataclass(frozen=True)
class DocumentPolicy:
    visibility: Visibility
    why: str


DOCUMENTS: dict[str, DocumentPolicy] = {
    "feedback": DocumentPolicy(
        Visibility.ITEMS,
        "Residents' feedback and the city's answers are published one by one, redacted, as Open311 services do.",
    ),
    "decision": DocumentPolicy(Visibility.ITEMS, "Decisions are public documents."),
    "initiative": DocumentPolicy(Visibility.ITEMS, "Council initiatives and their answers are public documents."),
    "meeting": DocumentPolicy(Visibility.ITEMS, "Meetings of public bodies are public."),
    "target": DocumentPolicy(Visibility.ITEMS, "Targets are set by public decisions."),
    "case": DocumentPolicy(Visibility.AGGREGATES, "A service case is one resident's matter."),
    "survey": DocumentPolicy(Visibility.AGGREGATES, "A survey answer is one resident's opinion."),
    "outcome": DocumentPolicy(
        Visibility.AGGREGATES, "Outcome measures are reported as aggregates and published only as figures."
    ),
}

_T, _O, _S, _U, _A = (
    Treatment.TEXT,
    Treatment.OFFICE_HOLDER,
    Treatment.STRUCTURED,
    Treatment.URL,
    Treatment.AGGREGATE_ONLY,
)

_RATING = {"score": _A, "scale_min": _S, "scale_max": _S}

#: event type -> payload field -> treatment. Lists and maps apply the treatment to every string in them.
FIELDS: dict[str, dict[str, Treatment]] = {
    "feedback.received": {
        "service_code": _S,
        "service_name": _T,  # a source's label, but free to write anything in
        "title": _T,
        "description": _T,
        "address": _T,  # redacted to the street: house numbers go, the place stays useful
        "area": _S,
        "lat": _S,
        "lon": _S,
        "channel": _S,
        "media_urls": _U,
        "language": _S,
    },
    "feedback.status_changed": {"state": _S, "detailed_status": _S, "note": _T, "time_approximate": _S},
    "feedback.response_given": {"text": _T, "responding_unit": _T, "time_approximate": _S},
    "feedback.recontacted": {"text": _T, "channel": _S},
    "feedback.rating": _RATING,
    "service.case_opened": {"service_code": _S, "service_point": _S, "channel": _S, "area": _S},
    "service.case_closed": {
        "service_code": _S,
        "service_point": _S,
        "channel": _S,
        "area": _S,
        "waiting_days": _A,
        "handling_hours": _A,
        "outcome": _S,
    },
    "service.survey_response": {**_RATING, "service_code": _S, "area": _S, "question": _T, "comment": _T},
    "service.outcome_measured": {
        "indicator_code": _S,
        "name": _S,
        "value": _A,
        "unit": _S,
        "period": _S,
        "service_code": _S,
        "area": _S,
        "sample_size": _S,
        "direction": _S,
    },
    "governance.meeting_held": {"body": _O, "title": _T, "location": _S, "agenda": _T},
    "governance.decision_made": {
        "body": _O,
        "case_id": _S,
        "section": _S,
        "title": _T,
        "text": _T,
        "meeting_id": _S,
        "services": _S,
        "indicators": _S,
        "url": _U,
    },
    "governance.initiative_submitted": {
        "title": _T,
        "text": _T,
        "signatories": _O,
        "first_signatory": _O,
        "responsible_body": _O,
        "case_id": _S,
        "services": _S,
        "indicators": _S,
    },
    "governance.initiative_status_changed": {"status": _S, "note": _T},
    "governance.initiative_answered": {"response": _T, "responding_body": _O, "decision_id": _S},
    "governance.indicator_target_set": {
        "indicator_code": _S,
        "target_value": _S,
        "valid_from": _S,
        "valid_to": _S,
        "service_code": _S,
        "body": _O,
        "case_id": _S,
        "decision_id": _S,
        "decision_date": _S,
    },
}

#: envelope strings that become ids and URLs: they must not carry personal data at all (refused if they do)
ENVELOPE_IDS = ("event_id", "subject_id", "source")

#: what refuses an envelope id: identifiers that are unmistakable (identity codes and IBANs carry check
#: characters; an e-mail has its shape). Not phone numbers: source systems number their records, often
#: zero-padded (``fb-0100000``, Open311's ``service_request_id``), and those digits read as a Finnish phone
#: number; refusing them dropped every event past a type's 100,000th item in a million-event demo.
ID_REFUSING_KINDS = frozenset({"identity_code", "email", "iban"})

#: document body fields that hold one person's value: kept out of every item-level answer
PRIVATE_BODY_FIELDS: dict[str, tuple[str, ...]] = {"feedback": ("rating",)}


def treatment(event_type: str, field: str) -> Treatment:
    """How a payload field is published; unknown fields are text (redacted), never passed through."""
    return FIELDS.get(event_type, {}).get(field, Treatment.TEXT)


def items_public(doc_type: str) -> bool:
    """Whether documents of this type are published one by one (unknown types are not)."""
    policy = DOCUMENTS.get(doc_type)
    return policy is not None and policy.visibility is Visibility.ITEMS


def public_body(doc_type: str, body: dict[str, object]) -> dict[str, object]:
    """A document body without the fields that are one person's value."""
    private = PRIVATE_BODY_FIELDS.get(doc_type, ())
    return {k: v for k, v in body.items() if k not in private} if private else body
