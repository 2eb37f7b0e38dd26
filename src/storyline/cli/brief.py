"""``storyline brief``: a situation report of a period, or of what arrived since the last brief."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from typing import Any


def add_parsers(sub: Any, db_help: Callable[[], str], duration: Callable[[str], float],
                positive: Callable[[str], int]) -> None:
    """Register the ``brief`` command on the CLI's subparsers."""
    p = sub.add_parser("brief", help="a situation report: the biggest developments, new and developing stories",
                       description="A brief of the stories of a period, ranked by importance (coverage, growth, "
                                   "outlet diversity), with an executive summary, bursts of coverage explained, "
                                   "and what is new in each story. --since counts back from the newest article; "
                                   "--since-last starts where the last --since-last brief stopped, and moves that mark "
                                   "(other briefs, and those of a --topic, leave it alone).")
    when = p.add_mutually_exclusive_group()
    when.add_argument("--since", type=duration, metavar="AGE", help="the period: stories active within AGE "
                                                                    "(default 24h)")
    when.add_argument("--since-last", action="store_true",
                      help="what arrived since the last --since-last brief (a newsletter's next issue)")
    p.add_argument("--topic", metavar="QUERY", help="only stories a full-text query finds (e.g. 'port strike')")
    form = p.add_mutually_exclusive_group()
    form.add_argument("--format", choices=("md", "html", "json"), default=None,
                      help="Markdown (default), HTML or JSON; by default, what --out's extension says")
    form.add_argument("--json", dest="format", action="store_const", const="json",
                      help="the same as --format json (as every other command spells it)")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    p.add_argument("--limit", type=positive, default=10, metavar="N", help="at most N stories (default 10)")
    p.add_argument("--db", help=db_help())


def cmd_brief(args: argparse.Namespace) -> int:
    """Make the brief, write it, then, for ``--since-last``, move its mark (the web's ``/brief`` never does)."""
    from ..stories.brief import BriefError, build_brief, save_mark
    from ..stories.render_brief import render
    from ..stories.vocabulary import stored_vectorizer
    from .main import UsageError
    from ..store.open import sqlite_path
    from ..store.sqlite import default_path
    from .output import emit
    from .render import plural

    # The store and the saved vocabulary are all a brief reads: no engine, so no replay of the store.
    store = _open_store(args.db)
    try:
        if args.topic:
            from .search import say_plain_words

            say_plain_words(store, args.topic)
        try:
            brief = build_brief(store, stored_vectorizer(store), since=args.since, since_last=args.since_last,
                                topic=args.topic, limit=args.limit)
        except BriefError as exc:
            raise UsageError(str(exc)) from None
        text = render(brief, args.format or _format_of(args.out))
        if emit(text, args.out, [sqlite_path(args.db or default_path())]):
            print(f"storyline: brief of {plural(len(brief.stories), 'story', 'stories')} written to {args.out}",
                  file=sys.stderr)
        # Only the series of --since-last briefs moves its mark: a look at the last two hours must not
        # take the day's news out of the next newsletter. A topic's brief leaves the rest unbriefed.
        if args.since_last and not args.topic:
            save_mark(store)
    finally:
        store.close()
    return 0


def _format_of(out: str | None) -> str:
    """The format a file's extension asks for (``brief.html``), Markdown otherwise.

    >>> _format_of("brief.HTML"), _format_of("b.json"), _format_of("notes.txt"), _format_of(None)
    ('html', 'json', 'md', 'md')
    """
    ext = os.path.splitext(out or "")[1].lower()
    return {".html": "html", ".htm": "html", ".json": "json"}.get(ext, "md")


def _open_store(db: str | None) -> Any:
    """The store ``--db`` names; a missing file is a usage error, not a new empty store."""
    from ..store.open import open_store
    from .main import _existing_store

    return open_store(_existing_store(db))
