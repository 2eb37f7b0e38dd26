"""Planning a backfill: the stream in published order, cut into time partitions that overlap.

Each partition owns a contiguous run of the ordered stream (its *core*) and also reads the tail of the
partition before it (its *warm-up*). The warm-up gives the partition's engine the stories that are
alive at its boundary, and the articles it shares with the previous partition tie the two partitions'
stories together when they are stitched.

>>> times = [float(t) for t in range(10)]
>>> [(p.start, p.core, p.end) for p in plan(times, partitions=2, overlap_articles=2, overlap_seconds=0)]
[(0, 0, 5), (3, 5, 10)]
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass

from ..model import Article


@dataclass(frozen=True, slots=True)
class Partition:
    """Positions ``[start, end)`` of the ordered stream are read; ``[core, end)`` are owned.

    ``[start, core)`` is the overlap with the previous partition, which owns those articles.
    """

    index: int
    start: int
    core: int
    end: int

    @property
    def size(self) -> int:
        """Articles read, warm-up included."""
        return self.end - self.start


def published_order(articles: Sequence[Article]) -> list[int]:
    """Positions of ``articles`` in published order; ties and undated articles keep arrival order.

    An article without a date takes the time of the article before it in the input, so a stream
    with no dates at all (or with gaps) is partitioned in arrival order.

    >>> arts = [Article("a", "x", published=5.0), Article("b", "y"), Article("c", "z", published=1.0)]
    >>> published_order(arts)
    [2, 0, 1]
    """
    keys: list[float] = []
    last = float("-inf")
    for article in articles:
        if article.published is not None:
            last = article.published
        keys.append(last)
    return sorted(range(len(articles)), key=keys.__getitem__)


def plan(times: Sequence[float | None], partitions: int, overlap_articles: int,
         overlap_seconds: float) -> list[Partition]:
    """Cut a stream of ``len(times)`` articles (``times`` in published order) into ``partitions``
    partitions of about equal size.

    Every partition after the first reads a warm-up of at least ``overlap_articles`` articles before
    its core, and at least everything published within ``overlap_seconds`` before its first owned
    article (dated streams), but never more than the partition before it.
    """
    n = len(times)
    if n == 0:
        return []
    partitions = max(1, min(partitions, n))
    cores = [round(i * n / partitions) for i in range(partitions + 1)]
    dated = [t for t in times if t is not None]
    plans: list[Partition] = []
    for i in range(partitions):
        core, end = cores[i], cores[i + 1]
        start = core
        if i > 0:
            start = max(cores[i - 1], core - overlap_articles)
            first_time = times[core]
            if overlap_seconds > 0 and first_time is not None and len(dated) == n:
                by_time = bisect.bisect_left(times, first_time - overlap_seconds, 0, core)  # type: ignore[arg-type]
                start = max(cores[i - 1], min(start, by_time))
        plans.append(Partition(i, start, core, end))
    return plans
