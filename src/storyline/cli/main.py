"""The ``storyline`` command line: ingest, stories, show, why, eval, demo, brief, watchlist, alerts.

Imports are lazy on purpose: ``storyline eval`` is timed as a whole process, start-up included.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sqlite3
import stat
import sys
import threading
import time
from collections.abc import Sequence
from typing import TextIO

from .backfill import add_parsers as add_backfill_parsers, cmd_backfill
from .brief import add_parsers as add_brief_parsers, cmd_brief
from .feeds import add_parsers as add_feed_parsers, cmd_feeds, cmd_watch
from .serve import cmd_serve
from .watchlists import add_parsers as add_watchlist_parsers, cmd_alerts, cmd_watchlist
from .migrate import add_parser as add_migrate_parser, cmd_migrate
from .search import add_parser as add_search_parser, cmd_search

PROG = "storyline"


class UsageError(Exception):
    """A mistake in how the command was called; the message says how to fix it."""


def _duration(text: str) -> float:
    """Seconds in ``30m``, ``24h``, ``7d``, ``2w`` (a bare number is hours); see ``config.parse_duration``."""
    from ..config import parse_duration

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _age(text: str) -> float:
    """A ``--since`` age: a duration above zero, as the web's ``?since=`` takes it (``0h`` would be the
    newest article's second alone)."""
    seconds = _duration(text)
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is no period; give a duration above zero (e.g. 6h, 24h, 7d)")
    return seconds


def _positive(text: str) -> int:
    """A count of 1 or more; beyond what SQLite can hold it is capped there (a limit that large means all)."""
    from ..config import MAX_INT

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return min(value, MAX_INT)


