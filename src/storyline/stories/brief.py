"""A brief as data: what happened in a period (or since the last brief), ranked by importance.

A brief has an executive summary (one line for each of the biggest developments), then the stories of
the period, new ones and developing ones told apart, each with what is new in it: articles, outlets
and names. Rendering (Markdown, HTML, JSON) is :mod:`storyline.stories.render_brief`'s job.

The clock is the store's: "the last 24 h" counts back from the newest article, as ``--since`` does
everywhere in storyline. The last brief is remembered in the ``meta`` table as a mark (the newest
article's sequence number and time when it was made), so ``--since-last`` reports exactly the articles
that arrived after it, whatever their dates.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Protocol

from ..model import iso
from .importance import Importance, explain_burst, importance

if TYPE_CHECKING:  # pragma: no cover
    import sqlite3

    from ..store.base import ArticleRow, StoryRow
    from ..text.features import Vectorizer

MARK_KEY = "brief_mark"
#: How far before the last brief's mark a ``--since-last`` brief's period reaches for news that
#: arrived late (older arrivals are counted too, but do not stretch the period).
LATE_REACH = 7 * 86400.0
DEFAULT_SINCE = 24 * 3600.0
#: In a longer brief, stories that began in its last 24 h are "new", and "what is new" counts from there.
FRESH = 24 * 3600.0


class BriefError(ValueError):
    """A brief cannot be made as asked (e.g. an empty store)."""


class BriefStore(Protocol):
    """What a brief reads from a store: SQLite's connection (``db``) and the usual story reads.

    :class:`storyline.store.sqlite.SQLiteStore` is one; the web server passes a read-only one over its
    own connection, so a brief never needs an :class:`~storyline.engine.Engine` (whose start-up replays
    the whole store).
    """

    db: "sqlite3.Connection"

    def get_state(self, key: str) -> bytes | None: ...

    def latest_time(self) -> float | None: ...

    def story(self, story_id: int) -> "StoryRow | None": ...

    def story_articles(self, story_id: int) -> "list[ArticleRow]": ...

    def resolve(self, story_id: int) -> int: ...

    def search(self, query: str, limit: int = 50) -> list[tuple[int, int, float]]: ...


@dataclass(frozen=True, slots=True)
class Mark:
    """Where the last brief stopped: the newest article's ``seq`` and the store clock, and when it was made."""

    seq: int
    clock: float
    made_at: float


@dataclass(frozen=True, slots=True)
class Link:
    """An article worth opening: one per outlet, newest first."""

    title: str
    url: str | None
    source: str | None
    published: float | None


@dataclass(frozen=True, slots=True)
class BriefStory:
    """One story in a brief. ``status`` is ``new`` (began in the period) or ``developing``."""

    id: int
    headline: str
    summary: str
    status: str
    articles: int
    outlets: int
    new_articles: int
    new_outlets: tuple[str, ...]
    new_entities: tuple[str, ...]
    entities: tuple[str, ...]
    importance: Importance
    why: str
    first_seen: float | None
    last_seen: float | None
    links: tuple[Link, ...] = ()
    #: For a developing story: the headline of what is new (the most representative of its new
    #: articles' titles), when it is not the story's own. Its summary is then told from them too.
    latest: str | None = None


@dataclass(frozen=True, slots=True)
class Brief:
    """A situation report over ``[start, end]`` (store clock); ``previous`` is the mark it continues from.

    Stories that began after ``fresh_from`` (the last 24 h of a longer period, or the mark) are new;
    the others are developing, and their ``new_*`` fields count what arrived after ``fresh_from``.
    """

    start: float
    end: float
    fresh_from: float
    topic: str | None
    previous: Mark | None
    articles: int
    outlets: int
    executive: tuple[str, ...]
    stories: tuple[BriefStory, ...] = field(default_factory=tuple)
    note: str | None = None
    #: New and developing stories of the whole period (``stories`` holds only the top ``limit``).
    new_stories: int = 0
    developing_stories: int = 0

    @property
    def new(self) -> list[BriefStory]:
        return [s for s in self.stories if s.status == "new"]

    @property
    def developing(self) -> list[BriefStory]:
        return [s for s in self.stories if s.status == "developing"]

    def to_json(self) -> dict[str, object]:
        """Plain JSON-ready data, times as ISO 8601 UTC strings like every other JSON of storyline's
        (``storyline stories --json``, the HTTP API).

        >>> b = Brief(start=0.0, end=7200.0, fresh_from=0.0, topic=None, previous=None, articles=0,
        ...           outlets=0, executive=())
        >>> b.to_json()["start"], b.to_json()["hours"]
        ('1970-01-01T00:00:00Z', 2.0)
        """
        out = asdict(self)
        for key in ("start", "end", "fresh_from"):
            out[key] = iso(out[key])
        if out["previous"] is not None:
            out["previous"]["clock"] = iso(out["previous"]["clock"])
            out["previous"]["made_at"] = iso(out["previous"]["made_at"])
        for story in out["stories"]:
            story["first_seen"], story["last_seen"] = iso(story["first_seen"]), iso(story["last_seen"])
            for link in story["links"]:
                link["published"] = iso(link["published"])
            burst = story["importance"]["burst"]
            if burst is not None:
                burst["at"] = iso(burst["at"])
        out["hours"] = round((self.end - self.start) / 3600, 1)
        return out


