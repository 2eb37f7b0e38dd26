"""How important a story is right now, and whether its coverage is bursting, with the reason in words.

Everything is computed from publication times: a story's articles per window against the window
before it (the story's own baseline), and against the rest of the stream over the same windows
(so a story that merely follows a busy news day is not called a burst).

>>> h = 3600.0
>>> story = [1 * h, 2 * h, 7 * h, 8 * h, 9 * h, 10 * h, 11 * h, 12 * h]
>>> stream = story + [3 * h, 4 * h, 9 * h, 10 * h]
>>> b = find_burst(story, stream, start=0.0, end=12 * h)
>>> b.factor, b.before, b.after
(3.0, 2, 6)
>>> explain_burst(b)
'coverage tripled in 6 h (2 → 6 articles, while other news held steady)'
>>> explain_burst(find_burst(story, story, start=0.0, end=12 * h))
'coverage tripled in 6 h (2 → 6 articles, while there was no other news)'
"""

from __future__ import annotations

import math
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass

HOUR = 3600.0

#: A burst: at least this many articles in the window, and at least this many times the window before.
MIN_BURST_ARTICLES = 3
MIN_BURST_FACTOR = 2.0


@dataclass(frozen=True, slots=True)
class Burst:
    """Coverage in the ``hours`` up to ``at`` (``after`` articles) against the ``hours`` before (``before``).

    ``factor`` is the story's growth (``after / max(before, 1)``); ``stream_factor`` the same ratio for
    the rest of the stream, the baseline it is judged against, whose articles in the two windows are
    ``stream_before`` and ``stream_after``.
    """

    at: float
    hours: int
    before: int
    after: int
    factor: float
    stream_factor: float
    stream_before: int = 0
    stream_after: int = 0


@dataclass(frozen=True, slots=True)
class Importance:
    """A story's weight in a period: articles and outlets in it, growth, burst, and the score that ranks."""

    articles: int
    outlets: int
    growth: float
    burst: Burst | None
    score: float


def _count(times: Sequence[float], lo: float, hi: float) -> int:
    """Items of a sorted sequence in ``[lo, hi)``: an article on the hour opens a window, it does not
    close the one before (a new story's first article at 14:00 made its first hours a "burst")."""
    return bisect_left(times, hi) - bisect_left(times, lo)


def find_burst(story_times: Sequence[float], stream_times: Sequence[float], start: float, end: float,
               hours: int = 6) -> Burst | None:
    """The strongest burst of a story ending within ``[start, end]``, or ``None``.

    Windows end on every hour; a burst needs :data:`MIN_BURST_ARTICLES` articles in the window, growth
    of at least :data:`MIN_BURST_FACTOR`, growth well above the rest of the stream's, and some coverage before
    (a story's first hours are "new", not a burst).

    >>> H = 3600.0
    >>> new = [14 * H, 14 * H + 1200, 14 * H + 3000, 15 * H + 600]  # a story's first articles
    >>> find_burst(new, new + [H, 2 * H, 3 * H], 0.0, 21 * H) is None  # one on the hour: still no burst
    True
    >>> grew = [8 * H, 15 * H, 15 * H + 600, 16 * H, 17 * H]  # one article, then four later
    >>> b = find_burst(grew, grew + [H, 10 * H], 0.0, 17 * H)
    >>> (b.before, b.after, b.at / H)  # the newest article (at the end, on the hour) is counted
    (1, 4, 17.0)
    """
    times = sorted(story_times)
    stream = sorted(stream_times)
    if len(times) < MIN_BURST_ARTICLES:
        return None
    width = hours * HOUR
    best: Burst | None = None
    first = times[0]
    # Windows end on the hour, after the first article's window is whole, and until one holds the
    # newest article (``end`` itself, when it falls on the hour).
    t = max(math.ceil(start / HOUR), math.floor((first + width) / HOUR) + 1) * HOUR
    stop = (math.floor(end / HOUR) + 1) * HOUR
    while t <= stop:
        after = _count(times, t - width, t)
        before = _count(times, t - 2 * width, t - width)
        if after >= MIN_BURST_ARTICLES and before > 0:
            factor = after / before
            s_after = max(_count(stream, t - width, t) - after, 0)  # the rest of the news
            s_before = max(_count(stream, t - 2 * width, t - width) - before, 0)
            s_factor = s_after / max(s_before, 1)
            if factor >= MIN_BURST_FACTOR and factor > 1.5 * s_factor:
                if best is None or (factor, after) > (best.factor, best.after):
                    best = Burst(min(t, end), hours, before, after, round(factor, 2), round(s_factor, 2),
                                 s_before, s_after)
        t += HOUR
    return best


def explain_burst(burst: Burst) -> str:
    """The burst in words, e.g. ``coverage tripled in 6 h (2 → 6 articles, while other news grew 1.5×)``:
    the rest of the stream's growth over the same hours says whether the whole news day grew."""
    f = burst.factor
    words = {2: "doubled", 3: "tripled", 4: "quadrupled"}
    verb = words.get(round(f)) if abs(f - round(f)) < 0.25 else None
    verb = verb or f"grew {f:.1f}×"
    s = burst.stream_factor
    # A ratio over nothing says nothing: with no other news before, say what there was.
    other = ("there was no other news" if burst.stream_before == burst.stream_after == 0 else
             f"other news went from none to {burst.stream_after}" if burst.stream_before == 0 else
             "other news held steady" if 0.9 <= s <= 1.1 else
             f"other news grew {s:.1f}×" if s > 1.1 else f"other news slowed to {s:.1f}×")
    return f"coverage {verb} in {burst.hours} h ({burst.before} → {burst.after} articles, while {other})"


def importance(times: Sequence[float], sources: Sequence[str | None], stream_times: Sequence[float],
               start: float, end: float, counted: Sequence[bool] | None = None) -> Importance:
    """Score a story's coverage in ``[start, end]``; ``times`` and ``sources`` are its articles'.

    ``counted`` says which articles are the period's when that is not their time but their arrival
    (a brief since the last one counts what arrived after it, late-dated news included).

    ``score = ln(1 + articles) + 1.5 ln(1 + outlets) + 0.5 ln(growth) + 0.5 ln(burst factor)``, where
    growth compares the period's second half with its first. Outlet diversity weighs most: ten
    outlets saying the same thing matter more than one outlet saying it ten times.

    >>> importance([0.0, 10.0], ["A", "B"], [0.0, 10.0], 0.0, 20.0).outlets
    2
    """
    if counted is None:
        counted = [t is not None and start <= t <= end for t in times]
    pairs = sorted((t, s) for t, s, c in zip(times, sources, counted) if t is not None and c)
    n = len(pairs)
    outlets = len({s or "" for _, s in pairs})
    mid = (start + end) / 2
    late = sum(1 for t, _ in pairs if t > mid)
    growth = (late + 1) / (n - late + 1)
    burst = find_burst([t for t in times if t is not None], stream_times, start, end)
    score = (math.log1p(n) + 1.5 * math.log1p(outlets) + 0.5 * math.log(growth)
             + (0.5 * math.log(burst.factor) if burst else 0.0))
    return Importance(n, outlets, round(growth, 2), burst, round(score, 3))

