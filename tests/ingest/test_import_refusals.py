"""Importers refuse per record (one malformed request never aborts an import) and read URLs within bounds."""

import http.server
import json
import threading
import time
from collections.abc import Iterator

import pytest

from ingest.jsonl import import_jsonl
from ingest.open311 import SourceRefused, import_open311, read_source
from tests.builders import T0, received

GOOD = {
    "service_request_id": "ok-1",
    "service_code": "1",
    "description": "Reikä tiessä",
    "requested_datetime": "2026-01-05T10:00:00+02:00",
    "status": "open",
}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"extended_attributes": "PROCESSED"}, "extended_attributes is a str"),
        ({"extended_attributes": ["PROCESSED"]}, "extended_attributes is a list"),
        ({"extended_attributes": {"tasks": "none"}}, "tasks is not a list"),
        ({"extended_attributes": {"tasks": [1, 2]}}, "tasks is not a list of objects"),
        ({"media_urls": "http://example.org/a.jpg"}, "media_urls is a str"),
        ({"requested_datetime": "0001-01-01T00:00:00+05:00"}, "OverflowError"),
        ({"requested_datetime": ["2026-01-05"]}, "requested_datetime"),
    ],
    ids=["ext-str", "ext-list", "tasks-str", "tasks-ints", "media-str", "year-1", "time-list"],
)
def test_one_malformed_request_is_refused_and_the_import_goes_on(log, tmp_path, bad, reason):
    records = [GOOD, {**GOOD, "service_request_id": "bad", **bad}, {**GOOD, "service_request_id": "ok-2"}]
    path = tmp_path / "requests.json"
    path.write_text(json.dumps(records))
    report = import_open311(log, str(path), source="x")
    assert report.records == 3 and report.refused == 1 and report.appended == 2
    (letter,) = log.dead_letters()
    assert reason in letter.reason
    assert letter.origin.endswith("#2")


def test_a_huge_coordinate_is_treated_as_no_location(log, tmp_path):
    path = tmp_path / "requests.json"
    path.write_text(
        '[{"service_request_id": "n", "service_code": "1", "description": "x", '
        '"requested_datetime": "2026-01-05T10:00:00Z", "lat": ' + "9" * 4000 + ', "long": 1}]'
    )
    report = import_open311(log, str(path), source="x")
    assert report.appended == 1 and report.refused == 0


def test_a_deeply_nested_requests_file_is_refused_with_a_reason(log, tmp_path):
    path = tmp_path / "requests.json"
    path.write_bytes(b"[" * 50_000 + b"]" * 50_000)
    report = import_open311(log, str(path), source="x")
    assert report.refused == 1 and report.appended == 0
    assert "nested more than" in log.dead_letters()[0].reason


def test_jsonl_refuses_deep_and_huge_lines_and_keeps_the_rest(log, tmp_path):
    lines = [
        json.dumps(received("fb-1", T0)).encode(),
        b"[" * 5000 + b"]" * 5000,
        b'{"event_id": ' + b"7" * 5000 + b"}",
        json.dumps({**received("fb-2", T0), "occurred_at": "9999-12-31T23:59:00-05:00"}).encode(),
        json.dumps(received("fb-3", T0)).encode(),
    ]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = import_jsonl(log, path)
    assert report.records == 5 and report.appended == 2 and report.refused == 3
    reasons = " | ".join(d.reason for d in log.dead_letters())
    for expected in ("nested more than", "4300 digits", "out of range"):
        assert expected in reasons


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path == "/big":
            self.send_response(200)
            self.end_headers()  # no Content-Length: the cap must count what arrives
            for _ in range(40):
                self.wfile.write(b" " * 1024)
        elif self.path == "/big-declared":
            self.send_response(200)
            self.send_header("Content-Length", str(10**9))
            self.end_headers()
        elif self.path == "/slow":
            self.send_response(200)
            self.end_headers()
            for _ in range(30):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.1)
        elif self.path == "/to-ftp":  # urllib itself would follow this one (it refuses file://)
            self.send_response(302)
            self.send_header("Location", "ftp://127.0.0.1/requests.json")
            self.end_headers()
        elif self.path == "/to-ok":
            self.send_response(302)
            self.send_header("Location", "/ok")
            self.end_headers()
        else:
            body = json.dumps([GOOD]).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_url_import_follows_http_redirects(server, log):
    assert json.loads(read_source(f"{server}/to-ok")) == [GOOD]
    assert import_open311(log, f"{server}/to-ok", source="x").appended == 1


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/big", "sent more than 16384 bytes"),
        ("/big-declared", "announces 1000000000 bytes"),
        ("/slow", "took more than 1 s"),
        ("/to-ftp", "only http(s) redirects"),
    ],
)
def test_url_import_is_bounded(server, path, message):
    with pytest.raises(SourceRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_source(server + path, max_bytes=16 * 1024, time_limit=1)


def test_a_file_over_the_cap_is_refused(tmp_path):
    path = tmp_path / "big.json"
    path.write_bytes(b" " * 2048)
    with pytest.raises(SourceRefused, match="2048 bytes"):
        read_source(str(path), max_bytes=1024)


def test_the_import_command_reports_a_refused_source_and_appends_nothing(server, runner, tmp_path, monkeypatch):
    from core.settings import load_settings
    from ingest.log import open_log
    from mittari import cli

    monkeypatch.setenv("MITTARI_IMPORT_MAX_BYTES", "16384")
    data = tmp_path / "data"
    result = runner.invoke(cli, ["--data-dir", str(data), "import", "open311", f"{server}/big"])
    assert result.exit_code == 1
    assert "cannot import" in result.output and "sent more than 16384 bytes" in result.output
    log = open_log(load_settings({}, data_dir=str(data)))
    try:
        assert log.dead_letters() == [] and sum(log.end_offsets(["feedback"]).values()) == 0
    finally:
        log.close()
