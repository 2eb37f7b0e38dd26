"""The read models pages and API answers are built from, each from indexed queries.

Lists (front page, entity pages, search) ask the store only for the stories they show, then take
their descriptions from :class:`~.cache.Descriptions`; no query here reads every story or article.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from html import escape

from ..model import CoverageItem, Entity
from ..store.base import ArticleRow, StoryRow
from ..store.reads import only_excludes, plain_words, search_text
from ..stories.describe import coverage as group_coverage
from . import charts
from .cache import STORY_COLUMNS, Description, Descriptions, story_rows
from .db import Clock, Connection
from .dialect import HIT_CLOSE, HIT_OPEN, dialect_of
from .explain import Why, explain

if TYPE_CHECKING:  # pragma: no cover
    from .storylines import StorylineView, Storylines

#: Time windows offered as filters (seconds back from the clock; ``all`` means no limit).
WINDOWS: dict[str, float | None] = {"6h": 6 * 3600.0, "24h": 86400.0, "3d": 3 * 86400.0, "7d": 7 * 86400.0,
                                    "30d": 30 * 86400.0, "all": None}
SORTS = ("top", "latest", "coverage")
#: Sparklines span the page's window, or this many seconds when the page has none.
SPARK_SPAN = 3 * 86400.0
SPARK_BINS = 24
MAX_PAGE = 500
#: Coverage items shown on a story page before "show all".
COVERAGE_SHOWN = 200
#: Ranking for "top": coverage (outlets count double) over the square of one plus the age in units
#: of 18 hours, so a widely covered story stays up for a day or two and a fresh one enters at once.
#: ``{greatest}`` is the dialect's scalar maximum.
_TOP = ("(2.0 * outlets + articles) / ((1.0 + {greatest}(0.0, ? - coalesce(last_seen, 0)) / 64800.0) * "
        "(1.0 + {greatest}(0.0, ? - coalesce(last_seen, 0)) / 64800.0))")
#: Undated stories sort after dated ones in ``last_seen DESC`` on both backends (PostgreSQL puts NULLs
#: first by default, SQLite last), as the keyset cursors of :func:`after_cursor` expect.
_LATEST = "last_seen DESC NULLS LAST"


class NotFound(LookupError):
    """No such story, article or entity."""


class BadQuery(ValueError):
    """A filter or order that does not exist; the message lists the ones that do."""


@dataclass(frozen=True, slots=True)
class Card:
    """A story as a list shows it."""

    id: int
    headline: str
    summary: str
    articles: int
    outlets: int
    first_seen: float | None
    last_seen: float | None
    entities: tuple[Entity, ...]
    spark: tuple[int, ...]
    spark_label: str


@dataclass(frozen=True, slots=True)
class StoryList:
    """A page of stories, with what the next and previous pages start from."""

    cards: list[Card]
    clock: Clock
    window: str
    sort: str
    entity: str | None
    page: int = 1
    next_page: int | None = None
    next_cursor: str | None = None


@dataclass(frozen=True, slots=True)
class CoverageEntry:
    """An article in a story's coverage list, with why it is there and its folded copies."""

    id: str
    title: str
    url: str | None
    source: str | None
    published: float | None
    why: Why
    copies: tuple["CoverageEntry", ...] = ()
    #: The article's language (ISO 639-1), when known: the page marks its title with it.
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class StoryDetail:
    """Everything a story page shows."""

    row: StoryRow
    description: Description
    coverage: list[tuple[str, list[CoverageEntry]]]
    coverage_total: int
    coverage_shown: int
    related: list[Card]
    clock: Clock
    #: Languages of the story's articles with their counts, most articles first (``None``: unknown).
    languages: list[tuple[str | None, int]] = field(default_factory=list)
    #: The storyline the story is part of, if any.
    storyline: "StorylineView | None" = None


@dataclass(frozen=True, slots=True)
class Hit:
    """An article matching a search, with the matches marked (``<mark>``, the rest escaped)."""

    id: str
    title: str
    title_html: str
    snippet_html: str
    source: str | None
    published: float | None


@dataclass(frozen=True, slots=True)
class SearchResult:
    """Stories matching a search, best first, each with its matching articles."""

    query: str
    cards: list[Card]
    hits: dict[int, list[Hit]]
    clock: Clock
    articles_matched: int
    #: Stories matched in all (of the first ``limit`` matching articles), and this page's number.
    stories_matched: int = 0
    page: int = 1
    #: Whether a next page holds more of them.
    more: bool = False


