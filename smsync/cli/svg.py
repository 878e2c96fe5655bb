"""The charts of the HTML delivery report, as inline SVG text.

Three chart shapes (horizontal bars, stacked horizontal bars, cumulative step lines) in a few
dozen lines of our own, rather than a chart library as an extra: the report needs no axes
beyond a handful of ticks, no interaction and no JavaScript, the output must be one file that
opens anywhere (a library would bring a renderer, its own styles and version churn to a page a
CI job uploads), and plain SVG is something any maintainer can read and change.

Every label goes through :func:`esc`; the numbers drawn are also in the tables next to the
charts (which tests and screen readers read).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

#: Colours of the report (CSS and SVG), by meaning.
COLORS = {
    "planned": "#4e79a7",
    "sent": "#76b7b2",
    "delivered": "#59a14f",
    "failed": "#e15759",
    "pending": "#edc948",
    "axis": "#888888",
    "text": "#222222",
}
FONT = 'font-family="system-ui, sans-serif" font-size="12"'
#: At most about this many steps per curve (a chart is 400 pixels wide).
MAX_STEPS = 400


def esc(text: object) -> str:
    return escape(str(text), quote=True)


@dataclass(frozen=True)
class Segment:
    value: int
    color: str
    title: str  # the tooltip


def bars(rows: Sequence[tuple[str, Sequence[Segment]]], *, width: int = 420) -> str:
    """Horizontal bars, one per row, each made of stacked segments, scaled to the longest row;
    the row's total is written at its end."""
    label_w, bar_h, gap = 170, 18, 6
    room = width - label_w - 50
    top = max((sum(s.value for s in segs) for _, segs in rows), default=0) or 1
    height = len(rows) * (bar_h + gap) + gap
    out = [_open(width, height, "bars")]
    for i, (label, segs) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        out.append(
            f'<text x="{label_w - 8}" y="{y + bar_h - 5}" text-anchor="end" {FONT} '
            f'fill="{COLORS["text"]}">{esc(_clip(label, _LABEL_CHARS))}</text>'
        )
        x = float(label_w)
        for s in segs:
            w = room * s.value / top
            if w > 0:
                out.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                    f'fill="{s.color}"><title>{esc(s.title)}: {s.value}</title></rect>'
                )
            x += w
        total = sum(s.value for s in segs)
        out.append(
            f'<text x="{x + 6:.1f}" y="{y + bar_h - 5}" {FONT} fill="{COLORS["text"]}">'
            f"{total}</text>"
        )
    out.append("</svg>")
    return "".join(out)


@dataclass(frozen=True)
class Series:
    name: str
    color: str
    times: Sequence[datetime]  # sorted: each one adds 1


def cumulative(series: Sequence[Series], *, top: int, width: int = 420, height: int = 220) -> str:
    """Step lines of each series' running count over time (UTC), from the first time to the
    last, with ``top`` (the planned count) as the height of the y axis."""
    times = [t for s in series for t in s.times]
    if not times:
        return '<p class="empty">No send or delivery times recorded yet.</p>'
    start, end = min(times), max(times)
    span = max((end - start).total_seconds(), 1.0)
    left, right, up, down = 44, 12, 10, 40
    plot_w, plot_h = width - left - right, height - up - down
    top = max(top, 1)

    def x(t: datetime) -> float:
        return left + plot_w * (t - start).total_seconds() / span

    def y(n: int) -> float:
        return up + plot_h * (1 - n / top)

    out = [_open(width, height, "timeline")]
    axis = COLORS["axis"]
    out.append(
        f'<path d="M{left},{up} V{up + plot_h} H{left + plot_w}" fill="none" stroke="{axis}"/>'
    )
    for n in (0, top // 2, top) if top > 1 else (0, top):
        out.append(
            f'<text x="{left - 6}" y="{y(n) + 4:.1f}" text-anchor="end" {FONT} '
            f'fill="{axis}">{n}</text>'
        )
    for i in range(3):
        t = start + timedelta(seconds=span * i / 2)
        anchor = ("start", "middle", "end")[i]
        out.append(
            f'<text x="{x(t):.1f}" y="{up + plot_h + 16}" text-anchor="{anchor}" {FONT} '
            f'fill="{axis}">{esc(_tick(t, span, first=i == 0))}</text>'
        )
    for s in series:
        if not s.times:
            continue
        d = [f"M{x(start):.1f},{y(0):.1f}"]
        # a step per message would make a 100k-recipient page megabytes of path: one step per
        # MAX_STEPS-th message draws the same curve at this size
        every = max(1, len(s.times) // MAX_STEPS)
        for n in [*range(every, len(s.times), every), len(s.times)]:
            d.append(f"H{x(s.times[n - 1]):.1f} V{y(n):.1f}")
        d.append(f"H{x(end):.1f}")
        out.append(
            f'<path d="{" ".join(d)}" fill="none" stroke="{s.color}" stroke-width="2">'
            f"<title>{esc(s.name)}: {len(s.times)}</title></path>"
        )
    for i, s in enumerate(series):
        lx = left + i * 110
        out.append(
            f'<rect x="{lx}" y="{height - 14}" width="10" height="10" fill="{s.color}"/>'
            f'<text x="{lx + 14}" y="{height - 5}" {FONT} fill="{COLORS["text"]}">'
            f"{esc(s.name)} ({len(s.times)})</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _tick(t: datetime, span: float, *, first: bool) -> str:
    """Times of day within one day (the first tick says which day); dates beyond."""
    if span >= 86400:
        return t.strftime("%Y-%m-%d %H:%M")
    return t.strftime("%Y-%m-%d %H:%M:%S" if first else "%H:%M:%S")


def _open(width: int, height: int, role: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {role}" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
    )


# What fits in the 162 px left of a bar at the chart's font in the widest common letters
# ("Indosat Ooredoo Hutchison" at 24 lost its first letters to the edge of the picture).
_LABEL_CHARS = 20


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