def _port(text: str) -> int:
    """A TCP port, 0 to 65535 (0: any free port), checked before the server starts."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port: ports go from 0 to 65535")
    return value


def _db_help() -> str:
    return ("the store: an SQLite file (PATH, or sqlite:///PATH: three slashes for a relative path, four for "
            "an absolute one) or a postgresql:// URL (default: $STORYLINE_DB, else ./storyline.db)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Turn a stream of news articles into stories: deduplicate, cluster, name and explain.",
        epilog="Start with `storyline demo`, then `storyline ingest YOUR.jsonl` and `storyline stories`.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    # Also after the command; here too because `storyline --db news.db stories` is how many tools are used.
    parser.add_argument("--db", dest="top_db", metavar="DB", help="the store, for the commands that use one "
                        "(the same as giving --db after the command)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("ingest", help="add articles from JSONL, CSV, RSS/Atom files or - (stdin)",
                       description="Add articles to the store. Formats by suffix (.jsonl/.json, .csv/.tsv, "
                                   ".xml/.rss/.atom) or by content; - reads stdin (JSONL and CSV as they arrive: "
                                   "what has come is written whenever the input pauses). Re-ingesting is safe: "
                                   "articles already stored are recognised and skipped.")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--db", help=_db_help())
    p.add_argument("--config", metavar="TOML", help="configuration file (see storyline.config.Config)")
    p.add_argument("--no-embeddings", action="store_true",
                   help="sparse features only: faster, no cross-lingual stories (same as embeddings = \"none\")")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress, problems or summary on stderr")

    p = sub.add_parser("stories", help="list top stories, newest activity first",
                       description="List stories, most recently active first. --since counts back from the "
                                   "newest article in the store.")
    p.add_argument("--since", type=_age, metavar="AGE", help="only stories active within AGE (e.g. 24h, 7d)")
    p.add_argument("--limit", type=_positive, default=20, metavar="N", help="at most N stories (default 20)")
    p.add_argument("--sort", choices=("activity", "coverage"), default="activity",
                   help="newest activity first (default), or most outlets and articles first")
    p.add_argument("--storylines", action="store_true",
                   help="related stories tied into storylines (same actors and theme over weeks)")
    p.add_argument("--db", help=_db_help())
    p.add_argument("--json", action="store_true", help="print a JSON array")

    p = sub.add_parser("show", help="everything about one story",
                       description="Show a story: headline, summary, entities, timeline and coverage.")
    p.add_argument("story", type=int, metavar="STORY_ID")
    p.add_argument("--db", help=_db_help())
    p.add_argument("--json", action="store_true", help="print a JSON object")

    p = sub.add_parser("why", help="why an article is in its story",
                       description="Which story an article joined and the scores that decided it.")
    p.add_argument("article", metavar="ARTICLE_ID")
    p.add_argument("--db", help=_db_help())
    p.add_argument("--json", action="store_true", help="print a JSON object")

    p = sub.add_parser("eval", help="cluster a labelled JSONL file and score it (BCubed, ARI)",
                       description="Cluster a labelled file from scratch in a temporary store, in file order, "
                                   "without reading its 'story' labels, then score against them.")
    p.add_argument("file", metavar="FILE.jsonl", help="one JSON article a line with a gold 'story' label "
                   "(- reads stdin); lines without one, and repeated ids, are skipped and counted")
    p.add_argument("--json", action="store_true", help="print one JSON object on the last line")
    p.add_argument("--predictions", metavar="OUT.jsonl", help='write {"id": ..., "story": ...} per article '
                   "(another file than FILE)")
    p.add_argument("--config", metavar="TOML", help="configuration file (see storyline.config.Config)")
    p.add_argument("--no-embeddings", action="store_true",
                   help="sparse features only: faster, no cross-lingual stories (same as embeddings = \"none\")")

    p = sub.add_parser("demo", help="load the built-in demo news and show the top stories",
                       description="Load a demo corpus shipped with storyline (invented news) into a store "
                                   "and print the top stories.")
    p.add_argument("--db", default=None, help="SQLite file for the demo (default: ./storyline-demo.db); a store "
                                              "that holds other news is refused")
    p.add_argument("--limit", type=_positive, default=8, metavar="N", help="stories to show (default 8)")

    p = sub.add_parser("serve", help="the web page, JSON API and Atom feeds of a store",
                       description="Serve a store over HTTP: front page, story pages, search, entity pages, "
                                   "a JSON API (docs at /api/docs) and Atom feeds. Works on an SQLite file and "
                                   "on a PostgreSQL store (--db postgresql://...), also beside other processes "
                                   "writing to it. Writes (POST /api/articles) need $STORYLINE_TOKEN when it "
                                   "is set.")
    p.add_argument("--db", help=_db_help())
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1, this machine only)")
    p.add_argument("--port", type=_port, default=8080, help="port, 0 to 65535 (default 8080)")
    p.add_argument("--demo", action="store_true", help="load the built-in demo news first (into ./storyline-demo.db "
                                                       "unless --db is given), then serve it")
    p.add_argument("--no-warm", action="store_true", help="describe stories only when a page shows them "
                                                          "(no background pass)")
    p.add_argument("--watch", action="store_true", help="also follow the store's feeds, as `storyline watch` does "
                                                        "(settings from STORYLINE_WATCH_* variables)")
    p.add_argument("--allow-private", action="store_true", help="with --watch: fetch from private and loopback "
                                                                "addresses too")

    add_feed_parsers(sub, _db_help, _duration, _positive)  # feeds, watch
    add_brief_parsers(sub, _db_help, _age, _positive)  # brief
    add_watchlist_parsers(sub, _db_help, _positive)  # watchlist, alerts
    add_migrate_parser(sub)  # migrate
    add_backfill_parsers(sub, _db_help, _duration, _positive)  # backfill
    add_search_parser(sub, _db_help, _positive)  # search
    return parser


def _version() -> str:
    from .. import __version__

    return __version__


def _config(path: str | None, args: argparse.Namespace | None = None):
    config = _load_config(path)
    if args is not None and getattr(args, "no_embeddings", False):
        config = config.with_overrides({"embeddings": "none"})
    return config


def _load_config(path: str | None):
    from ..config import Config

    try:
        return Config.load(path)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such configuration file") from None
    except IsADirectoryError:
        raise UsageError(f"{path}: is a folder, not a configuration file") from None
    except OSError as exc:  # unreadable: permissions, a broken disk
        raise UsageError(f"{path}: cannot read the configuration file ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise UsageError(f"configuration: {exc}") from None


def cmd_ingest(args: argparse.Namespace, db: str | None = None, quiet: bool | None = None) -> int:
    from ..alerts.hook import after_ingest
    from ..engine import Engine
    from ..ingest.pauses import PAUSED, with_pauses
    from ..ingest.sources import Problem, SourceError, read_source
    from .progress import Progress

    quiet = args.quiet if quiet is None else quiet
    progress = Progress("ingest")
    counts = {"read": 0, "new": 0, "joined": 0, "copy": 0, "duplicate": 0, "skipped": 0}
    failed: list[str] = []
    problems_shown = 0
    warnings: list[str] = []  # what was kept but changed: a feed entry's broken link, bytes not UTF-8
    from ..store.sqlite import default_path

    def notice(message: str) -> None:
        warnings.append(message)
        if not quiet and len(warnings) <= 50:
            print(f"{PROG}: warning: {message}", file=sys.stderr)

    missing = [p for p in args.files if p != "-" and not os.path.lexists(p) and "://" not in p]
    if missing and len(missing) == len(args.files):
        # Nothing to read: say so before opening the store, which would leave an empty new file behind
        # (a later `stories --db` would then no longer say there is no such store).
        for path in missing[:-1]:
            print(f"{PROG}: error: {path}: no such file", file=sys.stderr)
        raise UsageError(f"{missing[-1]}: no such file")
    # A service manager stops a process with SIGTERM: stop as ^C does, writing what was read. Set
    # before the engine opens the store, whose first write may wait for another writer's turn.
    stop_on_term = threading.current_thread() is threading.main_thread()
    if stop_on_term:
        before_term = signal.signal(signal.SIGTERM, _interrupt)
    try:
        engine = Engine(db or args.db or default_path(), _config(getattr(args, "config", None), args),
                        batch_size=500)
    except BaseException:
        if stop_on_term:
            signal.signal(signal.SIGTERM, before_term)
        raise
    batch: list = []
    interrupted = False

    def place() -> None:
        # Articles are placed in small batches: embeddings are computed several times faster so.
        for assignment in engine.add_many(batch):
            counts[assignment.kind] += 1
        batch.clear()
        if not quiet:
            progress.update(counts["read"])

    from ..ingest.records import FUTURE_SLACK, MAX_TEXT, MAX_TITLE
    from ..store.errors import StoreError
    from .render import plural, when

    future = time.time() + FUTURE_SLACK
    try:
        for path in args.files:
            try:
                items = read_source(path, notice)
                if _trickles(path):  # write what arrived whenever the input pauses (see ingest.pauses)
                    items = with_pauses(items, pause=1.0)
                records = 0
                ahead, newest = 0, 0.0  # articles dated in the future (they move every window's end)
                full = 0  # articles whose title or text reached the limit it is cut at
                for item in items:
                    records += item is not PAUSED
                    if item is PAUSED:
                        place()
                        engine.flush()
                        after_ingest(engine, quiet)
                        continue
                    if isinstance(item, Problem):
                        counts["skipped"] += 1
                        if not quiet and problems_shown < 50:
                            print(f"{PROG}: skipped {item}", file=sys.stderr)
                            problems_shown += 1
                        continue
                    counts["read"] += 1
                    if item.published is not None and item.published > future:
                        ahead, newest = ahead + 1, max(newest, item.published)
                    full += len(item.title) >= MAX_TITLE or len(item.text) >= MAX_TEXT
                    batch.append(item)
                    if len(batch) >= 64:
                        place()
                if ahead:
                    notice(f"{path}: {plural(ahead, 'article')} dated in the future (the latest "
                           f"{when(newest)}): `--since`, briefs and the web count back from the newest "
                           "article's date, so their windows end there")
                if full:
                    notice(f"{path}: {plural(full, 'article')} reached the limit of {MAX_TITLE:,} characters "
                           f"for a title or {MAX_TEXT:,} for a text; longer ones were cut there")
                if not records and path != "-" and _blank(path):  # likely not the file that was meant
                    raise SourceError(f"{path}: no articles in it (it is empty)")
            except SourceError as exc:
                failed.append(str(exc))
                print(f"{PROG}: error: {exc}", file=sys.stderr)
            place()
        engine.flush()
        after_ingest(engine, quiet)  # watchlists: alerts for new matches and bursts, after the commit
        totals = engine.store.counts()
    except KeyboardInterrupt:
        interrupted = True
        # The records read before ^C are kept (closing writes them), as the ones placed are; but a
        # stop must not wait long for another process holding the store (it may have been what the
        # stop interrupted).
        limit_wait = getattr(engine.store, "limit_wait", None)
        if limit_wait is not None:
            limit_wait(2.0)
        try:
            place()
        except StoreError:
            if batch and not quiet:
                print(f"{PROG}: {plural(len(batch), 'article')} read but not yet stored (another process was "
                      "writing to the store); run the ingest again to add them", file=sys.stderr)
            batch.clear()
        raise
    finally:
        if stop_on_term:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # closing writes the last batch: let it finish
        try:
            engine.close()
        finally:
            progress.close()
            if stop_on_term:
                signal.signal(signal.SIGTERM, before_term)
            if interrupted and not quiet:  # what a stop kept, before the one line that says it stopped
                stored = counts["new"] + counts["joined"] + counts["copy"]
                print(f"{PROG}: stopped after {plural(counts['read'], 'article')} read: {stored:,} new "
                      f"{'one' if stored == 1 else 'ones'} stored, {counts['duplicate']:,} already stored "
                      "(run the same command again to go on)", file=sys.stderr)
    if counts["skipped"] > problems_shown and not quiet:
        more = counts['skipped'] - problems_shown
        print(f"{PROG}: … and {more:,} more skipped {'item' if more == 1 else 'items'}", file=sys.stderr)
    if len(warnings) > 50 and not quiet:
        print(f"{PROG}: … and {len(warnings) - 50} more warnings", file=sys.stderr)
    summary = {**counts, "warnings": len(warnings), "failed_inputs": failed,
               "stored_articles": totals["articles"], "stories": totals["stories"]}
    if args.json:
        print(json.dumps(summary))
    elif not quiet:
        from .render import plural

        print(f"{PROG}: read {plural(counts['read'], 'article')}: {_placed(counts['new'], 'started')}, "
              f"{_placed(counts['joined'], 'joined')}, {plural(counts['copy'], 'copy', 'copies')}, "
              f"{counts['duplicate']:,} already stored; {plural(counts['skipped'], 'bad item')} skipped"
              f"{', ' + plural(len(warnings), 'warning') if warnings else ''}. "
              f"Store: {plural(totals['articles'], 'article')} in {plural(totals['stories'], 'story', 'stories')}.",
              file=sys.stderr)
    whole_job_failed = len(failed) == len(args.files) or (counts["read"] == 0 and counts["skipped"] > 0)
    return 1 if whole_job_failed or failed else 0


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is written (``main()`` may run again with it swapped)."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def _say_warnings() -> None:
    """Let the library's warnings reach stderr as this program's lines (``storyline: ...``)."""
    logger = logging.getLogger("storyline")
    if not logger.handlers:
        handler = _Stderr()
        handler.setFormatter(logging.Formatter(f"{PROG}: %(message)s"))
        handler.setLevel(logging.WARNING)
        logger.addHandler(handler)


def _placed(n: int, how: str) -> str:
    """``1 started a story``, ``3 joined stories``: what ``n`` articles did."""
    return f"{n:,} {how} {'a story' if n == 1 else 'stories'}"


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _blank(path: str) -> bool:
    """Whether a file holds nothing but white space (a feed without entries is not blank: it is quiet)."""
    try:
        with open(path, "rb") as f:
            while chunk := f.read(65536):
                if chunk.strip():
                    return False
    except OSError:
        return False
    return True


def _trickles(path: str) -> bool:
    """Whether an input may pause for long between records: stdin, a named pipe, a device (not a file
    on disk, whose records are all there)."""
    if path == "-":
        return True
    try:
        return not stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False  # reading it says what is wrong


def _existing_store(db: str | None) -> str:
    """The store ``--db`` names, refused when it is an SQLite file that is not there (reading never
    creates an empty store)."""
    from ..store.open import redact, sqlite_path
    from ..store.sqlite import default_path

    target = db or default_path()
    path = sqlite_path(target)
    if path is not None and not os.path.exists(path):
        if not db and not os.environ.get("STORYLINE_DB") and os.path.exists("storyline-demo.db"):  # from `demo`
            raise UsageError(f"{redact(target)}: no such store; the demo news is in storyline-demo.db: "
                             "add `--db storyline-demo.db`")
        raise UsageError(f"{redact(target)}: no such store; run `storyline ingest FILE` or `storyline demo` first")
    if path is not None and os.path.isfile(path) and os.path.getsize(path) == 0:
        # Opening it would make it a store: reading must leave a file as it found it.
        raise UsageError(f"{target}: an empty file, not a storyline store yet; `storyline ingest FILE --db "
                         f"{target}` makes it one")
    return target


def _check_writable(path: str, flag: str, keep: Sequence[str | None] = ()) -> None:
    """Refuse an output file that could not be written, before the work whose results it is to hold;
    and one that would overwrite what must be kept: a file of ``keep`` (the command's inputs, its
    store) or any SQLite database."""
    folder = os.path.dirname(path) or "."
    if os.path.isdir(path):
        raise UsageError(f"{flag} {path}: is a folder; name a file to write")
    if not os.path.exists(folder):
        raise UsageError(f"{flag} {path}: folder {folder} does not exist")
    if not os.path.isdir(folder):
        raise UsageError(f"{flag} {path}: {folder} is not a folder")
    for other in keep:
        if other and other != "-" and (os.path.abspath(other) == os.path.abspath(path) or (
                os.path.exists(other) and os.path.exists(path) and os.path.samefile(other, path))):
            raise UsageError(f"{flag} {path}: is also what this command reads or stores; name another file")
    for suffix in _STORE_COMPANIONS:  # a store's journal and locks: writing one corrupts the store
        base = path[: -len(suffix)]
        if path.endswith(suffix) and os.path.isfile(base) and _is_sqlite(base):
            raise UsageError(f"{flag} {path}: belongs to the store {base} (its {suffix[1:]} file), which "
                             "writing would destroy; name another file")
    if os.path.isfile(path) and _is_sqlite(path):
        raise UsageError(f"{flag} {path}: is an SQLite database (a store?), which writing would destroy; "
                             "name another file")
    if not os.access(path if os.path.exists(path) else folder, os.W_OK):
        raise UsageError(f"{flag} {path}: cannot write there (permission denied)")


#: Files SQLite and storyline keep beside a store (``news.db-wal``...).
_STORE_COMPANIONS = ("-wal", "-shm", "-journal", "-writer")


def _is_sqlite(path: str) -> bool:
    try:
        with open(path, "rb") as existing:
            return existing.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _open_reader(db: str | None):
    """The store's stories for commands that only read: no engine start-up (it replays the store)."""
    from ..stories.reader import StoryReader

    return StoryReader(_existing_store(db), _config(None))