@dataclass(frozen=True, slots=True)
class EntityPage:
    """Every story that mentions a name, most recently active first."""

    name: str
    type: str
    stories: int
    list: StoryList


@dataclass(frozen=True, slots=True)
class ArticleView:
    """One article as stored, with its live story and decision."""

    row: ArticleRow
    story: int
    headline: str | None
    why: Why


@dataclass
class Stats:
    """Counts for the stats endpoint and the page footer."""

    articles: int
    stories: int
    described: int
    latest: float | None
    archive: bool
    last_seq: int
    extra: dict[str, object] = field(default_factory=dict)


# -- lists -----------------------------------------------------------------------------------------


def parse_cursor(text: str | None) -> tuple[float | None, int] | None:
    """A keyset cursor ``LASTSEEN_ID`` (``-_ID`` for undated stories), or ``None`` if malformed.

    Every cursor :func:`make_cursor` writes parses: a story last seen before 1970 has a negative time,
    and ``repr`` writes some floats with an exponent.

    >>> parse_cursor("1795160520.0_17"), parse_cursor("-_3"), parse_cursor("x"), parse_cursor("1_" + "9" * 20)
    ((1795160520.0, 17), (None, 3), None, None)
    >>> parse_cursor("-2208988800.0_4"), parse_cursor("1e-05_5")
    ((-2208988800.0, 4), (1e-05, 5))
    """
    if not text:
        return None
    # an id SQLite's integers hold
    m = re.fullmatch(r"(-|-?\d{1,20}(?:\.\d{1,20})?(?:e[+-]?\d{1,3})?)_(\d{1,18})", text)
    if not m:
        return None
    return (None if m.group(1) == "-" else float(m.group(1))), int(m.group(2))


def make_cursor(row: StoryRow) -> str:
    return f"{'-' if row.last_seen is None else repr(float(row.last_seen))}_{row.id}"


def after_cursor(cursor: tuple[float | None, int] | None, prefix: str = "") -> tuple[str, list[object]]:
    """SQL (and parameters) for "after this cursor" in ``last_seen DESC, id DESC`` order."""
    if cursor is None:
        return "", []
    seen, sid = cursor
    if seen is None:
        return f" AND {prefix}last_seen IS NULL AND {prefix}id < ?", [sid]
    return (f" AND ({prefix}last_seen < ? OR ({prefix}last_seen = ? AND {prefix}id < ?) OR {prefix}last_seen IS NULL)",
            [seen, seen, sid])


def story_list(conn: Connection, cache: Descriptions, window: str = "all", sort: str = "top",
               entity: str | None = None, page: int = 1, cursor: str | None = None,
               size: int = 20) -> StoryList:
    """A page of live stories, filtered by time window and entity.

    ``top`` ranks by coverage and recency, ``coverage`` by outlets then articles (both paged by number,
    up to :data:`MAX_PAGE`), ``latest`` by last activity (paged by keyset ``cursor``, any depth).
    """
    if window not in WINDOWS:
        raise BadQuery(f"window: one of {', '.join(WINDOWS)}")
    if sort not in SORTS:
        raise BadQuery(f"sort: one of {', '.join(SORTS)}")
    # A page the listing cannot give must not be answered with page 1 under its number.
    if sort == "latest" and page > 1:
        raise BadQuery("page: the latest stories are paged by cursor; follow the `next` link")
    if sort != "latest" and cursor:
        raise BadQuery(f"cursor: {sort} stories are paged by number; follow the `next` link")
    page = max(1, min(page, MAX_PAGE))
    clock = Clock.of(conn)
    span = WINDOWS[window]
    where = " WHERE merged_into IS NULL AND articles > 0"
    params: list[object] = []
    if span is not None and clock.latest is not None:
        # A store without a single dated article has no "last 6 hours": every story is shown, as
        # `storyline stories --since` shows them (an empty page read as "nothing happened").
        where += " AND last_seen >= ?"
        params.append(clock.now - span)
    if entity:
        where += " AND id IN (SELECT story FROM story_entities WHERE name = ?)"
        params.append(entity)
    keyset = parse_cursor(cursor) if sort == "latest" else None
    if sort == "latest":
        sql_keyset, keyset_params = after_cursor(keyset)
        sql = f"SELECT {STORY_COLUMNS} FROM stories{where}{sql_keyset} ORDER BY {_LATEST}, id DESC LIMIT ?"
        params += keyset_params + [size + 1]
    elif sort == "coverage":
        sql = (f"SELECT {STORY_COLUMNS} FROM stories{where} ORDER BY outlets DESC, articles DESC, "
               f"{_LATEST}, id DESC LIMIT ? OFFSET ?")
        params += [size + 1, (page - 1) * size]
    else:  # top: the ranking's clock parameters follow the filter's in the statement
        top = _TOP.format(greatest=dialect_of(conn).greatest)
        sql = f"SELECT {STORY_COLUMNS} FROM stories{where} ORDER BY {top} DESC, id DESC LIMIT ? OFFSET ?"
        params += [clock.now, clock.now, size + 1, (page - 1) * size]
    rows = [StoryRow(*r) for r in conn.execute(sql, params)]
    more = len(rows) > size
    rows = rows[:size]
    cards = make_cards(conn, cache, rows, clock, span or SPARK_SPAN)
    next_page = page + 1 if more and sort != "latest" and page < MAX_PAGE else None
    next_cursor = make_cursor(rows[-1]) if more and sort == "latest" else None
    return StoryList(cards, clock, window, sort, entity, page, next_page, next_cursor)


