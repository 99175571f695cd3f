from datetime import timedelta

from ingest.events import validate_event
from ingest.fold import fold
from tests.builders import T0, at, ev, feedback_item, received, response, state


def _fold(events):
    return fold(events[0]["subject_id"], [validate_event(e) for e in events])


def test_feedback_timeline_has_time_in_each_state():
    doc = _fold(feedback_item("fb-1", T0, respond_hours=10, final="resolved"))
    timeline = doc.body["timeline"]
    assert [t["state"] for t in timeline] == ["received", "in_process", "response_given", "resolved"]
    assert [t["hours_in_state"] for t in timeline] == [0.5, 9.5, 1.0, None]
    assert doc.body["time_in_state_hours"] == {"received": 0.5, "in_process": 9.5, "response_given": 1.0}
    assert doc.body["first_response_hours"] == 10.0
    assert doc.status == "resolved"
    assert doc.body["status_open311"] == "closed"
    assert doc.facts["closed"] is True
    assert doc.version == 4


def test_order_comes_from_the_events_not_their_arrival():
    events = feedback_item("fb-2", T0, respond_hours=3, final="closed_without_action")
    doc = _fold(list(reversed(events)))
    assert doc.status == "closed_without_action"
    assert doc.body["received_at"] == "2026-03-02T08:00:00Z"


def test_duplicates_fold_once():
    events = feedback_item("fb-3", T0, respond_hours=3)
    doc = _fold(events + events)
    assert doc.version == len(events)
    assert len(doc.body["timeline"]) == 4


def test_reopening_is_detected():
    events = feedback_item("fb-4", T0, respond_hours=3, final="resolved")
    events.append(state("fb-4", at(hours=50), "in_process"))
    events.append(state("fb-4", at(hours=60), "resolved"))
    doc = _fold(events)
    assert doc.body["reopened"] is True
    assert doc.facts["reopened_or_recontacted"] is True


def test_response_after_closing_does_not_reopen():
    events = [received("fb-5", T0), state("fb-5", at(hours=2), "resolved"), response("fb-5", at(hours=3))]
    doc = _fold(events)
    assert doc.status == "resolved"
    assert doc.body["response"]["text"] == "Kiitos, korjattu."


def test_rating_normalised_to_0_100():
    events = feedback_item("fb-6", T0, respond_hours=2)
    events.append(ev("feedback.rating", "fb-6", at(hours=30), 4, score=4, scale_min=1, scale_max=5))
    assert _fold(events).facts["satisfaction"] == 75.0


def test_initiative_fold():
    events = [
        ev(
            "governance.initiative_submitted", "in-1", T0, title="Aloite", signatories=["A", "B"], responsible_body="KH"
        ),
        ev("governance.initiative_status_changed", "in-1", T0 + timedelta(days=10), 1, status="being_prepared"),
        ev("governance.initiative_answered", "in-1", T0 + timedelta(days=100), 2, response="Vastaus"),
    ]
    doc = _fold(events)
    assert doc.status == "answered"
    assert doc.body["days_to_answer"] == 100.0
    assert [h["status"] for h in doc.body["history"]] == ["submitted", "being_prepared", "answered"]
