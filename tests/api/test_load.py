"""The open-loop load generator (api/load.py) and `mittari bench api` against small local servers: requests leave
on schedule whatever the server does, queueing shows in the latencies, errors are counted, and the command prints
a line per endpoint and rate."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from urllib.request import urlopen
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest

from api import load
from api.load import StepResult, run, sustainable


def handler(
    delay: float, status: int = 200, chunked: bool = False, close: bool = False
) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            time.sleep(delay)
            body = b'{"ok": true}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if close:  # one connection at a time on a single-threaded server: each request queues on its own
                self.send_header("Connection", "close")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for part in (body[:5], body[5:]):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send_header("Content-Length", str(len(body)))
                self.send_header("X-Mittari-Cache", "hit" if self.path.endswith("stored") else "miss")
                self.end_headers()
                self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def serving(server_class: type[HTTPServer], handler_class: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    server = server_class(("127.0.0.1", 0), handler_class)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_fast_server_gets_every_request_on_schedule():
    with serving(ThreadingHTTPServer, handler(0.0)) as url:
        result = run(url, "fast", ["/a", "/b-stored"], rate=50, duration=1.0, warmup=0.2)
    assert result.sent == 50 and result.ok == 50 and not result.errors
    assert result.stored == 25  # the server's X-Mittari-Cache: hit, counted
    assert result.achieved > 40
    assert result.percentile(99) < 1000  # generous: a functional check on a shared machine, not a benchmark


def test_a_server_slower_than_the_rate_shows_its_queue_in_the_latencies():
    """One request at a time, 50 ms each: at 40/s it keeps up with 20/s only, and the open loop keeps sending,
    so the wait for the server grows through the run (a closed loop would have slowed down instead)."""
    with serving(HTTPServer, handler(0.05, close=True)) as url:
        result = run(url, "slow", ["/a"], rate=40, duration=1.0, warmup=0)
    assert result.sent == 40  # the schedule did not wait for the answers
    assert result.percentile(99) > 500 > result.percentile(1)
    assert result.achieved < 30
    assert not result.holds(50)


def test_errors_and_chunked_bodies():
    with serving(ThreadingHTTPServer, handler(0.0, status=503)) as url:
        failing = run(url, "failing", ["/a"], rate=20, duration=0.5, warmup=0)
    assert failing.ok == 0 and failing.errors == {"503": 10}
    with serving(ThreadingHTTPServer, handler(0.0, chunked=True)) as url:
        chunked = run(url, "chunked", ["/a"], rate=20, duration=0.5, warmup=0)
    assert chunked.ok == 10 and not chunked.errors
    refused = run("http://127.0.0.1:9", "nothing", ["/a"], rate=10, duration=0.3, warmup=0)
    assert refused.ok == 0 and sum(refused.errors.values()) == 3


def test_a_request_later_than_the_timeout_is_an_error(monkeypatch):
    monkeypatch.setattr(load, "TIMEOUT_SECONDS", 0.2)
    with serving(HTTPServer, handler(0.15, close=True)) as url:
        result = run(url, "late", ["/a"], rate=20, duration=0.5, warmup=0)
    assert result.errors.get("timeout", 0) >= 5 and result.ok >= 1


def test_percentiles_are_nearest_rank():
    result = StepResult("x", 1, 1, latencies=[float(v) for v in range(1, 101)])
    assert (result.percentile(50), result.percentile(99), result.percentile(100)) == (50.0, 99.0, 100.0)


def test_the_sustainable_rate_is_the_last_step_that_held():
    def measure(rate: float) -> StepResult:
        step = StepResult("x", rate, 1, latencies=[10.0 if rate <= 120 else 80.0] * int(rate), wall=1.0)
        return step

    best, steps = sustainable(measure, 50, p99_ms=50)
    assert best == 112 and [s.rate for s in steps] == [50, 75, 112, 168]
    assert sustainable(lambda rate: StepResult("x", rate, 1, errors={"503": 1}), 50, 50)[0] == 0


class Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served_app(populated, app_for) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app_for(), handler_class=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_bench_api_against_a_served_app(served_app, runner):
    from mittari import cli

    done = runner.invoke(
        cli,
        ["bench", "api", "--url", served_app, "--rate", "20", "--duration", "1", "--endpoint", "indicators"],
    )
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert any(line.startswith("endpoint") and "p99 ms" in line for line in lines)
    (row,) = [line for line in lines if line.split()[0] == "indicators"]
    assert row.split()[1] == "20" and row.rstrip().endswith(" 0")  # the rate, and no errors
    bad = runner.invoke(cli, ["bench", "api", "--url", served_app, "--rate", "fast"])
    assert bad.exit_code != 0 and "--rate" in bad.output


def idle_closing_handler(idle: float, cut_second_answer: bool = False) -> type[BaseHTTPRequestHandler]:
    """Keep-alive like gunicorn: a connection idle longer than ``idle`` seconds is closed by the server. With
    ``cut_second_answer``, the server's second request (on a reused connection) gets its headers and part of its
    body, then a close."""
    served = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        timeout = idle  # the socket's read timeout: an idle keep-alive connection is closed after it

        def do_GET(self) -> None:
            served[0] += 1
            body = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if cut_second_answer and served[0] == 2:
                self.wfile.write(body[:4])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


def test_a_reused_connection_the_server_closed_is_retried_once_on_a_fresh_one_and_counted():
    async def two_gets(url: str, idle_seconds: float) -> tuple[list[int], load.Client, int]:
        client = load.Client(url, idle_seconds=idle_seconds)
        first = (await client.get("/a"))[0]
        await asyncio.sleep(0.4)  # the server has closed the idle connection by now
        pooled = len(client.idle)
        second = (await client.get("/b"))[0]
        client.close()
        return [first, second], client, pooled

    with serving(ThreadingHTTPServer, idle_closing_handler(0.1)) as url:
        statuses, client, pooled = asyncio.run(two_gets(url, idle_seconds=60))
        assert statuses == [200, 200] and pooled == 1 and client.retries == 1
        # a pool that drops connections idle longer than the server keeps them never meets the close at all
        statuses, client, _ = asyncio.run(two_gets(url, idle_seconds=0.2))
        assert statuses == [200, 200] and client.retries == 0


def test_retries_are_reported_per_step_and_other_failures_stay_errors(monkeypatch):
    monkeypatch.setattr(load, "IDLE_SECONDS", 60.0)
    # 2/s: every connection waits 0.5 s between requests, longer than the server keeps it: each reuse is retried
    with serving(ThreadingHTTPServer, idle_closing_handler(0.1)) as url:
        result = run(url, "idle", ["/a"], rate=2, duration=2.0, warmup=0)
    assert result.ok == 4 and not result.errors and result.retried == 3
    # an answer cut short on a reused connection is an error, not retried: bytes of it had arrived
    with serving(ThreadingHTTPServer, idle_closing_handler(5, cut_second_answer=True)) as url:
        cut = run(url, "cut", ["/a"], rate=5, duration=1.0, warmup=0)
    assert cut.errors == {"IncompleteReadError": 1} and cut.retried == 0 and cut.ok == 4


def test_a_fresh_connection_closed_before_answering_is_an_error_not_a_retry():
    class Closing(BaseHTTPRequestHandler):
        def handle(self) -> None:
            self.rfile.readline()  # the request line, then close without a byte of answer

    with serving(ThreadingHTTPServer, Closing) as url:
        result = run(url, "closing", ["/a"], rate=10, duration=0.3, warmup=0)
    assert result.ok == 0 and result.retried == 0 and result.errors == {"Unanswered": 3}


def test_the_benchmark_searches_never_repeat_and_use_the_filters_readers_use(served_app):
    from urllib.parse import parse_qsl, urlsplit

    from api.bench_api import request_paths

    searches = request_paths(served_app)["search"]
    parsed = [dict(parse_qsl(urlsplit(p).query)) for p in searches]
    assert all(p.startswith("/v1/search?q=") for p in searches)
    # no two alike in words and filters (sort and size alone would find the same facet counts already counted)
    keys = [tuple(sorted((k, v) for k, v in args.items() if k not in ("sort", "size"))) for args in parsed]
    assert len(set(keys)) == len(keys)
    used = {name for args in parsed for name in args}
    assert {"q", "type", "status", "service", "area", "sort", "size"} <= used, used
    with urlopen(served_app + searches[0]) as answer:  # a search as sent finds what it was made from
        assert json.loads(answer.read())["total"] >= 1
