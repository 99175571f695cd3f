from __future__ import annotations

import pytest


@pytest.fixture
def client(populated, app_for):
    return app_for().test_client()
