"""Backends the contract suites run over: every test here must pass on each, with the same answers.

Real-server parameters carry the ``integration`` marker and start their server through
deploy/local/services.sh (see tests/services.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from ingest.log import EventLog, open_log
from search.index import Index, open_index
from search.settings import Settings
from tests import services

LOG_BACKENDS = [
    pytest.param("sqlite", id="sqlite-log"),
    pytest.param("kafka", id="kafka", marks=pytest.mark.integration),
]
INDEX_BACKENDS = [
    pytest.param("sqlite", id="sqlite-index"),
    pytest.param("elasticsearch", id="elasticsearch", marks=pytest.mark.integration),
]


def backend_settings(settings: Settings, log_backend: str, index_backend: str) -> Settings:
    changes: dict[str, object] = {}
    if log_backend == "kafka" or index_backend == "elasticsearch":
        changes["namespace"] = services.namespace()
    if log_backend == "kafka":
        services.require("kafka")
        changes["event_log"] = services.KAFKA_URL
    if index_backend == "elasticsearch":
        services.require("elasticsearch")
        changes["search"] = services.ES_URL
    return settings.with_overrides(**changes)


@pytest.fixture
def make_settings(settings: Settings) -> Iterator[Callable[[str, str], Settings]]:
    made: list[Settings] = []

    def make(log_backend: str = "sqlite", index_backend: str = "sqlite") -> Settings:
        s = backend_settings(settings, log_backend, index_backend)
        made.append(s)
        return s

    yield make
    for s in made:
        if s.namespace != settings.namespace:
            services.drop_namespace(s.namespace)


@pytest.fixture(params=LOG_BACKENDS)
def any_log(request: pytest.FixtureRequest, make_settings: Callable[[str, str], Settings]) -> Iterator[EventLog]:
    opened = open_log(make_settings(request.param, "sqlite"))
    yield opened
    opened.close()


@pytest.fixture(params=INDEX_BACKENDS)
def any_index(request: pytest.FixtureRequest, make_settings: Callable[[str, str], Settings]) -> Iterator[Index]:
    opened = open_index(make_settings("sqlite", request.param))
    yield opened
    opened.close()
