"""The engine: articles in, stories out. Wires the text, cluster and store stages together.

>>> from storyline import Engine, Article
>>> with Engine() as engine:
...     first = engine.add(Article(id="a", title="Flood closes Danube ports in Vienna", published=0.0))
...     again = engine.add(Article(id="a", title="Flood closes Danube ports in Vienna", published=0.0))
>>> first.kind, again.kind, again.story_id == first.story_id
('new', 'duplicate', True)
"""

from __future__ import annotations

import atexit
import dataclasses
import functools
import json
import logging
import math
import os
import re
import sys
import threading
import time
import weakref
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from dataclasses import dataclass, field

from .cluster.duplicates import NearDuplicates, text_key
from .cluster.online import Decision, OnlineClusterer
from .config import Config
from .ingest.records import canonical_url, published_ok, valid_url
from .model import Article, Assignment, Story

if TYPE_CHECKING:  # pragma: no cover
    from .stories.storylines import Storyline
from .store.base import ArticleRow, Store
from .store.errors import StoreError
from .store.sqlite import SQLiteStore
from .text.embeddings import Embedder, embedder_for, embedding_text
from .text.features import Vectorizer, pack, unpack
from .text.furniture import Found, Furniture, without
from .text.language import language_of, normalise_lang
from .text.shingles import sketch
from .text.titles import strip_outlet

_STATE_KEY = "vectorizer"
#: Articles between two snapshots of the document frequencies, at most.
_SNAPSHOT_MAX = 50_000
_NEXT_KEY = "next_story"
#: Seconds without a call after which an engine holding the writer's turn writes and lets go, if
#: another writer waits (as ``ingest`` does when its input pauses for a second).
IDLE_AFTER = 1.0

log = logging.getLogger("storyline")


@dataclass
class _Known:
    """What identifies an article already seen, for exact-duplicate checks."""

    seq_of_id: dict[str, int] = field(default_factory=dict)
    id_of_url: dict[str, str] = field(default_factory=dict)
    id_of_text: dict[tuple[str, str], str] = field(default_factory=dict)
    id_of_key: dict[str, str] = field(default_factory=dict)
    story_of_seq: dict[int, int] = field(default_factory=dict)
    id_of_seq: dict[int, str] = field(default_factory=dict)


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    """One call at a time on an engine: its own thread may write for it when it is idle."""

    @functools.wraps(method)
    def call(self: "Engine", *args: Any, **kwargs: Any) -> Any:
        with self._lock:
            try:
                return method(self, *args, **kwargs)
            finally:
                self._used = time.monotonic()

    return call


