"""Check Mittari's published feedback figures yourself, from the public API alone.

Standard library only and no import from Mittari, so anyone can read it in ten
minutes and run it against any city's Mittari:

    python tools/check_figures.py https://mittari.example.fi                 # every feedback indicator
    python tools/check_figures.py https://mittari.example.fi feedback_closed_share --service 171

What it does, in order:

1. reads each indicator's answer: its monthly cells city-wide, the services and
   areas it is broken down by, and its recipe (the city's time zone, the
   response target and the moment the figures were computed at);
2. pages through every feedback item the public search offers and reads each
   item's public record (its received time, responses, status, service, area);
3. groups the items into cells as the definition says (month received in the
   city's time zone × city, service or area) and recomputes every value;
4. for each cell, asks the API which items it rests on
   (``/v1/indicators/<code>/cells``) and compares that list with its own;
5. prints one line per cell: OK, MISMATCH, or WITHHELD (a withheld cell
   publishes no value, so there is nothing to compare).

Exit status: 0 every public cell agrees, 1 some cell disagrees, 2 usage or
network error.
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

TOLERANCE = 0.006  # published values are rounded to two decimals

Item = dict[str, Any]
Rule = Callable[[list[Item]], tuple[float | None, int]]


# -- reading the public API ---------------------------------------------------------------------------------
def get_json(base: str, path: str, params: dict[str, Any] | None = None) -> Any:
    query = urllib.parse.urlencode({k: v for k, v in (params or {}).items() if v is not None})
    url = base.rstrip("/") + path + ("?" + query if query else "")
    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 -- main() allows http(s) only
        return json.load(response)


def feedback_items(base: str) -> list[Item]:
    """Every public feedback item (following search cursors), each read in full for its response facts."""
    items: list[Item] = []
    params: dict[str, Any] = {"type": "feedback", "size": 100, "facets": "false"}
    while True:
        page = get_json(base, "/v1/search", params)
        for summary in page["items"]:
            items.append(get_json(base, "/v1/feedback/" + urllib.parse.quote(summary["id"], safe="")))
        if not page.get("next_cursor"):
            return items
        params["cursor"] = page["next_cursor"]


def listed_ids(base: str, code: str, period: str, scope: dict[str, str]) -> set[str] | None:
    """The ids the API says a cell rests on; None when this Mittari does not publish them (older versions)."""
    ids: set[str] = set()
    params: dict[str, Any] = {"period": period, "size": 1000, **scope}
    while True:
        try:
            page = get_json(base, f"/v1/indicators/{code}/cells", params)
        except urllib.error.HTTPError as exc:
            if exc.code == 404 and not ids:
                return None
            raise
        ids.update(item["id"] for item in page["inputs"].get("items", []))
        if not page["inputs"].get("next_cursor"):
            return ids
        params["cursor"] = page["inputs"]["next_cursor"]


# -- the definitions, as the README's indicator table states them ----------------------------------------------
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


def definitions(now: datetime, target: float) -> dict[str, Rule]:
    """Each rule takes one cell's items and returns (value, n)."""

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


# -- comparing ------------------------------------------------------------------------------------------------
class Tally:
    def __init__(self) -> None:
        self.counts = {"OK": 0, "MISMATCH": 0, "WITHHELD": 0}

    def line(self, code: str, scope: str, month: str, cell: Item, value: float | None, n: int, ids_ok: bool) -> None:
        mine = round(value, 2) if value is not None else None
        if cell.get("suppressed"):  # a withheld cell publishes no value (and maybe no n): nothing to compare
            verdict = "WITHHELD"
        elif not ids_ok:
            verdict = "MISMATCH"
        elif cell["value"] is None or mine is None:
            verdict = "OK" if cell["value"] is None and mine is None and cell.get("n") == n else "MISMATCH"
        else:
            verdict = "OK" if abs(cell["value"] - mine) <= TOLERANCE and cell.get("n") == n else "MISMATCH"
        self.counts[verdict] += 1
        items_note = "" if ids_ok else "  items-listed-by-the-API-differ"
        print(
            f"{code}  {scope}  {month}  published={cell.get('value')}  recomputed={mine}  "
            f"n={cell.get('n')}/{n}{items_note}  {verdict}"
        )


Scope = tuple[str, str, dict[str, str]]  # (kind: city/service/area, key, query parameters)


