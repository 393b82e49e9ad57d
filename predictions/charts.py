"""Odds-history charts: our own inline SVG, no chart service and no JavaScript.

Pure: plain lists in, an SVG string out (no ORM, no clock). Every piece of text is escaped, because contender names
come from the database. A probability holds until its next change, so the lines are steps, drawn to `end`.
Lines differ in colour and in dash pattern, so the chart does not rely on colour alone; the page offers the same
figures as a table too (`daily_table`).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from datetime import datetime, timedelta
from html import escape

from predictions import odds

Point = tuple[datetime, float]
Series = list[tuple[str, list[Point]]]

# Okabe-Ito, with the yellow swapped for the site's accent (it is unreadable on white).
COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7", "#8a5a00", "#56b4e9", "#1c1b19", "#e69f00")
DASHES = ("", "9 4", "2 4", "12 4 3 4", "5 5", "14 3 3 3 3 3", "1 6", "7 2 2 2")

WIDTH = 600
PLOT_LEFT, PLOT_RIGHT, PLOT_TOP, PLOT_HEIGHT = 72, 20, 16, 240
AXIS_SPACE = 62  # below the plot: tick labels and the axis title
LEGEND_ROW = 28
LEGEND_COLUMNS = 2
LABEL_MAX = 24  # fits its legend column at the desktop size; phones clip what does not fit
LEGEND_LEFT = 16
LEGEND_VALUE = 48  # room for the latest value, "100%"
MIN_SPAN = timedelta(days=1)
MAX_POINTS = 300  # per series; longer series are thinned to the last value in each time bucket


def line_style(index: int) -> tuple[str, str]:
    """(colour, dash pattern) of the index-th series: unique pairs for the first 64 series."""
    return COLOURS[index % len(COLOURS)], DASHES[(index + index // len(COLOURS)) % len(DASHES)]


def _attr(value) -> str:
    return escape(str(value), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _short_date(moment: datetime, with_time: bool) -> str:
    text = f"{moment.day} {moment:%b}"
    return f"{text} {moment:%H:%M}" if with_time else text


def _long_date(moment: datetime, with_time: bool) -> str:
    text = f"{moment.day} {moment:%B %Y}"
    return f"{text} {moment:%H:%M}" if with_time else text


def _pct(probability: float) -> str:
    return odds.percent(probability)  # "<1%" rather than "0%", as the tables say it


def _shorten(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1].rstrip() + "…"


def thin(points: list[Point], max_points: int = MAX_POINTS) -> list[Point]:
    """At most about `max_points` points: the last value in each of max_points equal time buckets (a step line
    drawn through them moves at the same times, to the bucket's resolution). Keeps the first and last point."""
    if len(points) <= max_points or max_points < 2:
        return list(points)
    start, stop = points[0][0], points[-1][0]
    span = (stop - start).total_seconds()
    if span <= 0:
        return [points[0], points[-1]]
    kept: dict[int, Point] = {}
    for moment, probability in points:
        bucket = min(max_points - 1, int((moment - start).total_seconds() / span * max_points))
        kept[bucket] = (moment, probability)
    thinned = [points[0], *kept.values()]
    return sorted(dict.fromkeys(thinned), key=lambda p: p[0])


def _empty_svg(title: str, id_prefix: str, message: str) -> str:
    height = 120
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="odds-chart odds-chart-empty" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-labelledby="{_attr(id_prefix)}-title {_attr(id_prefix)}-desc">'
        f'<title id="{_attr(id_prefix)}-title">{escape(title)}</title>'
        f'<desc id="{_attr(id_prefix)}-desc">{escape(message)}</desc>'
        f'<rect x="1" y="1" width="{WIDTH - 2}" height="{height - 2}" rx="10" class="chart-frame"/>'
        f'<text x="{WIDTH / 2:.0f}" y="{height / 2 + 6:.0f}" text-anchor="middle" class="chart-empty-text">'
        f"{escape(message)}</text></svg>"
    )


