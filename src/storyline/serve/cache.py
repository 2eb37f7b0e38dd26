"""Story descriptions, cached so that no page describes more than it shows.

Describing a story (headline, summary, entities, keywords, timeline) reads all of its articles, so
descriptions are kept at three levels:

1. in memory, for the stories pages showed last;
2. in the store's ``story_cache`` table, valid while the story's ``updated_seq`` is unchanged, with the
   entities copied into ``story_entities`` so that entity pages and filters are plain index lookups;
3. computed on demand with :func:`storyline.stories.describe.describe`.

Pages only read the store. What they compute is queued, and one background thread writes it, and also
describes every story never described yet (most recently active first, in small batches with pauses,
so pages stay fast meanwhile), then follows new articles and re-describes the stories they touched.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ..model import Entity
from ..store.base import ArticleRow, StoryRow
from ..store.reads import ARTICLE_COLUMNS, STORY_COLUMNS  # noqa: F401 - the serve queries read them here
from ..stories.vocabulary import STATE_KEY, vectorizer_from_state
from ..text.features import Vectorizer
from .db import Connection, Readers, run_connected
from .priority import Foreground

log = logging.getLogger("storyline.serve")

#: Seconds the background pass waits before it tries an unreachable database server again.
RETRY = 5.0


#: The version of the descriptions stored in ``story_cache``: one stored by an older version (before
#: keywords were written as words, "X of Place" split in two, "Fire and Rescue" kept whole, or a summary
#: found for a story whose sentences repeat its headline, "Provinz X" typed as a place) is stale however
#: unchanged its story.
DESCRIBED_BY = 5
#: How a current description's JSON ends (checked in SQL, which both backends take: no JSON functions).
_CURRENT = f'%"v":{DESCRIBED_BY}}}'


@dataclass(frozen=True, slots=True)
class Description:
    """What a reader sees of a story beyond its counters (the part worth caching)."""

    headline: str
    summary: str
    entities: tuple[Entity, ...] = ()
    keywords: tuple[str, ...] = ()
    timeline: tuple[tuple[str, int], ...] = ()
    #: A stand-in (the first article's title) shown while the background thread describes the story.
    provisional: bool = False
    #: Made by this version's describer (an older one's is shown until the story is described again).
    current: bool = True

    def to_json(self) -> str:
        return json.dumps({"headline": self.headline, "summary": self.summary,
                           "entities": [[e.name, e.type, e.count] for e in self.entities],
                           "keywords": list(self.keywords), "timeline": [list(t) for t in self.timeline],
                           "v": DESCRIBED_BY}, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "Description":
        """The description stored by :meth:`to_json`.

        >>> d = Description("H", "S", (Entity("Olsk", "place", 2),), ("troop",), (("2026-11-20", 3),))
        >>> Description.from_json(d.to_json()) == d
        True
        """
        d = json.loads(text)
        return cls(d["headline"], d["summary"], tuple(Entity(n, t, c) for n, t, c in d["entities"]),
                   tuple(d["keywords"]), tuple((t, n) for t, n in d["timeline"]),
                   current=d.get("v") == DESCRIBED_BY)


def story_rows(conn: Connection, ids: Iterable[int]) -> dict[int, StoryRow]:
    """Live stories by id (merged or empty ones left out)."""
    ids = list(ids)
    out: dict[int, StoryRow] = {}
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        for r in conn.execute(f"SELECT {STORY_COLUMNS} FROM stories WHERE id IN ({','.join('?' * len(part))}) "
                              "AND merged_into IS NULL AND articles > 0", part):
            out[r[0]] = StoryRow(*r)
    return out


def articles_of(conn: Connection, story_id: int) -> list[ArticleRow]:
    """A story's articles in arrival order, every column."""
    return [ArticleRow(*r) for r in conn.execute(
        f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE story = ? ORDER BY seq", (story_id,))]


def load_vectorizer(conn: Connection) -> Vectorizer:
    """The engine's document frequencies as last saved (summaries weigh words with them)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (STATE_KEY,)).fetchone()
    if row is None:
        return vectorizer_from_state(None)
    return vectorizer_from_state(row[0].encode("utf-8") if isinstance(row[0], str) else bytes(row[0]))


@dataclass
class WarmStatus:
    """Progress of the background pass (shown by ``/api/stats``)."""

    described: int = 0
    swept: bool = False
    seconds: float = 0.0
    followed_seq: int = 0
    errors: int = 0
    started: float = field(default_factory=time.time)


class Descriptions:
    """Cached story descriptions for many reader threads, with one background writer.

    ``budget`` is how many seconds a page may spend describing stories; past it, a story with an
    out-of-date description shows that one, and a story never described shows a provisional one (its
    first article's title), while the background thread describes it next (a large story can take
    seconds to describe, and no page should wait for that).
    """

    def __init__(self, path: str, readers: Readers, memory: int = 4000, budget: float = 0.1,
                 warm_batch: int = 200, warm_pause: float = 0.05, foreground: Foreground | None = None) -> None:
        self.path = path
        #: Requests in flight; the background pass waits for them between stories.
        self.foreground = foreground or Foreground()
        self.readers = readers
        self.memory = memory
        self.budget = budget
        #: Stories with more articles than this are never described while a page waits.
        self.inline_limit = 150
        self.warm_batch = warm_batch
        self.warm_pause = warm_pause
        self.status = WarmStatus()
        self._lru: OrderedDict[int, tuple[int, Description]] = OrderedDict()
        self._lru_lock = threading.Lock()
        self._vec: Vectorizer | None = None
        self._vec_seq = -1
        self._vec_lock = threading.Lock()
        self._queue: queue.Queue[tuple[int, int, Description]] = queue.Queue()
        self._urgent: queue.Queue[int] = queue.Queue()
        self._urgent_ids: set[int] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- reading ---------------------------------------------------------------------------------

    def vectorizer(self, conn: Connection) -> Vectorizer:
        """The document frequencies, loaded once (the background pass reloads them as the store grows)."""
        with self._vec_lock:
            if self._vec is None:
                self._vec_seq = _max_seq(conn)
                self._vec = load_vectorizer(conn)
            return self._vec

    def get_many(self, conn: Connection, rows: Sequence[StoryRow]) -> dict[int, Description]:
        """Descriptions of these stories: from memory, then the store, then computed."""
        out: dict[int, Description] = {}
        stale: dict[int, Description] = {}
        with self._lru_lock:
            for row in rows:
                hit = self._lru.get(row.id)
                if hit is not None:
                    if hit[0] == row.updated_seq:
                        out[row.id] = hit[1]
                        self._lru.move_to_end(row.id)
                    else:
                        stale[row.id] = hit[1]
        wanted = [r for r in rows if r.id not in out]
        if wanted:
            ids = [r.id for r in wanted]
            seqs = {r.id: r.updated_seq for r in wanted}
            found = {}
            for i in range(0, len(ids), 500):
                part = ids[i:i + 500]
                found.update({s: (u, d) for s, u, d in conn.execute(
                    f"SELECT story, updated_seq, description FROM story_cache WHERE story IN "
                    f"({','.join('?' * len(part))})", part)})
            for story, (seq, text) in found.items():
                desc = Description.from_json(text)
                if seq == seqs[story] and desc.current:
                    out[story] = desc
                    self._remember(story, seq, desc)
                else:
                    stale.setdefault(story, desc)
        started = time.perf_counter()
        for row in wanted:
            if row.id in out:
                continue
            if time.perf_counter() - started > self.budget or row.articles > self.inline_limit:
                out[row.id] = stale[row.id] if row.id in stale else provisional(conn, row.id)
                self._hurry(row.id)
                continue
            desc = self.describe(conn, row)
            out[row.id] = desc
            self._queue.put((row.id, row.updated_seq, desc))
        return out

    def _hurry(self, story: int) -> None:
        """Ask the background thread to describe this story before anything else."""
        with self._lru_lock:
            if story in self._urgent_ids:
                return
            self._urgent_ids.add(story)
        self._urgent.put(story)

    def get(self, conn: Connection, row: StoryRow) -> Description:
        """One story's description."""
        return self.get_many(conn, [row])[row.id]

    def describe(self, conn: Connection, row: StoryRow) -> Description:
        """Describe a story now from its articles (and remember the result in memory)."""
        from ..stories.describe import describe

        story = describe(row, articles_of(conn, row.id), self.vectorizer(conn))
        desc = Description(story.headline, story.summary, story.entities, story.keywords, story.timeline)
        self._remember(row.id, row.updated_seq, desc)
        return desc

    def _remember(self, story: int, seq: int, desc: Description) -> None:
        with self._lru_lock:
            self._lru[story] = (seq, desc)
            self._lru.move_to_end(story)
            while len(self._lru) > self.memory:
                self._lru.popitem(last=False)

    def pending(self) -> int:
        """Descriptions computed by pages and not yet written to the store."""
        return self._queue.qsize()

    # -- the background pass ---------------------------------------------------------------------

    def start(self, warm: bool = True) -> None:
        """Start the background thread (writes queued descriptions; with ``warm``, describes the rest)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, args=(warm,), name="storyline-describe",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the background thread after it writes what is queued."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self, warm: bool) -> None:
        # A database server that goes away pauses the pass; it resumes on a new connection, with a
        # sweep that skips what is described already.
        def count_error() -> None:
            self.status.errors += 1

        run_connected(self.path, self._stop, log, "description cache", lambda conn: self._pass(conn, warm), RETRY,
                      on_failure=count_error)

    def _pass(self, conn: Connection, warm: bool) -> None:
        follow_from = _max_seq(conn)
        if warm:
            self._sweep(conn)
        self.status.followed_seq = follow_from
        while not self._stop.is_set():
            self._urgent_first(conn)
            self._flush(conn)
            if warm:
                follow_from = self._follow(conn, follow_from)
            self._stop.wait(0.25)
        self._flush(conn)

    def _sweep(self, conn: Connection) -> None:
        """Describe every live story whose cached description is missing or stale, newest first."""
        started = time.perf_counter()
        cursor: tuple[float, int] | None = None
        while not self._stop.is_set():
            if cursor is None:
                rows = conn.execute(f"SELECT {STORY_COLUMNS} FROM stories WHERE merged_into IS NULL "
                                    "ORDER BY last_seen DESC NULLS LAST, id DESC LIMIT ?", (self.warm_batch,)).fetchall()
            else:
                rows = conn.execute(
                    f"SELECT {STORY_COLUMNS} FROM stories WHERE merged_into IS NULL AND "
                    "(last_seen < ? OR (last_seen = ? AND id < ?) OR last_seen IS NULL) "
                    "ORDER BY last_seen DESC NULLS LAST, id DESC LIMIT ?",
                    (cursor[0], cursor[0], cursor[1], self.warm_batch)).fetchall() if cursor[0] is not None \
                    else conn.execute(f"SELECT {STORY_COLUMNS} FROM stories WHERE merged_into IS NULL AND "
                                      "last_seen IS NULL AND id < ? ORDER BY id DESC LIMIT ?",
                                      (cursor[1], self.warm_batch)).fetchall()
            if not rows:
                break
            self._urgent_first(conn)
            cursor = (rows[-1][4], rows[-1][0])
            self._refresh(conn, [StoryRow(*r) for r in rows if r[1] > 0])
            self._flush(conn)
            self.status.seconds = time.perf_counter() - started
            self._stop.wait(self.warm_pause)
        self.status.swept = True
        self.status.seconds = time.perf_counter() - started
        log.info("description cache: %d stories described in %.1f s", self.status.described,
                 self.status.seconds)

    def _urgent_first(self, conn: Connection) -> None:
        """Describe the stories pages are waiting for."""
        ids = []
        while True:
            try:
                ids.append(self._urgent.get_nowait())
            except queue.Empty:
                break
        if ids:
            self._refresh(conn, list(story_rows(conn, ids).values()))
            self._flush(conn)
            with self._lru_lock:
                self._urgent_ids.difference_update(ids)

    def _follow(self, conn: Connection, after: int) -> int:
        """Re-describe the stories that articles added since ``after`` touched; returns the new mark."""
        last = _max_seq(conn)
        if last <= after:
            return after
        if last - self._vec_seq > max(1000, self._vec_seq // 20):
            fresh = load_vectorizer(conn)
            with self._vec_lock:
                self._vec, self._vec_seq = fresh, last
        touched = [s for (s,) in conn.execute("SELECT DISTINCT story FROM articles WHERE seq > ? AND seq <= ?",
                                              (after, last))]
        for i in range(0, len(touched), self.warm_batch):
            rows = list(story_rows(conn, touched[i:i + self.warm_batch]).values())
            self._refresh(conn, rows)
            self._flush(conn)
        if touched:  # stories merged away keep no entities (pages also skip them)
            conn.execute("DELETE FROM story_entities WHERE story IN "
                         "(SELECT id FROM stories WHERE merged_into IS NOT NULL)")
        self.status.followed_seq = last
        return last

    def _refresh(self, conn: Connection, rows: Sequence[StoryRow]) -> None:
        """Describe those of ``rows`` whose stored description is missing or stale, and queue them."""
        if not rows:
            return
        ids = [r.id for r in rows]
        cached = dict(conn.execute(f"SELECT story, updated_seq FROM story_cache WHERE story IN "
                                   f"({','.join('?' * len(ids))}) AND description LIKE ?", [*ids, _CURRENT]).fetchall())
        for row in rows:
            if self._stop.is_set():
                return
            if cached.get(row.id) == row.updated_seq:
                continue
            self.foreground.wait_idle(0.5)
            with self._lru_lock:
                hit = self._lru.get(row.id)
            desc = hit[1] if hit is not None and hit[0] == row.updated_seq else self.describe(conn, row)
            self._queue.put((row.id, row.updated_seq, desc))
            self.status.described += 1

    def _flush(self, conn: Connection) -> None:
        """Write queued descriptions and their entities in one transaction."""
        items: dict[int, tuple[int, Description]] = {}
        while True:
            try:
                story, seq, desc = self._queue.get_nowait()
            except queue.Empty:
                break
            if story not in items or items[story][0] <= seq:
                items[story] = (seq, desc)
        if not items:
            return
        write(conn, ((s, seq, d) for s, (seq, d) in items.items()))


def provisional(conn: Connection, story: int) -> Description:
    """A stand-in description: the story's first article's title (one index lookup)."""
    row = conn.execute("SELECT title FROM articles WHERE story = ? ORDER BY seq LIMIT 1", (story,)).fetchone()
    return Description(" ".join(row[0].split()) if row else "", "", provisional=True)


def write(conn: Connection, items: Iterable[tuple[int, int, Description]]) -> None:
    """Store descriptions (``(story, updated_seq, description)``) and index their entities."""
    # In story order: servers sharing a PostgreSQL store then lock rows in one order, never in a cycle.
    items = sorted(items, key=lambda item: item[0])
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany("INSERT OR REPLACE INTO story_cache (story, updated_seq, description) VALUES (?, ?, ?)",
                         [(s, seq, d.to_json()) for s, seq, d in items])
        conn.executemany("DELETE FROM story_entities WHERE story = ?", [(s,) for s, _, _ in items])
        conn.executemany("INSERT OR REPLACE INTO story_entities (story, name, type, articles) VALUES (?, ?, ?, ?)",
                         [(s, e.name, e.type, e.count) for s, _, d in items for e in d.entities])
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _max_seq(conn: Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()[0])
