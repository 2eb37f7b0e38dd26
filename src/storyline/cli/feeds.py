"""``storyline feeds`` (add, import, list, remove, export) and ``storyline watch``.

Only the standard library is imported here at start-up; httpx, feedparser and the engine are loaded
when a command needs them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

PROG = "storyline"


def add_parsers(sub: Any, db_help: Callable[[], str], duration: Callable[[str], float],
                positive: Callable[[str], int]) -> None:
    """Register the ``feeds`` and ``watch`` commands on the CLI's subparsers."""
    p = sub.add_parser("feeds", help="the RSS/Atom feeds to follow: add, import OPML, list, remove, export",
                       description="Manage the feeds `storyline watch` follows. They are kept in the store "
                                   "(--db), each with its title, site, last fetch, last error and the number "
                                   "of articles it brought.")
    actions = p.add_subparsers(dest="action", metavar="ACTION")

    a = actions.add_parser("add", help="follow feed URLs",
                           description="Follow one or more RSS/Atom feed URLs (http or https; feed:// is read "
                                       "as http://). A URL already followed is left as it is.")
    a.add_argument("urls", nargs="+", metavar="URL")
    a.add_argument("--title", help="a name for the feed (with one URL; default: the feed's own title)")
    a.add_argument("--category", default="", help="folder to file the feeds under in OPML exports")
    a.add_argument("--db", help=db_help())

    a = actions.add_parser("import", help="follow every feed of an OPML file",
                           description="Follow every feed in an OPML subscription list, as exported by RSS "
                                       "readers (Miniflux, FreshRSS, Feedly, NewsBlur...); - reads stdin. "
                                       "Folders become categories. Feeds already followed are left as they are.")
    a.add_argument("file", metavar="FILE.opml")
    a.add_argument("--db", help=db_help())
    a.add_argument("--json", action="store_true", help="print the summary as JSON")

    a = actions.add_parser("list", help="the feeds followed, with their state",
                           description="List followed feeds: id, state (new, ok, failing), articles brought, "
                                       "last fetch, next fetch, title and URL, and the last error if any.")
    a.add_argument("--db", help=db_help())
    a.add_argument("--json", action="store_true", help="print a JSON array")

    a = actions.add_parser("remove", help="stop following feeds",
                           description="Stop following feeds, by id (see `storyline feeds list`) or URL. The "
                                       "articles they brought stay in the store.")
    a.add_argument("feeds", nargs="+", metavar="ID")
    a.add_argument("--db", help=db_help())

    a = actions.add_parser("export", help="write the feeds as OPML (to stdout)",
                           description="Write the followed feeds as an OPML 2.0 subscription list that RSS "
                                       "readers import: `storyline feeds export > feeds.opml`.")
    a.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")
    a.add_argument("--db", help=db_help())

    w = sub.add_parser("watch", help="follow the feeds: fetch, deduplicate and cluster new articles",
                       description="Fetch every due feed concurrently (politely: per-host limits, conditional "
                                   "GET, back-off on errors, Retry-After) and add new entries to the stories. "
                                   "Runs round after round until interrupted, or one round with --once. "
                                   "Progress and a summary of each round go to stderr. By default, feeds on "
                                   "loopback, private or link-local addresses are refused (SSRF guard). "
                                   "Settings can also come from the [watch] table of --config or "
                                   "STORYLINE_WATCH_<NAME> variables.",
                       epilog="Every setting, with its default: interval 15m, max_backoff 1d, max_retry_after 7d, "
                              "timeout 30 s, connect_timeout 10 s, max_bytes 5000000, max_decoded_bytes "
                              "15000000, max_redirects 5, concurrency 16, per_host 2, allow_private false, "
                              "user_agent (storyline's), fetch_articles false, snippet_words 80, "
                              "max_article_fetches 20, future_tolerance 900 s; in the [watch] table of --config "
                              "or as STORYLINE_WATCH_<NAME> (STORYLINE_WATCH_MAX_BYTES=2000000; "
                              "STORYLINE_ALLOW_PRIVATE=1 for allow_private). Add feeds first: "
                              "`storyline feeds add URL` or `storyline feeds import FILE.opml`.")
    w.add_argument("--interval", type=duration, metavar="AGE",
                   help="time between two fetches of a feed (default 15m; at least 1m; a feed's own ttl may "
                        "lengthen it)")
    w.add_argument("--once", action="store_true", help="run one round (the feeds that are due) and exit")
    w.add_argument("--force", action="store_true", help="fetch every feed now, whatever its schedule "
                   "(but never before the time a server asked for with Retry-After)")
    w.add_argument("--fetch-articles", action="store_true",
                   help="for entries that carry only a snippet, fetch the page and extract its main text")
    w.add_argument("--allow-private", action="store_true",
                   help="also fetch from loopback, private and link-local addresses (intranets, tests); "
                        "or set STORYLINE_ALLOW_PRIVATE=1")
    w.add_argument("--concurrency", type=positive, metavar="N", help="fetches at once (default 16)")
    w.add_argument("--per-host", type=positive, metavar="N", help="fetches at once to one host (default 2)")
    w.add_argument("--timeout", type=float, metavar="SECONDS",
                   help="seconds for a whole answer, redirects included (default 30)")
    w.add_argument("--db", help=db_help())
    w.add_argument("--config", metavar="TOML", help="configuration file ([storyline] and [watch] tables)")
    w.add_argument("--json", action="store_true", help="print each round's summary as a JSON line on stdout")
    w.add_argument("--quiet", "-q", action="store_true", help="no progress, feed errors or summary on stderr")


