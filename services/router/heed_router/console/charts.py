"""The reports page's charts as inline SVG, drawn on the server: no script, no build, no CDN. Each chart
is an `<svg role="img">` with a `<title>` and a `<desc>` that says its numbers in words, and each bar
carries its figure as text and as `data-value` (the browser test reads them); the page shows the same
numbers in a table under each chart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

PALETTE = ("#2457c5", "#d9822b", "#1f8a3d", "#b3261e", "#7a52c7", "#0f8c8c", "#8a6d00", "#c2185b", "#5f6b7a")
ROW_H, LABEL_W, BAR_W, VALUE_W = 26, 170, 320, 90


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # what the bar's length shows
    text: str  # the figure as people read it: "82.5 %", "14", "n/a"


def _a(value: object) -> str:
    return escape(str(value), quote=True)


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], *, top: float | None = None) -> Markup:
    """Horizontal bars, one row per `bars`; `top` is the full length (1.0 for shares; the largest by default)."""
    full = top if top is not None else max((b.value for b in bars), default=0.0)
    height = max(1, len(bars)) * ROW_H + 8
    width = LABEL_W + BAR_W + VALUE_W
    desc = "; ".join(f"{b.label}: {b.text}" for b in bars) or "no data"
    parts = [f'<svg id="{_a(chart_id)}" class="chart" role="img" aria-labelledby="{_a(chart_id)}-t {_a(chart_id)}-d"'
             f' viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{_a(chart_id)}-t">{_a(title)}</title><desc id="{_a(chart_id)}-d">{_a(desc)}</desc>']
    for i, b in enumerate(bars):
        y = 4 + i * ROW_H
        length = 0.0 if full <= 0 else max(0.0, min(1.0, b.value / full)) * BAR_W
        parts.append(
            f'<g class="bar" data-label="{_a(b.label)}" data-value="{b.value:g}">'
            f'<text x="{LABEL_W - 6}" y="{y + 16}" text-anchor="end" font-size="12" fill="#1d2330">{_a(b.label)}</text>'
            f'<rect x="{LABEL_W}" y="{y + 3}" width="{BAR_W}" height="{ROW_H - 8}" fill="#eef1f6"/>'
            f'<rect class="value" x="{LABEL_W}" y="{y + 3}" width="{length:.1f}" height="{ROW_H - 8}"'
            f' fill="{PALETTE[0]}"/>'
            f'<text x="{LABEL_W + BAR_W + 6}" y="{y + 16}" font-size="12" fill="#1d2330">{_a(b.text)}</text></g>')
    if not bars:
        parts.append(f'<text x="{LABEL_W}" y="20" font-size="12" fill="#8a93a6">—</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_columns(chart_id: str, title: str, series: dict[str, dict[str, int]]) -> Markup:
    """Columns over time, one per day (`series`: day → category → count), stacked by category, with a legend."""
    days = list(series)
    categories = sorted({c for day in series.values() for c in day})
    colour = {c: PALETTE[i % len(PALETTE)] for i, c in enumerate(categories)}
    top = max((sum(day.values()) for day in series.values()), default=0)
    plot_h, col_w, left, legend_h = 180, 34, 40, 22 * ((len(categories) + 3) // 4) + 6
    width = max(left + 4 * 140, left + len(days) * (col_w + 10) + 10)  # the legend: 4 to a row
    height = plot_h + 40 + legend_h
    desc = "; ".join(f"{d}: " + ", ".join(f"{c} {n}" for c, n in sorted(series[d].items())) for d in days) or "no data"
    parts = [f'<svg id="{_a(chart_id)}" class="chart" role="img" aria-labelledby="{_a(chart_id)}-t {_a(chart_id)}-d"'
             f' viewBox="0 0 {width} {height}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
             f'<title id="{_a(chart_id)}-t">{_a(title)}</title><desc id="{_a(chart_id)}-d">{_a(desc)}</desc>',
             f'<line x1="{left}" y1="{plot_h + 10}" x2="{width - 5}" y2="{plot_h + 10}" stroke="#8a93a6"/>',
             f'<text x="{left - 4}" y="16" text-anchor="end" font-size="11" fill="#4a5263">{top}</text>']
    for i, day in enumerate(days):
        x, y = left + 8 + i * (col_w + 10), plot_h + 10.0
        for category in categories:
            n = series[day].get(category, 0)
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            parts.append(f'<rect class="segment" data-day="{_a(day)}" data-label="{_a(category)}" data-value="{n}"'
                         f' x="{x}" y="{y:.1f}" width="{col_w}" height="{h:.1f}" fill="{colour[category]}">'
                         f'<title>{_a(day)} · {_a(category)}: {n}</title></rect>')
        parts.append(f'<text x="{x + col_w / 2}" y="{plot_h + 24}" text-anchor="middle" font-size="10"'
                     f' fill="#4a5263">{_a(day[5:])}</text>')
    for j, category in enumerate(categories):
        lx, ly = left + (j % 4) * 140, plot_h + 40 + (j // 4) * 22
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" fill="{colour[category]}"/>'
                     f'<text x="{lx + 16}" y="{ly}" font-size="12" fill="#1d2330">{_a(category)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f} %"


def duration(seconds: float | None) -> str:
    """As `heed report` prints it: seconds under 2 minutes, minutes under 2 hours, then hours."""
    if seconds is None:
        return "n/a"
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min" if seconds < 7200 \
        else f"{seconds / 3600:.1f} h"
