"""schemathesis over the API's own OpenAPI document: at least 1,000 generated requests, none failing a check.

`make fuzz` runs the same harness (tests/api/fuzz_api.py) with 10,000 and prints the figures.
"""

from __future__ import annotations

import re

import pytest

from api import create_app
from tests.api.fuzz_api import demo_city, fuzz


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    return create_app(demo_city(tmp_path_factory.mktemp("fuzz") / "data", events=2000))


def test_the_document_describes_every_route_the_api_serves(demo_app):
    spec = demo_app.test_client().get("/v1/openapi.json").get_json()
    documented = set(spec["paths"])
    for rule in demo_app.url_map.iter_rules():
        if rule.rule.startswith("/v1/") or rule.rule in ("/healthz", "/readyz"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            assert path in documented, f"{rule.rule} is served but not in the OpenAPI document"
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method != "get":
                continue
            for code, response in operation["responses"].items():
                if code == "default" or code[0] == "4" or (code == "503" and path != "/readyz"):
                    assert list(response["content"]) == ["application/problem+json"], (path, code)
    assert "text/csv" in spec["paths"]["/v1/search"]["get"]["responses"]["200"]["content"]


def test_1000_generated_requests_give_no_server_error_and_no_schema_violation(demo_app):
    result = fuzz(demo_app, 1000)
    print(result.summary())
    assert result.requests >= 1000
    assert len(result.by_operation) >= 20  # every operation, positive and negative where it has parameters
    assert result.server_errors == 0, result.summary()
    assert result.failed == 0, result.summary()