class Engine:
    """Keeps a set of stories up to date as articles arrive, and answers for them.

    ``store`` is a path to an SQLite file (a ``str`` or a :class:`pathlib.Path`), a ``postgresql://``
    URL, a :class:`~storyline.store.base.Store`, or ``None`` for an in-memory store. Articles are
    written in batches; ``flush()`` (or leaving a ``with`` block, or ``close()``) writes what is
    pending; a closed engine refuses further work with a :class:`~storyline.store.errors.StoreError`.
    Several engines may share a store, in several processes or in one: each reads what the others
    wrote before it places an article, and they take turns to write (an engine on the same thread as
    the one holding the turn of an SQLite file has that one write what it has first). One engine shared
    by threads under a lock, as ``storyline serve`` does, is still the fastest way within a process.
    An engine holding the writer's turn that has not been called for :data:`IDLE_AFTER` seconds writes
    what it placed and lets go once another writer waits (from a thread of its own; calls on one
    engine are taken one at a time).
    ``close()`` closes the store, also one passed in; an engine still open when the interpreter exits
    is closed then (what it placed is written). ``on_flush`` is called with the number of articles
    written so far.

    >>> with Engine(config=Config(embeddings="none")) as engine:
    ...     engine.add(Article(id="1", title="Quake strikes Qeshm island off Iran", published=0.0)).kind
    'new'
    >>> Engine("")
    Traceback (most recent call last):
    ...
    storyline.store.errors.StoreError: the store's path is empty; name an SQLite file, or pass None for an in-memory store
    """

    def __init__(self, store: Store | str | os.PathLike[str] | None = None, config: Config | None = None,
                 batch_size: int = 1000, on_flush: Callable[[int], None] | None = None) -> None:
        if config is not None and not isinstance(config, Config):
            raise TypeError(f"config must be a storyline.Config, not {type(config).__name__} "
                            "(build one with Config(...) or Config().with_overrides({...}))")
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a whole number, 1 or more (got {batch_size!r})")
        self.config = config or Config()
        if isinstance(store, os.PathLike):
            store = os.fspath(store)
        if store is None:
            store = SQLiteStore(":memory:")
        elif isinstance(store, str):
            if not store.strip():  # open_store would take the default path: a file nobody asked for
                raise StoreError("the store's path is empty; name an SQLite file, or pass None for an "
                                 "in-memory store")
            from .store.open import open_store

            store = open_store(store)
        elif not (hasattr(store, "replay") and hasattr(store, "write_batch")):  # Store is a Protocol
            raise TypeError(f"store must be a path, a postgresql:// URL, a Store or None, "
                            f"not {type(store).__name__}")
        if isinstance(store, SQLiteStore) and store.path != ":memory:":
            _check_writable(store)  # else the first flush fails, and every article placed till then is lost
        if hasattr(store, "when_wanted"):  # another engine on this thread wants to write: write, let it go
            store.when_wanted(self.flush)
        self.store: Store = store
        self.batch_size = batch_size
        self.on_flush = on_flush
        self.vectorizer = Vectorizer(self.config.body_terms, self.config.query_terms, self.config.body_words)
        self.furniture = Furniture(self.config.furniture_memory)
        self.clusterer = OnlineClusterer(self.config)
        self.embedder: Embedder | None = embedder_for(self.config.embeddings)
        self._ahead: dict[str, Any] = {}  # embeddings computed by embed_ahead(), by article id
        self.near = NearDuplicates(self.config.near_duplicate, keep=self.config.near_duplicate_keep)
        self._known = _Known()
        self._pending: list[ArticleRow] = []
        self._merges: list[tuple[int, int]] = []
        self._seq = 0
        self._snapshot_seq = 0  # the last article the stored document frequencies count
        self._wrote = False  # this engine has written articles
        self.written = 0
        self._writing = False  # holding the store's writer lock (taken by add, released by flush)
        self._closed = False
        self._lock = threading.RLock()
        self._used = time.monotonic()
        self._idle_watch: threading.Thread | None = None
        self._restore()
        _UNCLOSED[id(self)] = (os.getpid(), weakref.ref(self))

    # -- life cycle ------------------------------------------------------------------------------

    def __repr__(self) -> str:
        where = getattr(self.store, "path", "?")  # PostgreSQL's without its password
        embeddings = self.config.embeddings if self.embedder is not None else "none"
        return (f"<storyline.Engine store={where!r} embeddings={embeddings!r}"
                f"{' closed' if self._closed else ''}>")

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @_serialised
    def close(self) -> None:
        """Write what is pending (with a snapshot of the document frequencies) and release the store.

        Closing a closed engine does nothing; any other use of it raises ``StoreError``.
        """
        if self._closed:
            return
        self.flush(snapshot=True)
        if self._wrote and self._snapshot_seq < self._seq:  # flushed before, with the snapshot behind
            self._catch_up()
            self._writing = False  # write_batch releases the writer lock
            self.store.write_batch([], [], self._snapshot())
        self.store.close()
        self._closed = True
        _UNCLOSED.pop(id(self), None)

    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("this Engine is closed; open a new one to go on")

    def _catch_up(self) -> None:
        """Take the store's writer lock, then learn what other processes stored since we last looked:
        so that no two processes sharing a store keep one article twice or open two stories for one event."""
        self._check_open()  # add() always comes here first after close(), which released the lock
        last = self.store.begin_write()
        self._writing = True
        if self._idle_watch is None and hasattr(self.store, "contended"):
            self._idle_watch = threading.Thread(target=_let_go_when_idle, args=(weakref.ref(self),),
                                                name="storyline-idle-writer", daemon=True)
            self._idle_watch.start()
        if last <= self._seq:
            return
        rows = list(self.store.replay(after=self._seq))
        if any('"merged"' in row.why for row in rows):  # their merges moved stories we hold: start afresh
            self.vectorizer = Vectorizer(self.config.body_terms, self.config.query_terms, self.config.body_words)
            self.furniture = Furniture(self.config.furniture_memory)
            self.clusterer = OnlineClusterer(self.config)
            self.near = NearDuplicates(self.config.near_duplicate, keep=self.config.near_duplicate_keep)
            self._known = _Known()
            rows = None
        self._restore(rows)

    def _restore(self, rows: Iterable[ArticleRow] | None = None) -> None:
        """Rebuild memory from the store (or add ``rows`` to it): document frequencies, story vectors,
        duplicate keys."""
        # Document frequencies come from the last snapshot; the articles stored after it are read
        # again, as they were first read (catching up with other processes reads theirs the same way).
        covered = self._seq
        if rows is None:
            blob = self.store.get_state(_STATE_KEY)
            covered = 0
            if blob is not None:
                state = json.loads(zlib.decompress(blob))
                self.vectorizer.documents = state["documents"]
                self.vectorizer.df = Counter(state["df"])
                self.vectorizer.common = set(state["common"])
                covered = state.get("seq", math.inf)  # snapshots without a seq covered every article
        next_story = self.store.get_state(_NEXT_KEY)
        dim = self.embedder.dim if self.embedder is not None else 0
        for row in self.store.replay() if rows is None else rows:
            if row.seq > covered:
                found = self.furniture.find(row.source, row.title, row.text)
                self.vectorizer.learn_transform(strip_outlet(row.title[:found.title_end], row.source),
                                                without(row.text, found.spans))
            else:  # the outlets' memory is not stored (only what it left out): it is learnt again
                self.furniture.remember(row.source, row.title, row.text)
            f, sk = unpack(row.features)
            if f.meaning is not None and len(f.meaning) != dim:
                f.meaning = None  # another model's vector (or sparse mode): never summed with this one's
            self.clusterer.restore(row.story, f, row.published, row.kind == "copy")
            self._remember(row.seq, row.id, row.canonical_url, row.text_key, row.source, row.story)
            if row.kind != "copy":
                self.near.add(row.seq, sk)
            self._seq = row.seq
        self.furniture.settle()
        if next_story is not None:
            self.clusterer.next_id = max(self.clusterer.next_id, int(next_story))
        self.written = self._seq
        self._snapshot_seq = min(covered, self._seq) if rows is None else self._snapshot_seq

    @_serialised
    def flush(self, snapshot: bool = False) -> None:
        """Write pending articles, merges and engine state in one transaction.

        The document frequencies are written whole, so not at every flush: once the articles since
        the last snapshot reach a tenth of the stream (at least a batch; ``snapshot`` forces one).
        Writing them every 1,000 articles made the cost per article grow with the vocabulary
        (a third of the time at 300k articles); a restart reads the few articles after the snapshot.
        """
        self._check_open()
        if not self._pending and not self._merges:
            if self._writing:
                self._writing = False
                self.store.end_write()
            return
        since = self._seq - self._snapshot_seq
        if snapshot or since >= max(self.batch_size, min(self.vectorizer.documents // 10, _SNAPSHOT_MAX)):
            states = self._snapshot()
        else:
            states = {_NEXT_KEY: str(self.clusterer.next_id).encode()}
        self._writing = False  # write_batch releases the writer lock
        self.store.write_batch(self._pending, self._merges, states)
        self._wrote = True
        self.written += len(self._pending)
        self._ahead.clear()
        self._pending = []
        self._merges = []
        if self.on_flush is not None:
            self.on_flush(self.written)

    def _snapshot(self) -> dict[str, bytes]:
        """The engine state to store: the document frequencies as of the last article, the next id."""
        v = self.vectorizer
        state = json.dumps({"documents": v.documents, "df": v.df, "common": sorted(v.common), "seq": self._seq},
                           separators=(",", ":"))
        self._snapshot_seq = self._seq
        return {_STATE_KEY: zlib.compress(state.encode("utf-8"), 1),
                _NEXT_KEY: str(self.clusterer.next_id).encode()}

    # -- writing ---------------------------------------------------------------------------------

    def _remember(self, seq: int, article_id: str, url: str | None, key: str, source: str | None,
                  story: int) -> None:
        known = self._known
        known.seq_of_id[article_id] = seq
        known.id_of_seq[seq] = article_id
        known.story_of_seq[seq] = story
        if url:
            known.id_of_url.setdefault(url, article_id)
        known.id_of_text.setdefault((key, source or ""), article_id)
        known.id_of_key.setdefault(key, article_id)

    def _story_of(self, article_id: str) -> int:
        return self.clusterer.find(self._known.story_of_seq[self._known.seq_of_id[article_id]])

    @_serialised
    def add(self, article: Article, meaning: Any = None) -> Assignment:
        """Place one article: a duplicate, a copy of an earlier one, or a member of the best story.

        ``meaning`` is the article's embedding when the caller computed it already (:meth:`add_many`
        embeds in batches, which is several times faster than one by one).

        The id is an article's identity: an id seen before gives ``"duplicate"``, whatever the text,
        and the first version stays. The article is taken as given (no HTML is stripped: use
        :func:`storyline.ingest.records.to_article` for loose records). What :func:`check_article`
        refuses raises ``TypeError`` or ``ValueError`` naming the field, and changes nothing.
        """
        check_article(article)  # before anything changes: a bad row would fail its whole batch
        article = _tidied(article)
        published = article.published
        if published is not None and type(published) is not float:
            published = float(published)  # an int, or numpy's float32: SQLite would keep that one as bytes
        if self._writing and self.store.contended():  # another process waits: write, and take turns
            self.flush()
        if not self._writing:
            self._catch_up()
        known = self._known
        canon = canonical_url(article.url) if article.url else None
        key = text_key(article.title, article.text)
        original = (article.id if article.id in known.seq_of_id else
                    known.id_of_url.get(canon) if canon else None) or \
            known.id_of_text.get((key, article.source or ""))
        if original is not None:
            return Assignment(article.id, self._story_of(original), "duplicate", 1.0, copy_of=original)

        furniture = self.furniture.find(article.source, article.title, article.text)
        title = strip_outlet(article.title[:furniture.title_end], article.source)
        body = without(article.text, furniture.spans)
        f = self.vectorizer.learn_transform(title, body)
        if self.embedder is None:
            f.lang = normalise_lang(article.lang)
        else:  # languages matter to scoring only with embeddings: detect the undeclared ones
            f.lang = language_of(article.lang, title, article.text)
            if meaning is None:
                meaning = self._ahead.pop(article.id, None)
            f.meaning = meaning if meaning is not None else self._embed([article])[0]
        cfg = self.config
        # Copies are judged without the furniture too: pages of one outlet that open with the same
        # playlist or share buttons read as copies of each other, whatever their stories.
        sk = sketch(f.body_words) if len(f.body_words) >= cfg.near_duplicate_min_words else ()
        copy = self.near.find(sk)
        copy_of = known.id_of_seq[copy[0]] if copy else None
        if copy_of is None:
            # The same words from another outlet: a copy too, even when too short to sketch.
            copy_of = known.id_of_key.get(key)
        self._seq += 1
        seq = self._seq
        if copy_of is not None:
            story = self.clusterer.add_copy(self._story_of(copy_of), published)
            resemblance = copy[1] if copy else 1.0
            decision = Decision(story, "copy", resemblance, {"resemblance": round(resemblance, 4)})
        else:
            decision = self.clusterer.learn_one(f, published)
            self.near.add(seq, sk)
            for gone in decision.merged:
                self._merges.append((gone, decision.story))
        assignment = Assignment(article.id, decision.story, decision.kind, decision.score, decision.scores,
                                copy_of, decision.runner_up, decision.runner_up_score, decision.merged,
                                decision.reopened)
        self._remember(seq, article.id, canon, key, article.source, decision.story)
        self._pending.append(ArticleRow(
            seq, article.id, article.title, article.text, article.url, canon, published,
            article.source, f.lang, decision.story, decision.kind, copy_of, key, decision.score,
            _COMPACT.encode(_why(assignment, self.clusterer.bar, furniture, article.title)), pack(f, sk)))
        if len(self._pending) >= self.batch_size:
            self.flush()
        return assignment

    @_serialised
    def add_many(self, articles: Iterable[Article], batch: int = 64) -> list[Assignment]:
        """Place many articles in order (embedding them in batches); returns their assignments.

        With embeddings, the next batch is embedded on a second thread while this one is placed:
        the encoder's matrix products release the interpreter, so on two cores the clustering
        costs almost nothing on top of the encoder. The vectors, and so the stories, are the same.
        An article that :meth:`add` would refuse raises the same error here, once every article
        before it is placed (and none after it).
        """
        if self.embedder is None:
            return [self.add(a) for a in articles]
        from concurrent.futures import ThreadPoolExecutor

        out: list[Assignment] = []
        refused: list[Exception] = []
        chunks = _chunks(articles, batch, refused)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="storyline-embed") as pool:
            current = next(chunks, None)
            ahead = pool.submit(self._embed, current) if current else None
            while current and ahead is not None:
                following = next(chunks, None)
                meanings = ahead.result()
                ahead = pool.submit(self._embed, following) if following else None
                out.extend(self.add(a, m) for a, m in zip(current, meanings))
                current = following
        if refused:
            raise refused[0]
        return out

    @_serialised
    def embed_ahead(self, articles: Sequence[Article]) -> None:
        """Embed articles that are about to be added one by one, in batches (several times faster);
        :meth:`add` then finds their vectors ready. Does nothing without embeddings."""
        if self.embedder is None:
            return
        for start in range(0, len(articles), 64):
            chunk = list(articles[start:start + 64])
            for article, meaning in zip(chunk, self._embed(chunk)):
                self._ahead[article.id] = meaning

    def _embed(self, articles: list[Article]) -> list[Any]:
        assert self.embedder is not None
        return list(self.embedder.encode([embedding_text(strip_outlet(a.title, a.source), a.text)
                                          for a in articles]))

    @_serialised
    def story_of(self, article_id: str) -> int | None:
        """The live story an article belongs to now, or ``None`` if it is unknown.

        A ``"duplicate"`` is not stored under its own id (it is the article stored before): ask for
        the id in its :attr:`Assignment.copy_of`."""
        self._check_open()
        if article_id in self._known.seq_of_id:
            return self._story_of(article_id)
        row = self.store.article(article_id)
        return None if row is None else self.store.resolve(row.story)

    # -- reading ---------------------------------------------------------------------------------

    @_serialised
    def stories(self, *, since: float | None = None, limit: int = 20, sort: str = "activity") -> list[Story]:
        """Stories described for a reader: most recently active first, or (``sort="coverage"``) the
        most widely covered first. (:class:`~storyline.stories.reader.StoryReader` reads them without
        an engine.)"""
        from .stories.reader import read_stories

        self.flush()
        return read_stories(self.store, self.vectorizer, since, limit, sort)

    @_serialised
    def story(self, story_id: int) -> Story | None:
        """One story, described for a reader (a merged id gives the story that absorbed it)."""
        from .stories.reader import read_story

        self.flush()
        return read_story(self.store, self.vectorizer, story_id)

    @_serialised
    def why(self, article_id: str) -> dict[str, Any] | None:
        """Why an article is in its story, with the scores that decided it (what ``storyline why
        --json`` prints: see :func:`storyline.stories.reader.read_why`), or ``None`` if it is unknown.

        >>> with Engine(config=Config(embeddings="none")) as engine:
        ...     _ = engine.add(Article(id="a", title="Flood closes Danube ports in Vienna", published=0.0))
        ...     _ = engine.add(Article(id="b", title="Danube flood: Vienna ports stay closed", published=3600.0))
        ...     why = engine.why("b")
        >>> why["kind"], why["story"], sorted(why["scores"])
        ('joined', 1, ['hours_apart', 'names', 'title', 'total'])
        """
        from .stories.reader import read_why

        self.flush()
        return read_why(self.store, self.vectorizer, article_id)

    @_serialised
    def storylines(self, *, limit: int = 20, since: float | None = None, sort: str = "activity") -> list["Storyline"]:
        """Related stories tied into storylines (see :mod:`storyline.stories.storylines`), most
        recently active first (``sort="coverage"``: most articles first), only those active since
        ``since`` (Unix seconds) if given. Reads every stored decision: a command's work, not a page's."""
        from .stories.reader import read_storylines

        self.flush()
        return read_storylines(self.store, self.vectorizer, self.config, limit, since, sort)


def _let_go_when_idle(ref: "weakref.ref[Engine]") -> None:
    """While an engine holds the writer's turn, idle (a notebook between cells), and another writer
    waits: write what it placed and let go. Otherwise an ``ingest`` would wait up to ten minutes for a
    program that has stopped adding. Ends when the engine is closed or collected."""
    while True:
        time.sleep(IDLE_AFTER / 2)
        engine = ref()
        if engine is None or engine._closed:
            return
        if not engine._writing or time.monotonic() - engine._used < IDLE_AFTER:
            del engine
            continue
        if engine._lock.acquire(blocking=False):  # else a call is under way: not idle after all
            try:
                if engine._writing and not engine._closed and engine.store.contended():
                    engine.flush()
            except Exception as exc:  # noqa: BLE001 - no caller here: the next call writes, or says why
                log.warning("could not write while idle (the next call will try again): %s", exc)
            finally:
                engine._lock.release()
        del engine


#: Engines not closed yet, with the process that opened them: closed at exit (see _close_at_exit).
_UNCLOSED: dict[int, tuple[int, "weakref.ref[Engine]"]] = {}


@atexit.register
def _close_at_exit() -> None:
    """Close the engines a script or notebook left open, as a file object flushes at exit: up to a
    batch of placed articles would otherwise be lost without a word. Only this process's engines (a
    forked child must not write its parent's pending articles a second time)."""
    for pid, ref in list(_UNCLOSED.values()):
        engine = ref()
        if engine is None or pid != os.getpid():
            continue
        try:
            engine.close()
        except Exception as exc:  # noqa: BLE001 - at exit there is no caller left to raise to
            print(f"storyline: an engine left open could not write its last articles at exit: {exc}",
                  file=sys.stderr)
    _UNCLOSED.clear()


#: One encoder for every article's decision: json.dumps with options builds a new one per call (half its cost).
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def _check_writable(store: SQLiteStore) -> None:
    """Refuse an SQLite store this process may not write (its file, or the folder that keeps its journal)."""
    folder = os.path.dirname(os.path.abspath(store.path))
    for name in (store.path, folder):
        if not os.access(name, os.W_OK):
            store.close()
            raise StoreError(f"{store.path}: cannot write to {name} (read-only); an Engine writes to its store, "
                             "a StoryReader only reads")


def check_article(article: object) -> None:
    """Raise ``TypeError`` or ``ValueError`` naming the field if :meth:`Engine.add` cannot take ``article``.

    Refused: a field of the wrong type, an empty id, no title and no text, a date that is not Unix
    seconds from 1900 through 2200, a link that is not an absolute http(s) URL (``""`` and ``None``
    mean no link), a NUL character or a lone surrogate (no store keeps them; ingest's
    :func:`~storyline.ingest.records.clean_text` removes them).

    >>> check_article(Article(id="1", title="Quake hits coast", url="https://news.example/q"))
    >>> check_article(Article(id="2", title="Quake hits coast", url="#top"))
    Traceback (most recent call last):
    ...
    ValueError: article '2': url must be an absolute http(s) link (or None), not '#top'
    """
    a = article
    if not (isinstance(a, Article) and isinstance(a.id, str) and a.id.strip() and isinstance(a.title, str)
            and isinstance(a.text, str) and (a.url is None or isinstance(a.url, str))
            and (a.source is None or isinstance(a.source, str)) and (a.lang is None or isinstance(a.lang, str))):
        raise _refusal(a)
    if a.published is not None and not published_ok(a.published):
        # Checked here too for articles built in Python, not read by storyline.ingest: one
        # impossible date (NaN, year 1 or 10000) would break every later view of the store.
        # A naive datetime's .timestamp() reads it as local time; ingest reads naive times as UTC.
        hint = (" (for a datetime: dt.replace(tzinfo=timezone.utc).timestamp() if it is UTC without a zone, "
                "dt.timestamp() if it has one)") if hasattr(a.published, "timestamp") else ""
        raise ValueError(f"article {a.id!r}: published must be Unix seconds from 1900 through 2200, "
                         f"not {a.published!r}{hint}")
    if not a.title.strip() and not a.text.strip():
        raise ValueError(f"article {a.id!r}: title and text are both empty (nothing to place)")
    # A link is the article's identity: "#" or "index.html" would make every article that has it
    # a duplicate of the first.
    if a.url and not _HTTP.match(a.url):
        raise ValueError(f"article {a.id!r}: url must be an absolute http(s) link (or None), not {a.url!r}")
    if a.url and not valid_url(a.url.strip()):
        raise ValueError(f"article {a.id!r}: url does not parse: {a.url!r}")
    for name in ("id", "title", "text", "url", "source", "lang"):
        value = getattr(a, name)
        if not value or value.isascii() and "\x00" not in value:
            continue
        if "\x00" in value:
            raise ValueError(f"article {a.id!r}: {name} holds a NUL character, which no store can keep "
                             "(storyline.ingest.records.clean_text removes them)")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"article {a.id!r}: {name} holds a lone surrogate, which no store can keep "
                             "(storyline.ingest.records.clean_text replaces them)") from None


