"""Importer for Open311 GeoReport v2 service requests (JSON or XML), with Helsinki's extensions.

Each request becomes feedback events: received, in process, the city's
response and the final state. Helsinki's ``extended_attributes`` carry
``detailed_status`` tokens and a ``tasks`` routing history; the tasks give the
real transition times. Where a source has no transitions, a time can only come
from ``updated_datetime``, which moves on any edit: such events are marked
``time_approximate`` and the response-time indicators leave them out.

Real feeds are messy, so: lat/long that are swapped (Finland's coordinates
read backwards) are put right, 0/0 means no location, empty service names are
absent, and text in Windows-1252 or Latin-1 is decoded. A request without a
usable id or a readable ``requested_datetime`` is refused and reported.
"""

from __future__ import annotations

import hashlib
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as DefusedET

from ingest import bounded_json
from ingest.events import make_event
from ingest.importer import ImportReport, Refusal, append_events, refused_bytes
from ingest.log import EventLog

#: Helsinki detailed_status tokens → Mittari's published states
DETAILED_STATUS = {
    "RECEIVED": "received",
    "IN_PROCESS": "in_process",
    "PROCESSED": "response_given",
    "PUBLIC_WORKS_NEW": "in_process",
    "PUBLIC_WORKS_IN_PROGRESS": "in_process",
    "PUBLIC_WORKS_COMPLETED": "resolved",
    "PUBLIC_WORKS_COMPLETED_SCHEDULED_LATER": "scheduled_later",
    "PUBLIC_WORKS_COMPLETED_REQUIRES_NO_ACTION": "closed_without_action",
    "PUBLIC_WORKS_INTERRUPTED": "closed",
    "NOT_CITY_RESPONSIBILITY": "not_city_responsibility",
    "FORWARDED_TO_ANOTHER_ORGANISATION": "not_city_responsibility",
}
#: when several tokens name an outcome, the most specific wins
_OUTCOME_ORDER = ("not_city_responsibility", "closed_without_action", "scheduled_later", "resolved", "closed")


#: defaults of MITTARI_IMPORT_MAX_BYTES and MITTARI_IMPORT_TIME_LIMIT
MAX_SOURCE_BYTES = 200 * 1024 * 1024
SOURCE_TIME_LIMIT = 300.0


class SourceRefused(ValueError):
    """A whole source cannot be read within bounds (too big, too slow, a redirect off http(s))."""


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """urllib follows redirects to ftp:// too; an import follows http(s) only."""

    def redirect_request(
        self, req: urllib.request.Request, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise SourceRefused(f"{req.full_url} redirects to {newurl[:200]}: only http(s) redirects are followed")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def read_source(source: str, *, max_bytes: int = MAX_SOURCE_BYTES, time_limit: float = SOURCE_TIME_LIMIT) -> bytes:
    """A file's or a URL's bytes: at most ``max_bytes``, and a URL within ``time_limit`` seconds in all."""
    if not source.startswith(("http://", "https://")):
        path = Path(source)
        if path.stat().st_size > max_bytes:
            raise SourceRefused(f"{source} is {path.stat().st_size} bytes; the limit is {max_bytes}")
        return path.read_bytes()
    deadline = time.monotonic() + time_limit
    opener = urllib.request.build_opener(_HttpOnlyRedirects)
    chunks: list[bytes] = []
    size = 0
    # the socket timeout bounds each wait; the deadline bounds a server that trickles bytes
    with opener.open(source, timeout=min(time_limit, 60)) as response:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > max_bytes:
            raise SourceRefused(f"{source} announces {declared} bytes; the limit is {max_bytes}")
        while chunk := response.read1(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise SourceRefused(f"{source} sent more than {max_bytes} bytes, the limit")
            if time.monotonic() > deadline:
                raise SourceRefused(f"{source} took more than {time_limit:g} s, the limit")
            chunks.append(chunk)
    return b"".join(chunks)


def decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def parse_requests(text: str) -> list[dict[str, Any]]:
    """GeoReport v2 requests from a JSON list (or object holding one) or an XML document."""
    stripped = text.lstrip()
    if stripped.startswith("<"):
        root = DefusedET.fromstring(stripped)  # feeds come from outside: no entity expansion
        return [_xml_record(el) for el in root.iter("request")]
    data = bounded_json.loads(stripped)
    if isinstance(data, dict):
        for key in ("service_requests", "requests", "results"):
            if isinstance(data.get(key), list):
                return list(data[key])
        return [data]
    if not isinstance(data, list):
        raise ValueError("expected a JSON list of service requests")
    return data


def _xml_record(element: ET.Element) -> dict[str, Any]:
    record: dict[str, Any] = {}
    for child in element:
        tag = child.tag.split("}")[-1]
        nil = any(k.endswith("}nil") and v == "true" for k, v in child.attrib.items())
        record[tag] = None if nil else (child.text or "").strip()
    return record


def parse_time(value: Any, timezone: ZoneInfo) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone)


def _float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError):
        return None


