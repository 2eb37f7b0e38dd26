"""The feeds a store follows: the ``feeds`` table (schema 3) as typed records.

A :class:`FeedStore` works on the SQLite connection of a store (``engine.store.db``); it adds, lists
and removes feeds and records what each fetch found: validators for conditional GET, the schedule,
failures and the last error. Settings that have no column of their own (the OPML category, the hash
of the last document) live in the ``extra`` JSON.

>>> import sqlite3
>>> from storyline.store.sqlite import SQLiteStore
>>> feeds = FeedStore(SQLiteStore(":memory:").db, clock=lambda: 1000.0)
>>> feed, added = feeds.add("feed://news.example/rss.xml", title="News")
>>> feed.id, feed.url, added, feeds.add("http://news.example/rss.xml")[1]
(1, 'http://news.example/rss.xml', True, False)
>>> [f.url for f in feeds.due(now=1000.0)]
['http://news.example/rss.xml']
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

_COLUMNS = ("id, url, title, site, added_at, etag, last_modified, last_fetch, last_status, last_error, "
            "failures, next_fetch, articles_seen, extra")


class BadFeedURL(ValueError):
    """A feed URL that cannot be followed (not http or https, no host)."""


class UnknownFeed(LookupError):
    """No feed with that id or URL is followed."""


@dataclass(frozen=True)
class Feed:
    """A followed feed and what its last fetch found."""

    id: int
    url: str
    title: str | None = None
    site: str | None = None
    added_at: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    last_fetch: float | None = None
    last_status: int | None = None
    last_error: str | None = None
    failures: int = 0
    next_fetch: float | None = None
    articles_seen: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The title if known, else the host."""
        return self.title or urlsplit(self.url).hostname or self.url

    @property
    def category(self) -> str:
        """The folder the feed was filed under in an OPML list ('' if none)."""
        return str(self.extra.get("category") or "")


@dataclass(frozen=True)
class FeedUpdate:
    """What one fetch of a feed changes in its row (``None`` leaves a value as it is unless noted)."""

    id: int
    last_fetch: float
    last_status: int | None
    last_error: str | None            # always written: None clears the last error
    failures: int                     # always written
    next_fetch: float                 # always written
    etag: str | None = None           # written (possibly to None) when ``validators`` is True
    last_modified: str | None = None
    validators: bool = False
    title: str | None = None          # filled only where the row has none
    site: str | None = None
    url: str | None = None            # a permanent redirect's target, if no other feed has it
    articles_added: int = 0
    extra: dict[str, Any] = field(default_factory=dict)  # merged into the row's extra


