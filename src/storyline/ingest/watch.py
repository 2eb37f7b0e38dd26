"""Following feeds: rounds of concurrent, polite fetches whose new entries go through the engine.

A :class:`Watcher` runs *rounds*. Each round fetches every feed that is due (all of them with
``force``) at once, within the fetch limits; a feed that answers 304, or the same bytes as last
time, costs no parse. The articles of the round are then added to the sink (the engine: duplicates
skipped, the rest clustered) in order of publication, the sink is flushed, and only then is each
feed's state written (validators, schedule, errors), so a round cut short loses nothing: its feeds are
fetched again. A feed that fails is retried after an exponential back-off (``interval``,
``2 × interval``, ... up to ``max_backoff``), never sooner than its ``Retry-After``; one feed's failure
never affects another.

:meth:`Watcher.run_round` is a coroutine so that a server can run it from a background task;
:meth:`Watcher.run_forever` loops over rounds until stopped. Time comes from ``clock`` and waiting
from ``sleep``, both injectable, so schedules are tested without sleeping.

A server follows feeds in the background like this (the sink is called on the event loop's thread,
once per round, in one burst)::

    engine = Engine("news.db")
    watcher = Watcher(engine, FeedStore(engine.store.db), WatchSettings.load("storyline.toml"))
    stop = asyncio.Event()
    task = asyncio.create_task(watcher.run_forever(on_round=print, stop=stop))
    ...                          # serve requests
    stop.set(); await task       # the current round finishes, everything is flushed
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Protocol

from ..model import Article, Assignment, iso
from .entries import FeedParseError, ParsedFeed, parse_feed
from .feeds import Feed, FeedStore, FeedUpdate
from .fetch import PAGE_ACCEPT, FetchError, Fetched, Fetcher, FetchLimits
from .netguard import BlockedURL


class ArticleSink(Protocol):
    """Where new articles go: :class:`storyline.engine.Engine` is one."""

    def add(self, article: Article) -> Assignment: ...

    def flush(self) -> None: ...

    def story_of(self, article_id: str) -> int | None: ...


class SettingsError(ValueError):
    """A watch setting with a wrong name or value."""


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def _seconds(value: object) -> float:
    """Seconds from a number or a duration like ``15m``.

    >>> _seconds(90), _seconds("15m"), _seconds("2h")
    (90.0, 900.0, 7200.0)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().lower()
    unit = _UNITS.get(text[-1:], 0)
    try:
        return float(text[:-1]) * unit if unit else float(text)
    except ValueError:
        raise SettingsError(f"not a duration: {value!r} (try 90, 15m, 2h)") from None


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"not a yes/no value: {value!r}")


