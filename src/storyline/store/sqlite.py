"""The default store: one SQLite file in WAL mode, versioned schema with migrations.

A user can open the file with any SQLite tool: articles, stories and the decisions are plain tables.
"""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .base import ArticleRow, chunks
from .errors import UNFINISHED_KEY, StoreError, refuse_unfinished, rollback
from .reads import ARTICLE_COLUMNS as _ARTICLE_COLUMNS
from .reads import CLEAR_IMPOSSIBLE_DATES, fts5_query, plain_words, search_text
from .reads import StoryReads
from .turns import WriterTurns
from .vectors import SCAN_CHUNK, Neighbour, scan_nearest

DEFAULT_DB = "storyline.db"

# Each entry migrates the schema from version i to i + 1; never edit one that has shipped.
MIGRATIONS: list[str] = [
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB);
    CREATE TABLE articles (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        url TEXT,
        canonical_url TEXT,
        published REAL,
        source TEXT,
        lang TEXT,
        story INTEGER NOT NULL,
        kind TEXT NOT NULL,
        copy_of TEXT,
        text_key TEXT NOT NULL,
        score REAL NOT NULL,
        why TEXT NOT NULL,
        features BLOB NOT NULL
    );
    CREATE INDEX articles_story ON articles(story, seq);
    CREATE INDEX articles_canonical_url ON articles(canonical_url);
    CREATE TABLE stories (
        id INTEGER PRIMARY KEY,
        merged_into INTEGER,
        articles INTEGER NOT NULL DEFAULT 0,
        outlets INTEGER NOT NULL DEFAULT 0,
        first_seen REAL,
        last_seen REAL,
        updated_seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX stories_activity ON stories(merged_into, last_seen);
    """,
    # 2: full-text search over titles and texts. External content (no second copy of the text),
    # filled lazily by sync_search() rather than by triggers, so ingesting stays fast.
    """
    CREATE VIRTUAL TABLE articles_fts USING fts5(
        title, text, content='articles', content_rowid='seq', tokenize='unicode61 remove_diacritics 2'
    );
    """,
    # 3: feeds followed by `storyline watch`, and a cache of story descriptions with their entities
    # (descriptions are computed from a story's articles; the cache is valid while updated_seq holds).
    """
    CREATE TABLE feeds (
        id INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        title TEXT,
        site TEXT,
        added_at REAL NOT NULL,
        etag TEXT,
        last_modified TEXT,
        last_fetch REAL,
        last_status INTEGER,
        last_error TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        next_fetch REAL,
        articles_seen INTEGER NOT NULL DEFAULT 0,
        extra TEXT
    );
    CREATE TABLE story_cache (
        story INTEGER PRIMARY KEY,
        updated_seq INTEGER NOT NULL,
        description TEXT NOT NULL
    );
    CREATE TABLE story_entities (
        story INTEGER NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        articles INTEGER NOT NULL,
        PRIMARY KEY (story, name)
    );
    CREATE INDEX story_entities_name ON story_entities(name, story);
    """,
    # 4: watchlists, the alerts they fired (once per watchlist, story and condition) and a queue of
    # deliveries drained after ingesting, retried with back-off. The last brief's mark is a meta key.
    """
    CREATE TABLE watchlists (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        query TEXT,
        entity TEXT,
        webhook TEXT,
        command TEXT,
        created_at REAL NOT NULL,
        checked_seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        watchlist INTEGER NOT NULL,
        story INTEGER NOT NULL,
        condition TEXT NOT NULL,
        fired_at REAL NOT NULL,
        payload TEXT NOT NULL,
        UNIQUE (watchlist, story, condition)
    );
    CREATE TABLE alert_deliveries (
        id INTEGER PRIMARY KEY,
        alert INTEGER NOT NULL,
        target TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try REAL NOT NULL,
        delivered_at REAL,
        last_error TEXT
    );
    CREATE INDEX alert_deliveries_due ON alert_deliveries(delivered_at, next_try);
    """,
    # 5: publication dates no article can have, which older versions stored (see the constant).
    CLEAR_IMPOSSIBLE_DATES,
]



def default_path() -> str:
    """``$STORYLINE_DB`` if set, else ``./storyline.db``."""
    return os.environ.get("STORYLINE_DB") or DEFAULT_DB


#: What says a query was meant in FTS5's syntax: its operators, a phrase's quotes, parentheses.
_SYNTAX = re.compile(r'\b(?:AND|OR|NOT|NEAR)\b|["()]')


def fts5_problem(query: str) -> str | None:
    """Why SQLite's full-text search cannot read a query written in its syntax (operators, quotes,
    parentheses), or ``None``. Such a query is searched as plain words, each of them required,
    which is not what it asked for. Plain words with punctuation ("U.S. tariffs", "e-mail") are
    searched as plain words, as meant, and are no problem.

    >>> fts5_problem("port OR strike"), fts5_problem("U.S. tariffs"), fts5_problem('"unbalanced')
    (None, None, 'unterminated string')
    >>> fts5_problem("bridge AND")
    'syntax error near ""'
    """
    if not _SYNTAX.search(query):
        return None
    conn = sqlite3.connect(":memory:")
    try:
        conn.execute("CREATE VIRTUAL TABLE q USING fts5(t)")
        conn.execute("SELECT * FROM q WHERE q MATCH ?", (fts5_query(search_text(query)),)).fetchall()
    except sqlite3.OperationalError as exc:
        return str(exc).removeprefix("fts5: ")
    finally:
        conn.close()
    return None


class SQLiteStore(StoryReads):
    """A storyline store in one SQLite file (``":memory:"`` for a throw-away one).

    >>> store = SQLiteStore(":memory:")
    >>> store.counts()
    {'articles': 0, 'stories': 0}
    """

    def __init__(self, path: str | Path = DEFAULT_DB) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            parent = Path(self.path).parent
            if not parent.exists():
                raise StoreError(f"{self.path}: folder {parent} does not exist")
        try:
            self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            self.db.execute("PRAGMA busy_timeout=10000")
            self._migrate()  # first: a file that is not ours is refused before anything changes it
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            unfinished = self.db.execute("SELECT value FROM meta WHERE key = ?", (UNFINISHED_KEY,)).fetchone()
        except sqlite3.DatabaseError as exc:
            if "readonly" in str(exc):  # WAL mode needs its -wal and -shm files beside the database
                raise StoreError(f"{self.path}: cannot write to the file or its folder (read-only), which "
                                 "SQLite needs even to read this store") from None
            raise StoreError(f"{self.path}: not a usable storyline database ({exc})") from None
        if unfinished is not None:
            self.db.close()
            refuse_unfinished(self.path, unfinished[0])
        #: Taken by :meth:`begin_write`, given back by :meth:`write_batch` or :meth:`end_write`.
        self._turns = None if self.path == ":memory:" else WriterTurns(self.path)

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        # One statement, so one snapshot: a process creating the store at this moment commits both at once.
        version, tables = self.db.execute(
            "SELECT user_version, (SELECT count(*) FROM sqlite_master WHERE type='table') FROM pragma_user_version"
        ).fetchone()
        if version > len(MIGRATIONS):
            raise StoreError(f"{self.path}: schema version {version} is newer than this storyline "
                             f"({len(MIGRATIONS)}); upgrade storyline")
        if version == 0 and tables:
            raise StoreError(f"{self.path}: an SQLite file that is not a storyline database")
        for target in range(version, len(MIGRATIONS)):
            try:
                self.db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "readonly" not in str(exc):
                    raise
                raise StoreError(f"{self.path}: this storyline updates the store's schema (version {version} "
                                 f"to {len(MIGRATIONS)}) and cannot write to it; open it once with write "
                                 "access") from None
            try:
                if self.schema_version > target:  # another process (or engine) opening it got there first
                    self.db.execute("COMMIT")
                    continue
                for statement in _statements(MIGRATIONS[target]):
                    self.db.execute(statement)
                self.db.execute(f"PRAGMA user_version = {target + 1}")
                self.db.execute("COMMIT")
            except BaseException:
                rollback(self.db)
                raise

    # -- state -----------------------------------------------------------------------------------

    def get_state(self, key: str) -> bytes | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return row[0].encode("utf-8") if isinstance(row[0], str) else bytes(row[0])

    def write_batch(self, articles: Sequence[ArticleRow], merges: Sequence[tuple[int, int]],
                    state: dict[str, bytes]) -> None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.executemany(
                f"INSERT INTO articles ({_ARTICLE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(a.seq, a.id, a.title, a.text, a.url, a.canonical_url, a.published, a.source, a.lang,
                  a.story, a.kind, a.copy_of, a.text_key, a.score, a.why, a.features) for a in articles])
            touched = {a.story for a in articles}
            for gone, kept in merges:
                db.execute("UPDATE articles SET story = ? WHERE story = ?", (kept, gone))
                db.execute("INSERT INTO stories (id, merged_into) VALUES (?, ?) ON CONFLICT(id) DO UPDATE "
                           "SET merged_into = excluded.merged_into, articles = 0, outlets = 0", (gone, kept))
                db.execute("UPDATE stories SET merged_into = ? WHERE merged_into = ?", (kept, gone))
                touched.discard(gone)
                touched.add(kept)
            for ids in chunks(sorted(touched)):
                marks = ",".join("?" * len(ids))
                db.execute(
                    f"""INSERT INTO stories (id, articles, outlets, first_seen, last_seen, updated_seq)
                        SELECT story, count(*), count(DISTINCT coalesce(source, '')), min(published),
                               max(published), max(seq)
                        FROM articles WHERE story IN ({marks}) GROUP BY story
                        ON CONFLICT(id) DO UPDATE SET articles = excluded.articles, outlets = excluded.outlets,
                            first_seen = excluded.first_seen, last_seen = excluded.last_seen,
                            updated_seq = excluded.updated_seq""", tuple(ids))
            db.executemany("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", list(state.items()))
            db.execute("COMMIT")
        except BaseException:
            rollback(db)
            raise
        finally:
            self.end_write()

    # -- reads -----------------------------------------------------------------------------------

    def limit_wait(self, seconds: float) -> None:
        """From now on, wait at most ``seconds`` for the writer's turn (then :class:`StoreError`): an
        interrupted command's last write must not wait for another process for ten minutes."""
        if self._turns is not None:
            self._turns.timeout = seconds

    def begin_write(self) -> int:
        """Wait for the writer's turn (see :mod:`storyline.store.turns`), then return the last article
        ``seq`` stored, by any process. :meth:`write_batch` or :meth:`end_write` ends the turn."""
        if self._turns is not None:
            self._turns.acquire()
        return int(self.db.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()[0])

    def end_write(self) -> None:
        """End the writer's turn (nothing to write after all)."""
        if self._turns is not None:
            self._turns.release()

    def contended(self) -> bool:
        """Whether another process waits to write (the engine then writes what it has and lets go)."""
        return self._turns is not None and self._turns.contended()

    def when_wanted(self, write_and_release: Callable[[], None]) -> None:
        """Have ``write_and_release`` called when another engine on this thread wants the writer's turn
        this store holds (see :mod:`storyline.store.turns`); the engine passes its ``flush``."""
        if self._turns is not None:
            self._turns.on_wanted = write_and_release

    # -- reads (the queries themselves are shared: store/reads.py) -----------------------------------

    def _fetch(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        return self.db.execute(sql, params).fetchall()

    def _fetch_one(self, sql: str, params: Sequence[object] = ()) -> Any:
        return self.db.execute(sql, params).fetchone()

    def replay(self, after: int = 0) -> Iterator[ArticleRow]:
        cursor = self.db.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE seq > ? ORDER BY seq", (after,))
        for row in cursor:
            yield ArticleRow(*row)

    def search_backlog(self) -> int:
        """Articles not in the full-text index yet (the next search indexes them first)."""
        done = int(self.get_state("fts_seq") or b"0")
        return max(0, self.db.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()[0] - done)

    def sync_search(self) -> int:
        """Index articles added since the last call for full-text search; returns how many."""
        db = self.db
        done = int(self.get_state("fts_seq") or b"0")
        last = db.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()[0]
        if last <= done:
            return 0
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT INTO articles_fts (rowid, title, text) SELECT seq, title, text FROM articles "
                       "WHERE seq > ? AND seq <= ?", (done, last))
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('fts_seq', ?)", (str(last).encode(),))
            db.execute("COMMIT")
        except BaseException:
            rollback(db)
            raise
        return last - done

    def search(self, query: str, limit: int = 50) -> list[tuple[int, int, float]]:
        """Articles matching an FTS5 query, best first: ``(seq, story, rank)``; syncs the index first.

        A query FTS5 cannot parse is searched as plain words instead.
        """
        self.sync_search()
        query = search_text(query)
        if not query:
            return []
        sql = ("SELECT a.seq, a.story, f.rank FROM articles_fts f JOIN articles a ON a.seq = f.rowid "
               "WHERE articles_fts MATCH ? ORDER BY f.rank LIMIT ?")
        try:
            rows = self.db.execute(sql, (fts5_query(query), limit)).fetchall()
        except sqlite3.OperationalError:
            rows = self.db.execute(sql, (plain_words(query), limit)).fetchall()
        return [(int(seq), int(story), float(rank)) for seq, story, rank in rows]

    def nearest(self, vector: Any, k: int = 10, since: float | None = None) -> list[Neighbour]:
        """The ``k`` articles nearest in meaning to ``vector`` (see :meth:`Store.nearest`): an exact scan
        over the stored vectors, a chunk at a time.

        >>> SQLiteStore(":memory:").nearest([0.0] * 511 + [1.0], k=3)
        []
        """
        sql = "SELECT seq, id, story, features FROM articles"
        params: tuple = ()
        if since is not None:
            sql += " WHERE published >= ?"
            params = (since,)
        cursor = self.db.execute(sql + " ORDER BY seq", params)

        def rows() -> Iterator[list[tuple]]:
            while chunk := cursor.fetchmany(SCAN_CHUNK):
                yield chunk

        try:
            return scan_nearest(rows(), vector, k)
        finally:
            cursor.close()

    def latest_time(self) -> float | None:
        """The newest publication time in the store (the clock that ``--since`` counts back from)."""
        row = self.db.execute("SELECT max(last_seen) FROM stories WHERE merged_into IS NULL").fetchone()
        return None if row is None else row[0]

    def counts(self) -> dict[str, int]:
        articles = self.db.execute("SELECT count(*) FROM articles").fetchone()[0]
        stories = self.db.execute("SELECT count(*) FROM stories WHERE merged_into IS NULL AND articles > 0"
                                  ).fetchone()[0]
        return {"articles": articles, "stories": stories}

    def close(self) -> None:
        if self._turns is not None:
            self._turns.close()
        self.db.close()


def _statements(script: str) -> list[str]:
    """The SQL statements of a script (semicolons inside a trigger body do not split it)."""
    out: list[str] = []
    current = ""
    for piece in script.split(";"):
        current += piece + ";"
        if sqlite3.complete_statement(current):
            if current.strip(" \n;"):
                out.append(current.strip())
            current = ""
    if current.strip(" \n;"):
        out.append(current.strip())
    return out


def open_store(url: str | None = None):
    """The store a ``--db`` value names, of whichever backend: see :func:`storyline.store.open.open_store`
    (kept here for the callers that import it from this module)."""
    from .open import open_store as dispatch

    return dispatch(url)
