"""Every write the server makes to the store: new articles, and the full-text index.

Articles go through one :class:`~storyline.engine.Engine` under a lock, with the same validation as
``storyline ingest`` (:func:`storyline.ingest.records.to_article`). The engine is built on the first
write (it replays the store into memory, which takes a while on a large store); what other processes
(``storyline ingest``) add later it reads before placing an article, under the store's writer lock.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from ..cli.render import iso
from ..ingest.records import ALIASES, FUTURE_SLACK, MAX_TEXT, MAX_TITLE, BadRecord, to_article
from .db import log_failure, open_store, usable

log = logging.getLogger("storyline.serve")

if TYPE_CHECKING:
    from ..engine import Engine
    from ..model import Article, Assignment
    from ..store.base import Store

MAX_BATCH = 5000
T = TypeVar("T")

#: The most characters the web takes in each field of an article, counted as sent (markup included):
#: the add form's ``maxlength`` and the check of both the form and ``POST /api/articles``, where a longer
#: value is a 422 naming its field. Title and text are what ``storyline ingest`` keeps (it cuts longer
#: ones from files, which their reader cannot fix; a web client can, so it is told); the rest are
#: generous for what they hold (an id is often a URL).
FIELD_LIMITS: dict[str, int] = {"id": 2048, "title": MAX_TITLE, "text": MAX_TEXT, "url": 2048, "source": 200,
                                "published": 64, "lang": 35}


@dataclass(frozen=True, slots=True)
class Rejected:
    """An item that cannot become an article: which one, which field, and why."""

    index: int
    field: str | None
    reason: str


@dataclass(frozen=True, slots=True)
class Accepted:
    """An item stored (or recognised as already stored)."""

    index: int
    id: str
    status: str  # new, joined, copy or duplicate
    story: int


@dataclass
class Report:
    """What happened to each item of a request."""

    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)


def rejection(index: int, error: BadRecord) -> Rejected:
    """A :class:`Rejected` from a ``field: reason`` message.

    >>> rejection(2, BadRecord("published: not a date: 'soon'"))
    Rejected(index=2, field='published', reason="not a date: 'soon'")
    >>> rejection(0, BadRecord("expected an object, got list")).field is None
    True
    """
    message = str(error)
    m = re.match(r"(\w+): (.+)", message, re.DOTALL)
    if m and m.group(1) in ALIASES:
        return Rejected(index, m.group(1), m.group(2))
    return Rejected(index, None, message)


def check_lengths(record: Mapping[object, object]) -> None:
    """Raise :class:`BadRecord` for the first field longer than :data:`FIELD_LIMITS` allows, reading the
    value ``to_article`` would read (any letter case, the first alias that has a value).

    >>> check_lengths({"Headline": "x" * 1001})
    Traceback (most recent call last):
    ...
    storyline.ingest.records.BadRecord: title: too long: 1,001 characters (at most 1,000)
    >>> check_lengths({"title": "x" * 1000, "body": "short"})
    """
    fields: dict[str, object] = {}
    for key, value in record.items():
        if isinstance(key, str):
            fields.setdefault(key.lower(), value)
    for name, limit in FIELD_LIMITS.items():
        value = next((fields[a] for a in ALIASES[name] if fields.get(a) not in (None, "")), None)
        if isinstance(value, str) and len(value) > limit:
            raise BadRecord(f"{name}: too long: {len(value):,} characters (at most {limit:,})")


class LockedSink:
    """The :class:`~storyline.ingest.watch.ArticleSink` of a :class:`Writer`: every call takes its lock,
    so feed rounds and ``POST /api/articles`` never run the engine at the same time."""

    def __init__(self, writer: "Writer") -> None:
        self.writer = writer

    def add(self, article: "Article") -> "Assignment":
        with self.writer._lock:
            try:
                return self.writer._current().add(article)
            except BaseException:
                self.writer._drop()
                raise

    def embed_ahead(self, articles: "Sequence[Article]") -> None:
        """Embed a round's articles in batches before they are added one by one."""
        with self.writer._lock:
            self.writer._current().embed_ahead(articles)

    def flush(self) -> None:
        with self.writer._lock:
            if self.writer._engine is not None:
                self.writer._engine.flush()

    def story_of(self, article_id: str) -> int | None:
        with self.writer._lock:
            return self.writer._current().story_of(article_id)