def read_mark(store: BriefStore) -> Mark | None:
    """The mark of the last brief saved in the store, if any."""
    raw = store.get_state(MARK_KEY)
    if raw is None:
        return None
    data = json.loads(raw)
    return Mark(int(data["seq"]), float(data["clock"]), float(data["made_at"]))


def save_mark(store: BriefStore) -> Mark:
    """Remember now as the last brief (for ``--since-last``); returns the mark.

    Only ``storyline brief`` calls this: the web's ``/brief`` is a read-only view and never moves the mark.
    """
    db = store.db
    seq, = db.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()
    mark = Mark(int(seq), float(store.latest_time() or 0.0), time.time())
    db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
               (MARK_KEY, json.dumps(asdict(mark)).encode()))
    return mark


def build_brief(store: BriefStore, vectorizer: "Vectorizer", since: float | None = None,
                since_last: bool = False, topic: str | None = None, limit: int = 10) -> Brief:
    """Make a brief from a store.

    ``vectorizer`` carries the document frequencies and common words that describing a story needs
    (:func:`storyline.stories.vocabulary.stored_vectorizer` reads the saved ones). ``since`` (seconds)
    counts back from the newest article; ``since_last`` starts at the last brief's mark instead (24 h
    when there is none). ``topic`` keeps the stories a full-text query finds. Nothing is written.
    """
    from .describe import describe, headline_and_centre, key_entities, story_title, summarise

    if getattr(store, "db", None) is None:
        raise BriefError("briefs need an SQLite store")
    end = store.latest_time()
    if end is None:
        held, = store.db.execute("SELECT count(*) FROM articles").fetchone()
        if held:  # a brief is of a period: undated news has none
            raise BriefError(f"none of the store's {held:,} articles has a publication date, and a brief "
                             "covers a period of time; `storyline stories` lists them")
        raise BriefError("the store has no articles yet; ingest some first")
    db = store.db
    mark = read_mark(store) if since_last else None
    note = None
    if since_last and mark is None:
        note = "no earlier brief: showing the last 24 h"
    if mark is not None:
        start = min(mark.clock, end)
        cut_seq: int | None = mark.seq
        ids = [r[0] for r in db.execute("SELECT id FROM stories WHERE merged_into IS NULL AND articles > 0 "
                                        "AND updated_seq > ?", (mark.seq,))]
    else:
        start = end - (since if since is not None else DEFAULT_SINCE)
        cut_seq = None
        ids = [r[0] for r in db.execute("SELECT id FROM stories WHERE merged_into IS NULL AND articles > 0 "
                                        "AND last_seen >= ?", (start,))]
    if topic:
        found = {store.resolve(story) for _seq, story, _rank in store.search(topic, limit=5000)}
        ids = [i for i in ids if i in found]

    if cut_seq is not None:  # what arrived late, dated before the mark, is of this period too
        late, = db.execute("SELECT min(published) FROM articles WHERE seq > ?", (cut_seq,)).fetchone()
        if late is not None:  # (a week back at most: one article of 2015 must not make a decade's period)
            start = min(start, max(float(late), start - LATE_REACH))
    stream = [r[0] for r in db.execute("SELECT published FROM articles WHERE published >= ? "
                                       "ORDER BY published", (start - 13 * 3600,))]
    fresh_from = max(start, end - FRESH)

    def in_period(row) -> bool:
        if cut_seq is not None:
            return row.seq > cut_seq
        return row.published is not None and row.published >= start

    def is_fresh(row) -> bool:
        if cut_seq is not None:
            return row.seq > cut_seq
        return row.published is not None and row.published >= fresh_from

    fresh_label = "since the last brief" if cut_seq is not None else (
        "in the last 24 h" if fresh_from > start else "in the period")
    items: list[BriefStory] = []
    period_articles = 0
    period_outlets: set[str] = set()
    for story_id in ids:
        srow = store.story(story_id)
        rows = store.story_articles(story_id)
        period = [r for r in rows if in_period(r)]
        if srow is None or not period:
            continue
        fresh = [r for r in rows if is_fresh(r)]
        old = [r for r in rows if not is_fresh(r)]
        period_articles += len(period)
        period_outlets.update(r.source or "unknown outlet" for r in period)
        dated = [r for r in rows if r.published is not None]
        weight = importance([float(r.published or 0.0) for r in dated], [r.source for r in dated], stream,
                            start, end, [in_period(r) for r in dated])
        story = describe(srow, rows, vectorizer)
        old_sources = {r.source or "unknown outlet" for r in old}
        new_outlets = sorted({r.source or "unknown outlet" for r in fresh} - old_sources) if old else []
        names = tuple(e.name for e in story.entities)
        if old and fresh:
            before = {e.name for e in key_entities(old, vectorizer.common)}
            new_names = tuple(n for n in names if n not in before)
        else:
            new_names = ()
        status = "developing" if old else "new"
        summary, latest = story.summary, None
        originals = [r for r in fresh if r.kind != "copy"]
        if old and originals:
            # A brief says what changed: the story's headline and lede were written by its first days
            # ("strike spreads to rail terminal"), its new articles say what happened since ("strike
            # ends after pay deal").
            lead, centre = headline_and_centre(originals)
            latest = story_title(lead)
            summary = summarise(originals, centre, latest, vectorizer) or summary
            if latest == story.headline:
                latest = None
        items.append(BriefStory(
            id=story.id, headline=story.headline, summary=summary, status=status, latest=latest,
            articles=story.articles, outlets=story.outlets, new_articles=len(fresh),
            new_outlets=tuple(new_outlets), new_entities=new_names, entities=names[:6],
            importance=weight, why=_why(status, len(fresh), weight, new_outlets, fresh_label),
            first_seen=story.first_seen, last_seen=story.last_seen, links=_links(fresh)))
    items.sort(key=lambda s: (-s.importance.score, -(s.last_seen or 0), s.id))
    new_stories = sum(1 for s in items if s.status == "new")
    developing_stories = len(items) - new_stories
    items = items[:limit]
    executive = tuple(f"{s.headline} — {s.why.split('; ')[0]}"
                      + (f"; {explain_burst(s.importance.burst)}" if s.importance.burst else "")
                      + (f"; latest: {s.latest}" if s.latest else "")
                      for s in items[:5])
    return Brief(start=start, end=end, fresh_from=fresh_from, topic=topic, previous=mark, articles=period_articles,
                 outlets=len(period_outlets), executive=executive, stories=tuple(items), note=note,
                 new_stories=new_stories, developing_stories=developing_stories)