def cmd_stories(args: argparse.Namespace) -> int:
    from .render import story_lines, story_summary_json

    if args.storylines:
        return _storylines(args)
    with _open_reader(args.db) as reader:
        since = None
        if args.since is not None:
            latest = reader.store.latest_time()
            since = None if latest is None else latest - args.since
        stories = reader.stories(since=since, limit=args.limit, sort=args.sort)
    return _print_ranked(args.json, stories, story_summary_json, story_lines,
                         _NONE_SINCE.format("stories") if since is not None else
                         "No stories yet. Add articles with `storyline ingest FILE`.")


#: What an empty list says when --since filtered it (the store is not empty then).
_NONE_SINCE = "No {} active in that period (--since counts back from the newest article)."


def _storylines(args: argparse.Namespace) -> int:
    from .render import storyline_json, storyline_lines

    with _open_reader(args.db) as reader:
        since = None
        if args.since is not None:  # counted back from the newest article, as for stories
            latest = reader.store.latest_time()
            since = None if latest is None else latest - args.since
        lines = reader.storylines(limit=args.limit, since=since, sort=args.sort)
    return _print_ranked(args.json, lines, storyline_json, storyline_lines,
                         _NONE_SINCE.format("storylines") if since is not None else
                         "No storylines yet: no two stories are related closely enough.")