_HTTP = re.compile(r"\s*https?://", re.IGNORECASE)


def _refusal(article: object) -> Exception:
    """Why :meth:`Engine.add` refuses ``article`` (which failed its quick check), as the error to raise.

    >>> _refusal(Article(id="1", title=None))
    TypeError("article '1': title must be a str, not NoneType")
    """
    if not isinstance(article, Article):
        hint = " (storyline.ingest.records.to_article makes one from a dict)" if isinstance(article, dict) else ""
        return TypeError(f"Engine.add takes a storyline.Article, not {type(article).__name__}{hint}")
    if not isinstance(article.id, str):
        return TypeError(f"article id must be a str, not {type(article.id).__name__}: {article.id!r}")
    if not article.id.strip():
        return ValueError(f"article id is empty{' (only spaces)' if article.id else ''}")
    for name, optional in (("title", False), ("text", False), ("url", True), ("source", True), ("lang", True)):
        value = getattr(article, name)
        if not (isinstance(value, str) or optional and value is None):
            kind = "a str or None" if optional else "a str"
            return TypeError(f"article {article.id!r}: {name} must be {kind}, not {type(value).__name__}")
    raise AssertionError("unreachable: the article passed every check")  # pragma: no cover


def _tidied(article: Article) -> Article:
    """``article`` as ingest would have read it: an outlet without spaces around it, and a headline
    taken from the text's first line when the title is blank (a story's headline is a title)."""
    if article.source is not None and (not article.source or article.source[0].isspace()
                                       or article.source[-1].isspace()):
        # " AP" and "AP" are one outlet, and "  " none (as ingest reads them): the coverage counts it
        article = dataclasses.replace(article, source=article.source.strip() or None)
    if not article.title.strip():
        article = dataclasses.replace(article, title=article.text.strip().split("\n", 1)[0][:200])
    return article