@dataclass(frozen=True)
class WatchSettings(FetchLimits):
    """How feeds are followed: the fetch limits (timeouts, size caps, concurrency, SSRF guard) and
    the schedule. Defaults are polite for public servers.

    Overridable from the ``[watch]`` table of the configuration file, from ``STORYLINE_WATCH_<NAME>``
    environment variables (and ``STORYLINE_ALLOW_PRIVATE``), and from command-line flags.

    >>> WatchSettings.load(env={"STORYLINE_WATCH_INTERVAL": "30m", "STORYLINE_ALLOW_PRIVATE": "1"}).interval
    1800.0
    """

    #: Seconds between two fetches of a feed that works (a feed's ``<ttl>`` can only lengthen it).
    interval: float = 900.0
    #: Longest wait after repeated failures, in seconds.
    max_backoff: float = 86400.0
    #: Longest ``Retry-After`` honoured, in seconds.
    max_retry_after: float = 7 * 86400.0
    #: Fetch the article page for entries that carry only a snippet, and extract its main text.
    fetch_articles: bool = False
    #: An entry with fewer words than this is a snippet (for ``fetch_articles``).
    snippet_words: int = 80
    #: Article pages fetched per feed per round at most.
    max_article_fetches: int = 20
    #: Entry dates more than this many seconds after the fetch are clamped to the fetch time.
    future_tolerance: float = 900.0

    def limits(self) -> FetchLimits:
        """The fetch limits these settings imply."""
        return FetchLimits(**{f.name: getattr(self, f.name) for f in fields(FetchLimits)})

    def with_overrides(self, values: Mapping[str, object]) -> "WatchSettings":
        """A copy with some settings replaced; strings are converted (durations like ``15m`` too)."""
        kinds = {f.name: f.type for f in fields(self)}
        changes: dict[str, Any] = {}
        for key, value in values.items():
            name = key.lower().replace("-", "_")
            if name not in kinds:
                raise SettingsError(f"unknown watch setting: {key}")
            kind = str(kinds[name])
            try:
                if kind == "bool":
                    changes[name] = _flag(value)
                elif kind == "float":
                    changes[name] = _seconds(value)
                elif kind == "int":
                    changes[name] = int(str(value).replace("_", ""))
                else:
                    changes[name] = str(value)
            except ValueError as exc:
                raise SettingsError(f"{name}: {exc}") from None
        result = replace(self, **changes)
        for name in ("concurrency", "per_host", "max_bytes", "max_decoded_bytes"):
            if getattr(result, name) < 1:
                raise SettingsError(f"{name} must be 1 or more")
        for name in ("interval", "timeout"):
            if getattr(result, name) <= 0:
                raise SettingsError(f"{name} must be more than 0")
        return result

    @classmethod
    def load(cls, path: str | Path | None = None, env: Mapping[str, str] | None = None) -> "WatchSettings":
        """Defaults, then the ``[watch]`` table of a TOML file, then the environment."""
        settings = cls()
        if path is not None:
            import tomllib

            with open(path, "rb") as handle:
                data = tomllib.load(handle)
            table = data.get("watch") or data.get("storyline", {}).get("watch") or {}
            if not isinstance(table, dict):
                raise SettingsError("[watch] must be a table")
            settings = settings.with_overrides(table)
        environ = os.environ if env is None else env
        names = {f.name.upper() for f in fields(cls)}
        values = {k[len("STORYLINE_WATCH_"):]: v for k, v in environ.items()
                  if k.startswith("STORYLINE_WATCH_") and k[len("STORYLINE_WATCH_"):] in names}
        if "STORYLINE_ALLOW_PRIVATE" in environ:
            values.setdefault("ALLOW_PRIVATE", environ["STORYLINE_ALLOW_PRIVATE"])
        return settings.with_overrides(values) if values else settings


# -- what a round finds --------------------------------------------------------------------------------

@dataclass
class FeedResult:
    """What fetching one feed found. ``outcome`` is ``fetched`` (parsed), ``not_modified`` (304),
    ``unchanged`` (the same bytes as last time: not parsed) or ``failed`` (``error`` says why)."""

    feed: Feed
    outcome: str
    update: FeedUpdate
    status: int | None = None
    error: str | None = None
    warning: str | None = None
    articles: list[Article] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    entries: int = 0
    parsed: bool = False
    received: int = 0
    pages_fetched: int = 0
    pages_failed: int = 0
    added: int = 0                      # articles new to the store (filled in after ingesting)
    kinds: Counter = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        return self.outcome != "failed"


