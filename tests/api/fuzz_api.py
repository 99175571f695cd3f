"""Fuzzing the API from its own OpenAPI document with schemathesis, over a small generated demo city.

Every operation, every parameter, positive and negative cases (values the document rules out must be
refused with a 4xx). Each answer is checked for: no server error, a documented status code, a documented
content type and headers, a body that matches the documented schema, and invalid input refused.

    python -m tests.api.fuzz_api --requests 10000      # what `make fuzz` runs; prints the count and failures

tests/api/test_fuzz_api.py runs the same with at least 1,000 requests in `make test`. The app is called
through its WSGI interface (no server); the data is a demo city of a few thousand events.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis.errors import HypothesisException
from schemathesis import checks as st_checks
from schemathesis.generation import GenerationMode

from api import create_app
from core.settings import load_settings
from ingest.demo_data import generate
from ingest.importer import append_events
from ingest.log import open_log
from ingest.worker import Worker
from search.index import open_index

st_checks.load_all_checks()
CHECKS = [
    check
    for check in st_checks.CHECKS.get_all()
    if check.__name__
    in (
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    )
]


@dataclass
class FuzzResult:
    requests: int = 0
    by_operation: Counter[str] = field(default_factory=Counter)
    server_errors: int = 0  # requests answered 5xx
    failed: int = 0  # requests that failed any check (server errors included)
    failures: list[str] = field(default_factory=list)  # one example of each kind, per operation

    @property
    def other_failures(self) -> int:
        return self.failed - self.server_errors

    def summary(self) -> str:
        lines = [
            f"{self.requests} generated requests over {len(self.by_operation)} operations: "
            f"{self.server_errors} server errors, {self.other_failures} other failed checks "
            "(schema, status code, content type, headers, invalid input accepted)"
        ]
        lines += [f"  {count:6d}  {name}" for name, count in sorted(self.by_operation.items())]
        lines += [f"FAILURE {failure}" for failure in self.failures[:50]]
        return "\n".join(lines)


def demo_city(folder: Path, events: int = 3000, seed: int = 7) -> Any:
    """A demo city in ``folder``, ingested and ready to serve; returns its settings."""
    demo = load_settings({}, data_dir=str(folder), base_url="http://mittari.test")
    log = open_log(demo)
    index = open_index(demo)
    try:
        append_events(log, ((f"demo#{i}", e) for i, e in enumerate(generate(events, seed=seed))))
        Worker(log, index, batch_size=demo.batch_size).run(until_caught_up=True)
    finally:
        index.close()
        log.close()
    return demo


def fuzz(app: Any, requests: int, seed_base: int = 0) -> FuzzResult:
    """Generate requests operation by operation, both modes, in rounds until at least ``requests`` were made."""
    schema = schemathesis.openapi.from_wsgi("/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    result = FuzzResult()
    per_operation = max(10, requests // (2 * len(operations)))
    round_ = 0
    while result.requests < requests:
        made = result.requests
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                _run(operation, mode, per_operation, seed_base * 1000 + round_, result)
        if result.requests == made:  # nothing more to generate
            break
        round_ += 1
    return result


def _run(operation: Any, mode: GenerationMode, examples: int, seed_value: int, result: FuzzResult) -> None:
    name = f"{operation.method.upper()} {operation.path}"
    seen: set[str] = set()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(generation_mode=mode))
    def one(case: Any) -> None:
        result.requests += 1
        result.by_operation[f"{name} ({mode.value})"] += 1
        try:
            case.call_and_validate(checks=CHECKS)
        except (Exception, BaseExceptionGroup) as exc:  # failed checks (a FailureGroup): recorded, generation goes on
            parts = list(getattr(exc, "exceptions", [exc]))
            if any(type(part).__name__ == "ServerError" for part in parts):
                result.server_errors += 1
            text = " ".join(str(exc).split())[:600]
            key = f"{name}: {sorted(type(part).__name__ for part in parts)}"
            if key not in seen:  # one example of each kind of failure per operation
                seen.add(key)
                result.failures.append(f"{name} ({mode.value}) {case.as_curl_command()[:400]}\n    {text}")
            result.failed += 1

    try:
        seed(seed_value)(one)()
    except HypothesisException:  # e.g. no negative value exists for an operation without parameters
        return


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=10_000, help="at least this many generated requests")
    parser.add_argument("--events", type=int, default=3000, help="events in the demo city")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        demo = demo_city(Path(folder), args.events)
        print(f"demo city of {args.events} events ready in {time.monotonic() - started:.1f} s", flush=True)
        started = time.monotonic()
        result = fuzz(create_app(demo), args.requests, args.seed)
        print(result.summary())
        print(f"{result.requests} requests in {time.monotonic() - started:.0f} s")
    return 1 if result.failed or result.requests < args.requests else 0


if __name__ == "__main__":
    sys.exit(main())
