"""The reads both backends answer with the same SQL: an article, a story, a list of stories, a
story's articles, and where a merged story went.

Only the placeholder (``?`` or ``%s``) and how a row comes back differ, so each store gives those
two and inherits the queries: a change to what a story list means is made once.
"""

from __future__ import annotations

import re

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from .base import ArticleRow, StoryRow

#: Columns of ``articles`` in :class:`ArticleRow` order.
ARTICLE_COLUMNS = ("seq, id, title, text, url, canonical_url, published, source, lang, story, kind, copy_of, "
                   "text_key, score, why, features")
#: Columns of ``stories`` in :class:`StoryRow` order.
STORY_COLUMNS = "id, articles, outlets, first_seen, last_seen, updated_seq"

#: C0 control characters (NUL among them: SQLite stops reading a query's text at one, PostgreSQL
#: refuses it) and DEL, as spaces.
_CONTROLS = dict.fromkeys([*range(32), 127], " ")


def search_text(query: str) -> str:
    r"""A user's full-text query as either database can take it: control characters become spaces.

    >>> search_text(" quake\x00 Qeshm\n")
    'quake  Qeshm'
    """
    return query.translate(_CONTROLS).strip()


_TOKENS = re.compile(r'"[^"]*"?|\S+')


def fts5_query(query: str) -> str:
    """A web-search habit in an FTS5 query: ``-word`` leaves out what has it, wherever it is written
    (FTS5's ``NOT`` is binary, so the words to find go first; PostgreSQL's ``websearch_to_tsquery``
    reads ``-word`` itself).

    >>> fts5_query('ceasefire -Kaldoria "peace talks"')
    '(ceasefire "peace talks") NOT Kaldoria'
    >>> fts5_query("-Kessling strike OR walkout")
    '(strike OR walkout) NOT Kessling'
    >>> fts5_query("Veszmark-Kaldoria -")
    'Veszmark-Kaldoria -'
    """
    tokens = _TOKENS.findall(query)
    left_out = [t[1:] for t in tokens if t.startswith("-") and len(t) > 1]
    wanted = [t for t in tokens if not (t.startswith("-") and len(t) > 1)]
    if not left_out or not wanted:
        return query
    return "(" + " ".join(wanted) + ")" + "".join(f" NOT {t}" for t in left_out)


def only_excludes(query: str) -> bool:
    """Whether a query names only words to leave out (``-word``), which finds nothing to show.

    >>> only_excludes("-ceasefire -truce"), only_excludes("strike -Kessling"), only_excludes("-")
    (True, False, False)
    """
    words = query.split()
    return bool(words) and all(w.startswith("-") and len(w) > 1 for w in words)


def plain_words(query: str) -> str:
    """A query that FTS5 could not parse, as its words each quoted, quote marks doubled (searched as
    they are written).

    >>> plain_words('near (b')
    '"near" "(b"'
    """
    return " ".join('"' + w.replace('"', '""') + '"' for w in query.split())


#: A schema step of both stores (SQLite 5, PostgreSQL 3; like every step, never to be edited): clears
#: publication dates outside 1900-2200 (PostgreSQL sorts NaN above every number, so it goes too), which
#: versions before the intake checked dates stored from some inputs, and recomputes the spans and
#: cached pages of their stories.
CLEAR_IMPOSSIBLE_DATES = """
    DELETE FROM story_cache WHERE story IN (SELECT story FROM articles
        WHERE published < -2208988800 OR published >= 7289654400);
    UPDATE articles SET published = NULL WHERE published < -2208988800 OR published >= 7289654400;
    UPDATE stories SET first_seen = (SELECT min(published) FROM articles a WHERE a.story = stories.id),
                       last_seen = (SELECT max(published) FROM articles a WHERE a.story = stories.id)
        WHERE first_seen < -2208988800 OR first_seen >= 7289654400
           OR last_seen < -2208988800 OR last_seen >= 7289654400;
"""

#: A number at a top-level key of a JSON text column (``{column}``, ``{key}``), in each backend's SQL.
SQLITE_JSON_NUMBER = "json_extract({column}, '$.{key}')"
POSTGRES_JSON_NUMBER = "({column}::jsonb ->> '{key}')::float8"


def runner_ups_sql(json_number: str, mark: str) -> str:
    """The query behind :meth:`StoryReads.runner_ups` in a backend's spelling (one parameter: ``low``)."""
    runner_up = json_number.format(column="why", key="runner_up")
    score = json_number.format(column="why", key="runner_up_score")
    return (f"SELECT story, {runner_up}, {score} FROM articles "
            f"WHERE kind != 'copy' AND {score} >= {mark} ORDER BY seq")


