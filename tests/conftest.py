"""Fixtures in the manner of Flask's tutorial: settings, log, index, worker, app, client."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from api import create_app
from core.clock import FixedClock
from core.settings import Settings, load_settings
from ingest.events import encode_event, topic_for
from ingest.log import EventLog, Outgoing, open_log
from ingest.worker import Worker
from search.index import Index, open_index
from tests import services
from tests.builders import T0, at, ev, feedback_item

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "tests" / "samples"  # real public records, copied here with their provenance (README)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    from tests.services import stop_started

    stop_started()


def pytest_report_header(config: pytest.Config) -> list[str]:
    import sqlite3

    return [f"sqlite {sqlite3.sqlite_version}"]


@pytest.fixture
def samples() -> Path:
    return SAMPLES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings({}, data_dir=str(tmp_path / "data"), base_url="http://mittari.test")


@pytest.fixture
def log(settings: Settings) -> Iterator[EventLog]:
    opened = open_log(settings)
    yield opened
    opened.close()


@pytest.fixture
def index(settings: Settings) -> Iterator[Index]:
    opened = open_index(settings)
    yield opened
    opened.close()


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0.replace(month=6, day=1))


@pytest.fixture
def worker(log: EventLog, index: Index) -> Worker:
    return Worker(log, index, batch_size=50)


def append(log: EventLog, events: list[dict[str, Any]]) -> None:
    """Put events on the log as a producer would (no validation: the worker must do that)."""
    for event in events:
        log.append(topic_for(event["type"]), [Outgoing(event["subject_id"], encode_event(event), event["event_id"])])


def ingest(log: EventLog, worker: Worker, events: list[dict[str, Any]]) -> None:
    append(log, events)
    worker.run(until_caught_up=True)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def app_for(settings: Settings, clock: FixedClock):  # type: ignore[no-untyped-def]
    """An app over the test index (opened read-only, as gunicorn workers do)."""

    def build(**overrides: Any):  # type: ignore[no-untyped-def]
        app = create_app(settings, clock=clock, **overrides)
        app.config["TESTING"] = True
        return app

    return build


def read_json(response: Any) -> Any:
    return json.loads(response.get_data(as_text=True))


SECRETS = ("131052-308T", "maija.m@example.fi", "+358 40 765 4321", "FI21 1234 5600 0007 85")


@pytest.fixture
def populated(log, worker, index):
    """Twelve feedback items, two decisions, two initiatives, a meeting, and one item full of personal data."""
    events = []
    for i in range(12):
        events += feedback_item(
            f"fb-{i:02d}",
            T0 + timedelta(hours=i),
            respond_hours=2 + i,
            service="171" if i % 2 else "210",
            area="Suur-Tapiola" if i < 6 else "Vanha-Espoo",
            text=f"Katuvalo {i} on rikki",
        )
    events += feedback_item(
        "fb-pii", T0, respond_hours=3, service="410", text="Olen {}, {} / {} / tili {}".format(*SECRETS)
    )
    events.append(
        ev(
            "governance.decision_made",
            "dec-1",
            at(days=1),
            body="Kaupunginhallitus",
            title="Katuvalaistus",
            text="Päätettiin uusia katuvalot.",
            case_id="ESP/2026/1",
            services=["171"],
        )
    )
    events.append(ev("governance.meeting_held", "m-1", at(days=1), body="Kaupunginhallitus", title="Kokous 1/2026"))
    events.append(
        ev(
            "governance.initiative_submitted",
            "in-1",
            at(days=-30),
            title="Asukaslähtöisyys",
            signatories=["A", "B"],
            responsible_body="Kaupunginhallitus",
        )
    )
    events.append(ev("governance.initiative_submitted", "in-2", at(days=-100), title="Katuvalot", signatories=["C"]))
    events.append(ev("governance.initiative_answered", "in-2", at(days=-10), 1, response="Vastattu"))
    ingest(log, worker, events)
    return index


@pytest.fixture
def make_settings(settings: Settings) -> Iterator[Callable[[str, str], Settings]]:
    made: list[Settings] = []

    def make(log_backend: str = "sqlite", index_backend: str = "sqlite") -> Settings:
        s = services.backend_settings(settings, log_backend, index_backend)
        made.append(s)
        return s

    yield make
    for s in made:
        if s.namespace != settings.namespace:
            services.drop_namespace(s.namespace)


os.environ.setdefault("MITTARI_LOG_LEVEL", "WARNING")
