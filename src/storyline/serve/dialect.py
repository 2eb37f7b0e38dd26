"""The few SQL fragments that differ between the server's two backends, so queries are written once.

Everything else the server runs is plain SQL that SQLite and PostgreSQL both take (placeholders and
``INSERT OR REPLACE`` are translated by :mod:`storyline.store.portable`). What is left differs in kind,
not in spelling, and lives here: full-text matching with marked hits (FTS5 ``MATCH`` with
``highlight``/``snippet`` against a ``tsvector`` with ``ts_headline``), the scalar ``max(a, b)``
(``GREATEST``), and numbers inside the JSON of a decision.

>>> dialect_of(sqlite3.connect(":memory:")).greatest
'max'
>>> POSTGRES.json_number.format(column="why", key="score")
"(why::jsonb ->> 'score')::float8"
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..store.reads import POSTGRES_JSON_NUMBER, SQLITE_JSON_NUMBER, fts5_query

#: Hit markers in matched text (control characters, which no article keeps): made ``<mark>`` after escaping.
HIT_OPEN, HIT_CLOSE = "\x02", "\x03"
#: Words of context a snippet shows around its hits.
SNIPPET_WORDS = 28


@dataclass(frozen=True, slots=True)
class Dialect:
    """SQL fragments for one backend. A full-text query is ``SELECT ... FROM {match_from} ORDER BY
    {match_order}``, with the article table as ``a`` and one ``?`` for the query text."""

    name: str
    #: The scalar maximum of two values (SQLite's two-argument ``max``).
    greatest: str
    match_from: str
    match_order: str
    #: The matched title with every hit between :data:`HIT_OPEN` and :data:`HIT_CLOSE`.
    title_marked: str
    #: A short passage of the matched text around its hits, marked the same way.
    snippet_marked: str
    #: The errors a query the full-text syntax cannot parse raises (then the words are searched as they are).
    syntax_errors: tuple[type[BaseException], ...]
    #: A number at top-level ``{key}`` of a JSON text ``{column}`` (NULL where it is missing).
    json_number: str
    #: A user's query as the full-text syntax reads it (``-word`` for FTS5).
    full_text: Callable[[str], str] = str


SQLITE = Dialect(
    name="sqlite",
    greatest="max",
    match_from="articles_fts f JOIN articles a ON a.seq = f.rowid WHERE articles_fts MATCH ?",
    match_order="f.rank",
    title_marked="highlight(articles_fts, 0, char(2), char(3))",
    snippet_marked=f"snippet(articles_fts, 1, char(2), char(3), '…', {SNIPPET_WORDS})",
    syntax_errors=(sqlite3.OperationalError,),
    json_number=SQLITE_JSON_NUMBER,
    full_text=fts5_query,
)

# websearch_to_tsquery never fails on a query (quotes, OR and -word work; stray syntax is ignored), and
# 'simple' matches the store's own search column (no stemming: news comes in many languages).
_OPTIONS = f"StartSel={HIT_OPEN}, StopSel={HIT_CLOSE}"
POSTGRES = Dialect(
    name="postgresql",
    greatest="greatest",
    match_from="articles a, websearch_to_tsquery('simple', ?) q WHERE a.search @@ q",
    match_order="ts_rank(a.search, q) DESC, a.seq",
    title_marked=f"ts_headline('simple', a.title, q, 'HighlightAll=true, {_OPTIONS}')",
    # The first 200,000 characters, as the search column indexes.
    snippet_marked=(f"ts_headline('simple', left(a.text, 200000), q, "
                    f"'MaxWords={SNIPPET_WORDS}, MinWords={SNIPPET_WORDS // 2}, {_OPTIONS}')"),
    syntax_errors=(),
    json_number=POSTGRES_JSON_NUMBER,
)


def dialect_of(conn: Any) -> Dialect:
    """The dialect of a server connection (:func:`.db.open_connection` gives SQLite's own or a portable one)."""
    return SQLITE if isinstance(conn, sqlite3.Connection) else POSTGRES
