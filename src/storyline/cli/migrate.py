"""``storyline migrate --from SRC --to DST``: copy a whole store to another backend, and prove it whole."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any


def add_parser(sub: Any) -> None:
    """Register the ``migrate`` command on the CLI's subparsers."""
    p = sub.add_parser("migrate", help="copy a store to another backend (e.g. SQLite to PostgreSQL)",
                       description="Copy everything in a store (articles, stories, decisions, engine state, "
                                   "feeds, watchlists, alerts, cached descriptions) into a new, empty store, "
                                   "then compare row counts and a checksum of both. Stores are named as for "
                                   "--db: a path, sqlite:///PATH or postgresql://USER@HOST/DB.",
                       epilog="Example: storyline migrate --from sqlite:///news.db --to postgresql://news@db/news")
    p.add_argument("--from", dest="source", required=True, metavar="STORE", help="the store to copy (unchanged)")
    p.add_argument("--to", dest="target", required=True, metavar="STORE", help="a new or empty store to fill")
    p.add_argument("--json", action="store_true", help="print the counts and checksums as JSON")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")


def cmd_migrate(args: argparse.Namespace) -> int:
    from ..store.errors import StoreError
    from ..store.open import open_store
    from ..store.transfer import copy_store
    from .main import PROG, UsageError

    if _sqlite_path(args.source) is not None and not os.path.exists(_sqlite_path(args.source)):
        raise UsageError(f"{args.source}: no such store")
    if _sqlite_path(args.source) is not None and os.path.getsize(_sqlite_path(args.source)) == 0:
        raise UsageError(f"{args.source}: an empty file, not a storyline store: nothing to copy")
    source = open_store(args.source)
    target_file = _sqlite_path(args.target)
    new_file = target_file is not None and not os.path.exists(target_file)
    try:
        target = open_store(args.target)
    except BaseException:
        source.close()
        raise
    shown: dict[str, int] = {}

    def progress(table: str, rows: int) -> None:
        if args.quiet:
            return
        if rows < 0:  # the table is done: its total, if a count was shown on the way
            if table in shown and shown[table] != -1 - rows:
                print(f"{PROG} migrate: {table}: {-1 - rows:,} rows, done", file=sys.stderr)
        elif rows - shown.get(table, 0) >= 20000 or table not in shown:
            shown[table] = rows
            print(f"{PROG} migrate: {table}: {rows:,} rows{'' if rows < 2000 else ' so far'}", file=sys.stderr)

    finished = False
    try:
        report = copy_store(source, target, progress)
        finished = report.ok
    except StoreError:
        raise
    except Exception as exc:  # noqa: BLE001 - a driver error mid-copy: one line, not a traceback
        raise StoreError(f"copy to {target.path} failed: {type(exc).__name__}: "
                         f"{str(exc).strip().splitlines()[0] if str(exc).strip() else ''}") from None
    finally:
        source.close()
        target.close()
        if new_file and not finished:  # (^C too) leave no half copy behind; a server's is marked unfinished
            for suffix in ("", "-wal", "-shm", "-writer"):
                if os.path.exists(target_file + suffix):  # type: ignore[operator]
                    os.remove(target_file + suffix)  # type: ignore[operator]
    if args.json:
        print(json.dumps({"ok": report.ok, "counts": report.counts, "copied_counts": report.copied_counts,
                          "checksum": report.checksum, "copied_checksum": report.copied_checksum}))
    if not report.ok:
        differ = [t for t in report.counts if report.counts[t] != report.copied_counts.get(t)]
        kept = "it was removed" if new_file else "it is marked unfinished, and commands refuse it"
        raise StoreError(f"the copy in {target.path} differs from {source.path} "
                         f"({'rows of ' + ', '.join(differ) if differ else 'checksum'}; was the store written "
                         f"to during the copy? stop its writers first); {kept}")
    if not args.quiet:
        c = report.counts
        print(f"{PROG} migrate: copied {c['articles']:,} articles, {c['stories']:,} stories, {c['feeds']:,} feeds, "
              f"{c['watchlists']:,} watchlists, {c['alerts']:,} alerts; counts and checksum "
              f"{report.checksum[:16]} match", file=sys.stderr)
    return 0


def _sqlite_path(target: str) -> str | None:
    """The SQLite file a store value names (``None`` for a server); an empty path is refused there."""
    from ..store.open import sqlite_path

    return sqlite_path(target)
