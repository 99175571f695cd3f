"""An open-loop HTTP load generator for ``mittari bench api``: requests leave on a fixed schedule
whatever the answers do, and each latency counts from the *scheduled* send time.

Why open loop: a closed loop (N clients, each waiting for its answer before the next request) slows
down with the server, so a server that falls behind is asked less and its queue never shows in the
figures ("coordinated omission"). Here request ``i`` is due at ``start + i / rate``; if no connection
is free it waits for one, and that wait is part of its latency, as it would be for a real reader.

Why asyncio and not an external tool (vegeta, wrk2): the load must be cheap next to the server on the
same two cores, and at the rates that matter here (tens to a few hundred requests per second) a
single asyncio loop over keep-alive HTTP/1.1 connections costs a few per cent of one core, which
:func:`run` measures and prints (``client CPU``) with every step; no extra toolchain to install. The
client speaks just enough HTTP/1.1 (Content-Length and chunked bodies, keep-alive) and reads every
body to the end, so a response counts when its last byte arrives.

Keep-alive as a careful client does it: a server may close an idle connection at any moment (gunicorn after
its ``keepalive``, 5 s), and a request written on it just then is lost with no answer. So the pool drops
connections idle longer than :data:`IDLE_SECONDS` (below the server's keep-alive, as nginx does upstream),
and a GET that fails on a *reused* connection before any byte of its answer arrived is sent once more on a
fresh connection (a GET is idempotent: RFC 9110 §9.2.2, RFC 9112 §9.3.1). Each such retry is counted and
printed; every other failure (a fresh connection failing, an answer cut short) stays an error.
"""

from __future__ import annotations

import asyncio
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

#: an answer later than this after its scheduled send time is an error (a request still queued for a
#: connection counts too), so an overloaded step ends this long after its schedule does
TIMEOUT_SECONDS = 10.0
#: the most connections open at once: a server that falls behind meets more concurrent requests, up to this
MAX_CONNECTIONS = 64
#: an idle connection older than this is closed instead of reused: under gunicorn's keep-alive (5 s), as nginx's
#: upstream ``keepalive_timeout`` (4 s), so the server has not begun closing it
IDLE_SECONDS = 4.0


