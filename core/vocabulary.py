"""Mittari's published vocabularies: feedback states, document types, indicator classes.

The state list keeps outcomes apart on purpose: 'closed' is not 'resolved'.
Labels are neutral in wording and exist in Finnish, Swedish and English.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class State:
    code: str
    open311: str  # the GeoReport v2 status the state corresponds to
    closed: bool
    label: dict[str, str]


FEEDBACK_STATES: dict[str, State] = {
    s.code: s
    for s in (
        State("received", "open", False, {"fi": "Vastaanotettu", "sv": "Mottagen", "en": "Received"}),
        State("in_process", "open", False, {"fi": "Käsittelyssä", "sv": "Under behandling", "en": "In process"}),
        State("response_given", "open", False, {"fi": "Vastattu", "sv": "Besvarad", "en": "Response given"}),
        State("resolved", "closed", True, {"fi": "Korjattu", "sv": "Åtgärdad", "en": "Resolved"}),
        State(
            "scheduled_later",
            "closed",
            True,
            {"fi": "Ajoitettu myöhemmäksi", "sv": "Planerad senare", "en": "Scheduled for later"},
        ),
        State(
            "closed_without_action",
            "closed",
            True,
            {"fi": "Suljettu ilman toimenpiteitä", "sv": "Avslutad utan åtgärd", "en": "Closed without action"},
        ),
        State(
            "not_city_responsibility",
            "closed",
            True,
            {"fi": "Ei kaupungin vastuulla", "sv": "Inte stadens ansvar", "en": "Not the city's responsibility"},
        ),
        State("closed", "closed", True, {"fi": "Suljettu", "sv": "Avslutad", "en": "Closed"}),
    )
}

OPEN_STATES = frozenset(code for code, s in FEEDBACK_STATES.items() if not s.closed)
CLOSED_STATES = frozenset(code for code, s in FEEDBACK_STATES.items() if s.closed)

INITIATIVE_STATES: dict[str, dict[str, str]] = {
    "submitted": {"fi": "Jätetty", "sv": "Inlämnad", "en": "Submitted"},
    "being_prepared": {"fi": "Valmistelussa", "sv": "Under beredning", "en": "Being prepared"},
    "answered": {"fi": "Vastattu", "sv": "Besvarad", "en": "Answered"},
    "withdrawn": {"fi": "Peruttu", "sv": "Återtagen", "en": "Withdrawn"},
}

# Document types the public search covers, and those kept only for indicators.
SEARCHABLE_TYPES = ("feedback", "decision", "initiative", "meeting")
FACT_TYPES = ("case", "survey", "outcome", "target")
DOCUMENT_TYPES = SEARCHABLE_TYPES + FACT_TYPES

#: the stream (log topic) each document type's events arrive on: what a figure's log position names
#: (figures/recipe.py); ingest/events.py puts each event type on its topic, and a test keeps the two equal
STREAM_OF_TYPE = {
    "feedback": "feedback",
    "case": "service",
    "survey": "service",
    "outcome": "service",
    "target": "governance",
    "decision": "governance",
    "initiative": "governance",
    "meeting": "governance",
}

INDICATOR_CLASSES = {
    "input": {"fi": "Panos", "sv": "Insats", "en": "Input"},
    "output": {"fi": "Tuotos", "sv": "Prestation", "en": "Output"},
    "outcome": {"fi": "Vaikuttavuus", "sv": "Effekt", "en": "Outcome"},
    "experience": {"fi": "Asukaskokemus", "sv": "Invånarupplevelse", "en": "Resident experience"},
}