# -- helpers ---------------------------------------------------------------------------------------

def _usage(message: str) -> Exception:
    from .main import UsageError

    return UsageError(message)


def _db_path(db: str | None) -> str:
    """The file an SQLite ``--db`` value names, or the URL of a server store."""
    from ..store.open import sqlite_path
    from ..store.sqlite import default_path

    target = db or default_path()
    path = sqlite_path(target)
    return target if path is None else path


def _feed_store(db: str | None, create: bool):
    """``(store, FeedStore)`` for a ``--db`` value; the file is created only when ``create``."""
    from ..ingest.feeds import FeedStore
    from ..store.sqlite import open_store

    path = _db_path(db)
    if not create and "://" not in path and not os.path.exists(path):
        raise _usage(f"{path}: no such store; add feeds with `storyline feeds add URL` first")
    store = open_store(path)
    return store, FeedStore(store.db)


def _when(ts: float | None) -> str:
    if ts is None:
        return "never"
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M")


def _until(ts: float | None, now: float) -> str:
    from ..ingest.fetch import format_wait

    if ts is None or ts <= now:
        return "now"
    return "in " + format_wait(ts - now).replace(" ", "")


def _private_note(url: str) -> str | None:
    from ..ingest.netguard import BlockedURL, check_url

    try:
        check_url(url)
    except BlockedURL as exc:
        return str(exc).split(";", 1)[0].replace("refused", "note:", 1) + \
            "; `storyline watch` fetches it only with --allow-private"
    return None


# -- feeds -----------------------------------------------------------------------------------------

def cmd_feeds(args: argparse.Namespace) -> int:
    action = getattr(args, "action", None)
    if action is None:
        raise _usage("feeds needs an action: add, import, list, remove or export (see `storyline feeds --help`)")
    return {"add": _feeds_add, "import": _feeds_import, "list": _feeds_list, "remove": _feeds_remove,
            "export": _feeds_export}[action](args)


def _feeds_add(args: argparse.Namespace) -> int:
    from ..ingest.feeds import BadFeedURL

    if args.title and len(args.urls) > 1:
        raise _usage("--title names one feed; give one URL with it")
    store, feeds = _feed_store(args.db, create=True)
    bad = 0
    try:
        for url in args.urls:
            try:
                extra = {"category": args.category} if args.category else {}
                feed, added = feeds.add(url, title=args.title, extra=extra)
            except BadFeedURL as exc:
                print(f"{PROG}: error: {exc}", file=sys.stderr)
                bad += 1
                continue
            if added:
                print(f"added feed {feed.id}: {_shown(feed.url)}")
                note = _private_note(feed.url)
                if note:
                    print(f"{PROG}: {note}", file=sys.stderr)
            else:
                print(f"already following feed {feed.id}: {_shown(feed.url)}")
    finally:
        store.close()
    return 1 if bad else 0


