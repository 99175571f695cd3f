"""Charts drawn on the server as inline SVG: no script, no CDN, readable by screen readers.

Every chart is ``role="img"`` with a ``<title>`` and a ``<desc>`` that say in words what
it shows (range, latest value, target); the pages put the same numbers in a table next
to it. Colours keep a 3:1 contrast with white for graphics (WCAG 1.4.11); the target is
dashed as well as coloured, so it does not rest on colour alone. Provisional months
(``figures/provisional.py``) are hollow dots joined by a dotted line, named in the
legend, the description and each dot's title.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from api import i18n
from api.html_ids import html_id

VALUE = "#0b4f8a"
TARGET = "#a3271f"
GRID = "#767676"
TEXT = "#1a1a1a"


def _svg(parts: list[str]) -> Markup:
    """Join the drawing. Every text in ``parts`` went through ``escape`` and every id through ``html_id``."""
    return Markup("".join(parts))  # noqa: S704


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 12) -> str:
    return f'<text x="{x}" y="{y}" text-anchor="{anchor}" font-size="{size}" fill="{TEXT}">{escape(text)}</text>'


def _fmt(value: float, lang: str) -> str:
    return i18n.number(value, lang, 1 if abs(value) < 100 else 0)


def _scale(lo: float, hi: float, size: float, flip: bool = False) -> Any:
    span = (hi - lo) or 1.0

    def at(value: float) -> float:
        pos = (value - lo) / span * size
        return round(size - pos if flip else pos, 1)

    return at


def _range(values: list[float]) -> tuple[float, float]:
    lo, hi = min(values), max(values)
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.1
    return (0.0 if lo >= 0 and lo - pad < 0 else lo - pad), hi + pad


def describe_series(series: list[dict[str, Any]], unit: str, lang: str) -> str:
    values = [s["value"] for s in series if s["value"] is not None]
    if not values:
        return i18n.t("no_data", lang)
    text = i18n.t(
        "chart_series_alt",
        lang,
        first=i18n.month(series[0]["period"], lang),
        last=i18n.month(series[-1]["period"], lang),
        min=_fmt(min(values), lang),
        max=_fmt(max(values), lang),
        latest=_fmt(values[-1], lang),
        unit=i18n.unit(unit, lang),
    )
    targets = [s["target"] for s in series if s.get("target") is not None]
    if targets:
        text += " " + i18n.t("chart_target_alt", lang, target=_fmt(targets[-1], lang), unit=i18n.unit(unit, lang))
    else:
        text += " " + i18n.t("chart_no_target", lang)
    young = [i18n.month(s["period"], lang) for s in series if s.get("provisional") and s["value"] is not None]
    if young:
        text += " " + i18n.t("chart_provisional_alt", lang, months=", ".join(young))
    return text


def line_chart(
    series: list[dict[str, Any]],
    *,
    chart_id: str,
    title: str,
    unit: str,
    lang: str,
    width: int = 640,
    height: int = 260,
) -> Markup:
    """Monthly values as a line, the target in force each month as a dashed step line."""
    chart_id = html_id(chart_id)
    left, right, top, bottom = 56, 16, 16, 40
    w, h = width - left - right, height - top - bottom
    values = [s["value"] for s in series if s["value"] is not None]
    targets = [s["target"] for s in series if s.get("target") is not None]
    desc = describe_series(series, unit, lang)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'xmlns="http://www.w3.org/2000/svg" focusable="false">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]
    if not values:
        parts.append(_text(left, top + 20, i18n.t("no_data", lang)) + "</svg>")
        return _svg(parts)
    lo, hi = _range(values + targets)
    y = _scale(lo, hi, h, flip=True)
    step = w / max(len(series) - 1, 1)

    def x(i: int) -> float:
        return round(left + i * step, 1)

    for k in range(5):  # horizontal grid with labels
        v = lo + (hi - lo) * k / 4
        yy = top + y(v)
        parts.append(f'<line x1="{left}" x2="{left + w}" y1="{yy}" y2="{yy}" stroke="{GRID}" stroke-width="0.5"/>')
        parts.append(_text(left - 6, yy + 4, _fmt(v, lang), anchor="end"))
    every = max(1, len(series) // 8)
    for i, cell in enumerate(series):
        if i % every == 0 or i == len(series) - 1:
            parts.append(_text(x(i), top + h + 18, i18n.short_month(cell["period"], lang), anchor="middle"))
    if targets:
        path, pen = [], "M"
        for i, cell in enumerate(series):
            if cell.get("target") is None:
                pen = "M"
                continue
            yy = top + y(cell["target"])
            x0, x1 = x(i) - step / 2 if i else x(i), x(i) + step / 2 if i < len(series) - 1 else x(i)
            path.append(f"{pen}{round(x0, 1)},{yy} L{round(x1, 1)},{yy}")
            pen = "L"
        parts.append(
            f'<path d="{" ".join(path)}" fill="none" stroke="{TARGET}" stroke-width="2" stroke-dasharray="6 4"/>'
        )
    segments: list[tuple[bool, list[str]]] = []  # (provisional, points): a line into a young month is dotted
    previous: str | None = None
    for i, cell in enumerate(series):
        if cell["value"] is None:
            previous = None
            continue
        point = f"{x(i)},{top + y(cell['value'])}"
        young = bool(cell.get("provisional"))
        if previous is not None:
            if segments and segments[-1][0] == young and segments[-1][1][-1] == previous:
                segments[-1][1].append(point)
            else:
                segments.append((young, [previous, point]))
        previous = point
    for young, points in segments:
        dots = ' stroke-dasharray="2 3"' if young else ""
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{VALUE}" stroke-width="2.5"{dots}/>')
    for i, cell in enumerate(series):
        if cell["value"] is not None:
            label = f"{i18n.month(cell['period'], lang)}: {_fmt(cell['value'], lang)} {i18n.unit(unit, lang)}"
            cy = top + y(cell["value"])
            fill = VALUE
            if cell.get("provisional"):
                label += f" ({i18n.t('provisional_mark', lang)})"
                fill = "#ffffff"
            parts.append(
                f'<circle cx="{x(i)}" cy="{cy}" r="3.5" fill="{fill}" stroke="{VALUE}" stroke-width="1.5">'
                f"<title>{escape(label)}</title></circle>"
            )
    legend_y = height - 6
    ly = legend_y - 4
    parts.append(f'<line x1="{left}" x2="{left + 24}" y1="{ly}" y2="{ly}" stroke="{VALUE}" stroke-width="2.5"/>')
    parts.append(_text(left + 30, legend_y, i18n.t("legend_value", lang)))
    if targets:
        parts.append(
            f'<line x1="{left + 120}" x2="{left + 144}" y1="{ly}" y2="{ly}" stroke="{TARGET}" '
            'stroke-width="2" stroke-dasharray="6 4"/>'
        )
        parts.append(_text(left + 150, legend_y, i18n.t("legend_target", lang)))
    if any(s.get("provisional") for s in series if s["value"] is not None):
        parts.append(
            f'<line x1="{left + 240}" x2="{left + 264}" y1="{ly}" y2="{ly}" stroke="{VALUE}" '
            'stroke-width="2.5" stroke-dasharray="2 3"/>'
        )
        parts.append(
            f'<circle cx="{left + 252}" cy="{ly}" r="3.5" fill="#ffffff" stroke="{VALUE}" stroke-width="1.5"/>'
        )
        parts.append(_text(left + 270, legend_y, i18n.t("legend_provisional", lang)))
    parts.append("</svg>")
    return _svg(parts)


def sparkline(series: list[dict[str, Any]], *, chart_id: str, title: str, unit: str, lang: str) -> Markup:
    """A tile's 12-month trend: small, but still titled and described."""
    chart_id = html_id(chart_id)
    width, height, pad = 160, 40, 4
    values = [s["value"] for s in series if s["value"] is not None]
    desc = describe_series(series, unit, lang)
    head = (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg" focusable="false">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>'
    )
    if len(values) < 2:
        return _svg([head, "</svg>"])
    targets = [s["target"] for s in series if s.get("target") is not None]
    lo, hi = _range(values + targets)
    y = _scale(lo, hi, height - 2 * pad, flip=True)
    step = (width - 2 * pad) / max(len(series) - 1, 1)
    body = []
    if targets:
        ty = pad + y(targets[-1])
        body.append(
            f'<line x1="{pad}" x2="{width - pad}" y1="{ty}" y2="{ty}" stroke="{TARGET}" '
            'stroke-width="1.5" stroke-dasharray="4 3"/>'
        )
    points = [
        f"{round(pad + i * step, 1)},{pad + y(s['value'])}" for i, s in enumerate(series) if s["value"] is not None
    ]
    body.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{VALUE}" stroke-width="2"/>')
    last = points[-1].split(",")
    young = [s for s in series if s["value"] is not None][-1].get("provisional")
    fill = "#ffffff" if young else VALUE  # a provisional latest month is hollow, as on the full chart
    body.append(f'<circle cx="{last[0]}" cy="{last[1]}" r="3" fill="{fill}" stroke="{VALUE}" stroke-width="1.5"/>')
    return _svg([head, *body, "</svg>"])


