"""Regression tests for what an attacker found against a served demo (issue #10, points 1, 2, 3, 6).

Each test fails on the code before the fix: stored script injection through a service code,
5xx answers from hand-made input, formula cells in CSV, missing security headers, and a
readiness probe that said ready on a broken index.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from elasticsearch import ConnectionError as ElasticConnectionError

from api import create_app
from core.errors import ConfigError, MittariError
from core.settings import load_settings
from search.parser import parse_search
from search.query import _stable_fingerprint, encode_cursor
from tests.builders import at, ev, feedback_item
from tests.conftest import ingest, read_json

SCRIPT_CODE = 'x"><img src=x onerror=alert(1)>'


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


# -- 1. stored script injection -----------------------------------------------------------------
@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_a_service_code_with_markup_cannot_add_elements_or_handlers(log, worker, app_for, lang):
    events = []
    for i in range(6):
        events += feedback_item(f"x-{i}", at(hours=i), respond_hours=2, service=SCRIPT_CODE)
    ingest(log, worker, events)
    client = app_for().test_client()
    for path in (f"/{lang}/services/{quote(SCRIPT_CODE, safe='')}", f"/{lang}/services/", f"/{lang}/"):
        response = client.get(path)
        assert response.status_code == 200, path
        found = tags(response.get_data(as_text=True))
        assert not [t for t, _ in found if t == "img"], path
        assert not [a for _, attrs in found for a in attrs if a.startswith("on")], path
        for _, attrs in found:  # ids and references built from data are plain tokens
            for name in ("id", "aria-labelledby"):
                assert '"' not in (attrs.get(name) or "") and "<" not in (attrs.get(name) or "")


# -- 2. security headers -----------------------------------------------------------------------
@pytest.mark.parametrize("path", ["/fi/", "/v1/search", "/fi/feeds/decisions.atom", "/v1/nothing", "/healthz"])
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "'unsafe-inline'" not in csp and "script-src" not in csp  # no script at all
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "Server" not in response.headers
    assert "Strict-Transport-Security" not in response.headers  # the test app is served over http


def test_hsts_only_when_served_over_https(populated, settings, clock):
    secure = replace(settings, base_url="https://mittari.example", cursor_keys=("k" * 32,))
    response = create_app(secure, clock=clock).test_client().get("/fi/")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_https_without_cursor_keys_refuses_to_start(populated, settings, clock):
    secure = load_settings({}, data_dir=str(settings.data_dir), base_url="https://mittari.example")
    assert secure.cursor_keys == ()
    with pytest.raises(ConfigError, match="MITTARI_CURSOR_KEYS"):
        create_app(secure, clock=clock)


def test_cursor_keys_must_be_long():
    with pytest.raises(ConfigError, match="32 characters"):
        load_settings({"MITTARI_CURSOR_KEYS": "short"})
    assert load_settings({"MITTARI_CURSOR_KEYS": f"{'a' * 32}, {'b' * 40}"}).cursor_keys == ("a" * 32, "b" * 40)


# -- 3. no input reaches a 5xx ------------------------------------------------------------------
def _b64(data: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


NEWEST: dict[str, object] = {"size": 2}
RELEVANCE: dict[str, object] = {"size": 2, "q": "katuvalo", "sort": "relevance"}
#: (arguments, position): positions an attacker writes with the query's (public) fingerprint
HAND_MADE_POSITIONS = [
    (NEWEST, [{"a": 1}, "x"]),
    (NEWEST, [["a"], "x"]),
    (NEWEST, ["2026-03-02"]),
    (NEWEST, [None, {"b": 2}]),
    (RELEVANCE, ["abc"]),
    (RELEVANCE, [10**30]),
    (RELEVANCE, [{"x": 1}]),
]
GARBAGE_CURSORS = [
    "äö.ÄÖ\u202e",
    "\x00.\x00",
    "not-base64-at-all!!",
    "a" * 999,
    "e30." + "A" * 22,
    _b64({"f": "x", "p": None}),
]


def _fingerprinted(args: dict[str, object], position: object, settings, path: str) -> str:
    query = parse_search(args, settings, types=("feedback",) if path.startswith("/fi/") else None)
    return _b64({"f": _stable_fingerprint(query), "p": position})


@pytest.mark.parametrize(("args", "position"), HAND_MADE_POSITIONS)
@pytest.mark.parametrize("path", ["/v1/search", "/fi/feedback/"])
def test_hand_made_cursors_are_a_400_naming_cursor(client, settings, path, args, position):
    cursor = _fingerprinted(args, position, settings, path)
    response = client.get(path, query_string={**args, "cursor": cursor})
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert "cursor" in response.get_data(as_text=True)


@pytest.mark.parametrize("cursor", GARBAGE_CURSORS)
@pytest.mark.parametrize("path", ["/v1/search", "/v1/initiatives"])
def test_garbage_cursors_are_a_400_naming_cursor(client, path, cursor):
    response = client.get(path, query_string={"cursor": cursor})
    assert response.status_code == 400 and read_json(response)["parameter"] == "cursor"


def test_a_correctly_signed_cursor_with_a_foreign_shape_is_refused(client, settings):
    args = {"size": 2}
    query = parse_search(args, settings)
    for position in ([{"a": 1}, "x"], ["2026", "x", "y"], [True, "x"], "text", [-1]):
        forged = encode_cursor(query, position)  # type: ignore[arg-type]
        response = client.get("/v1/search", query_string={**args, "cursor": forged})
        assert response.status_code == 400 and read_json(response)["parameter"] == "cursor", position


def test_cursors_survive_key_rotation_and_expire_with_the_old_key(populated, settings, clock):
    old, new = "o" * 32, "n" * 32
    first = create_app(replace(settings, cursor_keys=(old,)), clock=clock).test_client()
    cursor = read_json(first.get("/v1/search?size=2"))["next_cursor"]
    rotated = create_app(replace(settings, cursor_keys=(new, old)), clock=clock).test_client()
    page = rotated.get("/v1/search", query_string={"size": 2, "cursor": cursor})
    assert page.status_code == 200 and read_json(page)["items"]
    retired = create_app(replace(settings, cursor_keys=(new,)), clock=clock).test_client()
    refused = retired.get("/v1/search", query_string={"size": 2, "cursor": cursor})
    assert refused.status_code == 400 and read_json(refused)["parameter"] == "cursor"


def test_a_cursor_still_pages_through_every_item(client):
    seen, cursor = [], None
    for _ in range(20):
        body = read_json(client.get("/v1/search", query_string={"size": 3, **({"cursor": cursor} if cursor else {})}))
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == read_json(client.get("/v1/search"))["total"]


@pytest.mark.parametrize(
    ("name", "value"), [("from", "0001-01-01"), ("to", "9999-12-31"), ("from", "0001-01-01T00:00")]
)
def test_dates_at_the_ends_of_the_calendar_are_a_400(client, name, value):
    response = client.get("/v1/search", query_string={name: value})
    assert response.status_code == 400 and read_json(response)["parameter"] == name
    page = client.get("/fi/feedback/", query_string={name: value})
    assert page.status_code == 400


INTERNAL_KEYS = [("_method", "POST"), ("_external", "1"), ("_anchor", "x"), ("_scheme", "https")]


@pytest.mark.parametrize(("key", "value"), INTERNAL_KEYS)
@pytest.mark.parametrize("path", ["/fi/", "/en/feedback/", "/sv/decisions/", "/fi/feeds/decisions.atom", "/v1/search"])
def test_framework_internal_keys_are_refused(client, path, key, value):
    response = client.get(path, query_string={key: value}, headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert "evil.example" not in response.get_data(as_text=True)


def test_a_nul_in_a_decision_title_leaves_the_feed_well_formed(log, worker, app_for):
    title = "Katu\x00valot\x0b uusitaan\x1f"
    ingest(log, worker, [ev("governance.decision_made", "d-nul", at(days=1), body="Hallitus", title=title)])
    response = app_for().test_client().get("/fi/feeds/decisions.atom")
    assert response.status_code == 200
    root = ET.fromstring(response.data)
    entry_titles = [e.text for e in root.iter("{http://www.w3.org/2005/Atom}title")]
    assert "Hallitus: Katuvalot uusitaan" in entry_titles


def test_a_client_request_id_is_echoed_only_when_it_is_a_token(client):
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"}).headers["X-Request-Id"] == "abc-123"
    flood = client.get("/healthz", headers={"X-Request-Id": "x" * 5000}).headers["X-Request-Id"]
    assert len(flood) == 16


@pytest.fixture
def broken_index(populated, settings):
    """A copy of the populated index whose documents table is gone: SQLite opens it, queries fail."""
    broken = settings.with_overrides(data_dir=settings.data_dir.parent / "broken")
    broken.data_dir.mkdir()
    with (
        sqlite3.connect(settings.data_dir / "index.sqlite") as source,
        sqlite3.connect(broken.data_dir / "index.sqlite") as copy,
    ):
        source.backup(copy)  # the index is in WAL mode: a file copy could miss the latest writes
        copy.execute("DROP TABLE docs")
    return broken


@pytest.mark.parametrize("path", ["/v1/search", "/v1/initiatives", "/v1/feedback/fb-01", "/fi/feedback/"])
def test_store_errors_answer_503_with_retry_after(broken_index, clock, path):
    response = create_app(broken_index, clock=clock).test_client().get(path)
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert int(response.headers["Retry-After"]) > 0
    assert read_json(response)["status"] == 503


def test_readyz_runs_a_real_query(broken_index, settings, clock, populated):
    assert create_app(settings, clock=clock).test_client().get("/readyz").status_code == 200
    response = create_app(broken_index, clock=clock).test_client().get("/readyz")
    assert response.status_code == 503 and response.headers["Retry-After"]


# -- 6. CSV formula injection -------------------------------------------------------------------
FORMULAS = ['=HYPERLINK("http://evil.example","x")', "+1+1", "-2+3", "@SUM(A1)"]


def test_api_csv_cells_cannot_be_formulas(log, worker, app_for):
    events = []
    for i, formula in enumerate(FORMULAS):
        events += feedback_item(f"f-{i}", at(hours=i), respond_hours=2, title=formula, area=formula)
    ingest(log, worker, events)
    text = app_for().test_client().get("/v1/search?format=csv&size=50").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    titles = {r["title"] for r in rows}
    assert titles == {"'" + f for f in FORMULAS}
    for row in rows:
        assert not any(v.startswith(("=", "+", "-", "@")) for v in row.values())


ODD_REQUESTS = [
    "/fi/report?body=Kaupunginhallitus&period=0001-01",
    "/fi/report?body=Kaupunginhallitus&period=9999-12",
    "/fi/indicators/feedback_closed_share?service=%00",
    "/v1/indicators/feedback_closed_share?from=0001-01&to=9999-12",
    "/v1/indicators?from=0001-01-01",
    "/v1/search?size=99999999999999999999999",
    "/v1/search?q=%00%01%E2%80%AE%22%27%3C",
    "/v1/search?q=" + "a" * 499,
    "/v1/search?from=2026-01-01T00:00:00%2B99:00",
    "/fi/feedback/?size=-1",
    "/fi/feedback/?q=%00&from=9999-12-31",
    "/fi/decisions/?body=%00&service=%E2%80%AE",
    "/fi/feeds/decisions.atom?body=%00%1F",
    "/fi/feeds/indicators.atom?service=%00",
    "/fi/feedback/%00",
    "/v1/feedback/%00%0A",
    "/xx/",
]


@pytest.mark.parametrize("path", ODD_REQUESTS)
def test_odd_requests_never_reach_a_5xx(client, path):
    response = client.get(path)
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


class FailingIndex:
    """The populated index, except that searches fail the way a backend's client does."""

    def __init__(self, inner, error: Exception) -> None:
        self.inner, self.error = inner, error

    def search(self, query):
        raise self.error

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.mark.parametrize(
    "error",
    [
        sqlite3.DatabaseError("database disk image is malformed"),
        ElasticConnectionError("connection refused"),
        MittariError("Elasticsearch refused the request (400)"),
    ],
    ids=["sqlite", "elasticsearch", "backend"],
)
def test_every_backend_error_is_a_503(populated, settings, clock, error):
    client = create_app(settings, clock=clock, index=FailingIndex(populated, error)).test_client()
    for path in ("/v1/search", "/fi/feedback/", "/readyz"):
        response = client.get(path)
        assert response.status_code == 503 and response.headers["Retry-After"], path


def test_ids_from_data_are_plain_tokens_and_stay_distinct():
    from api.html_ids import html_id

    assert html_id("spark-feedback_closed_share") == "spark-feedback_closed_share"  # plain ids stay readable
    assert html_id("chart-171") == "chart-171"
    odd = [html_id(v) for v in ('dist-a"b', "dist-a<b", "dist-a b", "9", "", "\u202e\x00")]
    assert len(set(odd)) == len(odd)
    assert all(re.fullmatch(r"[a-z][a-z0-9_-]*", v) for v in odd)