def odds_history_svg(
    series: Series,
    *,
    title: str = "Odds history",
    start: datetime | None = None,
    end: datetime | None = None,
    id_prefix: str = "odds-chart",
    y_label: str = "Chance",
    empty_message: str = "No history yet",
) -> str:
    """An accessible inline SVG of each contender's probability over time, as step lines.

    series: [(label, [(moment, probability 0..1), ...])], points in any order. The x axis runs from `start` (default:
    the first point) to `end` (default: the last point); a series holds its last value until `end`. With no points
    at all, a small SVG that says `empty_message`.
    """
    cleaned = []
    for label, points in series:
        ordered = sorted(((m, min(1.0, max(0.0, float(p)))) for m, p in points), key=lambda p: p[0])
        cleaned.append((str(label), thin(ordered)))
    moments = [m for _, points in cleaned for m, _ in points]
    if not moments:
        return _empty_svg(title, id_prefix, empty_message)

    x0 = start or min(moments)
    x1 = end or max(moments)
    x0 = min(x0, min(moments))
    x1 = max(x1, max(moments))
    if x1 <= x0:  # a single instant: give it a day of room so the line has a length
        x1 = x0 + MIN_SPAN
    span = (x1 - x0).total_seconds()
    plot_width = WIDTH - PLOT_LEFT - PLOT_RIGHT
    legend_rows = math.ceil(len(cleaned) / LEGEND_COLUMNS)
    height = PLOT_TOP + PLOT_HEIGHT + AXIS_SPACE + legend_rows * LEGEND_ROW + 8
    bottom = PLOT_TOP + PLOT_HEIGHT

    def x(moment: datetime) -> float:
        return PLOT_LEFT + (moment - x0).total_seconds() / span * plot_width

    def y(probability: float) -> float:
        return bottom - probability * PLOT_HEIGHT

    latest = ", ".join(f"{label} {_pct(points[-1][1])}" for label, points in cleaned if points)
    with_time = span <= 3 * 86400
    desc = (
        f"{y_label} of {len(cleaned)} contender{'s' if len(cleaned) != 1 else ''} over time, from "
        f"{_long_date(x0, with_time)} to {_long_date(x1, with_time)} (UTC), as step lines "
        f"from 0% to 100%. Latest: {latest}."
    )
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="odds-chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{_attr(id_prefix)}-title {_attr(id_prefix)}-desc">',
        f'<title id="{_attr(id_prefix)}-title">{escape(title)}</title>',
        f'<desc id="{_attr(id_prefix)}-desc">{escape(desc)}</desc>',
        '<g class="chart-grid">',
    ]
    for tick in (0, 25, 50, 75, 100):
        ty = y(tick / 100)
        out.append(f'<line x1="{PLOT_LEFT}" y1="{_num(ty)}" x2="{WIDTH - PLOT_RIGHT}" y2="{_num(ty)}"/>')
        out.append(f'<text x="{PLOT_LEFT - 8}" y="{_num(ty + 4)}" text-anchor="end">{tick}%</text>')
    ticks, shown = 5, set()
    for i in range(ticks):
        moment = x0 + timedelta(seconds=span * i / (ticks - 1))
        label = _short_date(moment, with_time)
        if label in shown:  # changes minutes apart: one label per distinct minute
            continue
        shown.add(label)
        tx = x(moment)
        anchor = "start" if i == 0 else "end" if i == ticks - 1 else "middle"
        out.append(f'<line x1="{_num(tx)}" y1="{bottom}" x2="{_num(tx)}" y2="{bottom + 5}"/>')
        out.append(f'<text x="{_num(tx)}" y="{bottom + 22}" text-anchor="{anchor}">{escape(label)}</text>')
    out.append("</g>")
    out.append(
        f'<text class="chart-axis-title" x="14" y="{_num(PLOT_TOP + PLOT_HEIGHT / 2)}" text-anchor="middle" '
        f'transform="rotate(-90 14 {_num(PLOT_TOP + PLOT_HEIGHT / 2)})">{escape(y_label)}</text>'
    )
    out.append(
        f'<text class="chart-axis-title" x="{_num(PLOT_LEFT + plot_width / 2)}" y="{bottom + 50}" '
        f'text-anchor="middle">Date (UTC)</text>'
    )
    out.append(f'<rect class="chart-axes" x="{PLOT_LEFT}" y="{PLOT_TOP}" width="{plot_width}" height="{PLOT_HEIGHT}"/>')

    out.append('<g class="chart-lines" fill="none" stroke-width="2.5" stroke-linejoin="round">')
    for index, (label, points) in enumerate(cleaned):
        colour, dash = line_style(index)
        d = []
        if points:
            first_moment, first_p = points[0]
            d.append(f"M{_num(x(first_moment))} {_num(y(first_p))}")
            for moment, probability in points[1:]:
                d.append(f"H{_num(x(moment))} V{_num(y(probability))}")
            d.append(f"H{_num(x(x1))}")
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<path class="series" d="{" ".join(d) or "M0 0"}" stroke="{colour}"{dash_attr}>'
            f"<title>{escape(label)}</title></path>"
        )
    out.append("</g>")

    out.append('<g class="chart-legend">')
    legend_top = bottom + AXIS_SPACE + 4
    column_width = (WIDTH - 2 * LEGEND_LEFT) / LEGEND_COLUMNS
    for index, (label, points) in enumerate(cleaned):
        colour, dash = line_style(index)
        lx = LEGEND_LEFT + (index % LEGEND_COLUMNS) * column_width
        ly = legend_top + (index // LEGEND_COLUMNS) * LEGEND_ROW
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{_num(lx)}" y1="{ly}" x2="{_num(lx + 34)}" y2="{ly}" stroke="{colour}" stroke-width="3"'
            f"{dash_attr}/>"
        )
        # The label sits in its own viewport, which clips it rather than letting it run into the next column
        # (text is larger on phones); the latest value is right-aligned so it always shows.
        label_width = column_width - 42 - LEGEND_VALUE - 24
        out.append(
            f'<svg x="{_num(lx + 42)}" y="{ly - 14}" width="{_num(label_width)}" height="{LEGEND_ROW}">'
            f'<text x="0" y="19">{escape(_shorten(label))}</text></svg>'
        )
        if points:
            out.append(
                f'<text x="{_num(lx + column_width - 24)}" y="{ly + 5}" text-anchor="end" class="chart-legend-value">'
                f"{_pct(points[-1][1])}</text>"
            )
    out.append("</g></svg>")
    return "".join(out)


def daily_table(series: Series, *, end: datetime, max_days: int = 60) -> tuple[list[str], list[tuple]]:
    """The chart as a table: (labels, rows), a row per day, newest first and at most `max_days`, holding
    (date, [probability or None per label]) as it stood at the end of that day (at `end` on the last day)."""
    labels = [str(label) for label, _ in series]
    ordered = [sorted(points, key=lambda p: p[0]) for _, points in series]
    times = [[m for m, _ in points] for points in ordered]
    moments = [m for points in times for m in points if m <= end]
    if not moments:
        return labels, []
    first_day, last_day = min(moments).date(), end.date()
    rows = []
    for offset in range(min((last_day - first_day).days + 1, max_days)):
        day = last_day - timedelta(days=offset)
        values = []
        for points, stamps in zip(ordered, times, strict=True):
            if offset == 0:
                count = bisect_right(stamps, end)  # up to and including `end`
            else:
                midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=end.tzinfo)
                count = bisect_left(stamps, midnight)  # before the next day begins
            values.append(points[count - 1][1] if count else None)
        rows.append((day, values))
    return labels, rows