def _print_ranked(as_json: bool, items: Sequence, to_json, to_lines, empty: str) -> int:
    """A ranked list for programs (one JSON array) or for people (numbered blocks)."""
    if as_json:
        print(json.dumps([to_json(item) for item in items], ensure_ascii=False, indent=1))
        return 0
    if not items:
        print(empty)
        return 0
    for rank, item in enumerate(items, start=1):
        print("\n".join(to_lines(rank, item)))
        print()
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from ..config import MAX_INT
    from .render import story_json, story_page

    with _open_reader(args.db) as reader:
        # An id SQLite cannot hold names no story (asking would be an OverflowError).
        story = reader.story(args.story) if -MAX_INT - 1 <= args.story <= MAX_INT else None
    if story is None:
        raise UsageError(f"no story {args.story}; `storyline stories` lists them")
    if args.json:
        print(json.dumps(story_json(story), ensure_ascii=False, indent=1))
    else:
        print("\n".join(story_page(story)))
    return 0


def cmd_why(args: argparse.Namespace) -> int:
    from .render import when

    with _open_reader(args.db) as reader:
        out = reader.why(args.article)
        if out is None:
            raise UsageError(f"no article {args.article!r} in the store")
        row = reader.store.article(args.article)
        assert row is not None
    why, live = out, out["story"]
    placed = why["placed_in"]  # the story it went to then; a merge may have moved it since
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    print(f"{row.title}\n  [{row.id}, {row.source or 'unknown outlet'}, {when(row.published)}]")
    kind = why["kind"]
    scores = why.get("scores", {})
    parts = ", ".join(f"{k} {v}" for k, v in scores.items() if k != "total")
    if kind == "copy":
        print(f"is a near-identical copy of article {why.get('copy_of')} "
              f"(shingle resemblance {scores.get('resemblance', 1.0)}), so it is in story {live}.")
    elif kind == "new":
        if "runner_up" in why:
            print(f"started story {placed}: the closest story ({why['runner_up']}) scored "
                  f"{why['runner_up_score']}, below the threshold {why['threshold']}.")
        else:
            print(f"started story {placed}: no active story shared its key words.")
    else:
        print(f"joined story {placed} with score {why['score']} (threshold {why['threshold']}): {parts}.")
        if why.get("reopened"):
            print(f"the story had gone quiet ({_days(scores.get('hours_apart'))} before this article); "
                  "its text retells the story, so it was reopened.")
        if "runner_up" in why:
            print(f"next best: story {why['runner_up']} with {why['runner_up_score']}.")
        if why.get("merged"):
            print(f"it tied stories together: story {', '.join(map(str, why['merged']))} merged into this one.")
    if why.get("furniture"):
        n = len(why["furniture"])
        print(f"read without {n} sentence{'s' if n != 1 else ''} that its outlet printed on its other pages "
              "(page furniture).")
    if live != placed:
        print(f"story {placed} has since merged into story {live}.")
    if out["headline"] is not None:
        print(f"story {live}: {out['headline']}")
    return 0


