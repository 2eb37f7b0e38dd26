"""The engine: articles in, stories out. Wires the text, cluster and store stages together.

>>> from storyline import Engine, Article
>>> with Engine() as engine:
...     first = engine.add(Article(id="a", title="Flood closes Danube ports in Vienna", published=0.0))
...     again = engine.add(Article(id="a", title="Flood closes Danube ports in Vienna", published=0.0))
>>> first.kind, again.kind, again.story_id == first.story_id
('new', 'duplicate', True)
"""

from __future__ import annotations

import json
import math
from collections import Counter
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any
from dataclasses import dataclass, field

from .cluster.duplicates import NearDuplicates, text_key
from .cluster.online import Decision, OnlineClusterer
from .config import Config
from .ingest.records import canonical_url, published_ok
from .model import Article, Assignment, Story

if TYPE_CHECKING:  # pragma: no cover
    from .stories.storylines import Storyline
from .store.base import ArticleRow, Store
from .store.sqlite import SQLiteStore
from .text.embeddings import Embedder, embedder_for, embedding_text
from .text.features import Vectorizer, pack, unpack
from .text.language import language_of, normalise_lang
from .text.shingles import sketch
from .text.titles import strip_outlet

_STATE_KEY = "vectorizer"
#: Articles between two snapshots of the document frequencies, at most.
_SNAPSHOT_MAX = 50_000
_NEXT_KEY = "next_story"


@dataclass
class _Known:
    """What identifies an article already seen, for exact-duplicate checks."""

    seq_of_id: dict[str, int] = field(default_factory=dict)
    id_of_url: dict[str, str] = field(default_factory=dict)
    id_of_text: dict[tuple[str, str], str] = field(default_factory=dict)
    id_of_key: dict[str, str] = field(default_factory=dict)
    story_of_seq: dict[int, int] = field(default_factory=dict)
    id_of_seq: dict[int, str] = field(default_factory=dict)