def _chunks(items: Iterable[Article], size: int, refused: list[Exception]) -> Iterator[list[Article]]:
    """``items`` in lists of ``size``, checked (the encoder must not meet what :meth:`Engine.add` would
    refuse); at the first refused one, the checked ones before it and then the end, its error in ``refused``."""
    chunk: list[Article] = []
    for item in items:
        try:
            check_article(item)
        except (TypeError, ValueError) as exc:
            refused.append(exc)
            break
        chunk.append(_tidied(item))  # as add() will see it, so the embedding is the same as one by one
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _why(a: Assignment, threshold: float, furniture: Found, title: str) -> dict[str, object]:
    # placed_in: merges move the article's row to the story that absorbed its own, so the story it
    # was placed in is kept here (rows written before this was kept fall back to their story).
    why: dict[str, object] = {"kind": a.kind, "score": round(a.score, 4), "scores": a.scores,
                              "threshold": threshold, "placed_in": a.story_id}
    if a.runner_up is not None:
        why["runner_up"] = a.runner_up
        why["runner_up_score"] = round(a.runner_up_score, 4)
    if a.merged:
        why["merged"] = list(a.merged)
    if a.reopened:
        why["reopened"] = True
    if a.copy_of:
        why["copy_of"] = a.copy_of
    # Where the page furniture is (the title's tail, sentences of the text), so that readers skip it too.
    if furniture.spans:
        why["furniture"] = furniture.spans
    if furniture.title_end < len(title):
        why["title_end"] = furniture.title_end
    return why