def _feeds_import(args: argparse.Namespace) -> int:
    from ..ingest.feeds import BadFeedURL, normalize_feed_url
    from ..ingest.opml import OPMLError, read_opml
    from ..ingest.sources import looks_like_url

    try:
        data = sys.stdin.buffer.read() if args.file == "-" else open(args.file, "rb").read()
    except FileNotFoundError:
        if looks_like_url(args.file):
            raise _usage(f"{args.file}: a URL, not a file; import reads an OPML file (or - for stdin): "
                         "`curl -s URL | storyline feeds import -`, or `storyline feeds add URL` for a "
                         "feed") from None
        raise _usage(f"{args.file}: no such file") from None
    except IsADirectoryError:
        raise _usage(f"{args.file}: is a directory, not a file") from None
    except OSError as exc:
        raise _usage(f"{args.file}: cannot read ({exc.strerror})") from None
    try:
        outlines = read_opml(data)
    except OPMLError as exc:
        raise _usage(f"{args.file}: {exc}") from None
    items = []
    skipped: list[str] = []
    for o in outlines:
        try:
            url = normalize_feed_url(o.url)
        except BadFeedURL as exc:
            skipped.append(str(exc))
            continue
        items.append((url, o.title, o.site, {"category": o.category} if o.category else {}))
    store, feeds = _feed_store(args.db, create=True)
    try:
        added, known = feeds.add_many(items)
    finally:
        store.close()
    for reason in skipped[:50]:
        print(f"{PROG}: skipped {reason}", file=sys.stderr)
    summary = {"file": args.file, "feeds": len(outlines), "added": len(added), "already_followed": len(known),
               "skipped": len(skipped)}
    if args.json:
        print(json.dumps(summary))
    else:
        from .render import plural

        print(f"imported {plural(len(added), 'feed')} from {args.file} ({len(known):,} already followed, "
              f"{len(skipped):,} skipped)")
    if not outlines:
        print(f"{PROG}: {args.file} lists no feeds (no outline has an xmlUrl)", file=sys.stderr)
    return 0


def _feed_json(feed, now: float) -> dict[str, Any]:
    from ..model import iso

    state = "new" if feed.last_fetch is None else "failing" if feed.failures else "ok"
    return {"id": feed.id, "url": feed.url, "title": feed.title, "site": feed.site, "state": state,
            "category": feed.category, "added_at": iso(feed.added_at), "last_fetch": iso(feed.last_fetch),
            "last_status": feed.last_status, "last_error": feed.last_error, "failures": feed.failures,
            "next_fetch": iso(feed.next_fetch), "articles_seen": feed.articles_seen,
            "warning": feed.extra.get("warning")}


def _feeds_list(args: argparse.Namespace) -> int:
    store, feeds = _feed_store(args.db, create=False)
    try:
        rows = feeds.all()
    finally:
        store.close()
    now = time.time()
    if args.json:
        print(json.dumps([_feed_json(f, now) for f in rows], ensure_ascii=False, indent=1))
        return 0
    if not rows:
        print("No feeds yet. Add some with `storyline feeds add URL` or `storyline feeds import FILE.opml`.")
        return 0
    print(f"{'ID':>4}  {'STATE':<12} {'ARTICLES':>8}  {'LAST FETCH (UTC)':<16}  {'NEXT':<8}  FEED")
    for f in rows:
        state = _feed_json(f, now)["state"]
        if state == "failing":
            state = f"failing ×{f.failures}"
        name = f"{f.title} <{_shown(f.url)}>" if f.title else _shown(f.url)
        print(f"{f.id:>4}  {state:<12} {f.articles_seen:>8,}  {_when(f.last_fetch):<16}  "
              f"{_until(f.next_fetch, now):<8}  {name}")
        if f.failures and f.last_error:
            print(f"{'':>6}last error: {f.last_error}")
    return 0


def _feeds_remove(args: argparse.Namespace) -> int:
    from ..ingest.feeds import UnknownFeed

    store, feeds = _feed_store(args.db, create=False)
    missing = 0
    try:
        for ref in args.feeds:
            try:
                feed = feeds.remove(ref)
            except UnknownFeed as exc:
                print(f"{PROG}: error: {exc}", file=sys.stderr)
                missing += 1
                continue
            print(f"removed feed {feed.id}: {_shown(feed.url)} (its {feed.articles_seen:,} articles stay in the store)")
    finally:
        store.close()
    return 1 if missing else 0


def _feeds_export(args: argparse.Namespace) -> int:
    from ..ingest.opml import OutlineFeed, write_opml
    from ..store.open import sqlite_path
    from ..store.sqlite import default_path
    from .output import emit

    store, feeds = _feed_store(args.db, create=False)
    try:
        rows = feeds.all()
    finally:
        store.close()
    doc = write_opml(OutlineFeed(f.url, f.title, f.site, f.category) for f in rows)
    if emit(doc, args.output, [sqlite_path(args.db or default_path())], flag="--output"):
        print(f"exported {len(rows):,} feeds to {args.output}", file=sys.stderr)
    return 0


