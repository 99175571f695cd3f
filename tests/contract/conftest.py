"""Backends the contract suites run over. Real-server backends (Kafka, Elasticsearch) join these lists
as they are built, marked ``integration``; every test here must pass on each."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ingest.log import EventLog, open_log
from search.index import Index, open_index
from search.settings import Settings

LOG_BACKENDS = [pytest.param("sqlite", id="sqlite-log")]
INDEX_BACKENDS = [pytest.param("sqlite", id="sqlite-index")]


@pytest.fixture(params=LOG_BACKENDS)
def any_log(request: pytest.FixtureRequest, settings: Settings) -> Iterator[EventLog]:
    opened = open_log(settings)
    yield opened
    opened.close()


@pytest.fixture(params=INDEX_BACKENDS)
def any_index(request: pytest.FixtureRequest, settings: Settings) -> Iterator[Index]:
    opened = open_index(settings)
    yield opened
    opened.close()