def make_cards(conn: Connection, cache: Descriptions, rows: Sequence[StoryRow], clock: Clock,
               span: float = SPARK_SPAN) -> list[Card]:
    """Cards for stories: descriptions from the cache, sparklines from one query."""
    if not rows:
        return []
    descs = cache.get_many(conn, rows)
    start, end = clock.now - span, clock.now
    times: dict[int, list[float]] = defaultdict(list)
    ids = [r.id for r in rows]
    for story, published in conn.execute(
            f"SELECT story, published FROM articles WHERE story IN ({','.join('?' * len(ids))}) "
            "AND published >= ? AND published <= ?", [*ids, start, end]):
        times[story].append(published)
    unit = _span_words(span / SPARK_BINS)
    label = f"articles per {unit} over the last {_span_words(span)}"
    cards = []
    for row in rows:
        d = descs[row.id]
        if times.get(row.id):
            spark = charts.bins(times[row.id], start, end, SPARK_BINS)
            spark_label = label
        else:  # active before the window: the story's own life
            spark = charts.resample([n for _, n in d.timeline], SPARK_BINS)
            spark_label = f"articles per {'hour' if d.timeline and 'T' in d.timeline[0][0] else 'day'} over the story's life"
        cards.append(Card(row.id, d.headline, d.summary, row.articles, row.outlets, row.first_seen, row.last_seen,
                          d.entities[:5], tuple(spark), spark_label))
    return cards


def _span_words(seconds: float) -> str:
    """``3 hours``, ``day``, ``3 days``.

    >>> _span_words(3 * 3600), _span_words(86400), _span_words(3 * 86400), _span_words(900)
    ('3 hours', 'day', '3 days', '15 minutes')
    """
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and (seconds % size == 0 or unit == "minute"):
            n = round(seconds / size)
            return unit if n == 1 else f"{n} {unit}s"
    return f"{round(seconds / 3600, 1)} hours"


# -- one story -------------------------------------------------------------------------------------


def live_story(conn: Connection, story_id: int) -> int:
    """The live story a (possibly merged) id belongs to now."""
    seen: set[int] = set()
    while story_id not in seen:
        seen.add(story_id)
        row = conn.execute("SELECT merged_into FROM stories WHERE id = ?", (story_id,)).fetchone()
        if row is None or row[0] is None:
            return story_id
        story_id = int(row[0])
    return story_id


def story_detail(conn: Connection, cache: Descriptions, story_id: int,
                 show_all: bool = False, storylines: "Storylines | None" = None) -> StoryDetail:
    """A live story with its description, coverage (copies folded, each with "why here") and related
    stories. Raises :class:`NotFound`."""
    rows = story_rows(conn, [story_id])
    if story_id not in rows:
        raise NotFound(f"no story {story_id}")
    row = rows[story_id]
    clock = Clock.of(conn)
    desc = cache.get(conn, row)
    light = [ArticleRow(seq, aid, title, "", url, None, published, source, lang, story, kind, copy_of, "", 0.0,
                        why, b"")
             for seq, aid, title, url, published, source, lang, story, kind, copy_of, why in conn.execute(
                 "SELECT seq, id, title, url, published, source, lang, story, kind, copy_of, why FROM articles "
                 "WHERE story = ? ORDER BY seq", (row.id,))]
    whys = {a.id: a.why for a in light}
    langs = {a.id: a.lang for a in light}
    limit = None if show_all else COVERAGE_SHOWN
    groups: list[tuple[str, list[CoverageEntry]]] = []
    shown = 0

    def entry(item: CoverageItem) -> CoverageEntry:
        return CoverageEntry(item.article_id, item.title, item.url, item.source, item.published,
                             explain(whys[item.article_id], row.id), tuple(entry(c) for c in item.copies),
                             langs[item.article_id])

    for outlet, items in group_coverage(light):
        if limit is not None and shown >= limit:
            break
        picked = list(items) if limit is None else list(items[: max(0, limit - shown)])
        shown += sum(1 + len(i.copies) for i in picked)
        groups.append((outlet, [entry(i) for i in picked]))
    related = related_stories(conn, cache, row, desc, clock)
    languages = [(lang, n) for lang, n in conn.execute(
        "SELECT lang, COUNT(*) AS n FROM articles WHERE story = ? GROUP BY lang ORDER BY n DESC, lang NULLS FIRST", (row.id,))]
    storyline = storylines.of(conn, cache, row) if storylines is not None else None
    return StoryDetail(row, desc, groups, len(light), min(shown, len(light)), related, clock, languages,
                       storyline)