@dataclass
class StepResult:
    """One endpoint at one rate: latencies in ms (from the scheduled send time) and errors by kind."""

    name: str
    rate: float
    duration: float
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    next_offset: int = 0
    stored: int = 0  # answers the server sent from its store of answers (X-Mittari-Cache: hit)
    retried: int = 0  # GETs sent again on a fresh connection: the reused one closed before answering
    wall: float = 0.0
    client_cpu: float = 0.0

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def achieved(self) -> float:
        """Successful answers per second of the run (from the first send to the last answer)."""
        return self.ok / self.wall if self.wall else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)  # nearest rank
        return ordered[max(0, min(len(ordered), math.ceil(p / 100 * len(ordered))) - 1)]

    @property
    def median(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")

    def holds(self, p99_ms: float) -> bool:
        """The rate is sustained: no errors, p99 within the bound, and the answers kept up with the schedule."""
        return not self.errors and self.percentile(99) <= p99_ms and self.achieved >= 0.95 * self.rate


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.reused = False  # it has carried a whole exchange before
        self.idle_since = 0.0  # loop time it went back to the pool

    def close(self) -> None:
        self.writer.close()


class Unanswered(ConnectionResetError):
    """The connection closed or reset before any byte of the answer arrived."""


class Client:
    """Keep-alive HTTP/1.1 GETs to one host, over a pool of at most ``MAX_CONNECTIONS`` connections."""

    def __init__(
        self, base_url: str, max_connections: int = MAX_CONNECTIONS, idle_seconds: float = IDLE_SECONDS
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"only http:// URLs are supported: {base_url}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.prefix = parts.path.rstrip("/")
        self.idle: list[_Connection] = []
        self.slots = asyncio.Semaphore(max_connections)
        self.idle_seconds = idle_seconds
        self.retries = 0  # GETs sent again because a reused connection closed before answering

    async def get(self, path: str) -> tuple[int, bytes, dict[bytes, bytes]]:
        async with self.slots:
            connection = self._pooled() or await self._open()
            try:
                status, body, headers = await self._exchange(connection, path)
            except Unanswered:
                connection.close()
                if not connection.reused:
                    raise
                # the server closed an idle connection as we reused it: nothing was answered, so the GET is sent
                # once more on a fresh connection; a second failure is the server's
                self.retries += 1
                connection = await self._open()
                try:
                    status, body, headers = await self._exchange(connection, path)
                except BaseException:
                    connection.close()
                    raise
            except BaseException:  # cancelled (late), reset or unreadable: the connection is unusable
                connection.close()
                raise
            if headers.get(b"connection", b"").lower() != b"close":
                connection.reused = True
                connection.idle_since = asyncio.get_running_loop().time()
                self.idle.append(connection)
            else:
                connection.close()
            return status, body, headers

    def _pooled(self) -> _Connection | None:
        """The most recently used idle connection that is young enough; older ones are closed on the way."""
        now = asyncio.get_running_loop().time()
        while self.idle:
            connection = self.idle.pop()
            if now - connection.idle_since <= self.idle_seconds:
                return connection
            self.idle.append(connection)  # the newest is too old: so are all the others
            self.close()
        return None

    async def _open(self) -> _Connection:
        reader, writer = await asyncio.open_connection(self.host, self.port)
        return _Connection(reader, writer)

    async def _exchange(self, connection: _Connection, path: str) -> tuple[int, bytes, dict[bytes, bytes]]:
        request = (
            f"GET {self.prefix}{path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            "Accept: application/json\r\nUser-Agent: mittari-bench\r\n\r\n"
        )
        reader = connection.reader
        try:
            connection.writer.write(request.encode("ascii"))
            status_line = await reader.readline()
        except ConnectionError as exc:
            raise Unanswered(f"{type(exc).__name__} before answering") from exc
        if not status_line:
            raise Unanswered("closed before answering")
        version, status_text = status_line.split(b" ", 2)[:2]
        status = int(status_text)
        headers: dict[bytes, bytes] = {}
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if headers.get(b"transfer-encoding", b"").lower() == b"chunked":
            body = bytearray()
            while (size := int((await reader.readline()).split(b";")[0], 16)) > 0:
                body += await reader.readexactly(size + 2)
                del body[-2:]
            while await reader.readline() not in (b"\r\n", b"\n", b""):
                pass
        else:
            body = bytearray(await reader.readexactly(int(headers.get(b"content-length", b"0"))))
        if version != b"HTTP/1.1":  # an HTTP/1.0 answer closes unless it says keep-alive
            headers.setdefault(
                b"connection", b"keep-alive" if b"keep-alive" in headers.get(b"connection", b"") else b"close"
            )
        return status, bytes(body), headers

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


async def _step(
    client: Client, name: str, paths: Sequence[str], rate: float, duration: float, offset: int
) -> StepResult:
    result = StepResult(name, rate, duration)
    loop = asyncio.get_running_loop()
    count = max(1, int(rate * duration))
    tasks = []

    async def one(i: int, due: float) -> None:
        try:
            left = due + TIMEOUT_SECONDS - loop.time()
            status, _, headers = await asyncio.wait_for(client.get(paths[(offset + i) % len(paths)]), left)
        except TimeoutError:
            result.error("timeout")
            return
        except (OSError, ValueError, asyncio.IncompleteReadError) as exc:
            result.error(type(exc).__name__)
            return
        if status == 200:
            result.latencies.append((loop.time() - due) * 1000)
            result.stored += headers.get(b"x-mittari-cache") == b"hit"
        else:
            result.error(str(status))

    cpu_before, retries_before = time.process_time(), client.retries
    start = loop.time() + 0.05
    for i in range(count):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(i, due)))
        result.sent += 1
    await asyncio.gather(*tasks)
    result.retried = client.retries - retries_before
    result.wall = max(loop.time() - start, duration)
    result.client_cpu = (time.process_time() - cpu_before) / result.wall
    return result


def run(
    base_url: str,
    name: str,
    paths: Sequence[str],
    rate: float,
    duration: float,
    warmup: float = 1.0,
    offset: int = 0,
) -> StepResult:
    """Send ``paths`` round-robin from ``offset`` at ``rate`` per second for ``duration`` seconds (after a short
    warm-up at the same rate, not counted, which opens the connections); return what came back. The next
    unused offset is ``offset + result.sent + warm-up requests`` (``result.next_offset``)."""

    async def main() -> StepResult:
        client = Client(base_url)
        try:
            warm = max(1, int(rate * warmup)) if warmup > 0 else 0
            if warm:
                await _step(client, name, paths, rate, warmup, offset)
            result = await _step(client, name, paths, rate, duration, offset + warm)
            result.next_offset = offset + warm + result.sent
            return result
        finally:
            client.close()

    return asyncio.run(main())


def sustainable(
    measure: Callable[[float], StepResult], start: float, p99_ms: float, factor: float = 1.5, ceiling: float = 2000
) -> tuple[float, list[StepResult]]:
    """The highest rate of ``start * factor**k`` that holds (no errors, p99 ≤ ``p99_ms``, kept up), stepping up until
    one does not; 0 when even ``start`` does not hold."""
    steps, best, rate = [], 0.0, start
    while rate <= ceiling:
        result = measure(rate)
        steps.append(result)
        if not result.holds(p99_ms):
            break
        best = rate
        rate = round(rate * factor)
    return best, steps