def location(record: dict[str, Any]) -> tuple[float | None, float | None]:
    lat, lon = _float(record.get("lat")), _float(record.get("long"))
    if lat is None or lon is None or (lat == 0 and lon == 0):
        return None, None
    if 19 <= lat <= 32 and 59 <= lon <= 71:  # Finland read backwards: lat is a Finnish longitude
        lat, lon = lon, lat
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return lat, lon


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def request_events(
    record: dict[str, Any], *, source: str, timezone: ZoneInfo
) -> tuple[list[dict[str, Any]] | None, str | None]:
    """The feedback events for one request, or None and the reason it is refused."""
    request_id = _text(record.get("service_request_id"))
    if not request_id:
        return None, "no usable service_request_id"
    requested = parse_time(record.get("requested_datetime"), timezone)
    if requested is None:
        return None, f"requested_datetime {record.get('requested_datetime')!r} is not a readable date and time"
    subject = f"{source}:{request_id}"
    extended = record.get("extended_attributes") or {}
    if not isinstance(extended, dict):
        return None, f"extended_attributes is a {type(extended).__name__}, not an object"
    raw_tasks = extended.get("tasks") or []
    if not isinstance(raw_tasks, list) or not all(isinstance(t, dict) for t in raw_tasks):
        return None, "extended_attributes.tasks is not a list of objects"
    media_urls = record.get("media_urls") or []
    if not isinstance(media_urls, list):
        return None, f"media_urls is a {type(media_urls).__name__}, not a list"
    tokens = [t.strip().upper() for t in str(extended.get("detailed_status") or "").split(",") if t.strip()]
    states = [DETAILED_STATUS[t] for t in tokens if t in DETAILED_STATUS]
    tasks = sorted(
        (t for t in raw_tasks if parse_time(t.get("task_created"), timezone)),
        key=lambda t: str(t.get("task_created")),
    )
    task_times = [
        t
        for t in (parse_time(task.get("task_modified") or task.get("task_created"), timezone) for task in tasks)
        if t is not None and t >= requested
    ]
    updated = parse_time(record.get("updated_datetime"), timezone)
    lat, lon = location(record)
    media = [u for u in [record.get("media_url"), *media_urls] if _text(u)]
    received = {
        "service_code": _text(record.get("service_code")) or "unknown",
        "service_name": _text(record.get("service_name")),
        "title": _text(extended.get("title") or record.get("title")),
        "description": _text(record.get("description")) or "",
        "address": _text(record.get("address_string") or record.get("address")),
        "lat": lat,
        "lon": lon,
        "channel": "open311",
        "media_urls": sorted(set(media)),
    }
    events = [
        make_event(
            "feedback.received", subject, requested, received, source=source, event_id=f"{subject}:received", raw=record
        )
    ]
    # The last transition we know of, and whether its time is real or only 'last edited'.
    last_time, approximate = (max(task_times), False) if task_times else (updated, True)
    if task_times and min(task_times) > requested:
        events.append(
            make_event(
                "feedback.status_changed",
                subject,
                min(task_times),
                {"state": "in_process", "detailed_status": []},
                source=source,
                event_id=f"{subject}:in_process",
                sequence=1,
            )
        )
    notes = _text(record.get("status_notes"))
    status = (_text(record.get("status")) or "open").lower()
    if notes and last_time is not None:
        digest = hashlib.sha256(notes.encode()).hexdigest()[:12]
        events.append(
            make_event(
                "feedback.response_given",
                subject,
                last_time,
                {
                    "text": notes,
                    "responding_unit": _text(record.get("agency_responsible")),
                    "time_approximate": approximate,
                },
                source=source,
                event_id=f"{subject}:response:{digest}",
                sequence=2,
            )
        )
    final = _final_state(status, states, bool(task_times))
    if final is not None and last_time is not None:
        events.append(
            make_event(
                "feedback.status_changed",
                subject,
                last_time,
                {"state": final, "detailed_status": tokens, "time_approximate": approximate},
                source=source,
                event_id=f"{subject}:state:{final}:{','.join(tokens)}",
                sequence=3,
            )
        )
    return events, None


def _final_state(status: str, states: list[str], has_tasks: bool) -> str | None:
    if status == "closed":
        for outcome in _OUTCOME_ORDER:
            if outcome in states:
                return outcome
        return "closed"
    if "in_process" in states:
        return "in_process"
    if "response_given" in states:
        return "response_given"
    return "in_process" if has_tasks else None


def read_open311(
    data: bytes, label: str, source: str, timezone: str, report: ImportReport
) -> Iterator[tuple[str, Any]]:
    zone = ZoneInfo(timezone)
    try:
        records = parse_requests(decode(data))
    except (ValueError, ET.ParseError) as exc:
        report.records += 1
        yield f"import:open311 {label}", Refusal(f"import:open311 {label}", data[:4096], f"not Open311: {exc}")
        return
    for number, record in enumerate(records, start=1):
        report.records += 1
        origin = f"import:open311 {label}#{number}"
        if not isinstance(record, dict):
            yield origin, Refusal(origin, refused_bytes(record), "a request must be a JSON object")
            continue
        try:
            events, reason = request_events(record, source=source, timezone=zone)
        except Exception as exc:  # any surprise in one request refuses that request, the import goes on
            events, reason = None, f"request could not be read: {type(exc).__name__}: {str(exc)[:300]}"
        if events is None:
            raw = refused_bytes(record)
            yield origin, Refusal(origin, raw, reason or "refused")
            continue
        for event in events:
            yield origin, event


def import_open311(
    log: EventLog,
    source_path: str,
    *,
    source: str = "open311",
    timezone: str = "Europe/Helsinki",
    max_bytes: int = MAX_SOURCE_BYTES,
    time_limit: float = SOURCE_TIME_LIMIT,
) -> ImportReport:
    report = ImportReport()
    data = read_source(source_path, max_bytes=max_bytes, time_limit=time_limit)
    label = source_path.rsplit("/", 1)[-1]
    return append_events(log, read_open311(data, label, source, timezone, report), report)