# -- watch -----------------------------------------------------------------------------------------

class _Reporter:
    """Feed errors as they happen, a progress line, and a summary per round, on stderr."""

    def __init__(self, quiet: bool, stream=None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = 0.1 if self.tty else 10.0
        self.next = time.monotonic() + (0.5 if self.tty else self.every)
        self.live = False
        self.entries = 0

    def _write(self, line: str) -> None:
        if self.live:
            self.stream.write("\r\033[K")
            self.live = False
        self.stream.write(line + "\n")
        self.stream.flush()

    def feed(self, result, done: int, total: int) -> None:
        from ..ingest.fetch import format_wait

        if self.quiet:
            return
        self.entries += result.entries
        now_wall = time.time()
        if result.outcome == "failed":
            wait = format_wait(max(0.0, result.update.next_fetch - now_wall))
            times = f", {result.update.failures} times in a row" if result.update.failures > 1 else ""
            self._write(f"{PROG}: feed {result.feed.id} {_shown(result.feed.url)}: {result.error} "
                        f"(next try in {wait}{times})")
        elif result.warning:
            self._write(f"{PROG}: feed {result.feed.id} {_shown(result.feed.url)}: {result.warning}")
        if result.problems:  # entries that could not become articles: say which feed, and why
            n = len(result.problems)
            self._write(f"{PROG}: feed {result.feed.id} {_shown(result.feed.url)}: {n} {'entry' if n == 1 else 'entries'} "
                        f"skipped ({result.problems[0]}{', ...' if n > 1 else ''})")
        now = time.monotonic()
        if done == 1:  # a new round: the first progress line is due a moment from now
            self.next = now + (0.5 if self.tty else self.every)
        if now >= self.next and done < total:
            self.next = now + self.every
            line = f"watch: {done:,}/{total:,} feeds, {self.entries:,} entries"
            if self.tty:
                self.stream.write("\r" + line + "\033[K")
                self.live = True
            else:
                self.stream.write(line + "\n")
            self.stream.flush()

    def round(self, s) -> None:
        from ..ingest.fetch import format_wait

        self.entries = 0
        if self.quiet:
            return
        parts = [f"{s.fetched:,} fetched", f"{s.not_modified:,} not modified"]
        if s.unchanged:
            parts.append(f"{s.unchanged:,} unchanged")
        parts.append(f"{s.failed:,} failed")
        from .render import plural

        line = (f"watch: {plural(s.due, 'feed')} in {s.seconds:.1f} s: {', '.join(parts)}; "
                f"{plural(s.added, 'new article')} ({plural(s.new, 'new story', 'new stories')}, "
                f"{s.joined:,} joined {'a story' if s.joined == 1 else 'stories'}, {plural(s.copy, 'copy', 'copies')}), "
                f"{s.duplicate:,} already stored")
        if s.skipped:
            line += f", {plural(s.skipped, 'bad entry', 'bad entries')} skipped"
        if s.pages_fetched or s.pages_failed:
            line += f"; full text from {s.pages_fetched:,} article pages ({s.pages_failed:,} failed)"
        if s.next_due is not None:
            line += f". Next feed due in {format_wait(max(0.0, s.next_due - time.time()))}."
        self._write(line)
        if s.failing:
            ids = ", ".join(str(f["feed"]) for f in s.failing[:20])
            more = f" and {len(s.failing) - 20} more" if len(s.failing) > 20 else ""
            failing = plural(len(s.failing), "feed keeps", "feeds keep")
            self._write(f"watch: {failing} failing (3+ times in a row): {ids}{more}; "
                        "see `storyline feeds list`")

    def idle(self, next_due: float | None) -> None:
        from ..ingest.fetch import format_wait

        if self.quiet:
            return
        when = "" if next_due is None else f"; the next is due in {format_wait(max(0.0, next_due - time.time()))}"
        self._write(f"watch: no feed is due{when} (--force fetches them now, but never before a server's Retry-After)")


def _settings(args: argparse.Namespace):
    from ..ingest.watch import SettingsError, WatchSettings

    try:
        settings = WatchSettings.load(args.config)
    except FileNotFoundError:
        raise _usage(f"{args.config}: no such configuration file") from None
    except OSError as exc:
        raise _usage(f"{args.config}: cannot read the configuration file ({exc.strerror or exc})") from None
    except (SettingsError, ValueError) as exc:
        raise _usage(f"configuration: {exc}") from None
    flags: dict[str, object] = {}
    if args.interval is not None:
        flags["interval"] = args.interval
    if args.fetch_articles:
        flags["fetch_articles"] = True
    if args.allow_private:
        flags["allow_private"] = True
    if args.concurrency is not None:
        flags["concurrency"] = args.concurrency
    if args.per_host is not None:
        flags["per_host"] = args.per_host
    if args.timeout is not None:
        if not 0 < args.timeout < float("inf"):  # nan and inf too: a fetch must end
            raise _usage("--timeout must be more than 0 seconds")
        flags["timeout"] = args.timeout
    try:
        settings = settings.with_overrides(flags) if flags else settings
    except SettingsError as exc:  # e.g. --interval 0: one line, as for a bad setting in the file
        raise _usage(f"{exc}") from None
    if settings.interval < 60:
        raise _usage("--interval must be at least 1m: be polite to the servers")
    return settings


def cmd_watch(args: argparse.Namespace) -> int:
    import asyncio

    from ..engine import Engine
    from ..ingest.feeds import FeedStore
    from ..ingest.watch import Watcher
    from .main import _config

    config = _config(args.config)  # first: it words a file that cannot be read or is not TOML
    settings = _settings(args)
    path = _db_path(args.db)
    if "://" not in path and not os.path.exists(path):
        raise _usage(f"{path}: no such store; add feeds with `storyline feeds add URL` or "
                     "`storyline feeds import FILE.opml` first")
    engine = Engine(path, config, batch_size=1000)
    try:
        db = getattr(engine.store, "db", None)
        if db is None:
            raise _usage("watch needs an SQLite store")
        feeds = FeedStore(db)
        if feeds.count() == 0:
            raise _usage("no feeds to watch; add some with `storyline feeds add URL` or "
                         "`storyline feeds import FILE.opml`")
        reporter = _Reporter(args.quiet)
        watcher = Watcher(engine, feeds, settings, on_feed=reporter.feed)

        def on_round(summary) -> None:
            reporter.round(summary)
            from ..alerts.hook import after_ingest

            after_ingest(engine, args.quiet)  # watchlists: alerts after the round's articles are stored
            if args.json:
                print(json.dumps(summary.to_dict()), flush=True)

        if args.once:
            try:
                summary = asyncio.run(_once(watcher, args.force))
            except asyncio.CancelledError:
                if not args.quiet:
                    print("watch: stopped; what the feeds that had answered brought is stored", file=sys.stderr)
                return 143  # 128 + SIGTERM: the round did not finish
            if summary.due:
                on_round(summary)
            else:
                reporter.idle(summary.next_due)
                if args.json:
                    print(json.dumps(summary.to_dict()))
            return 1 if summary.due and summary.failed == summary.due else 0
        try:
            asyncio.run(_forever(watcher, on_round, args.force, args.quiet))
        except asyncio.CancelledError:
            if not args.quiet:
                print("watch: stopped", file=sys.stderr)
        return 0
    finally:
        engine.close()


async def _forever(watcher, on_round, force: bool, quiet: bool) -> None:
    """Rounds until SIGTERM (a clean stop) or Ctrl-C; what was ingested is already flushed."""
    _stop_on_sigterm()

    def busy(reason: str) -> None:
        if not quiet:
            print(f"storyline: watch: the store is busy ({reason}); the round is tried again in a minute",
                  file=sys.stderr)

    await watcher.run_forever(on_round=on_round, force=force, on_busy=busy)


async def _once(watcher, force: bool):
    """One round; SIGTERM (cron's `timeout`, systemd) stops it as Ctrl-C does: what the feeds that had
    answered brought is stored, the others are given back at once (not held for ten minutes)."""
    _stop_on_sigterm()
    return await watcher.run_round(force=force)


def _stop_on_sigterm() -> None:
    import asyncio
    import signal

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    try:
        if task is not None:
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
    except (NotImplementedError, RuntimeError):  # not on this platform
        pass


def _shown(url: str) -> str:
    """A feed URL for a message: a password in it (``https://user:pw@host/feed``) shown as ``***``.
    `feeds export` and `--json` keep it whole: they are how the feed is fetched again.

    >>> _shown("https://reader:s3cret@news.example/rss"), _shown("https://news.example/rss")
    ('https://reader:***@news.example/rss', 'https://news.example/rss')
    """
    from ..store.open import redact

    return redact(url)
