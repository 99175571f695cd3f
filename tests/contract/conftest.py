"""Backends the contract suites run over: every test here must pass on each, with the same answers.

Real-server parameters carry the ``integration`` marker and start their server through
deploy/local/services.sh (see tests/services.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from core.settings import Settings
from ingest.log import EventLog, open_log
from search.index import Index, open_index

LOG_BACKENDS = [
    pytest.param("sqlite", id="sqlite-log"),
    pytest.param("kafka", id="kafka", marks=pytest.mark.integration),
]
INDEX_BACKENDS = [
    pytest.param("sqlite", id="sqlite-index"),
    pytest.param("elasticsearch", id="elasticsearch", marks=pytest.mark.integration),
]


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