def related_stories(conn: Connection, cache: Descriptions, row: StoryRow, desc: Description,
                    clock: Clock, limit: int = 5) -> list[Card]:
    """Stories sharing this one's names (rarer names weigh more), else its key words."""
    scores: dict[int, float] = defaultdict(float)
    for e in desc.entities[:8]:
        df = conn.execute("SELECT count(*) FROM story_entities WHERE name = ?", (e.name,)).fetchone()[0]
        weight = 1.0 / math.log(2.0 + df)
        for (other,) in conn.execute("SELECT story FROM story_entities WHERE name = ? AND story != ? "
                                     "ORDER BY story DESC LIMIT 200", (e.name, row.id)):
            scores[other] += weight
    if not scores and len(desc.keywords) >= 2:
        # Without shared names, an article must use two of the story's key words together: one word
        # alone ("old", "month") tied a bridge's reopening to a storm, a quake and a chess final.
        dialect = dialect_of(conn)
        quoted = ['"' + k.replace('"', '""') + '"' for k in desc.keywords[:4]]
        for i, first in enumerate(quoted):
            for second in quoted[i + 1:]:
                try:
                    found = {other for (other,) in conn.execute(
                        f"SELECT a.story FROM {dialect.match_from} ORDER BY {dialect.match_order} LIMIT 60",
                        (f"{first} {second}",))}
                except dialect.syntax_errors:
                    continue
                for other in found - {row.id}:
                    scores[other] += 1.0
    if not scores:
        return []
    best = sorted(scores.items(), key=lambda kv: (-kv[1], -kv[0]))[: limit * 3]
    live = story_rows(conn, [s for s, _ in best])
    rows = [live[s] for s, _ in best if s in live][:limit]
    return make_cards(conn, cache, rows, clock)