def normalize_feed_url(url: str) -> str:
    """A feed URL as stored: http(s) with a host, ``feed://`` read as http, scheme and host lower-cased.

    >>> normalize_feed_url(" HTTPS://News.Example/rss?x=1#top "), normalize_feed_url("news.example/feed")
    ('https://news.example/rss?x=1', 'https://news.example/feed')
    >>> normalize_feed_url("ftp://news.example/feed")
    Traceback (most recent call last):
    ...
    storyline.ingest.feeds.BadFeedURL: ftp://news.example/feed: not an http or https URL
    """
    text = url.strip()
    if not text:
        raise BadFeedURL("an empty feed URL")
    lowered = text.lower()
    if lowered.startswith("feed://"):
        text = "http://" + text[7:]
    elif lowered.startswith("feed:"):
        text = text[5:]
    if "://" not in text and not text.startswith("/") and "." in text.split("/", 1)[0]:
        text = "https://" + text  # a bare host name, as people type it
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise BadFeedURL(f"{url.strip()}: not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise BadFeedURL(f"{url.strip()}: not an http or https URL")
    if not host:
        raise BadFeedURL(f"{url.strip()}: no host name")
    netloc = parts.netloc
    at = netloc.rfind("@") + 1
    netloc = netloc[:at] + netloc[at:].lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", parts.query, ""))


class FeedStore:
    """Feeds in a storyline SQLite store; ``clock`` gives the time (injectable for tests)."""

    def __init__(self, db: sqlite3.Connection, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    # -- reading -----------------------------------------------------------------------------------

    def all(self) -> list[Feed]:
        """Every feed, in the order they were added."""
        return [_feed(r) for r in self.db.execute(f"SELECT {_COLUMNS} FROM feeds ORDER BY id")]

    def get(self, ref: int | str) -> Feed:
        """One feed by id (or a string of digits) or URL; :class:`UnknownFeed` if there is none."""
        if isinstance(ref, int) or (isinstance(ref, str) and ref.strip().isdigit()):
            row = self.db.execute(f"SELECT {_COLUMNS} FROM feeds WHERE id = ?", (int(ref),)).fetchone()
        else:
            try:
                url = normalize_feed_url(ref)
            except BadFeedURL:
                url = ref
            row = self.db.execute(f"SELECT {_COLUMNS} FROM feeds WHERE url = ?", (url,)).fetchone()
        if row is None:
            raise UnknownFeed(f"no feed {ref}; `storyline feeds list` shows them")
        return _feed(row)

    def due(self, now: float | None = None) -> list[Feed]:
        """Feeds whose next fetch is due at ``now`` (never-fetched feeds first), oldest schedule first."""
        now = self.clock() if now is None else now
        return [_feed(r) for r in self.db.execute(
            f"SELECT {_COLUMNS} FROM feeds WHERE next_fetch IS NULL OR next_fetch <= ? "
            "ORDER BY next_fetch IS NOT NULL, next_fetch, id", (now,))]

    def next_due(self) -> float | None:
        """When the next feed is due (``None`` without feeds; a past time if one is due now)."""
        row = self.db.execute("SELECT count(*), count(*) - count(next_fetch), min(next_fetch) FROM feeds").fetchone()
        if not row[0]:
            return None
        return float("-inf") if row[1] else float(row[2])

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM feeds").fetchone()[0])

    # -- writing -----------------------------------------------------------------------------------

    def add(self, url: str, title: str | None = None, site: str | None = None,
            extra: dict[str, Any] | None = None) -> tuple[Feed, bool]:
        """Follow a feed; returns it and whether it is new (an existing feed is left as it is)."""
        normal = normalize_feed_url(url)
        cursor = self.db.execute(
            "INSERT INTO feeds (url, title, site, added_at, extra) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT(url) DO NOTHING",
            (normal, title or None, site or None, self.clock(), json.dumps(extra or {}, ensure_ascii=False)))
        return self.get(normal), cursor.rowcount == 1

    def add_many(self, items: Iterable[tuple[str, str | None, str | None, dict[str, Any]]]
                 ) -> tuple[list[Feed], list[Feed]]:
        """Add ``(url, title, site, extra)`` items in one transaction: ``(added, already followed)``."""
        added: list[Feed] = []
        known: list[Feed] = []
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for url, title, site, extra in items:
                feed, new = self.add(url, title, site, extra)
                (added if new else known).append(feed)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return added, known

    def remove(self, ref: int | str) -> Feed:
        """Stop following a feed (its articles stay in the store); returns what was removed."""
        feed = self.get(ref)
        self.db.execute("DELETE FROM feeds WHERE id = ?", (feed.id,))
        return feed

    def save(self, updates: Sequence[FeedUpdate]) -> None:
        """Record the results of a round of fetches, all in one transaction."""
        if not updates:
            return
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            for u in updates:
                row = db.execute("SELECT url, extra FROM feeds WHERE id = ?", (u.id,)).fetchone()
                if row is None:  # removed while it was being fetched
                    continue
                extra = _extra(row[1])
                extra.update(u.extra)
                db.execute(
                    "UPDATE feeds SET last_fetch = ?, last_status = ?, last_error = ?, failures = ?, "
                    "next_fetch = ?, articles_seen = articles_seen + ?, title = coalesce(title, ?), "
                    "site = coalesce(site, ?), extra = ? WHERE id = ?",
                    (u.last_fetch, u.last_status, u.last_error, u.failures, u.next_fetch, u.articles_added,
                     u.title, u.site, json.dumps(extra, ensure_ascii=False), u.id))
                if u.validators:
                    db.execute("UPDATE feeds SET etag = ?, last_modified = ? WHERE id = ?",
                               (u.etag, u.last_modified, u.id))
                if u.url and u.url != row[0]:
                    taken = db.execute("SELECT 1 FROM feeds WHERE url = ?", (u.url,)).fetchone()
                    if taken is None:
                        db.execute("UPDATE feeds SET url = ? WHERE id = ?", (u.url, u.id))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def claim(self, feeds: Sequence[Feed], until: float) -> list[Feed]:
        """Of ``feeds`` (as read), those this process may fetch now: each is marked as taken until
        ``until``, unless another watcher marked it since it was read. Two watchers of one store then
        fetch a feed once between them (each used to fetch every due feed). :meth:`save` records the
        real schedule; :meth:`release` gives back what was taken and not fetched."""
        taken: list[Feed] = []
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for feed in feeds:
                cursor = self.db.execute("UPDATE feeds SET next_fetch = ? WHERE id = ? AND coalesce(next_fetch, -1) = ?",
                                         (until, feed.id, -1 if feed.next_fetch is None else feed.next_fetch))
                if cursor.rowcount == 1:
                    taken.append(feed)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        return taken

    def release(self, feeds: Sequence[Feed], until: float) -> None:
        """Give back feeds :meth:`claim` took until ``until`` and whose fetch was not recorded: due
        again as they were."""
        for feed in feeds:
            self.db.execute("UPDATE feeds SET next_fetch = ? WHERE id = ? AND next_fetch = ?",
                            (feed.next_fetch, feed.id, until))

    def reschedule(self, when: float | None = None) -> None:
        """Make every feed due at ``when`` (``None``: now), e.g. to fetch all at once."""
        self.db.execute("UPDATE feeds SET next_fetch = ?", (when,))


def _extra(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _feed(row: Sequence[Any]) -> Feed:
    (id_, url, title, site, added_at, etag, last_modified, last_fetch, last_status, last_error, failures,
     next_fetch, articles_seen, extra) = row
    return Feed(int(id_), url, title, site, float(added_at or 0.0), etag, last_modified, last_fetch, last_status,
                last_error, int(failures or 0), next_fetch, int(articles_seen or 0), _extra(extra))