def band_label(band: dict[str, Any], lang: str) -> str:
    if band["to"] is None:
        return i18n.t("hours_over", lang, a=band["from"])
    return i18n.t("hours_band", lang, a=band["from"], b=band["to"])


def bar_chart(bands: list[dict[str, Any]], *, chart_id: str, title: str, lang: str, minimum: int) -> Markup:
    """Horizontal bars, one per band of hours; withheld bands are drawn empty and say so."""
    chart_id = html_id(chart_id)
    width, row, left = 560, 28, 110
    height = row * len(bands) + 8
    counts = [b["n"] or 0 for b in bands]
    total = sum(counts)
    top = max(counts) or 1
    desc = i18n.t("chart_hist_alt", lang, total=i18n.number(total, lang, 0))
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" '
        f'xmlns="http://www.w3.org/2000/svg" focusable="false">',
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>',
    ]
    for i, band in enumerate(bands):
        yy = 4 + i * row
        label = band_label(band, lang)
        parts.append(_text(left - 8, yy + 17, label, anchor="end", size=13))
        if band["suppressed"]:
            companion = str(band.get("n_band") or "").startswith("≥")
            shown = i18n.t("withheld_companion", lang) if companion else i18n.t("withheld", lang, n=minimum)
            parts.append(
                f'<rect x="{left}" y="{yy + 4}" width="40" height="18" fill="none" stroke="{GRID}" '
                'stroke-dasharray="3 2"/>'
            )
        else:
            length = round((band["n"] or 0) / top * (width - left - 90), 1)
            shown = i18n.number(band["n"] or 0, lang, 0)
            parts.append(f'<rect x="{left}" y="{yy + 4}" width="{length}" height="18" fill="{VALUE}"/>')
        end = left + (40 if band["suppressed"] else round((band["n"] or 0) / top * (width - left - 90), 1)) + 6
        parts.append(_text(end, yy + 17, shown, size=13))
    parts.append("</svg>")
    return _svg(parts)