def _why(status: str, fresh: int, weight: Importance, new_outlets: list[str], fresh_label: str) -> str:
    """Why a story matters in this brief, in one clause."""

    def n(count: int, word: str) -> str:
        return f"{count} {word}{'s' if count != 1 else ''}"

    if status == "new":
        text = f"new: {n(weight.articles, 'article')} from {n(weight.outlets, 'outlet')}"
    else:
        text = f"developing: {n(weight.articles, 'article')} from {n(weight.outlets, 'outlet')}"
        if fresh and fresh != weight.articles:
            text += f", {fresh} of them {fresh_label}"
        elif not fresh:
            text += f", none {fresh_label}"
        if new_outlets:
            text += f"; {n(len(new_outlets), 'outlet')} covering it for the first time"
    if weight.burst is not None:
        text += "; " + explain_burst(weight.burst)
    return text


def _links(rows) -> tuple[Link, ...]:
    """The newest original article of up to three outlets."""
    seen: set[str] = set()
    out: list[Link] = []
    for r in sorted((r for r in rows if r.kind != "copy"), key=lambda r: -(r.published or 0)):
        key = r.source or ""
        if key in seen:
            continue
        seen.add(key)
        out.append(Link(" ".join(r.title.split()), r.url, r.source, r.published))
        if len(out) == 3:
            break
    return tuple(out)