class Writer:
    """The server's single writer (thread-safe)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._engine: Engine | None = None
        self._store: Store | None = None
        self._search_lock = threading.Lock()

    def ingest(self, items: Sequence[object]) -> Report:
        """Validate every item, add the good ones in order, commit them, and report on each.

        Validation is ``storyline ingest``'s, and a date more than :data:`FUTURE_SLACK` after the server's
        clock is refused too (a file may be an archive of any time; what is sent to a server is news)."""
        report = Report()
        articles = []
        for i, item in enumerate(items):
            try:
                if not isinstance(item, Mapping):
                    raise BadRecord(f"expected an object, got {type(item).__name__}")
                check_lengths(item)
                article = to_article(item)
                if article.published is not None and article.published > time.time() + FUTURE_SLACK:
                    raise BadRecord(f"published: in the future: {iso(article.published)} (the server's clock "
                                    f"reads {iso(time.time())})")
                articles.append((i, article))
            except BadRecord as exc:
                report.rejected.append(rejection(i, exc))
        if not articles:
            return report
        with self._lock:
            try:
                engine = self._current()
                placed = engine.add_many([article for _, article in articles])  # embeds in batches
                for (i, article), a in zip(articles, placed):
                    report.accepted.append(Accepted(i, article.id, a.kind, a.story_id))
                engine.flush()
            except BaseException:
                self._drop()
                raise
        return report

    def _current(self) -> "Engine":
        """The engine, built on first use (call with the lock held)."""
        from ..config import Config
        from ..engine import Engine

        engine = self._engine
        # The engine itself reads what other processes (`storyline ingest`) wrote since, under the
        # store's writer lock, before it places an article: it never needs building again.
        if engine is None:
            engine = Engine(open_store(self.path), Config.load(), batch_size=1000)  # STORYLINE_* settings apply
            self._engine = engine
        return engine

    def _drop(self) -> None:
        """Forget the engine after a failed write: its memory may be ahead of the store."""
        engine, self._engine = self._engine, None
        if engine is not None:
            try:
                engine.store.close()
            except Exception:  # noqa: BLE001
                pass

    def sink(self) -> "LockedSink":
        """An article sink for ``storyline watch`` rounds that shares this writer's engine and lock."""
        return LockedSink(self)

    def sync_search(self) -> int:
        """Bring the full-text index up to date; returns how many articles were added to it."""
        return self.with_search_store(lambda store: store.sync_search())

    def with_search_store(self, work: Callable[["Store"], T]) -> T:
        """Run ``work`` on the writable store connection that keeps the full-text index, under its lock.

        Two connections syncing the index at once would both add the same articles to it, so every sync
        (pages' searches, the alert checks that search) goes through this one. (PostgreSQL indexes each
        article as it is written; its store is only the alert checks' connection.)
        """
        with self._search_lock:
            if self._store is not None and not usable(self._store):  # its database server went away
                self._close_store()
            if self._store is None:
                self._store = open_store(self.path)
            return work(self._store)

    def _close_store(self) -> None:
        store, self._store = self._store, None
        try:
            if store is not None:
                store.close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close; it is gone either way
            pass

    def close(self) -> None:
        with self._lock:
            engine, self._engine = self._engine, None
            if engine is not None:
                try:
                    engine.close()
                except Exception as exc:  # noqa: BLE001 - at shutdown: say why, and close the rest
                    log_failure(log, "writer: closing the store failed", exc)
        with self._search_lock:
            self._close_store()
