"""HTTP caching (api/http_cache.py): every GET answer carries a weak ETag from the index generation and the
request and a Cache-Control by kind; If-None-Match (lists, *, weak comparison) gives 304 without a body and,
for a listed tag, without running the view; the tag changes when the index does."""

from __future__ import annotations

import pytest

from tests.builders import T0, feedback_item
from tests.conftest import ingest

READS = (
    "/v1/search?q=katuvalo",
    "/v1/search?q=katuvalo&format=csv",
    "/v1/feedback/fb-01",
    "/v1/initiatives",
    "/v1/indicators",
    "/v1/indicators/feedback_response_time_median",
    "/v1/catalog",
    "/fi/",
    "/sv/feedback/",
    "/en/indicators/feedback_response_time_median",
    "/fi/feeds/decisions.atom",
)


def tag_of(response):
    tag = response.headers["ETag"]
    assert tag.startswith('W/"') and tag.endswith('"'), tag
    return tag


@pytest.mark.parametrize("path", READS)
def test_every_successful_read_has_a_weak_tag_and_a_lifetime(client, path):
    response = client.get(path)
    assert response.status_code == 200
    tag_of(response)
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    again = client.get(path, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == response.headers["ETag"]
    assert again.headers["Cache-Control"] == response.headers["Cache-Control"]
    assert "Content-Type" not in again.headers


def test_cache_control_by_kind_of_answer(client):
    assert client.get("/v1/search").headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/fi/").headers["Cache-Control"] == "public, max-age=60"
    assert client.get("/fi/feeds/decisions.atom").headers["Cache-Control"] == "public, max-age=300"
    assert client.get("/v1/openapi.json").headers["Cache-Control"] == "public, max-age=3600"
    assert client.get("/v1/search?size=x").headers["Cache-Control"] == "public, max-age=10"
    assert client.get("/v1/feedback/nobody").headers["Cache-Control"] == "public, max-age=10"
    for path in ("/healthz", "/readyz", "/v1/status"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        assert "ETag" not in response.headers
    assert client.post("/v1/search").headers["Cache-Control"] == "no-store"
    assert "ETag" not in client.get("/v1/feedback/nobody").headers


def test_a_store_that_cannot_answer_is_never_cached(client, monkeypatch):
    import sqlite3

    def unreachable(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(client.application.extensions["mittari"].index._index, "search", unreachable)
    response = client.get("/v1/search?q=katu")
    assert response.status_code == 503 and response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_vary_says_which_headers_change_the_answer(client):
    assert "Accept" in client.get("/v1/indicators").headers["Vary"]
    home = client.get("/", headers={"Accept-Language": "sv"})
    assert home.status_code == 302 and home.headers["Location"].endswith("/sv/")
    assert "Accept-Language" in home.headers["Vary"]


def test_the_tag_depends_on_the_request_not_on_how_it_is_spelled(client):
    one = tag_of(client.get("/v1/search?q=katuvalo&service=171"))
    assert tag_of(client.get("/v1/search?service=171&q=katuvalo")) == one  # parameter order
    assert tag_of(client.get("/v1/search?q=katuvalo&service=210")) != one
    assert tag_of(client.get("/v1/search?q=katuvalo&service=171&format=csv")) != one
    as_csv = client.get("/v1/search?q=katuvalo&service=171", headers={"Accept": "text/csv"})
    assert as_csv.mimetype == "text/csv" and tag_of(as_csv) != one  # the format by Accept
    assert tag_of(client.get("/fi/")) != tag_of(client.get("/sv/"))


def test_if_none_match_lists_weak_comparison_and_star(client):
    response = client.get("/v1/indicators")
    tag = response.headers["ETag"]
    opaque = tag[2:]  # the same tag written strong: the weak comparison of RFC 9110 still matches
    assert client.get("/v1/indicators", headers={"If-None-Match": f'"other", {tag}'}).status_code == 304
    assert client.get("/v1/indicators", headers={"If-None-Match": opaque}).status_code == 304
    assert client.get("/v1/indicators", headers={"If-None-Match": '"other", W/"else"'}).status_code == 200
    assert client.get("/v1/indicators", headers={"If-None-Match": "*"}).status_code == 304
    assert client.get("/v1/feedback/nobody", headers={"If-None-Match": "*"}).status_code == 404
    assert client.get("/v1/indicators", headers={"If-None-Match": "garbage, , W/"}).status_code == 200
    assert client.head("/v1/indicators", headers={"If-None-Match": tag}).status_code == 304


def test_a_matching_tag_is_answered_without_running_the_view(client, monkeypatch):
    tag = client.get("/v1/search?q=katuvalo").headers["ETag"]
    index = client.application.extensions["mittari"].index

    def fail(*args, **kwargs):
        raise AssertionError("the view ran")

    monkeypatch.setattr(index._index, "search", fail)
    assert client.get("/v1/search?q=katuvalo", headers={"If-None-Match": tag}).status_code == 304
    assert client.get("/v1/search?q=katuvalo&size=3").status_code >= 500  # a new request runs the view (and fails)


def test_the_generation_is_read_once_per_request(client, monkeypatch):
    reads: list[int] = []

    class Counting:
        """The index as the app reaches it, counting the app's own readings of the generation (the index's
        internal ones, e.g. its facet cache's key, are its own business and are not counted)."""

        def __init__(self, inner):
            self.inner = inner

        def generation(self):
            reads.append(1)
            return self.inner.generation()

        def __getattr__(self, name):
            return getattr(self.inner, name)

    wrapper = client.application.extensions["mittari"].index
    monkeypatch.setattr(wrapper, "_index", Counting(wrapper._index))
    # Once the figures' snapshot is read at this generation (building one reads the generation afresh
    # before and after its data, figures/indicators.py), a request reads it once, whatever it computes.
    for first, path in (
        ("/v1/indicators/feedback_closed_share", "/v1/indicators/feedback_response_time_median"),
        ("/sv/", "/fi/"),
        ("/v1/status?", "/v1/status"),
        ("/v1/search?q=valo", "/v1/search?q=katu"),
    ):
        client.get(first)
        reads.clear()
        assert client.get(path).status_code == 200, path
        assert len(reads) == 1, path


def test_a_write_to_the_index_changes_the_tag(client, log, worker):
    paths = ("/v1/search?q=katuvalo", "/v1/indicators/feedback_response_time_median", "/fi/")
    before = {path: client.get(path).headers["ETag"] for path in paths}
    for path, tag in before.items():
        assert client.get(path, headers={"If-None-Match": tag}).status_code == 304
    ingest(log, worker, feedback_item("fb-new", T0, respond_hours=5, service="171", text="Katuvalo taas rikki"))
    for path, tag in before.items():
        fresh = client.get(path, headers={"If-None-Match": tag})
        assert fresh.status_code == 200, path
        assert fresh.headers["ETag"] != tag
        assert client.get(path, headers={"If-None-Match": fresh.headers["ETag"]}).status_code == 304


def test_the_hour_is_part_of_the_tag(client, clock):
    """Figures move with time alone (days waiting, late unanswered items, months becoming final): a tag
    holds within the hour and not past it."""
    now = clock.now()
    clock.advance(3600 - now.minute * 60 - now.second - 2)  # two seconds before the next full hour
    tag = client.get("/v1/initiatives").headers["ETag"]
    assert client.get("/v1/initiatives", headers={"If-None-Match": tag}).status_code == 304
    clock.advance(3)
    assert client.get("/v1/initiatives", headers={"If-None-Match": tag}).status_code == 200


def test_scripts_in_browsers_may_read_the_tag(client):
    assert "ETag" in client.get("/v1/search").headers["Access-Control-Expose-Headers"]


# --- the worker's store of answers (api/response_cache.py) ---------------------------------------------
def test_an_identical_get_is_sent_again_from_the_store_without_the_view(client, monkeypatch):
    first = client.get("/v1/indicators/feedback_response_time_median?service=171")
    assert first.status_code == 200 and first.headers["X-Mittari-Cache"] == "miss"
    index = client.application.extensions["mittari"].index._index

    def fail(*args, **kwargs):
        raise AssertionError("the view ran")

    for name in ("search", "get", "scan", "facts", "stats"):
        if hasattr(index, name):
            monkeypatch.setattr(index, name, fail)
    indicators = client.application.extensions["mittari"].indicators
    monkeypatch.setattr(indicators, "detail", fail)
    again = client.get("/v1/indicators/feedback_response_time_median?service=171")
    assert again.status_code == 200 and again.headers["X-Mittari-Cache"] == "hit"
    assert again.get_data() == first.get_data()
    for name in ("Content-Type", "ETag", "Cache-Control", "Vary", "Content-Security-Policy"):
        assert again.headers[name] == first.headers[name], name
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]  # per request, never stored
    star = client.get("/v1/indicators/feedback_response_time_median?service=171", headers={"If-None-Match": "*"})
    assert star.status_code == 304


def test_errors_and_live_answers_are_not_stored(client):
    for path in ("/v1/feedback/nobody", "/v1/search?size=x", "/v1/status", "/healthz"):
        client.get(path)
        assert "X-Mittari-Cache" not in client.get(path).headers, path


def test_a_write_to_the_index_empties_the_store(client, log, worker):
    path = "/v1/search?q=katuvalo"
    before = client.get(path)
    assert client.get(path).headers["X-Mittari-Cache"] == "hit"
    ingest(log, worker, feedback_item("fb-new", T0, respond_hours=5, service="171", text="Katuvalo taas rikki"))
    after = client.get(path)
    assert after.headers["X-Mittari-Cache"] == "miss"
    assert after.json["total"] == before.json["total"] + 1
    assert len(client.application.extensions["mittari_responses"]) >= 1


def test_the_store_is_bounded_and_follows_the_generation():
    from api.response_cache import ResponseCache, Stored

    def answer(size):
        return Stored(200, (("Content-Type", "application/json"),), b"x" * size)

    store = ResponseCache(max_bytes=100, max_entry_bytes=60)
    store.put("a", "1", answer(40))  # no generation seen yet: nothing is stored before a get
    assert store.get("a", "1") is None
    store.put("a", "1", answer(40))
    store.put("b", "1", answer(40))
    assert store.get("a", "1") is not None  # a is now the most recently used
    store.put("c", "1", answer(40))  # over 100 bytes: the least recently used (b) goes
    assert store.get("b", "1") is None and store.get("a", "1") and store.get("c", "1")
    assert store.size == 80
    store.put("d", "1", answer(61))  # bigger than one entry may be
    assert store.get("d", "1") is None
    assert store.get("a", "2") is None and len(store) == 0  # a new generation drops everything
    store.put("a", "1", answer(10))  # computed from the replaced generation: not stored
    assert len(store) == 0


def test_a_store_of_no_bytes_stores_nothing(settings, clock, populated):
    from api import create_app

    client = create_app(settings.with_overrides(response_cache_bytes=0), clock=clock).test_client()
    for _ in range(2):
        response = client.get("/v1/indicators")
        assert response.status_code == 200 and response.headers["X-Mittari-Cache"] == "miss"


def test_the_store_size_is_a_setting_that_refuses_negative_bytes():
    from core.errors import ConfigError
    from core.settings import load_settings

    assert load_settings({"MITTARI_RESPONSE_CACHE_BYTES": "0"}).response_cache_bytes == 0
    with pytest.raises(ConfigError, match="MITTARI_RESPONSE_CACHE_BYTES"):
        load_settings({"MITTARI_RESPONSE_CACHE_BYTES": "-1"})


def test_the_openapi_document_names_the_cache_headers_and_304(client):
    spec = client.get("/v1/openapi.json").json
    for path in ("/v1/search", "/v1/indicators/{code}"):
        responses = spec["paths"][path]["get"]["responses"]
        assert {"ETag", "Cache-Control"} <= set(responses["200"]["headers"])
        assert "304" in responses


def test_a_new_release_changes_every_tag_even_with_the_same_version_number(tmp_path):
    from api.http_cache import _code_version

    (tmp_path / "api" / "templates").mkdir(parents=True)
    (tmp_path / "api" / "views.py").write_text("x = 1\n")
    (tmp_path / "api" / "templates" / "page.html").write_text("<p>{{ x }}</p>")
    before = _code_version(tmp_path)
    (tmp_path / "api" / "views.cpython-311.pyc").write_bytes(b"compiled")  # not code that shapes an answer
    assert _code_version(tmp_path) == before
    (tmp_path / "api" / "templates" / "page.html").write_text("<p>{{ x }}!</p>")
    assert _code_version(tmp_path) != before