def scopes(answer: Item, service: str | None, area: str | None) -> list[Scope]:
    """The scopes to check: as asked, or the city and every service and area the indicator is broken down by."""
    if service:
        return [("service", service, {"service": service})]
    if area:
        return [("area", area, {"area": area})]
    out: list[Scope] = [("city", "", {})]
    out += [("service", b["key"], {"service": b["key"]}) for b in answer["breakdown"]["service"]]
    out += [("area", b["key"], {"area": b["key"]}) for b in answer["breakdown"]["area"]]
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base_url", help="the city's Mittari, e.g. https://mittari.example.fi")
    parser.add_argument("indicators", nargs="*", help="feedback indicator codes (default: every one this checks)")
    parser.add_argument("--service", help="check this service only")
    parser.add_argument("--area", help="check this area only")
    parser.add_argument("--timezone", help="the city's time zone, if the API does not publish it")
    parser.add_argument("--target-hours", type=float, help="response target, if the API does not publish it")
    parser.add_argument("--now", help="ISO time the figures were computed at, if the API does not publish it")
    parser.add_argument("--no-ids", action="store_true", help="do not compare the items each cell lists")
    args = parser.parse_intermixed_args(argv)
    if urllib.parse.urlsplit(args.base_url).scheme not in ("http", "https"):
        print("base_url must start with http:// or https://", file=sys.stderr)
        return 2
    known = list(definitions(datetime.now(UTC), 0))
    codes = args.indicators or known
    unknown = [code for code in codes if code not in known]
    if unknown:
        print(f"cannot check {', '.join(unknown)}: only {', '.join(known)}", file=sys.stderr)
        return 2
    if args.timezone:
        try:
            ZoneInfo(args.timezone)
        except (ValueError, KeyError):
            print(f"unknown --timezone {args.timezone!r}", file=sys.stderr)
            return 2
    filters = {"service": args.service, "area": args.area}
    try:
        answers = {code: get_json(args.base_url, f"/v1/indicators/{code}", filters) for code in codes}
        # The recipe says how the figures were computed; a flag stands in for what an older API does not say.
        recipe = answers[codes[0]].get("recipe") or {}
        params = recipe.get("parameters") or {}
        tz = ZoneInfo(args.timezone or params.get("timezone") or "Europe/Helsinki")
        target = args.target_hours if args.target_hours is not None else params.get("response_target_hours", 120)
        computed = args.now or recipe.get("computed_at")
        now = parse(computed) if computed else datetime.now(UTC)
        items = feedback_items(args.base_url)
    except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
        print(f"cannot read {args.base_url}: {exc}", file=sys.stderr)
        return 2
    print(f"time zone {tz.key}, response target {target} h, computed at {now.isoformat()}")
    # The definition puts an item in the month it was received, in the city's time zone.
    cells: dict[tuple[str, str, str], list[Item]] = defaultdict(list)
    for item in items:
        month = parse(item["received_at"]).astimezone(tz).strftime("%Y-%m")
        cells[(month, "service", item.get("service_code") or "")].append(item)
        cells[(month, "area", item.get("area") or "")].append(item)
        cells[(month, "city", "")].append(item)
    rules = definitions(now, float(target))
    tally = Tally()
    checked_ids: dict[tuple[str, str], bool] = {}  # the items of a cell are the same for every feedback indicator
    try:
        for code in codes:
            for kind, key, params in scopes(answers[code], args.service, args.area):
                # the first answer was read with the asked filters; other scopes are read now
                answer = answers[code] if params == {k: v for k, v in filters.items() if v} else None
                answer = answer or get_json(args.base_url, f"/v1/indicators/{code}", params)
                label = f"{kind}={key}" if key else kind
                for cell in answer["series"]:
                    mine = cells.get((cell["period"], kind, key), [])
                    ids_ok = True
                    if not args.no_ids and not cell.get("suppressed"):
                        if (label, cell["period"]) not in checked_ids:
                            listed = listed_ids(args.base_url, code, cell["period"], params)
                            checked_ids[(label, cell["period"])] = listed is None or listed == {i["id"] for i in mine}
                        ids_ok = checked_ids[(label, cell["period"])]
                    value, n = rules[code](mine)
                    tally.line(code, label, cell["period"], cell, value, n, ids_ok)
    except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
        print(f"cannot read {args.base_url}: {exc}", file=sys.stderr)
        return 2
    c = tally.counts
    print(
        f"{len(items)} items read; {c['OK']} cells agree, {c['MISMATCH']} mismatch, "
        f"{c['WITHHELD']} withheld (not checkable)"
    )
    return 1 if c["MISMATCH"] else 0


if __name__ == "__main__":
    sys.exit(main())
