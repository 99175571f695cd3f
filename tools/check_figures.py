"""Check Mittari's published feedback figures yourself, from the public API alone.

Standard library only and no import from Mittari, so anyone can read it in ten
minutes and run it against any city's Mittari:

    python tools/check_figures.py https://mittari.example.fi feedback_closed_share --service 171

It downloads the indicator's monthly cells, pages through every feedback item
the public search offers, reads each item's public record, recomputes every
month by the published definition and prints agreement cell by cell. Exit
status: 0 all public cells agree, 1 some cell disagrees, 2 usage or network error.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

# The API does not publish these yet (issue #12 asks for versioned definitions):
# they are the documented defaults of MITTARI_TIMEZONE and MITTARI_RESPONSE_TARGET_HOURS.
DEFAULT_TIMEZONE = "Europe/Helsinki"
DEFAULT_TARGET_HOURS = 120
TOLERANCE = 0.006  # published values are rounded to two decimals

Item = dict[str, Any]


def get_json(base: str, path: str, params: dict[str, Any] | None = None) -> Any:
    query = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v is not None})
    url = base.rstrip("/") + path + ("?" + query if query else "")
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 -- main() allows http(s) only
        return json.load(response)


def feedback_items(base: str, service: str | None, area: str | None) -> list[Item]:
    """Every public feedback item (following search cursors), each read in full for its response facts."""
    items: list[Item] = []
    params: dict[str, Any] = {"type": "feedback", "size": 100, "facets": "false", "service": service, "area": area}
    while True:
        page = get_json(base, "/v1/search", params)
        for summary in page["items"]:
            items.append(get_json(base, "/v1/feedback/" + urllib.parse.quote(summary["id"], safe="")))
        if not page.get("next_cursor"):
            return items
        params["cursor"] = page["next_cursor"]


def median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def p90(values: list[float]) -> float:
    """Nearest rank: the smallest value with at least 90 % of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def share(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


# Each definition takes one month's items and returns (value, n), as the README's indicator table says.
def response_times(items: list[Item]) -> list[float]:
    """Only answered items whose first response has an exact time count (approximate times are left out)."""
    return [i["first_response_hours"] for i in items if i.get("first_response_hours") is not None]


def on_time(items: list[Item], now: datetime, target: float) -> tuple[float | None, int]:
    judged = in_time = 0
    for item in items:
        hours = item.get("first_response_hours")
        if hours is not None:
            judged += 1
            in_time += hours <= target
        elif not item.get("responses"):  # unanswered: counts (as late) only once its target time has passed
            waited = (now - parse(item["received_at"])).total_seconds() / 3600
            judged += waited > target
    return share(in_time, judged), judged


def definitions(now: datetime, target: float) -> dict[str, Callable[[list[Item]], tuple[float | None, int]]]:
    def of(values: list[float], f: Callable[[list[float]], float]) -> tuple[float | None, int]:
        return (f(values) if values else None), len(values)

    return {
        "feedback_response_time_median": lambda items: of(response_times(items), median),
        "feedback_response_time_p90": lambda items: of(response_times(items), p90),
        "feedback_answered_on_time": lambda items: on_time(items, now, target),
        "feedback_closed_share": lambda items: (
            share(sum(i["status_open311"] == "closed" for i in items), len(items)),
            len(items),
        ),
        "feedback_reopened_share": lambda items: (
            share(sum(bool(i.get("reopened")) or i.get("recontacts", 0) > 0 for i in items), len(items)),
            len(items),
        ),
    }


def parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def check(
    code: str, cells: list[Item], by_month: dict[str, list[Item]], compute: Callable[..., Any]
) -> tuple[int, ...]:
    """Prints one line per published cell; returns (agreeing, mismatching, withheld)."""
    agree = wrong = withheld = 0
    for cell in cells:
        month = cell["period"]
        value, n = compute(by_month.get(month, []))
        mine = round(value, 2) if value is not None else None
        if cell.get("suppressed"):  # withheld cells publish no value (and maybe no n): nothing to compare
            withheld += 1
            verdict = "WITHHELD"
        elif cell["value"] is None or mine is None:
            verdict = "OK" if cell["value"] is None and mine is None and cell.get("n") == n else "MISMATCH"
        else:
            verdict = "OK" if abs(cell["value"] - mine) <= TOLERANCE and cell.get("n") == n else "MISMATCH"
        agree += verdict == "OK"
        wrong += verdict == "MISMATCH"
        print(f"{code}  {month}  published={cell.get('value')}  recomputed={mine}  n={cell.get('n')}/{n}  {verdict}")
    return agree, wrong, withheld


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="the city's Mittari, e.g. https://mittari.example.fi")
    parser.add_argument("indicators", nargs="+", help="feedback indicator codes, e.g. feedback_closed_share")
    parser.add_argument("--service", help="service code filter")
    parser.add_argument("--area", help="area filter")
    parser.add_argument("--timezone", default=DEFAULT_TIMEZONE, help="the city's time zone (months of receipt)")
    parser.add_argument("--target-hours", type=float, default=DEFAULT_TARGET_HOURS, help="response target")
    parser.add_argument("--now", help="ISO time the figures were computed at (default: now)")
    args = parser.parse_args(argv)
    try:
        tz = ZoneInfo(args.timezone)
        now = parse(args.now) if args.now else datetime.now(UTC)
    except (ValueError, KeyError) as exc:
        print(f"bad --timezone or --now: {exc}", file=sys.stderr)
        return 2
    if urllib.parse.urlsplit(args.base_url).scheme not in ("http", "https"):
        print("base_url must start with http:// or https://", file=sys.stderr)
        return 2
    rules = definitions(now, args.target_hours)
    unknown = [code for code in args.indicators if code not in rules]
    if unknown:
        print(f"cannot check {', '.join(unknown)}: only {', '.join(rules)}", file=sys.stderr)
        return 2
    filters = {"service": args.service, "area": args.area}
    try:
        published = {code: get_json(args.base_url, f"/v1/indicators/{code}", filters) for code in args.indicators}
        items = feedback_items(args.base_url, args.service, args.area)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        print(f"cannot read {args.base_url}: {exc}", file=sys.stderr)
        return 2
    # The definition groups items by the month they were received, in the city's time zone.
    by_month: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        if (args.service and item.get("service_code") != args.service) or (args.area and item.get("area") != args.area):
            continue
        by_month[parse(item["received_at"]).astimezone(tz).strftime("%Y-%m")].append(item)
    totals = [0, 0, 0]
    for code in args.indicators:
        counts = check(code, published[code]["series"], by_month, rules[code])
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
    agree, wrong, withheld = totals
    print(f"{len(items)} items read; {agree} cells agree, {wrong} mismatch, {withheld} withheld (not checkable)")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