def article(conn: Connection, cache: Descriptions, article_id: str) -> ArticleView:
    """One stored article with its live story. Raises :class:`NotFound`."""
    from .cache import ARTICLE_COLUMNS

    r = conn.execute(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?", (article_id,)).fetchone()
    if r is None:
        raise NotFound(f"no article {article_id!r}")
    row = ArticleRow(*r)
    story = live_story(conn, row.story)
    live = story_rows(conn, [story])
    headline = cache.get(conn, live[story]).headline if story in live else None
    return ArticleView(row, story, headline, explain(row.why, story))


# -- search and entities ---------------------------------------------------------------------------


def marked(text: str) -> str:
    """Full-text output with hit markers as HTML: everything escaped, then the markers made ``<mark>``.

    >>> marked("a <b> \\x02quake\\x03")
    'a &lt;b&gt; <mark>quake</mark>'
    """
    return escape(text).replace(HIT_OPEN, "<mark>").replace(HIT_CLOSE, "</mark>")


def search(conn: Connection, cache: Descriptions, query: str, limit: int = 200,
           stories: int = 20, page: int = 1, newest: bool = False) -> SearchResult:
    """Stories whose articles match a full-text query, best match first (the index must be synced):
    page ``page`` of them, ``stories`` a page, from the best ``limit`` matching articles (with
    ``newest``, the newest ``limit`` matching articles, newest first: what a feed follows)."""
    clock = Clock.of(conn)
    query = search_text(query)
    if not query or only_excludes(query):  # "-word" alone: FTS5 cannot say it, and nothing is asked for
        return SearchResult(query, [], {}, clock, 0)
    dialect = dialect_of(conn)
    sql = (f"SELECT a.id, a.story, a.title, {dialect.title_marked}, {dialect.snippet_marked}, a.source, a.published "
           f"FROM {dialect.match_from} ORDER BY {'a.seq DESC' if newest else dialect.match_order} LIMIT ?")
    try:
        found = conn.execute(sql, (dialect.full_text(query), limit)).fetchall()
    except dialect.syntax_errors:  # not FTS5 syntax: search the words as they are
        found = conn.execute(sql, (plain_words(query), limit)).fetchall()
    hits: dict[int, list[Hit]] = {}
    order: list[int] = []
    for aid, story, title, title_hl, snippet, source, published in found:
        if story not in hits:
            hits[story] = []
            order.append(story)
        if len(hits[story]) < 3:
            hits[story].append(Hit(aid, title, marked(title_hl), marked(snippet), source, published))
    shown = order[(page - 1) * stories:page * stories]
    live = story_rows(conn, shown)
    rows = [live[s] for s in shown if s in live]
    cards = make_cards(conn, cache, rows, clock)
    return SearchResult(query, cards, {r.id: hits[r.id] for r in rows}, clock, len(found), len(order), page,
                        len(order) > page * stories)


def entity_page(conn: Connection, cache: Descriptions, name: str, cursor: str | None = None,
                size: int = 20) -> EntityPage:
    """Stories mentioning ``name`` (from ``story_entities``), most recently active first."""
    types = conn.execute("SELECT type, count(*) FROM story_entities WHERE name = ? GROUP BY type "
                         "ORDER BY count(*) DESC, type", (name,)).fetchall()
    if not types:
        raise NotFound(f"no story mentions {name!r}")
    total = sum(n for _, n in types)
    clock = Clock.of(conn)
    sql_keyset, params = after_cursor(parse_cursor(cursor), "s.")
    rows = [StoryRow(*r) for r in conn.execute(
        f"SELECT s.id, s.articles, s.outlets, s.first_seen, s.last_seen, s.updated_seq FROM story_entities e "
        f"JOIN stories s ON s.id = e.story WHERE e.name = ? AND s.merged_into IS NULL AND s.articles > 0"
        f"{sql_keyset} ORDER BY s.{_LATEST}, s.id DESC LIMIT ?", [name, *params, size + 1])]
    more = len(rows) > size
    rows = rows[:size]
    listing = StoryList(make_cards(conn, cache, rows, clock), clock, "all", "latest", name, 1, None,
                        make_cursor(rows[-1]) if more else None)
    return EntityPage(name, types[0][0], total, listing)


def trending_entities(conn: Connection, limit: int = 30, recent: int = 500,
                      since: float | None = None) -> list[tuple[str, str, int]]:
    """Names in the most recently active stories (active ``since`` then, if given), by how many of those
    stories mention them, each with the type most of them give it (as its own page does: one story may
    not know "Kaldoria" is a place)."""
    types: dict[str, Counter[str]] = {}
    # A front page filtered to a window links its names with the window: names of older stories led
    # to "No stories mention X in the last 6h".
    active = "" if since is None else " AND last_seen >= ?"
    params: tuple[object, ...] = (recent,) if since is None else (since, recent)
    for name, kind, n in conn.execute(
            "SELECT e.name, e.type, count(*) FROM story_entities e JOIN "
            f"(SELECT id FROM stories WHERE merged_into IS NULL AND articles > 0{active} ORDER BY {_LATEST} "
            "LIMIT ?) s ON s.id = e.story GROUP BY e.name, e.type", params):
        types.setdefault(name, Counter())[kind] += n
    ranked = sorted(((-sum(c.values()), name) for name, c in types.items()))[:limit]
    return [(name, min(types[name].items(), key=lambda kv: (-kv[1], kv[0]))[0], -total) for total, name in ranked]


def stats(conn: Connection, previous: Stats | None = None) -> Stats:
    """Counts of articles, live stories and described stories, and the clock.

    The counts scan indexes, so a ``previous`` result is reused while no article was added since
    (only the count of described stories, which the background pass changes, may then lag).
    """
    last_seq = conn.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()[0]
    clock = Clock.of(conn)
    if previous is not None and previous.last_seq == last_seq:
        return Stats(previous.articles, previous.stories, previous.described, clock.latest, clock.archive, last_seq)
    articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    stories = conn.execute("SELECT count(*) FROM stories WHERE merged_into IS NULL AND articles > 0").fetchone()[0]
    described = conn.execute("SELECT count(*) FROM story_cache").fetchone()[0]
    return Stats(articles, stories, described, clock.latest, clock.archive, last_seq)
