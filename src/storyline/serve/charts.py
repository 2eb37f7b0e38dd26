"""Inline SVG charts: a story's activity sparkline and its timeline.

Plain SVG strings with no scripts and no style attributes (colours come from CSS classes, so the
charts follow the light or dark theme and pass a strict Content-Security-Policy). Every label is
escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from html import escape


def bins(times: Sequence[float], start: float, end: float, count: int = 24) -> list[int]:
    """How many of ``times`` fall in each of ``count`` equal bins from ``start`` to ``end``.

    >>> bins([0, 1, 5, 9.9, 10, 11], 0, 10, 5)
    [2, 0, 1, 0, 2]
    """
    out = [0] * count
    span = end - start
    if span <= 0:
        return out
    for t in times:
        if start <= t <= end:
            out[min(count - 1, int((t - start) / span * count))] += 1
    return out


def resample(values: Sequence[int], count: int = 24) -> list[int]:
    """At most ``count`` bars from a longer series (sums of neighbours), left as is when shorter.

    >>> resample([1, 2, 3, 4], 2), resample([1, 2], 5)
    ([3, 7], [1, 2])
    """
    if len(values) <= count:
        return list(values)
    out = [0] * count
    for i, v in enumerate(values):
        out[i * count // len(values)] += v
    return out


def sparkline(values: Sequence[int], label: str, width: int = 120, height: int = 28) -> str:
    """A small bar sparkline; ``label`` is its accessible description.

    >>> svg = sparkline([0, 2, 1], "articles per hour")
    >>> svg.startswith("<svg") and svg.count("<rect") == 3 and "articles per hour" in svg
    True
    """
    n = max(1, len(values))
    peak = max(values, default=0) or 1
    gap = 1 if width / n > 3 else 0
    bar = width / n
    parts = [f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="{escape(label)}"><title>{escape(label)}</title>',
             f'<line class="spark-base" x1="0" y1="{height - 0.5}" x2="{width}" y2="{height - 0.5}"/>']
    for i, v in enumerate(values):
        h = 0 if v == 0 else max(2.0, (height - 2) * v / peak)
        parts.append(f'<rect class="spark-bar{" spark-last" if i == n - 1 and v else ""}" x="{i * bar:.2f}" '
                     f'y="{height - h:.2f}" width="{max(bar - gap, 0.5):.2f}" height="{h:.2f}"/>')
    parts.append("</svg>")
    return "".join(parts)


def _label(key: str, hourly: bool) -> tuple[str, str]:
    """Short and long labels of a timeline key (``2026-11-20T07:00Z`` or ``2026-11-20``)."""
    if hourly:
        dt = datetime.strptime(key, "%Y-%m-%dT%H:00Z").replace(tzinfo=timezone.utc)
        return dt.strftime("%H:00"), dt.strftime("%a %d %b, %H:00 UTC")
    dt = datetime.strptime(key, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    return dt.strftime("%d %b"), dt.strftime("%a %d %b %Y")


def timeline(points: Sequence[tuple[str, int]], width: int = 720, height: int = 220) -> str:
    """A bar chart of articles per hour or per day, with a count axis and time labels.

    >>> svg = timeline([("2026-11-20T07:00Z", 2), ("2026-11-20T08:00Z", 0), ("2026-11-20T09:00Z", 5)])
    >>> svg.count('class="bar"'), "07:00" in svg, "Fri 20 Nov, 09:00 UTC: 5 articles" in svg
    (3, True, True)
    >>> 'width="44.0"' in timeline([("2026-11-20T07:00Z", 1)])  # one hour is one bar's width, not the chart's
    True
    >>> 'aria-label="Articles per hour: 1 article over 1 hour"' in timeline([("2026-11-20T07:00Z", 1)])
    True
    >>> "7 articles over 3 hours, most (5) at Fri 20 Nov, 09:00 UTC" in svg
    True
    """
    if not points:
        return ""
    hourly = "T" in points[0][0]
    left, right, top, bottom = 34, 8, 12, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(n for _, n in points) or 1
    step = 1 if peak <= 5 else 2 if peak <= 10 else 5 if peak <= 25 else max(1, int(round(peak / 5, -1)))
    top_tick = ((peak + step - 1) // step) * step
    n = len(points)
    # A few hours' bars keep a bar's width, centred: one article across the whole chart read as a spike.
    slot = min(plot_w / n, 48.0)
    start = left + (plot_w - slot * n) / 2
    gap = min(4.0, slot * 0.2)
    unit = "hour" if hourly else "day"
    total = sum(c for _, c in points)
    busiest = max(points, key=lambda p: p[1])
    # What the bars show, in words (a screen reader gets no bars): the total, the span, the peak.
    title = (f"Articles per {unit}: {total} article{'s' if total != 1 else ''} over {n} {unit}{'s' if n != 1 else ''}"
             + (f", most ({busiest[1]}) {'at' if hourly else 'on'} {_label(busiest[0], hourly)[1]}" if n > 1 else ""))
    out = [f'<svg class="timeline" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
           f'preserveAspectRatio="xMidYMid meet"><title>{escape(title)}</title>']
    tick = 0
    while tick <= top_tick:
        y = top + plot_h - plot_h * tick / top_tick
        out.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}"/>'
                   f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
        tick += step
    every = max(1, -(-n // 8))  # at most about eight time labels
    last_day = ""
    for i, (key, count) in enumerate(points):
        short, long = _label(key, hourly)
        h = plot_h * count / top_tick
        x = start + i * slot + gap / 2
        noun = "article" if count == 1 else "articles"
        out.append(f'<rect class="bar" x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{max(slot - gap, 1):.1f}" '
                   f'height="{h:.1f}"><title>{escape(long)}: {count} {noun}</title></rect>')
        if i % every == 0:
            cx = start + (i + 0.5) * slot
            out.append(f'<text class="axis" x="{cx:.1f}" y="{top + plot_h + 16}" text-anchor="middle">'
                       f'{escape(short)}</text>')
            day = key[:10]
            if hourly and day != last_day:
                label = datetime.strptime(day, "%Y-%m-%d").strftime("%a %d %b")
                out.append(f'<text class="axis axis-day" x="{cx:.1f}" y="{top + plot_h + 32}" '
                           f'text-anchor="middle">{escape(label)}</text>')
                last_day = day
    out.append(f'<line class="baseline" x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}"/>')
    out.append("</svg>")
    return "".join(out)
