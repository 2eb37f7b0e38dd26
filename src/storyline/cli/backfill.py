"""``storyline backfill``: cluster a large archive in parallel partitions and write the stories to a store."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable
from typing import Any


def add_parsers(sub: Any, db_help: Callable[[], str], duration: Callable[[str], float],
                positive: Callable[[str], int]) -> None:
    """Register the ``backfill`` command on the CLI's subparsers."""
    p = sub.add_parser(
        "backfill", help="cluster a large archive in parallel (local, Ray or Dask) into a new store",
        description="Cluster an archive in parallel: the articles, in published order, are cut into time "
                    "partitions that overlap; the online engine runs on each partition (in this process, "
                    "or on Ray or Dask); stories that share articles in an overlap are joined; the stories "
                    "are written to a new, empty store. Set --address (or RAY_ADDRESS / "
                    "DASK_SCHEDULER_ADDRESS) to run on an existing cluster.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--engine", choices=("local", "ray", "dask"), default="local",
                   help="where partitions run: this process, one after another (default), Ray or Dask")
    p.add_argument("--workers", type=positive, default=None, metavar="N",
                   help="partitions run at once (default: the number of CPUs)")
    p.add_argument("--partitions", type=positive, default=None, metavar="N",
                   help="time partitions (default: --workers, but none shorter than "
                        "--overlap-articles)")
    p.add_argument("--overlap", type=duration, default=None, metavar="AGE",
                   help="each partition also reads at least AGE of news before its own (default 48h)")
    p.add_argument("--overlap-articles", type=positive, default=None, metavar="N",
                   help="...and at least N articles before its own (default 2000; what counts when "
                        "articles have no dates)")
    p.add_argument("--address", metavar="ADDR",
                   help="an existing Ray cluster (ray://HOST:10001 or auto) or Dask scheduler (tcp://HOST:8786)")
    p.add_argument("--db", help=db_help())
    p.add_argument("--config", metavar="TOML", help="configuration file (see storyline.config.Config)")
    p.add_argument("--predictions", metavar="OUT.jsonl",
                   help='write {"id": ..., "story": ...} for every article read, as `storyline eval` does')
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress or summary on stderr")


def cmd_backfill(args: argparse.Namespace) -> int:
    from ..backfill import ExecutorError, StoreNotEmpty, backfill
    from ..backfill.pipeline import OVERLAP_ARTICLES, OVERLAP_SECONDS
    from ..backfill.write import check_empty
    from ..store.open import open_store, redact, sqlite_path
    from ..store.sqlite import default_path
    from .main import PROG, UsageError, _check_writable, _config

    # Every argument is checked before the archive is read: a mistake must not cost the work, nor
    # leave a filled store that a second run would refuse.
    config = _config(args.config)
    say = (lambda _: None) if args.quiet else (lambda line: print(f"{PROG}: backfill: {line}", file=sys.stderr))
    workers = args.workers or os.cpu_count() or 1
    target = args.db or default_path()
    if args.predictions:
        _check_writable(args.predictions, "--predictions", [*args.files, sqlite_path(target)])
    path = sqlite_path(target)
    new_file = path is not None and not os.path.exists(path)
    store = open_store(target)
    try:
        try:
            check_empty(store)  # before the long work, not after it
        except StoreNotEmpty as exc:
            raise UsageError(f"{redact(args.db) if args.db else 'the store'}: {exc}") from None
        articles, skipped = _read(args.files, args.quiet)
        try:
            report = backfill(articles, store, config, engine=args.engine, workers=workers,
                              partitions=args.partitions,
                              overlap_articles=args.overlap_articles or OVERLAP_ARTICLES,
                              overlap_seconds=OVERLAP_SECONDS if args.overlap is None else args.overlap,
                              address=args.address, progress=say)
        except ExecutorError as exc:
            raise UsageError(str(exc)) from None
        totals = store.counts()
    except BaseException:
        store.close()
        if new_file:  # leave no empty store behind
            for suffix in ("", "-wal", "-shm", "-writer"):
                if os.path.exists(path + suffix):  # type: ignore[operator]
                    os.remove(path + suffix)  # type: ignore[operator]
        raise
    store.close()
    if args.predictions:
        try:
            with open(args.predictions, "w", encoding="utf-8") as out:
                for article in articles:
                    out.write(json.dumps({"id": article.id, "story": report.story_of.get(article.id)}) + "\n")
        except OSError as exc:
            raise UsageError(f"{args.predictions}: cannot write ({exc.strerror or exc}); the stories are in "
                             f"the store") from None
    summary = {"read": len(articles), "skipped": skipped, "stored_articles": totals["articles"],
               "stories": totals["stories"], "partitions": report.partitions,
               "warmup_articles": report.warmup_articles, "joins": report.joins, "engine": args.engine,
               "workers": workers, "seconds": {k: round(v, 3) for k, v in report.seconds.items()}}
    if args.json:
        print(json.dumps(summary))
    elif not args.quiet:
        total = sum(v for k, v in report.seconds.items() if k != "partition_max")
        from .render import plural

        print(f"{PROG}: backfill of {plural(len(articles), 'article')} in {plural(report.partitions, 'partition')} on "
              f"{args.engine}: {totals['articles']:,} stored in {totals['stories']:,} stories "
              f"({report.joins:,} joins across boundaries, {skipped:,} bad items skipped) in {total:.1f} s.",
              file=sys.stderr)
    return 0


def _read(files: list[str], quiet: bool) -> tuple[list[Any], int]:
    """The articles of the input files, and how many bad items were skipped (the first 50 are shown)."""
    from ..ingest.sources import Problem, SourceError, read_source
    from .main import PROG, UsageError

    articles = []
    skipped = shown = 0

    def notice(message: str) -> None:  # kept, but changed: a broken link dropped, bytes not UTF-8
        if not quiet:
            print(f"{PROG}: warning: {message}", file=sys.stderr)

    for path in files:
        try:
            for item in read_source(path, notice):
                if isinstance(item, Problem):
                    skipped += 1
                    if not quiet and shown < 50:
                        print(f"{PROG}: skipped {item}", file=sys.stderr)
                        shown += 1
                else:
                    articles.append(item)
        except SourceError as exc:
            raise UsageError(str(exc)) from None
    if not articles:
        raise UsageError(f"no usable articles in {', '.join(files)}"
                         + (f" ({skipped:,} bad items skipped)" if skipped else ""))
    return articles, skipped
