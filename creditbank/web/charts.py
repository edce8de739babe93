"""Server-rendered SVG charts for the authority's report: bars toward a target, bars per
month or per standard, and money against its budget. Plain SVG text with a title and a
description for screen readers; no script, no external asset."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH = 640
BAR = 22
GAP = 10
INK, BRAND, TRACK, ALERT = "#1a1a1a", "#0b5cad", "#e4e9f0", "#a4161a"


def _svg(title: str, height: int, body: str) -> Markup:
    safe = escape(title)
    return Markup(  # noqa: S704  (every text put in is escaped: labels here, bodies by callers)
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" aria-label="{safe}"><title>{safe}</title>'
        f'<g font-family="system-ui, sans-serif" font-size="14" fill="{INK}">{body}</g></svg>'
    )


def _share(value: float, whole: float) -> float:
    return 0.0 if whole <= 0 else max(0.0, min(1.0, value / whole))


def hbars(
    title: str, rows: Sequence[tuple[str, float, float, str]], *, color: str = BRAND
) -> Markup:
    """One horizontal bar per row: (label, value, full scale, text shown), the label and
    the text on a line above the bar (never text on a filled bar: contrast)."""
    row = 18 + BAR + GAP
    parts = []
    for i, (label, value, scale, text) in enumerate(rows):
        y = i * row
        filled = (WIDTH - 2) * _share(value, scale)
        parts.append(
            f'<text x="0" y="{y + 14}"><tspan font-weight="600">{escape(label)}</tspan>'
            f" · {escape(text)}</text>"
            f'<rect x="0" y="{y + 18}" width="{WIDTH - 2}" height="{BAR}" fill="{TRACK}" '
            f'stroke="#767676"/>'
            f'<rect x="0" y="{y + 18}" width="{filled:.1f}" height="{BAR}" fill="{color}"/>'
        )
    return _svg(title, len(rows) * row, "".join(parts))


def columns(title: str, rows: Sequence[tuple[str, int]]) -> Markup:
    """One vertical bar per (label, count), e.g. certificates per month."""
    height, base, top = 220, 180, 20
    most = max((n for _, n in rows), default=0)
    step = (WIDTH - 20) / max(1, len(rows))
    parts = [f'<line x1="10" y1="{base}" x2="{WIDTH - 10}" y2="{base}" stroke="{INK}"/>']
    for i, (label, n) in enumerate(rows):
        h = (base - top) * _share(n, most)
        x = 10 + i * step + step * 0.15
        w = step * 0.7
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{BRAND}"><title>{escape(label)}: {n}</title></rect>'
            f'<text x="{x + w / 2:.1f}" y="{base + 16}" text-anchor="middle" '
            f'font-size="12">{escape(label)}</text>'
        )
        if n:
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{base - h - 4:.1f}" text-anchor="middle" '
                f'font-size="12">{n}</text>'
            )
    return _svg(title, height, "".join(parts))


def yuan(fen: int) -> str:
    return f"{fen / 100:,.2f}"