def _days(hours: object) -> str:
    """``19 days`` for a number of hours (``"a while"`` when not known)."""
    if not isinstance(hours, (int, float)):
        return "a while"
    days = round(hours / 24)
    return f"{days} day{'' if days == 1 else 's'}"


def cmd_eval(args: argparse.Namespace) -> int:
    from ..evaluate.run import EvalError, evaluate
    from .progress import Progress

    config = _config(args.config, args)
    if args.predictions == "-":
        raise UsageError("--predictions -: name a file to write (or /dev/stdout, before the summary)")
    if args.predictions:
        _check_writable(args.predictions, "--predictions", [args.file])  # now, not after the clustering
    progress = Progress("eval")
    try:
        result = evaluate(args.file, config, args.predictions, progress.update)
    except EvalError as exc:
        raise UsageError(str(exc)) from None
    except OSError as exc:  # the predictions file, written at the end (checked, but a disk can fill)
        if not args.predictions:
            raise
        raise UsageError(f"{args.predictions}: cannot write ({exc.strerror or exc})") from None
    finally:
        progress.close()
    for warning in result["warnings"]:  # type: ignore[attr-defined]  # e.g. bytes that were not UTF-8
        print(f"{PROG}: warning: {warning}", file=sys.stderr)
    for problem in result["problems"]:  # type: ignore[attr-defined]
        print(f"{PROG}: skipped {problem}", file=sys.stderr)
    if result["skipped"] > len(result["problems"]):  # type: ignore[arg-type]
        print(f"{PROG}: … and {result['skipped'] - len(result['problems']):,} more lines skipped",  # type: ignore[operator]
              file=sys.stderr)
    if args.json:
        print(json.dumps(result))
        return 0
    from .render import plural

    skipped = f", {plural(result['skipped'], 'line')} skipped" if result["skipped"] else ""
    print(f"{result['file']}: {plural(result['articles'], 'article')} → "
          f"{plural(result['stories'], 'story', 'stories')} (gold: {result['gold_stories']:,}{skipped})")
    print(f"  BCubed precision {result['bcubed_precision']:.3f}  recall {result['bcubed_recall']:.3f}  "
          f"F1 {result['bcubed_f1']:.3f}   ARI {result['ari']:.3f}")
    print(f"  {result['seconds']:.2f} s ({result['articles_per_second']:,.0f} articles/s)")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from importlib.resources import as_file, files

    from .render import story_lines

    db = args.db or "storyline-demo.db"
    resource = files("storyline") / "data" / "demo.jsonl"
    with as_file(resource) as path:
        _refuse_other_news(db, str(path))
        ns = argparse.Namespace(files=[str(path)], json=False, quiet=True, config=None, db=db)
        cmd_ingest(ns, db=db, quiet=True)
    with _open_reader(db) as reader:
        counts = reader.store.counts()
        stories = reader.stories(limit=args.limit, sort="coverage")
    if not stories:
        raise UsageError(f"the demo corpus gave no stories in {db}; is the storyline installation complete?")
    from ..store.open import redact

    print(f"Demo: {counts['articles']:,} invented articles from the built-in corpus → "
          f"{counts['stories']:,} stories (store: {redact(db)})\n")
    print(f"The {len(stories)} most covered stories:\n")
    for rank, story in enumerate(stories, start=1):
        print("\n".join(story_lines(rank, story)))
        print()
    print("Next steps:")
    print(f"  storyline show {stories[0].id} --db {db}        # everything about the top story")
    print(f"  storyline stories --db {db} --json   # for programs: newest activity first (--limit N: more)")
    print("  storyline ingest my-news.jsonl        # your own news (JSONL, CSV, RSS/Atom, or - for stdin)")
    print("  storyline stories                     # then your top stories (store: ./storyline.db)")
    return 0


