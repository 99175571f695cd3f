"""Atom feeds (RFC 4287) for journalists and residents: new decisions, answered initiatives,
indicators that crossed their target, corrected figures. Built with ElementTree, so every text is escaped, and
every text and attribute loses the control characters XML cannot carry."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import Response

from api import i18n
from figures.restatements import reasons_text

ATOM = "http://www.w3.org/2005/Atom"
ET.register_namespace("", ATOM)


#: Characters XML 1.0 cannot carry at all (C0 controls but tab, newline, return; lone surrogates; U+FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """Text as XML can hold it: one source title with a NUL must not break the feed for every subscriber."""
    return _NOT_XML.sub("", value)


def _el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    node = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        node.text = xml_text(text)
    return node


def _iso(value: str | None) -> str:
    if not value:
        return datetime(1970, 1, 1, tzinfo=UTC).isoformat().replace("+00:00", "Z")
    if len(value) == 7:  # YYYY-MM
        value += "-01T00:00:00Z"
    return value if value.endswith("Z") or "+" in value[10:] else value + "Z"


def feed(
    *, title: str, lang: str, base_url: str, self_path: str, alternate: str, entries: list[dict[str, str]]
) -> Response:
    base = base_url.rstrip("/")
    root = ET.Element(f"{{{ATOM}}}feed", {"{http://www.w3.org/XML/1998/namespace}lang": lang})
    _el(root, "id", base + self_path.rstrip("?"))
    _el(root, "title", title)
    _el(root, "updated", max((e["updated"] for e in entries), default=_iso(None)))
    _el(root, "link", rel="self", href=base + self_path.rstrip("?"), type="application/atom+xml")
    _el(root, "link", rel="alternate", href=base + alternate, type="text/html")
    author = _el(root, "author")
    _el(author, "name", "Mittari")
    _el(root, "rights", "CC BY 4.0")
    for entry in entries:
        node = _el(root, "entry")
        _el(node, "id", base + entry["path"])
        _el(node, "title", entry["title"])
        _el(node, "updated", entry["updated"])
        _el(node, "link", rel="alternate", href=base + entry["path"], type="text/html")
        if entry.get("summary"):
            _el(node, "summary", entry["summary"])
    body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return Response(body, mimetype="application/atom+xml")  # its lifetime: api/http_cache.py


def _suffix(scope: str | None) -> str:
    return f" – {scope}" if scope else ""


def decisions(items: list[dict[str, Any]], lang: str, base_url: str, self_path: str, scope: str | None) -> Response:
    return feed(
        title=i18n.t("feed_decisions", lang) + _suffix(scope),
        lang=lang,
        base_url=base_url,
        self_path=self_path,
        alternate=f"/{lang}/decisions/",
        entries=[
            {
                "path": f"/{lang}/decisions/{d['id']}",
                "title": f"{d.get('body')}: {d.get('title')}",
                "updated": _iso(d.get("date")),
                "summary": (d.get("text") or "")[:500],
            }
            for d in items
        ],
    )


def initiatives(items: list[dict[str, Any]], lang: str, base_url: str, self_path: str, scope: str | None) -> Response:
    return feed(
        title=i18n.t("feed_initiatives", lang) + _suffix(scope),
        lang=lang,
        base_url=base_url,
        self_path=self_path,
        alternate=f"/{lang}/initiatives/",
        entries=[
            {
                "path": f"/{lang}/initiatives/#{i['id']}",
                "title": str(i.get("title")),
                "updated": _iso(i.get("answered_at")),
                "summary": ((i.get("response") or {}).get("text") or "")[:500],
            }
            for i in items
        ],
    )


def crossings(
    items: list[dict[str, Any]],
    lang: str,
    base_url: str,
    self_path: str,
    scope: str | None,
    timezone: str | None = None,
) -> Response:
    """Target crossings; one in a provisional month says so, since it may cross back as the month's items finish."""
    entries = []
    for c in items:
        key = "feed_crossed_met" if c["to"] == "met" else "feed_crossed_not_met"
        name = c["name"].get(lang) or c["code"]
        unit = i18n.unit(c["unit"], lang)
        query = f"?service={c['service']}" if c.get("service") else ""
        young = ""
        if c.get("provisional"):
            final = i18n.t("final_on", lang, date=i18n.day(c["final_from"], lang, timezone))
            young = f" ({i18n.t('provisional_mark', lang)}, {final})"
        entries.append(
            {
                "path": f"/{lang}/indicators/{c['code']}{query}#m-{c['period']}",
                "title": i18n.t(key, lang, name=name, period=i18n.month(c["period"], lang)),
                "updated": _iso(c["period"]),
                "summary": i18n.t(
                    "feed_crossing_text",
                    lang,
                    value=f"{i18n.number(c['value'], lang)} {unit}",
                    target=f"{i18n.number(c['target'], lang)} {unit}",
                )
                + young,
            }
        )
    return feed(
        title=i18n.t("feed_indicators", lang) + _suffix(scope),
        lang=lang,
        base_url=base_url,
        self_path=self_path,
        alternate=f"/{lang}/",
        entries=entries,
    )


def side_text(side: dict[str, Any], unit_code: str, lang: str) -> str:
    """One side of a correction as a reader reads it: the value with its unit and n, or why there is none."""
    if side.get("suppressed"):
        return i18n.t("withheld_short", lang)
    if side.get("value") is None:
        return i18n.t("absent_short", lang)
    text = f"{i18n.number(side['value'], lang)} {i18n.unit(unit_code, lang)}"
    return text + (f" (n = {side['n']})" if side.get("n") is not None else "")


def corrections(
    items: list[dict[str, Any]],
    lang: str,
    base_url: str,
    self_path: str,
    scope: str | None,
    names: dict[str, dict[str, str]],
    moment_text: Callable[[str], str],
) -> Response:
    """Published final values that changed, newest first: old → new, both recording times and why in words."""
    entries = []
    for c in items:
        unit_code = str(c.get("unit") or "")
        cell_scope = ""
        if c.get("service_code"):
            cell_scope = ", " + i18n.t("scope_service", lang, name=c["service_code"])
        elif c.get("area"):
            cell_scope = ", " + i18n.t("scope_area", lang, name=c["area"])
        name = names.get(c["indicator"], {}).get(lang) or c["indicator"]
        entries.append(
            {
                "path": f"/{lang}/corrections/?indicator={c['indicator']}#c-{c['id']}",
                "title": i18n.t(
                    "feed_correction_title",
                    lang,
                    name=name,
                    period=i18n.month(c["period"], lang),
                    scope=cell_scope,
                    old=side_text(c["old"], unit_code, lang),
                    new=side_text(c["new"], unit_code, lang),
                ),
                "updated": c["recorded_at"][:19] + "Z",
                "summary": i18n.t(
                    "feed_correction_text",
                    lang,
                    first=moment_text(c["old_recorded_at"]),
                    restated=moment_text(c["recorded_at"]),
                    why="; ".join(reasons_text(c["reasons"], lang)),
                ),
            }
        )
    return feed(
        title=i18n.t("feed_corrections", lang) + _suffix(scope),
        lang=lang,
        base_url=base_url,
        self_path=self_path,
        alternate=f"/{lang}/corrections/",
        entries=entries,
    )