class Engine:
    """Keeps a set of stories up to date as articles arrive, and answers for them.

    ``store`` is a path to an SQLite file, a ``postgresql://`` URL, a :class:`~storyline.store.base.Store`,
    or ``None`` for an in-memory store. Articles are written in batches; ``flush()`` (or leaving a
    ``with`` block) writes what is pending. Several engines (in several processes) may share a
    PostgreSQL store: each reads what the others wrote before it places an article. ``on_flush`` is
    called with the number of articles written so far.
    """

    def __init__(self, store: Store | str | None = None, config: Config | None = None,
                 batch_size: int = 1000, on_flush: Callable[[int], None] | None = None) -> None:
        self.config = config or Config()
        if store is None:
            store = SQLiteStore(":memory:")
        elif isinstance(store, str):
            from .store.open import open_store

            store = open_store(store)
        self.store: Store = store
        self.batch_size = batch_size
        self.on_flush = on_flush
        self.vectorizer = Vectorizer(self.config.body_terms, self.config.query_terms, self.config.body_words)
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
        self._restore()

    # -- life cycle ------------------------------------------------------------------------------

    def __enter__(self) -> "Engine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Write what is pending (with a snapshot of the document frequencies) and release the store."""
        self.flush(snapshot=True)
        if self._wrote and self._snapshot_seq < self._seq:  # flushed before, with the snapshot behind
            self._catch_up()
            self._writing = False  # write_batch releases the writer lock
            self.store.write_batch([], [], self._snapshot())
        self.store.close()

    def _catch_up(self) -> None:
        """Take the store's writer lock, then learn what other processes stored since we last looked:
        so that no two processes sharing a store keep one article twice or open two stories for one event."""
        last = self.store.begin_write()
        self._writing = True
        if last <= self._seq:
            return
        rows = list(self.store.replay(after=self._seq))
        if any('"merged"' in row.why for row in rows):  # their merges moved stories we hold: start afresh
            self.vectorizer = Vectorizer(self.config.body_terms, self.config.query_terms, self.config.body_words)
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
                self.vectorizer.learn_transform(strip_outlet(row.title, row.source), row.text)
            f, sk = unpack(row.features)
            if f.meaning is not None and len(f.meaning) != dim:
                f.meaning = None  # another model's vector (or sparse mode): never summed with this one's
            self.clusterer.restore(row.story, f, row.published, row.kind == "copy")
            self._remember(row.seq, row.id, row.canonical_url, row.text_key, row.source, row.story)
            if row.kind != "copy":
                self.near.add(row.seq, sk)
            self._seq = row.seq
        if next_story is not None:
            self.clusterer.next_id = max(self.clusterer.next_id, int(next_story))
        self.written = self._seq
        self._snapshot_seq = min(covered, self._seq) if rows is None else self._snapshot_seq

    def flush(self, snapshot: bool = False) -> None:
        """Write pending articles, merges and engine state in one transaction.

        The document frequencies are written whole, so not at every flush: once the articles since
        the last snapshot reach a tenth of the stream (at least a batch; ``snapshot`` forces one).
        Writing them every 1,000 articles made the cost per article grow with the vocabulary
        (a third of the time at 300k articles); a restart reads the few articles after the snapshot.
        """
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

    def add(self, article: Article, meaning: Any = None) -> Assignment:
        """Place one article: a duplicate, a copy of an earlier one, or a member of the best story.

        ``meaning`` is the article's embedding when the caller computed it already (:meth:`add_many`
        embeds in batches, which is several times faster than one by one).
        """
        if article.published is not None and not published_ok(article.published):
            # Checked here too for articles built in Python, not read by storyline.ingest: one
            # impossible date (NaN, year 1 or 10000) would break every later view of the store.
            raise ValueError(f"article {article.id!r}: published must be Unix seconds from 1900 through 2200, "
                             f"not {article.published!r}")
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

        title = strip_outlet(article.title, article.source)
        f = self.vectorizer.learn_transform(title, article.text)
        if self.embedder is None:
            f.lang = normalise_lang(article.lang)
        else:  # languages matter to scoring only with embeddings: detect the undeclared ones
            f.lang = language_of(article.lang, title, article.text)
            if meaning is None:
                meaning = self._ahead.pop(article.id, None)
            f.meaning = meaning if meaning is not None else self._embed([article])[0]
        cfg = self.config
        sk = sketch(f.body_words) if len(f.body_words) >= cfg.near_duplicate_min_words else ()
        copy = self.near.find(sk)
        copy_of = known.id_of_seq[copy[0]] if copy else None
        if copy_of is None:
            # The same words from another outlet: a copy too, even when too short to sketch.
            copy_of = known.id_of_key.get(key)
        self._seq += 1
        seq = self._seq
        if copy_of is not None:
            story = self.clusterer.add_copy(self._story_of(copy_of), article.published)
            resemblance = copy[1] if copy else 1.0
            decision = Decision(story, "copy", resemblance, {"resemblance": round(resemblance, 4)})
        else:
            decision = self.clusterer.learn_one(f, article.published)
            self.near.add(seq, sk)
            for gone in decision.merged:
                self._merges.append((gone, decision.story))
        assignment = Assignment(article.id, decision.story, decision.kind, decision.score, decision.scores,
                                copy_of, decision.runner_up, decision.runner_up_score, decision.merged)
        self._remember(seq, article.id, canon, key, article.source, decision.story)
        self._pending.append(ArticleRow(
            seq, article.id, article.title, article.text, article.url, canon, article.published,
            article.source, f.lang, decision.story, decision.kind, copy_of, key, decision.score,
            _COMPACT.encode(_why(assignment, self.clusterer.bar)), pack(f, sk)))
        if len(self._pending) >= self.batch_size:
            self.flush()
        return assignment

    def add_many(self, articles: Iterable[Article], batch: int = 64) -> list[Assignment]:
        """Place many articles in order (embedding them in batches); returns their assignments.

        With embeddings, the next batch is embedded on a second thread while this one is placed:
        the encoder's matrix products release the interpreter, so on two cores the clustering
        costs almost nothing on top of the encoder. The vectors, and so the stories, are the same.
        """
        if self.embedder is None:
            return [self.add(a) for a in articles]
        from concurrent.futures import ThreadPoolExecutor

        out: list[Assignment] = []
        chunks = _chunks(articles, batch)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="storyline-embed") as pool:
            current = next(chunks, None)
            ahead = pool.submit(self._embed, current) if current else None
            while current and ahead is not None:
                following = next(chunks, None)
                meanings = ahead.result()
                ahead = pool.submit(self._embed, following) if following else None
                out.extend(self.add(a, m) for a, m in zip(current, meanings))
                current = following
        return out

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

    def story_of(self, article_id: str) -> int | None:
        """The live story an article belongs to now, or ``None`` if it is unknown."""
        if article_id in self._known.seq_of_id:
            return self._story_of(article_id)
        row = self.store.article(article_id)
        return None if row is None else self.store.resolve(row.story)

    # -- reading ---------------------------------------------------------------------------------

    def stories(self, since: float | None = None, limit: int = 20, sort: str = "activity") -> list[Story]:
        """Stories described for a reader: most recently active first, or (``sort="coverage"``) the
        most widely covered first. (:class:`~storyline.stories.reader.StoryReader` reads them without
        an engine.)"""
        from .stories.reader import read_stories

        self.flush()
        return read_stories(self.store, self.vectorizer, since, limit, sort)

    def story(self, story_id: int) -> Story | None:
        """One story, described for a reader (a merged id gives the story that absorbed it)."""
        from .stories.reader import read_story

        self.flush()
        return read_story(self.store, self.vectorizer, story_id)

    def storylines(self, limit: int = 20) -> list["Storyline"]:
        """Related stories tied into storylines (see :mod:`storyline.stories.storylines`), most
        recently active first. Reads every stored decision: a command's work, not a page's."""
        from .stories.reader import read_storylines

        self.flush()
        return read_storylines(self.store, self.vectorizer, self.config, limit)


#: One encoder for every article's decision: json.dumps with options builds a new one per call (half its cost).
_COMPACT = json.JSONEncoder(separators=(",", ":"))


def _chunks(items: Iterable[Article], size: int) -> Iterator[list[Article]]:
    chunk: list[Article] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _why(a: Assignment, threshold: float) -> dict[str, object]:
    why: dict[str, object] = {"kind": a.kind, "score": round(a.score, 4), "scores": a.scores,
                              "threshold": threshold}
    if a.runner_up is not None:
        why["runner_up"] = a.runner_up
        why["runner_up_score"] = round(a.runner_up_score, 4)
    if a.merged:
        why["merged"] = list(a.merged)
    if a.copy_of:
        why["copy_of"] = a.copy_of
    return why