def _refuse_other_news(db: str, corpus: str) -> None:
    """Refuse a store that holds articles other than the demo's: invented news must not mix with real news.

    A new store, or one holding the demo (a second ``storyline demo``, or the demo and articles added
    to ``serve --demo``), is fine: loading the demo again adds nothing to it.
    """
    from ..store.open import open_store, redact, sqlite_path

    path = sqlite_path(db)
    if path is not None and not os.path.exists(path):
        return
    with open(corpus, encoding="utf-8") as handle:
        demo_ids = [json.loads(line)["id"] for line in handle if line.strip()]
    store = open_store(db)
    try:
        stored = store.counts()["articles"]
        present = sum(store.article(i) is not None for i in demo_ids) if stored else 0
        other = stored - present
    finally:
        store.close()
    if other and not present:  # a store of the demo holds its articles; a store of real news none
        fresh = "demo-news.db" if os.path.basename(path or "") == "storyline-demo.db" else "storyline-demo.db"
        which = "article that is" if other == 1 else "articles that are"
        raise UsageError(f"{redact(db)} already holds {other:,} {which} not the demo's, and the demo "
                         f"would add invented news to them; give the demo a store of its own: "
                         f"`storyline demo --db {fresh}`")


COMMANDS = {"ingest": cmd_ingest, "stories": cmd_stories, "show": cmd_show, "why": cmd_why,
            "eval": cmd_eval, "demo": cmd_demo, "feeds": cmd_feeds, "watch": cmd_watch,
            "serve": cmd_serve, "brief": cmd_brief, "watchlist": cmd_watchlist, "alerts": cmd_alerts,
            "backfill": cmd_backfill, "migrate": cmd_migrate, "search": cmd_search}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    if args.command != "serve":  # (the server sets up its own log lines)
        _say_warnings()
    if args.top_db is not None:
        if not hasattr(args, "db") and args.command in ("eval", "migrate"):  # (others lack it before an action)
            parser.error(f"{args.command} does not use --db" + (" (it takes --from and --to)"
                                                                 if args.command == "migrate" else ""))
        if getattr(args, "db", None) not in (None, args.top_db):
            from ..store.open import redact

            parser.error(f"two stores given: --db {redact(args.top_db)} and --db {redact(args.db)}")
        args.db = args.top_db
    from ..store.sqlite import StoreError
    from ..text.embeddings import EmbeddingError

    try:
        if getattr(args, "db", None) is not None:
            from ..store.open import sqlite_path

            sqlite_path(args.db)  # an empty path is refused here, before any work
        return COMMANDS[args.command](args)
    except (UsageError, StoreError, EmbeddingError) as exc:  # a model that is not there: what to install
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `storyline stories | head`: the reader left; nothing is wrong
        return 0
    except sqlite3.Error as exc:  # a store file this user may read but not write, a damaged disk
        from ..store.open import redact
        from ..store.sqlite import default_path

        where = redact(getattr(args, "db", None) or default_path())
        print(f"{PROG}: error: {where}: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if not type(exc).__module__.startswith("psycopg"):
            raise
        # A PostgreSQL store lost its server (or a query failed) mid-command: one line, not a traceback.
        detail = str(exc).strip().splitlines()
        print(f"{PROG}: error: PostgreSQL: {detail[0] if detail else type(exc).__name__}", file=sys.stderr)
        return 1
