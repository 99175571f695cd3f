"""``mittari bench api``: Mittari's API under an open-loop load (api/load.py) at fixed rates, served as it is deployed
(``mittari serve`` under gunicorn, in a child process) or at a given ``--url``; optionally CKAN's
``datastore_search`` on the same indicator tables, and the ratio of the rates each sustains.

Each endpoint group is measured on its own at each rate (``search``: ``/v1/search?q=…`` over words taken from
the indexed corpus, with and without the filters, sorts and page sizes readers use, never the same search twice;
``indicators``: ``/v1/indicators/<code>`` over every indicator; ``pages``: the indicator
pages), so a figure says what that endpoint holds. No request carries ``If-None-Match``: every answer is computed
and sent whole, the worst case for the server (a proxy or client that revalidates gets ``304`` for less).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from api.load import IDLE_SECONDS, StepResult, run, sustainable
from core.settings import Settings

ENDPOINTS = ("search", "indicators", "pages")
#: the aim of issue #11: what "holds" means when stepping the rate
P99_BOUND_MS = 50.0
WORDS = re.compile(r"[^\W\d_]{4,}")


@dataclass(frozen=True)
class Server:
    """How ``mittari serve`` is run for the benchmark."""

    workers: int
    worker_class: str
    threads: int

    def label(self) -> str:
        threads = f" × {self.threads} threads" if self.worker_class == "gthread" else ""
        return f"{self.worker_class}, {self.workers} workers{threads}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get_json(url: str, timeout: float = 30) -> Any:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback or the operator's URL
        return json.loads(response.read())


def _child_env(settings: Settings) -> dict[str, str]:
    return {
        **os.environ,
        "MITTARI_DATA_DIR": str(settings.data_dir),
        "MITTARI_EVENT_LOG": settings.event_log,
        "MITTARI_SEARCH": settings.search,
        "MITTARI_NAMESPACE": settings.namespace,
        "MITTARI_LOG_LEVEL": settings.log_level,
        "MITTARI_RESPONSE_CACHE_BYTES": str(settings.response_cache_bytes),
    }


@contextmanager
def served(settings: Settings, server: Server) -> Iterator[tuple[str, int]]:
    """``mittari serve`` in a child process on a free loopback port; yields its URL and pid, stops it after."""
    port = _free_port()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: still stop the server (finally below)
    command = [
        sys.executable,
        "-c",
        "from mittari import main; main()",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(server.workers),
        "--worker-class",
        server.worker_class,
        "--threads",
        str(server.threads),
    ]
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and command
        command, env=_child_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                _get_json(f"{url}/readyz", timeout=2)
                break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"mittari serve did not start ({server.label()}), exit {child.poll()}") from None
                time.sleep(0.2)
        _settle(child.pid)
        yield url, child.pid
    finally:
        child.terminate()
        try:
            child.wait(timeout=30)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _settle(pid: int, idle: float = 0.1, most: float = 60) -> None:
    """Wait until the server is idle (under ``idle`` of a core for half a second): each worker's cache warmer
    computes the figures once at start, which is not what a steady load measures."""
    deadline = time.monotonic() + most
    while time.monotonic() < deadline:
        before = _process_tree_cpu(pid)
        time.sleep(0.5)
        if _process_tree_cpu(pid) - before < idle * 0.5:
            return


def _process_tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) of a process and its children so far, from /proc (0 where there is none)."""
    total, todo = 0.0, [pid]
    tick = os.sysconf("SC_CLK_TCK")
    while todo:
        current = todo.pop()
        try:
            stat = Path(f"/proc/{current}/stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return total


#: different searches to send: more than a whole group of steps asks for (100, 200 and 300/s for 10 s each, with
#: their 1-second warm-ups: 6,600 requests), so no search is sent twice and every one is computed: none can be
#: answered from a worker's store of answers, nor from the index's facet counts of an earlier search
SEARCHES = 20_000
#: page sizes readers choose (the API's default first, so it stays the most common)
SIZES = (20, 20, 20, 10, 50)


def request_paths(url: str, seed: int = 11) -> dict[str, list[str]]:
    """The varied requests of each endpoint group, taken from the served instance itself.

    Searches are written as readers use the search page: one word of the indexed texts, or two words of one
    item (so most find something), alone or narrowed by that item's own facet values (type, status, service,
    area, as a reader clicks a facet), sometimes sorted by date or with another page size. Each search differs
    from every other in its words or filters, not only in sort or size, so none repeats a facet count."""
    items = []
    for item_type in ("feedback", "decision", "initiative", "meeting"):
        for sort in ("newest", "oldest"):
            items += _get_json(f"{url}/v1/search?type={item_type}&sort={sort}&size=100&facets=false")["items"]
    counts: Counter[str] = Counter()
    texts: list[tuple[list[str], dict[str, str]]] = []
    for item in items:
        text = f"{item.get('title') or ''} {item.get('excerpt') or ''}"  # what a reader reads, not codes or URLs
        found = sorted({w.lower() for w in WORDS.findall(text)})
        counts.update(found)
        filters = {"type": item["type"], "status": item.get("status"), "service": item.get("service_code")}
        filters["area"] = item.get("area")
        if found:
            texts.append((found, {k: v for k, v in filters.items() if v}))
    codes = [i["code"] for i in _get_json(f"{url}/v1/indicators")["items"]]
    if not texts or not codes:
        raise SystemExit(f"{url} has no documents or indicators: run `mittari demo --no-serve` first")
    draw = random.Random(seed)  # noqa: S311 - a reproducible sample, not a secret
    searches: dict[tuple[Any, ...], str] = {}
    for _ in range(SEARCHES * 20):
        if len(searches) >= SEARCHES:
            break
        words, facets = draw.choice(texts)
        q = " ".join(sorted(draw.sample(words, min(len(words), draw.choice((1, 2))))))
        chosen = {k: v for k, v in facets.items() if draw.random() < 0.3}
        key = (q, *sorted(chosen.items()))
        if key in searches:
            continue
        params = {"q": q, **chosen}
        if draw.random() < 0.25:
            params["sort"] = draw.choice(("newest", "oldest"))
        if (size := draw.choice(SIZES)) != 20:
            params["size"] = str(size)
        searches[key] = "/v1/search?" + urlencode(params, quote_via=quote)
    return {
        "search": list(searches.values()),
        "indicators": [f"/v1/indicators/{c}" for c in codes],
        "pages": [f"/{lang}/indicators/{c}" for c in codes for lang in ("fi", "sv", "en")],
    }


def ckan_paths(settings: Settings, codes: Sequence[str]) -> tuple[str, list[str]]:
    """CKAN's URL and one ``datastore_search`` per published indicator table (``mittari publish --target ckan``)."""
    from figures.datasets import dataset_name

    base = (settings.ckan_url or _development_ckan_url()).rstrip("/")
    if not base:
        raise SystemExit("no CKAN: set MITTARI_CKAN_URL or start the local one (deploy/local/services.sh start ckan)")
    paths = []
    for code in codes:
        name = dataset_name(settings.namespace, code)
        try:
            package = _get_json(f"{base}/api/3/action/package_show?id={quote(name)}")["result"]
        except OSError:
            continue
        for resource in package["resources"]:
            if resource.get("datastore_active"):
                paths.append(f"/api/3/action/datastore_search?resource_id={resource['id']}")
    if not paths:
        raise SystemExit(
            f"no DataStore tables of namespace {settings.namespace!r} in {base}: "
            f"run `MITTARI_NAMESPACE={settings.namespace} mittari publish --target ckan` on the same data first"
        )
    return base, paths


def _development_ckan_url() -> str:
    """The local CKAN's address from the file deploy/local/services.sh writes (only that line is read)."""
    env = Path("var/services/ckan/env")
    lines = env.read_text().splitlines() if env.exists() else []
    return next((line.split("=", 1)[1] for line in lines if line.startswith("MITTARI_CKAN_URL=")), "")


def _line(result: StepResult, server_cpu: float | None) -> str:
    errors = ", ".join(f"{k}: {v}" for k, v in sorted(result.errors.items())) or "0"
    cpu = f"{server_cpu * 100:6.0f}%" if server_cpu is not None else "      –"
    stored = f"{result.stored / result.ok * 100:.0f}%" if result.ok else "–"
    return (
        f"{result.name:12} {result.rate:7.0f} {result.achieved:9.1f} {result.median:8.1f} {result.percentile(95):8.1f} "
        f"{result.percentile(99):8.1f} {result.client_cpu * 100:7.1f}% {cpu} {stored:>7} {result.retried:8}  {errors}"
    )


HEADER = (
    f"{'endpoint':12} {'rate/s':>7} {'achieved':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'client':>8} "
    f"{'server':>7} {'stored':>7} {'retried':>8}  errors"
)


def _measure(
    url: str, pid: int | None, name: str, paths: Sequence[str], duration: float, echo: Callable[[str], None]
) -> Callable[[float], StepResult]:
    offset = 0  # each step goes on through the requests where the last one stopped

    def measure(rate: float) -> StepResult:
        nonlocal offset
        if pid:
            _settle(pid)  # requests a late step left queued in the server must not slow this one
        else:
            time.sleep(2)
        before, started = (_process_tree_cpu(pid), time.perf_counter()) if pid else (0.0, 0.0)
        result = run(url, name, paths, rate, duration, offset=offset)
        offset = result.next_offset
        server_cpu = (_process_tree_cpu(pid) - before) / (time.perf_counter() - started) if pid else None
        echo(_line(result, server_cpu))
        return result

    return measure


def bench_api(
    settings: Settings,
    rates: Sequence[float],
    duration: float,
    echo: Callable[[str], None],
    *,
    server: Server,
    url: str | None = None,
    endpoints: Sequence[str] = ("search", "indicators"),
    ckan: bool = False,
    ckan_rate: float = 5.0,
    find: bool = False,
    p99_bound: float = P99_BOUND_MS,
) -> dict[str, Any]:
    """Print one line per endpoint and rate; with ``find`` (or ``ckan``), step each endpoint's rate up from the
    first given until p99 exceeds ``p99_bound`` ms or errors appear, and print the highest rate that held."""
    figures: dict[str, Any] = {}
    with _target(settings, server, url) as (base, pid):
        echo(f"Mittari at {base}" + ("" if url else f" ({server.label()}; data: {settings.search})"))
        echo("latency from each request's scheduled send time (open loop); client and server: CPU in % of one core;")
        echo("stored: answers the server sent again from its store of answers (X-Mittari-Cache: hit);")
        echo(
            "retried: GETs sent again on a fresh connection when a reused one closed unanswered"
            f" (idle connections kept ≤ {IDLE_SECONDS:g} s)"
        )
        paths = request_paths(base)
        echo(", ".join(f"{name}: {len(paths[name])} different requests" for name in endpoints))
        if "search" in endpoints:
            asked = sum(round(r * (duration + 1)) for r in rates)
            repeat = "none repeats: every search is computed" if asked <= len(paths["search"]) else "some repeat"
            echo(f"search: {asked} requests in all steps over {len(paths['search'])} different searches ({repeat})")
        echo(HEADER)
        for name in endpoints:
            measure = _measure(base, pid, name, paths[name], duration, echo)
            if find or ckan:
                best, _ = sustainable(measure, rates[0], p99_bound)
                figures[name] = best
                echo(f"{name}: holds {best:.0f} requests/s (p99 ≤ {p99_bound:.0f} ms, no errors)")
            else:
                figures[name] = [measure(rate) for rate in rates]
        if ckan:
            codes = [p.rsplit("/", 1)[1] for p in paths["indicators"]]
            ckan_base, ckan_requests = ckan_paths(settings, codes)
            echo(f"CKAN at {ckan_base}: datastore_search on {len(ckan_requests)} indicator tables")
            echo(HEADER)
            ckan_measure = _measure(ckan_base, None, "ckan", ckan_requests, duration, echo)
            best, _ = sustainable(ckan_measure, ckan_rate, p99_bound)
            figures["ckan"] = best
            echo(f"ckan: holds {best:.0f} requests/s (p99 ≤ {p99_bound:.0f} ms, no errors)")
            if "indicators" in figures and best:
                ratio = figures["indicators"] / best
                echo(f"ratio Mittari /v1/indicators/<code> to CKAN datastore_search: {ratio:.1f}")
            elif "indicators" in figures:
                echo(f"CKAN held none of the rates from {ckan_rate:g}/s: try a lower --ckan-rate")
    return figures


@contextmanager
def _target(settings: Settings, server: Server, url: str | None) -> Iterator[tuple[str, int | None]]:
    if url:
        yield url.rstrip("/"), None
        return
    from search.index import open_index

    index = open_index(settings, readonly=True)
    try:
        documents = sum(index.stats()["documents"].values())
    finally:
        index.close()
    if not documents:
        raise SystemExit(f"no documents in {settings.search}: run `mittari demo --no-serve` first")
    with served(settings, server) as (base, pid):
        yield base, pid