@dataclass
class RoundSummary:
    """Counters of one round, for progress lines, JSON output and tests."""

    started: float
    seconds: float = 0.0
    fetch_seconds: float = 0.0   # fetching and parsing (concurrently)
    ingest_seconds: float = 0.0  # adding the articles to the engine, flushing, recording feed states
    feeds: int = 0               # feeds followed
    due: int = 0                 # feeds fetched this round
    fetched: int = 0             # answered with a document that was parsed
    not_modified: int = 0        # answered 304: no parse
    unchanged: int = 0           # answered the same bytes as last time: no parse
    failed: int = 0
    parsed: int = 0              # documents parsed
    entries: int = 0             # entries in the parsed documents
    skipped: int = 0             # entries that could not become articles
    new: int = 0                 # articles that started a story
    joined: int = 0              # articles that joined a story
    copy: int = 0                # near-identical copies of stored articles
    duplicate: int = 0           # articles already stored (skipped)
    pages_fetched: int = 0       # article pages fetched for full text
    pages_failed: int = 0
    requests: int = 0
    bytes_received: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)   # one per failed feed
    failing: list[dict[str, Any]] = field(default_factory=list)  # feeds that failed 3+ times in a row
    next_due: float | None = None

    @property
    def added(self) -> int:
        """Articles new to the store this round."""
        return self.new + self.joined + self.copy

    def to_dict(self) -> dict[str, Any]:
        """The counters as ``watch --json`` prints them (times in ISO 8601 UTC, as all its JSON)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["added"] = self.added
        if out["next_due"] is not None and not math.isfinite(out["next_due"]):
            out["next_due"] = out["started"]
        out["started"], out["next_due"] = iso(out["started"]), iso(out["next_due"])
        out["errors"] = [{**e, "next_fetch": iso(e["next_fetch"])} for e in out["errors"]]
        return out


#: A feed that failed this many times in a row is listed as failing in every round summary.
FAILING_AFTER = 3
#: Seconds a round holds the feeds it fetches against other watchers of the store (more than a round
#: takes; one killed mid-round leaves its feeds to be fetched again after this).
CLAIM_SECONDS = 600.0


def _asked_to_wait(feed: Feed, now: float) -> bool:
    """Whether the feed's server asked (``Retry-After``, with any status) not to be fetched before a
    time still to come."""
    until = feed.extra.get("retry_until")
    if isinstance(until, (int, float)):
        return until > now
    # Rows recorded before the time was kept: a 429 or 503 carried it.
    return feed.last_status in (429, 503) and feed.next_fetch is not None and feed.next_fetch > now


class Watcher:
    """Follows the feeds of a :class:`FeedStore` into an :class:`ArticleSink` (an engine).

    ``on_feed(result, done, total)`` is called as each feed's fetch ends (for progress lines).
    """

    def __init__(self, sink: ArticleSink, feeds: FeedStore, settings: WatchSettings | None = None,
                 clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
                 on_feed: Callable[[FeedResult, int, int], None] | None = None) -> None:
        self.sink = sink
        self.feeds = feeds
        self.settings = settings or WatchSettings()
        self.clock = clock
        self.sleep = sleep
        self.on_feed = on_feed
        self.rounds = 0
        self._saved: set[int] = set()  # feeds whose fetch this round recorded

    # -- schedule ---------------------------------------------------------------------------------

    def schedule(self, feed: Feed, now: float, ok: bool, retry_after: float | None = None,
                 ttl: float | None = None) -> tuple[int, float]:
        """``(failures, next_fetch)`` after a fetch of ``feed`` at ``now`` that worked or not.

        >>> w = Watcher(None, None, WatchSettings(interval=600))  # type: ignore[arg-type]
        >>> f = Feed(1, "https://x.example/rss", failures=2)
        >>> w.schedule(f, 0.0, ok=False), w.schedule(f, 0.0, ok=False, retry_after=7200), w.schedule(f, 0.0, ok=True)
        ((3, 2400.0), (3, 7200.0), (0, 600.0))
        """
        s = self.settings
        if ok:
            delay = max(s.interval, ttl or 0.0)
            return 0, now + delay
        failures = feed.failures + 1
        delay = min(s.max_backoff, s.interval * 2 ** min(failures - 1, 30))
        if retry_after is not None:
            delay = max(delay, min(retry_after, s.max_retry_after))
        return failures, now + delay

    def _failed(self, feed: Feed, error: str, status: int | None = None,
                retry_after: float | None = None) -> FeedResult:
        now = self.clock()
        failures, next_fetch = self.schedule(feed, now, False, retry_after)
        # Kept so that --force knows a server's wish (whatever its status) from our own back-off.
        until = now + min(retry_after, self.settings.max_retry_after) if retry_after is not None else None
        update = FeedUpdate(feed.id, now, status, error, failures, next_fetch, extra={"retry_until": until})
        return FeedResult(feed, "failed", update, status=status, error=error)

    # -- one feed ---------------------------------------------------------------------------------

    async def _fetch_feed(self, fetcher: Fetcher, feed: Feed) -> FeedResult:
        """Fetch and parse one feed; never raises (but for cancellation): failures are results."""
        try:
            return await self._fetch_feed_or_raise(fetcher, feed)
        except (FetchError, BlockedURL, FeedParseError) as exc:
            return self._failed(feed, str(exc), getattr(exc, "status", None), getattr(exc, "retry_after", None))
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug or an unforeseen input must not stop the other feeds
            return self._failed(feed, f"unexpected error: {type(exc).__name__}: {exc}")

    async def _fetch_feed_or_raise(self, fetcher: Fetcher, feed: Feed) -> FeedResult:
        s = self.settings
        answer: Fetched = await fetcher.get(feed.url, feed.etag, feed.last_modified)
        now = self.clock()
        moved = answer.moved_to
        if answer.status == 304:
            failures, next_fetch = self.schedule(feed, now, True, ttl=feed.extra.get("ttl"))
            update = FeedUpdate(feed.id, now, 304, None, failures, next_fetch, answer.etag, answer.last_modified,
                                validators=bool(answer.etag or answer.last_modified), url=moved,
                                extra={"retry_until": None})
            if update.validators:  # a 304 may refresh one validator; keep the other
                update = replace(update, etag=answer.etag or feed.etag,
                                 last_modified=answer.last_modified or feed.last_modified)
            return FeedResult(feed, "not_modified", update, status=304, received=answer.received)
        digest = hashlib.blake2b(answer.body, digest_size=16).hexdigest()
        if digest == feed.extra.get("digest"):
            failures, next_fetch = self.schedule(feed, now, True, ttl=feed.extra.get("ttl"))
            update = FeedUpdate(feed.id, now, 200, None, failures, next_fetch, answer.etag, answer.last_modified,
                                validators=True, url=moved, extra={"retry_until": None})
            return FeedResult(feed, "unchanged", update, status=200, received=answer.received)
        parsed: ParsedFeed = await asyncio.to_thread(
            parse_feed, answer.body, answer.url, now, answer.content_type, feed.title, s.future_tolerance)
        articles = parsed.articles
        result_pages = (0, 0)
        if s.fetch_articles and articles:
            articles, result_pages = await self._full_texts(fetcher, articles)
        failures, next_fetch = self.schedule(feed, now, True, ttl=parsed.ttl)
        extra: dict[str, Any] = {"retry_until": None, "digest": digest, "entries": parsed.entries, "ttl": parsed.ttl,
                                 "warning": parsed.warning}
        update = FeedUpdate(feed.id, now, 200, None, failures, next_fetch, answer.etag, answer.last_modified,
                            validators=True, title=parsed.title, site=parsed.site, url=moved, extra=extra)
        return FeedResult(feed, "fetched", update, status=200, warning=parsed.warning, articles=articles,
                          problems=parsed.problems, entries=parsed.entries, parsed=True, received=answer.received,
                          pages_fetched=result_pages[0], pages_failed=result_pages[1])

    async def _full_texts(self, fetcher: Fetcher, articles: list[Article]) -> tuple[list[Article], tuple[int, int]]:
        """Articles whose snippets were replaced by the main text of their pages, where that worked."""
        s = self.settings
        todo = [i for i, a in enumerate(articles)
                if a.url and len(a.text.split()) < s.snippet_words and self.sink.story_of(a.id) is None]
        todo = todo[: s.max_article_fetches]
        if not todo:
            return articles, (0, 0)
        from .fulltext import extract_text

        async def page(article: Article) -> Article | None:
            assert article.url is not None
            try:
                answer = await fetcher.get(article.url, accept=PAGE_ACCEPT)
            except (FetchError, BlockedURL):
                return None
            kind = answer.content_type.split(";", 1)[0].strip().lower()
            if answer.status != 200 or (kind and "html" not in kind):
                return None
            text = await asyncio.to_thread(extract_text, answer.body, answer.url, article.title)
            if not text or len(text) <= len(article.text):
                return None
            return replace(article, text=text)

        found = await asyncio.gather(*(page(articles[i]) for i in todo))
        out = list(articles)
        for i, article in zip(todo, found):
            if article is not None:
                out[i] = article
        done = sum(a is not None for a in found)
        return out, (done, len(todo) - done)

    # -- a round ----------------------------------------------------------------------------------

    async def run_round(self, force: bool = False) -> RoundSummary:
        """Fetch every due feed (every feed with ``force``), ingest what is new, record the results."""
        start = time.perf_counter()
        now = self.clock()
        if force:  # whatever our schedule says; never before the time a server asked for (Retry-After)
            due = [f for f in self.feeds.all() if not _asked_to_wait(f, now)]
        else:
            due = self.feeds.due(now)
        # Taken for this round, so that another watcher of the store leaves them alone; given back
        # below if the round ends before their fetch is recorded.
        claimed_until = now + CLAIM_SECONDS
        due = self.feeds.claim(due, claimed_until)
        summary = RoundSummary(started=now, feeds=self.feeds.count(), due=len(due))
        self.rounds += 1
        results: list[FeedResult] = []
        self._saved = set()
        try:
            await self._fetch_and_ingest(due, results, summary, start)
        except BaseException:
            try:
                self.feeds.release([f for f in due if f.id not in self._saved], claimed_until)
            except Exception:  # noqa: BLE001 - the store itself failed: the first error is the one to say
                pass
            raise
        summary.next_due = self.feeds.next_due()
        summary.seconds = time.perf_counter() - start
        return summary

    async def _fetch_and_ingest(self, due: list[Feed], results: list[FeedResult], summary: RoundSummary,
                                start: float) -> None:
        if due:
            async with Fetcher(self.settings.limits(), self.clock) as fetcher:
                tasks = [asyncio.ensure_future(self._fetch_feed(fetcher, feed)) for feed in due]
                try:
                    for done, next_result in enumerate(asyncio.as_completed(tasks), start=1):
                        result = await next_result
                        results.append(result)
                        if self.on_feed is not None:
                            self.on_feed(result, done, len(due))
                except BaseException:
                    # Stopped (Ctrl-C, SIGTERM) while slow feeds were still answering: what the others
                    # brought is stored now; a feed that rotates fast may not carry it next time.
                    if results:
                        results.sort(key=lambda r: r.feed.id)
                        self._ingest(results, summary)
                    raise
                finally:
                    for task in tasks:
                        task.cancel()
                summary.requests = fetcher.requests
            results.sort(key=lambda r: r.feed.id)
            summary.fetch_seconds = time.perf_counter() - start
            self._ingest(results, summary)
            summary.ingest_seconds = time.perf_counter() - start - summary.fetch_seconds

    def _ingest(self, results: list[FeedResult], summary: RoundSummary) -> None:
        """Add the round's articles in order of publication, flush, then record every feed's state.

        Synchronous on purpose: nothing can interleave between the flush and the feed states.
        """
        queue = [(a.published or 0.0, r.feed.id, i, a, r) for r in results for i, a in enumerate(r.articles)]
        queue.sort(key=lambda item: item[:3])
        embed_ahead = getattr(self.sink, "embed_ahead", None)
        if embed_ahead is not None:  # embeddings in batches: several times faster than one by one
            embed_ahead([item[3] for item in queue])
        for _, _, _, article, result in queue:
            try:
                kind = self.sink.add(article).kind
            except Exception as exc:  # one bad article must not cost the round
                result.problems.append(f"{article.id}: not added ({type(exc).__name__}: {exc})")
                continue
            result.kinds[kind] += 1
            if kind != "duplicate":
                result.added += 1
        self.sink.flush()
        self.feeds.save([replace(r.update, articles_added=r.added) for r in results])
        self._saved.update(r.feed.id for r in results)
        for r in results:
            summary.bytes_received += r.received
            summary.parsed += r.parsed
            summary.entries += r.entries
            summary.skipped += len(r.problems)
            summary.pages_fetched += r.pages_fetched
            summary.pages_failed += r.pages_failed
            for kind, n in r.kinds.items():
                setattr(summary, kind, getattr(summary, kind) + n)
            if r.outcome == "failed":
                summary.failed += 1
                summary.errors.append({"feed": r.feed.id, "url": r.feed.url, "error": r.error,
                                       "status": r.status, "failures": r.update.failures,
                                       "next_fetch": r.update.next_fetch})
                if r.update.failures >= FAILING_AFTER:
                    summary.failing.append({"feed": r.feed.id, "url": r.feed.url, "failures": r.update.failures,
                                            "error": r.error})
            else:
                setattr(summary, r.outcome, getattr(summary, r.outcome) + 1)

    # -- rounds forever ---------------------------------------------------------------------------

    def seconds_to_next(self, max_wait: float = 60.0) -> float:
        """Seconds until the next feed is due, at most ``max_wait`` (feeds added meanwhile are found)."""
        due = self.feeds.next_due()
        if due is None:
            return max_wait
        return max(0.0, min(max_wait, due - self.clock()))

    async def run_forever(self, on_round: Callable[[RoundSummary], None] | None = None,
                          stop: asyncio.Event | None = None, force: bool = False,
                          max_wait: float = 60.0, on_busy: Callable[[str], None] | None = None) -> None:
        """Run rounds until ``stop`` is set (or the task is cancelled), waiting for the next due feed.

        ``on_round`` is called after each round that fetched something. A round that finds the store
        locked by another process for longer than its busy timeout is tried again at the next wait
        (``on_busy`` is told why): a long write elsewhere must not end a watcher that runs for days.
        """
        while stop is None or not stop.is_set():
            try:
                summary = await self.run_round(force=force)
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if on_busy is not None:
                    on_busy(str(exc))
                await self.sleep(max_wait)
                continue
            force = False
            if summary.due and on_round is not None:
                on_round(summary)
            if stop is not None and stop.is_set():
                break
            wait = max(self.seconds_to_next(max_wait), 1.0)
            if stop is None:
                await self.sleep(wait)
            else:
                sleeper = asyncio.ensure_future(self.sleep(wait))
                stopper = asyncio.ensure_future(stop.wait())
                try:
                    await asyncio.wait({sleeper, stopper}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    sleeper.cancel()
                    stopper.cancel()