def runner_up_rows(rows: Iterable[Sequence[Any]]) -> list[tuple[int, int, float]]:
    """Rows of :func:`runner_ups_sql` as ``(story, runner_up, score)``, those without a runner-up left out."""
    # int(): PostgreSQL reads every JSON number as a float; story ids are ints.
    return [(int(story), int(other), float(x)) for story, other, x in rows if other is not None]


#: Each merged story and the story that absorbed it.
MERGES_SQL = "SELECT id, merged_into FROM stories WHERE merged_into IS NOT NULL"


def resolver(merged: dict[int, int]) -> Callable[[int], int]:
    """A function from a story id to the live story it is part of, following ``merged``
    (as :meth:`StoryReads.merges` gives it).

    >>> resolver({3: 2, 2: 1})(3), resolver({3: 2})(7)
    (1, 7)
    """
    def resolve(story: int) -> int:
        while story in merged:
            story = merged[story]
        return story

    return resolve


_ORDERS = {
    "coverage": "outlets DESC, articles DESC, coalesce(last_seen, 0) DESC, id",
    "activity": "coalesce(last_seen, 0) DESC, updated_seq DESC",
}


class StoryReads:
    """Read queries shared by the SQLite and PostgreSQL stores.

    A store sets :attr:`mark` (its placeholder) and implements :meth:`_fetch` and :meth:`_fetch_one`
    (rows as tuples); :meth:`_article_row` turns a row into an :class:`ArticleRow` where a driver needs it.
    """

    #: The driver's query placeholder.
    mark = "?"
    #: How the backend reads a number inside a JSON text column.
    json_number = SQLITE_JSON_NUMBER

    def _fetch(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        raise NotImplementedError

    def _fetch_one(self, sql: str, params: Sequence[object] = ()) -> Any:
        raise NotImplementedError

    def _article_row(self, row: Any) -> ArticleRow:
        return ArticleRow(*row)

    def article(self, article_id: str) -> ArticleRow | None:
        """The stored article with this id, or ``None``."""
        row = self._fetch_one(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = {self.mark}", (article_id,))
        return None if row is None else self._article_row(row)

    def resolve(self, story_id: int) -> int:
        """The live story that ``story_id`` is part of now (after merges)."""
        seen = set()
        while story_id not in seen:
            seen.add(story_id)
            row = self._fetch_one(f"SELECT merged_into FROM stories WHERE id = {self.mark}", (story_id,))
            if row is None or row[0] is None:
                return story_id
            story_id = int(row[0])
        return story_id

    def story(self, story_id: int) -> StoryRow | None:
        """The live story ``story_id`` is part of, or ``None`` if there is no such story."""
        row = self._fetch_one(f"SELECT {STORY_COLUMNS} FROM stories WHERE id = {self.mark} AND merged_into IS NULL",
                              (self.resolve(story_id),))
        return None if row is None else StoryRow(*row)

    def stories(self, since: float | None = None, limit: int = 20, offset: int = 0,
                sort: str = "activity") -> list[StoryRow]:
        """Live stories with articles: most recently active first, or (``coverage``) most outlets first."""
        order = _ORDERS.get(sort)
        if order is None:
            raise ValueError(f"unknown story order: {sort!r} (activity or coverage)")
        m = self.mark
        sql = f"SELECT {STORY_COLUMNS} FROM stories WHERE merged_into IS NULL AND articles > 0"
        params: list[object] = []
        if since is not None:
            sql += f" AND last_seen >= {m}"
            params.append(since)
        params += [limit, offset]
        return [StoryRow(*r) for r in self._fetch(f"{sql} ORDER BY {order} LIMIT {m} OFFSET {m}", params)]

    def story_articles(self, story_id: int) -> list[ArticleRow]:
        """The articles of the live story ``story_id`` is part of, in the order they were stored."""
        return [self._article_row(r) for r in self._fetch(
            f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE story = {self.mark} ORDER BY seq",
            (self.resolve(story_id),))]

    def runner_ups(self, low: float) -> list[tuple[int, int, float]]:
        """``(story, runner_up, runner_up_score)`` of each placed article whose runner-up scored at
        least ``low``, in arrival order: the evidence storylines are made of (see
        :func:`storyline.stories.storylines.gather`). Read by the database from the stored decisions,
        so only the few that count reach Python."""
        return runner_up_rows(self._fetch(runner_ups_sql(self.json_number, self.mark), (low,)))

    def merges(self) -> dict[int, int]:
        """Each merged story and the story that absorbed it (follow the chain to the live one)."""
        return {int(a): int(b) for a, b in self._fetch(MERGES_SQL)}
