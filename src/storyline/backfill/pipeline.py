"""The backfill from start to end: order, plan, run the partitions, stitch, write.

>>> from storyline import Article
>>> news = [Article(f"a{i}", title, published=3600.0 * i) for i, title in enumerate(
...     ["Flood closes Danube ports in Vienna", "Vienna ports shut as Danube floods",
...      "Danube flood keeps Vienna ports closed", "Quake strikes Qeshm island off Iran"])]
>>> report = backfill(news, partitions=2, overlap_articles=1)
>>> [report.story_of[a.id] for a in news], report.partitions
([1, 1, 1, 2], 2)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..config import Config
from ..model import Article
from ..store.base import Store
from .executors import ENGINES, Task, run_dask, run_local, run_ray
from .partition import PartitionResult
from .plan import plan, published_order
from .stitch import stitch
from .write import vocabulary_state, write_rows

#: Default warm-up of a partition: at least this many articles of the partition before it...
OVERLAP_ARTICLES = 2000
#: ...and at least everything published within this many seconds before its first article.
OVERLAP_SECONDS = 48 * 3600.0


@dataclass
class BackfillReport:
    """What a backfill did: the story of every article id read, counts and timings."""

    story_of: dict[str, int] = field(default_factory=dict)
    articles: int = 0
    stored: int = 0
    stories: int = 0
    partitions: int = 0
    warmup_articles: int = 0
    joins: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def backfill(articles: Sequence[Article], store: Store | None = None, config: Config | None = None,
             engine: str = "local", workers: int = 1, partitions: int | None = None,
             overlap_articles: int = OVERLAP_ARTICLES, overlap_seconds: float = OVERLAP_SECONDS,
             address: str | None = None,
             progress: Callable[[str], None] | None = None) -> BackfillReport:
    """Cluster ``articles`` in ``partitions`` overlapping time partitions on ``engine`` (``local``,
    ``ray`` or ``dask``), stitch the stories, and write them to ``store``.

    By default there are ``workers`` partitions, but none shorter than ``overlap_articles``: a
    partition's warm-up never reaches past the one before it, so short partitions split stories
    (an archive of a few hundred articles on 16 CPUs made three times the stories of one process).
    """
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r} (one of {', '.join(ENGINES)})")
    config = config or Config()
    say = progress or (lambda _: None)
    report = BackfillReport(articles=len(articles))
    clock = time.perf_counter()
    order = published_order(articles)
    ordered = [articles[i] for i in order]
    if partitions is None:
        partitions = max(1, min(workers, len(ordered) // max(1, overlap_articles)))
    parts = plan([a.published for a in ordered], partitions, overlap_articles, overlap_seconds)
    tasks = [Task(p.index, ordered[p.start : p.core], ordered[p.core : p.end]) for p in parts]
    report.partitions = len(parts)
    report.warmup_articles = sum(len(t.warmup) for t in tasks)
    report.seconds["plan"] = time.perf_counter() - clock
    say(f"{len(articles):,} articles in {len(parts)} {'partition' if len(parts) == 1 else 'partitions'} ({report.warmup_articles:,} read twice "
        f"in overlaps), engine {engine}")

    clock = time.perf_counter()

    def done(result: PartitionResult) -> None:
        say(f"partition {result.index + 1}/{len(parts)}: {len(result.rows):,} articles in "
            f"{result.seconds:.1f} s")

    if engine == "local":
        results = run_local(tasks, config, done)
    elif engine == "ray":
        results = run_ray(tasks, config, workers, address, done, report.seconds)
    else:
        results = run_dask(tasks, config, workers, address, done, report.seconds)
    # "partitions": the parallel phase, without starting or joining the cluster ("start")
    report.seconds["partitions"] = time.perf_counter() - clock - report.seconds.get("start", 0.0)
    report.seconds["partition_max"] = max((r.seconds for r in results), default=0.0)

    clock = time.perf_counter()
    say(f"stitching {len(results):,} {'partition' if len(results) == 1 else 'partitions'}")
    stitched = stitch(results)
    report.story_of = stitched.story_of
    report.joins = stitched.joins
    report.stories = len({row.story for row in stitched.rows})
    report.seconds["stitch"] = time.perf_counter() - clock

    if store is not None:
        clock = time.perf_counter()
        total = len(stitched.rows)
        shown = [0]

        def writing(written: int) -> None:  # a line per 50,000 (an archive of millions takes minutes)
            if written - shown[0] >= 50_000 or written == total:
                shown[0] = written
                say(f"writing: {written:,} of {total:,} articles")

        report.stored = write_rows(store, stitched.rows, progress=writing, state=vocabulary_state(
            stitched.documents, stitched.df, stitched.common))
        report.seconds["write"] = time.perf_counter() - clock
    else:
        report.stored = len(stitched.rows)
    return report
