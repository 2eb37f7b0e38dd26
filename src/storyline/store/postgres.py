"""A shared store on a PostgreSQL server (``--db postgresql://...``), for several processes at once.

The tables are those of the SQLite store, with PostgreSQL types, so a user can query either the same
way. Full-text search uses PostgreSQL's own text search: a stored ``tsvector`` column over titles and
texts with a GIN index, queried with ``websearch_to_tsquery`` (quotes, ``OR`` and ``-word`` work, and no
query is a syntax error).

Several writers (``ingest``, ``watch``, ``serve``) may share one store: a writer takes a session
advisory lock (:meth:`PostgresStore.begin_write`) before it decides anything, reads what others wrote
since it last looked, and releases the lock when its batch is committed. Writers take turns batch by
batch; readers never wait. A writer that dies releases its lock with its connection.

Meaning vectors go through pgvector where the server has it: ``CREATE EXTENSION vector`` is tried on
first use, and where it succeeds, an ``article_vectors`` table (``halfvec(512)``, HNSW cosine index) is
filled by every write; where it fails (e.g. Debian's ``postgresql-15``, which has no pgvector, or a role
that may not create extensions), :meth:`PostgresStore.nearest` scans the stored vectors exactly instead.
``PostgresStore.vector_mode`` says which.

Needs the ``postgres`` extra (``pip install '.[postgres]'`` in storyline's folder, i.e. psycopg 3).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .base import ArticleRow
from .errors import UNFINISHED_KEY, StoreError, refuse_unfinished
from .open import redact, scrubbed
from .reads import ARTICLE_COLUMNS as _ARTICLE_COLUMNS
from .reads import CLEAR_IMPOSSIBLE_DATES, search_text
from .reads import POSTGRES_JSON_NUMBER as _POSTGRES_JSON_NUMBER
from .reads import STORY_COLUMNS as _STORY_COLUMNS
from .reads import StoryReads
from .turns import SAY_AFTER, WAITING, ProcessTurns
from .turns import log as turns_log
from .vectors import (PGVECTOR_DIM, SCAN_CHUNK, Neighbour, as_query, halfvec_copy, halfvec_text, meaning_of,
                      scan_nearest)

#: TCP liveness checks for every connection: keepalive probes after 30 s of silence (3 unanswered, 10 s
#: apart, end it) and at most 60 s for data the server never acknowledges. A server host that vanishes
#: (powered off, a network that drops packets) is then an error within about a minute, where a read
#: would otherwise wait for it forever. A URL's own settings win; Unix sockets ignore them.
LIVENESS: dict[str, str] = {"keepalives": "1", "keepalives_idle": "30", "keepalives_interval": "10",
                            "keepalives_count": "3", "tcp_user_timeout": "60000"}


def connect(url: str, application_name: str = "storyline") -> Any:
    """A psycopg connection in autocommit mode with :data:`LIVENESS`, as every part of storyline opens
    one (no snapshot or lock is held between statements, as on SQLite). psycopg's errors go up."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    given = conninfo_to_dict(url)
    extra = {key: value for key, value in LIVENESS.items() if key not in given}
    return psycopg.connect(url, autocommit=True, connect_timeout=10, application_name=application_name, **extra)


# Each entry migrates the schema from version i to i + 1; never edit one that has shipped. The list is
# PostgreSQL's own (its version numbers need not follow SQLite's), but the tables mean the same.
MIGRATIONS: list[str] = [
    # 1: everything the SQLite store has at its version 4, in one step.
    """
    CREATE TABLE meta (key TEXT PRIMARY KEY, value BYTEA);
    CREATE TABLE articles (
        seq BIGINT PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        url TEXT,
        canonical_url TEXT,
        published DOUBLE PRECISION,
        source TEXT,
        lang TEXT,
        story BIGINT NOT NULL,
        kind TEXT NOT NULL,
        copy_of TEXT,
        text_key TEXT NOT NULL,
        score DOUBLE PRECISION NOT NULL,
        why TEXT NOT NULL,
        features BYTEA NOT NULL,
        -- 'simple': no stemming and no stop words, like the SQLite index (news comes in many languages).
        -- The first 200,000 characters: a tsvector holds at most 1 MB, and a huge page must not fail
        -- its article's insert.
        search TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', left(title || ' ' || text, 200000))) STORED
    );
    CREATE INDEX articles_story ON articles (story, seq);
    CREATE INDEX articles_canonical_url ON articles (canonical_url);
    CREATE INDEX articles_published ON articles (published);
    CREATE INDEX articles_search ON articles USING GIN (search);
    CREATE TABLE stories (
        id BIGINT PRIMARY KEY,
        merged_into BIGINT,
        articles INTEGER NOT NULL DEFAULT 0,
        outlets INTEGER NOT NULL DEFAULT 0,
        first_seen DOUBLE PRECISION,
        last_seen DOUBLE PRECISION,
        updated_seq BIGINT NOT NULL DEFAULT 0
    );
    CREATE INDEX stories_activity ON stories (merged_into, last_seen);
    CREATE TABLE feeds (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        title TEXT,
        site TEXT,
        added_at DOUBLE PRECISION NOT NULL,
        etag TEXT,
        last_modified TEXT,
        last_fetch DOUBLE PRECISION,
        last_status INTEGER,
        last_error TEXT,
        failures INTEGER NOT NULL DEFAULT 0,
        next_fetch DOUBLE PRECISION,
        articles_seen INTEGER NOT NULL DEFAULT 0,
        extra TEXT
    );
    CREATE TABLE story_cache (
        story BIGINT PRIMARY KEY,
        updated_seq BIGINT NOT NULL,
        description TEXT NOT NULL
    );
    CREATE TABLE story_entities (
        story BIGINT NOT NULL,
        name TEXT NOT NULL,
        type TEXT NOT NULL,
        articles INTEGER NOT NULL,
        PRIMARY KEY (story, name)
    );
    CREATE INDEX story_entities_name ON story_entities (name, story);
    CREATE TABLE watchlists (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        query TEXT,
        entity TEXT,
        webhook TEXT,
        command TEXT,
        created_at DOUBLE PRECISION NOT NULL,
        checked_seq BIGINT NOT NULL DEFAULT 0
    );
    CREATE TABLE alerts (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        watchlist BIGINT NOT NULL,
        story BIGINT NOT NULL,
        condition TEXT NOT NULL,
        fired_at DOUBLE PRECISION NOT NULL,
        payload TEXT NOT NULL,
        UNIQUE (watchlist, story, condition)
    );
    CREATE TABLE alert_deliveries (
        id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        alert BIGINT NOT NULL,
        target TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try DOUBLE PRECISION NOT NULL,
        delivered_at DOUBLE PRECISION,
        last_error TEXT
    );
    CREATE INDEX alert_deliveries_due ON alert_deliveries (delivered_at, next_try);
    """,
    # Version 2. Lists put the newest activity first with stories never dated last; PostgreSQL sorts
    # NULL above every value, so `last_seen DESC NULLS LAST` could not read stories_activity in order
    # and sorted every live story to show a page of them. Partial, because `merged_into IS NULL` is
    # no equality to the planner: in a leading column it would still leave the rows to be sorted.
    """
    CREATE INDEX stories_latest ON stories (last_seen DESC NULLS LAST, id DESC) WHERE merged_into IS NULL;
    """,
    # 3: publication dates no article can have, which older versions stored (see the constant).
    CLEAR_IMPOSSIBLE_DATES,
    # Meaning vectors have no step here: their table needs the pgvector extension, so it is created
    # beside this list, only where `CREATE EXTENSION vector` succeeds (PostgresStore._prepare_vectors),
    # and the articles never depend on it. A high-water mark lets any process catch up with articles
    # that something wrote without their vectors (an older storyline, a `storyline migrate` copy), so an
    # older storyline can keep writing to the store.
]

# The vector table and its high-water mark: every article with ``seq <= done_seq`` that has a vector
# of PGVECTOR_DIM dimensions has its row. Writers keep the mark moving; rows written by anything that
# skipped the table (a `storyline migrate` copy) are caught up on the next open or search.
_VECTOR_TABLES = f"""
    CREATE TABLE article_vectors (
        seq BIGINT PRIMARY KEY REFERENCES articles (seq) ON DELETE CASCADE,
        embedding halfvec({PGVECTOR_DIM}) NOT NULL
    );
    CREATE TABLE article_vectors_sync (done_seq BIGINT NOT NULL);
    INSERT INTO article_vectors_sync VALUES (0);
"""
# halfvec: the stored vectors are float16 already, so nothing is lost, and the index is half the size
# (float32 `vector` took 1.7 times as long to insert). A sparser graph than pgvector's default
# (m = 16, ef_construction = 64) keeps writes fast: measured on 20,000 synthetic news articles, an insert
# cost 0.94 ms against 2.42 ms, and recall of the true 10 nearest at ef_search 100 was 0.977 against
# 0.992 (searches ask with ef_search of 100 or more, see nearest()).
_VECTOR_INDEX = ("CREATE INDEX article_vectors_hnsw ON article_vectors USING hnsw (embedding halfvec_cosine_ops) "
                 "WITH (m = 8, ef_construction = 32)")
# Rows asked for beyond k: the index returns equal distances (copies share a vector) in any order, so
# a few more are read and sorted, and the cut at k falls where the exact scan puts it.
_TIE_ROOM = 16
_COPY_VECTORS = "COPY article_vectors (seq, embedding) FROM STDIN (FORMAT BINARY)"

#: Tables whose ids PostgreSQL hands out (copies bring their own ids, so the counters must follow).
IDENTITY_TABLES = ("feeds", "watchlists", "alerts", "alert_deliveries")


# Advisory lock keys (any two constants; they only need to differ from each other within a database).
_WRITER_LOCK = 0x5379_4C69_6E65_0001  # "StyLine" 1: one writer decides and writes at a time
_MIGRATE_LOCK = 0x5379_4C69_6E65_0002  # two processes opening a new database migrate it once
_ASK_EVERY = 0.01  # seconds between asking whether another writer waits, while nobody did


class PostgresStore(StoryReads):
    """A storyline store in a PostgreSQL database (created and migrated on first use).

    ``url`` is a libpq connection URL, e.g. ``postgresql://user:password@host:5432/dbname`` or, for a
    Unix socket, ``postgresql://user@/dbname?host=/run/postgresql``.

    Meaning vectors: where the ``vector`` extension exists or can be created (pgvector installed, and a
    role allowed to create it), articles' vectors also go to an ``article_vectors`` table with an HNSW
    index, and :meth:`nearest` asks the index. Otherwise, or with ``vectors=False``, :meth:`nearest`
    scans the stored vectors exactly. ``vector_mode`` says which (``"pgvector"`` or ``"scan"``) and
    ``vector_note`` why.
    """

    # Class-level defaults too: a subclass that borrows a connection without running __init__ (the
    # server's read-only stores) searches by the exact scan, which only reads.
    vectors = True
    vector_mode = "scan"
    vector_note = "not checked"
    _vector_table = False  # whether article_vectors exists (then every write fills it)

    def __init__(self, url: str, vectors: bool = True) -> None:
        self.url = url
        self.vectors = vectors
        self.path = redact(url)  # what messages and `--db` echoes show
        try:
            import psycopg
        except ImportError:
            raise StoreError(f"{self.path}: PostgreSQL needs psycopg; pip install '.[postgres]' in "
                             "storyline's folder") from None
        self._psycopg = psycopg
        self._writing = False
        self._ask_after = 0.0  # when contended() next asks the server
        self._shared_until = 0.0  # until when to ask before every article (another writer was seen)
        self._seen_seq: int | None = None  # the last seq this process saw or wrote
        self._wait_limit = 600.0  # seconds a writer waits for the lock before giving up
        try:
            # autocommit: every statement outside an explicit transaction commits, so a reader never
            # holds a snapshot (or locks) open between calls.
            self.conn = connect(url)
        except psycopg.Error as exc:
            raise StoreError(f"{self.path}: cannot connect to PostgreSQL ({scrubbed(_first_line(exc), url)})") from None
        try:
            self._migrate()
            self._prepare_vectors()
            unfinished = self.conn.execute("SELECT value FROM meta WHERE key = %s", (UNFINISHED_KEY,)).fetchone()
        except psycopg.Error as exc:
            self.conn.close()
            raise StoreError(f"{self.path}: not a usable storyline database ({scrubbed(_first_line(exc), url)})") from None
        if unfinished is not None:
            self.conn.close()
            refuse_unfinished(self.path, unfinished[0])
        # Advisory locks separate sessions, but an engine waiting on the lock another engine of its own
        # thread holds would wait forever: engines of one process take turns in memory first.
        info = self.conn.info
        self._turns = ProcessTurns(f"postgresql:{info.host}:{info.port}/{info.dbname}", self.path)

    @property
    def db(self) -> Any:
        """The connection other modules run their own SQL on, in the SQLite dialect they write
        (see :mod:`storyline.store.portable`)."""
        from .portable import PortableConnection

        return PortableConnection(self.conn)

    # -- schema ----------------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        row = self.conn.execute("SELECT to_regclass('storyline_schema') IS NOT NULL").fetchone()
        if not row[0]:
            return 0
        return int(self.conn.execute("SELECT version FROM storyline_schema").fetchone()[0])

    def _migrate(self) -> None:
        conn = self.conn
        if self.schema_version == len(MIGRATIONS):
            return  # the usual case: no lock, no transaction
        # A session lock taken before the transaction, not inside it: a transaction that waited for a
        # lock can still see the catalog as it was when it began, and would not see the tables that the
        # process it waited for has just created.
        conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATE_LOCK,))
        try:
            self._migrate_locked()
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATE_LOCK,))

    def _migrate_locked(self) -> None:
        conn = self.conn
        with conn.transaction():
            version = self.schema_version  # again, under the lock: another process may have done it
            if version > len(MIGRATIONS):
                raise StoreError(f"{self.path}: schema version {version} is newer than this storyline "
                                 f"({len(MIGRATIONS)}); upgrade storyline")
            if version == 0:
                tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"
                                      ).fetchone()[0]
                if tables:
                    raise StoreError(f"{self.path}: a PostgreSQL database that is not a storyline store "
                                     f"(it has {tables} other tables); use an empty database")
                conn.execute("CREATE TABLE storyline_schema (version INTEGER NOT NULL)")
                conn.execute("INSERT INTO storyline_schema VALUES (0)")
            for target in range(version, len(MIGRATIONS)):
                conn.execute(MIGRATIONS[target])  # one simple-protocol script, inside the transaction
                conn.execute("UPDATE storyline_schema SET version = %s", (target + 1,))

    # -- meaning vectors -------------------------------------------------------------------------

    def _vector_state(self) -> tuple[bool, bool, int, int]:
        """Whether the vector table and its index exist, its mark, and the last article ``seq``."""
        table, index = self.conn.execute("SELECT to_regclass('article_vectors_sync') IS NOT NULL, "
                                         "to_regclass('article_vectors_hnsw') IS NOT NULL").fetchone()
        if not table:
            return False, False, 0, 0
        done, last = self.conn.execute("SELECT (SELECT done_seq FROM article_vectors_sync), "
                                       "(SELECT coalesce(max(seq), 0) FROM articles)").fetchone()
        return True, bool(index), int(done), int(last)

    def _prepare_vectors(self) -> None:
        """Choose how :meth:`nearest` works; with pgvector, create the vector table on first use (an
        older store's vectors are copied in then) and catch up with articles written without it."""
        table, index, done, last = self._vector_state()
        self._vector_table = table
        if not self.vectors:
            self.vector_mode, self.vector_note = "scan", "pgvector turned off for this store (vectors=False)"
            return
        if not table and self.conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'"
                                           ).fetchone() is None:
            # Asked before taking any lock: a server without pgvector is the common case, not a failure.
            self.vector_mode = "scan"
            self.vector_note = "no pgvector on this server (not installed); nearest() scans the stored vectors"
            return
        if not table or not index or done < last:
            # Under the writer lock: no writer commits articles between the catch-up and the new mark.
            self.conn.execute("SELECT pg_advisory_lock(%s)", (_WRITER_LOCK,))
            try:
                if not self._create_vectors():
                    self.vector_mode = "scan"
                    return
            finally:
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (_WRITER_LOCK,))
        self._vector_table = True
        version = self.conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
        self.vector_mode, self.vector_note = "pgvector", f"pgvector {version[0] if version else '?'}, HNSW index"

    def _create_vectors(self) -> bool:
        """With the writer lock held: extension, table, rows and index, whichever are missing. False
        (and ``vector_note`` says why) where the extension cannot be created."""
        conn = self.conn
        table, index, done, last = self._vector_state()  # again, under the lock
        if not table:
            has = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'vector'").fetchone()
            if has is None:
                try:
                    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
                except self._psycopg.Error as exc:  # not installed (Debian's postgresql-15), or no right
                    self.vector_note = f"no pgvector ({_first_line(exc)}); nearest() scans the stored vectors"
                    return False
            with conn.transaction():
                conn.execute(_VECTOR_TABLES)
            self._vector_table = True
            table, index, done, last = self._vector_state()  # the articles an older store holds are behind
        self._catch_up_vectors(done, last)
        if not index:
            conn.execute(_VECTOR_INDEX)  # after the rows: building the graph at once is faster than growing it
        return True

    def _catch_up_vectors(self, done: int, last: int) -> None:
        """Copy the vectors of articles ``done < seq <= last`` in, a chunk per transaction (a long
        catch-up that stops resumes where it stopped)."""
        conn = self.conn
        while done < last:
            rows = conn.execute("SELECT seq, features FROM articles WHERE seq > %s AND seq <= %s ORDER BY seq "
                                "LIMIT %s", (done, last, SCAN_CHUNK)).fetchall()
            if not rows:
                break
            top = int(rows[-1][0])
            with conn.transaction(), conn.cursor() as cur:
                vecs = [(int(seq), vec) for seq, features in rows
                        if (vec := meaning_of(bytes(features))) is not None and len(vec) == PGVECTOR_DIM]
                self._insert_vectors(cur, vecs)  # a writer may be adding some of them right now
                cur.execute("UPDATE article_vectors_sync SET done_seq = greatest(done_seq, %s)", (top,))
            done = top

    def _vectors_current(self) -> None:
        """Before a search through pgvector: catch up if something wrote articles without their vectors."""
        table, index, done, last = self._vector_state()
        if table and index and done >= last:
            return
        if self._writing:  # this process holds the writer lock already (it is mid-batch)
            self._create_vectors()
            return
        self.conn.execute("SELECT pg_advisory_lock(%s)", (_WRITER_LOCK,))
        try:
            self._create_vectors()
        finally:
            self.conn.execute("SELECT pg_advisory_unlock(%s)", (_WRITER_LOCK,))

    def nearest(self, vector: Any, k: int = 10, since: float | None = None) -> list[Neighbour]:
        """The ``k`` articles nearest in meaning to ``vector`` (see :meth:`Store.nearest`).

        With pgvector: the HNSW index, searched wide enough for ``k`` (``hnsw.ef_search``) and, with
        ``since``, on until ``k`` rows pass the filter (``hnsw.iterative_scan``). HNSW is approximate: on
        a large store a true neighbour can be missed now and then. Without pgvector: an exact scan.
        """
        query = as_query(vector)
        if k <= 0 or not query.any():
            return []
        if self.vector_mode != "pgvector" or len(query) != PGVECTOR_DIM:
            return self._scan_nearest(query, k, since)
        self._vectors_current()
        text = halfvec_text(query)
        sql = ("SELECT a.id, a.story, 1 - (v.embedding <=> %(q)s::halfvec) AS similarity, a.seq "
               "FROM article_vectors v JOIN articles a ON a.seq = v.seq")
        if since is not None:
            sql += " WHERE a.published >= %(since)s"
        sql += " ORDER BY v.embedding <=> %(q)s::halfvec LIMIT %(k)s"
        with self.conn.transaction():
            # ef_search at most 1000 (pgvector's limit); a larger k is served by the iterative scan.
            width = min(1000, max(100, k + _TIE_ROOM))
            self.conn.execute("SELECT set_config('hnsw.ef_search', %s, true), "
                              "set_config('hnsw.iterative_scan', 'strict_order', true)", (str(width),))
            rows = self.conn.execute(sql, {"q": text, "since": since, "k": k + _TIE_ROOM}).fetchall()
        rows.sort(key=lambda r: (-r[2], r[3]))  # ties (copies share a vector) in arrival order, as the scan
        return [Neighbour(str(aid), int(story), float(sim)) for aid, story, sim, _ in rows[:k]]

    def _scan_nearest(self, query: Any, k: int, since: float | None) -> list[Neighbour]:
        sql = "SELECT seq, id, story, features FROM articles"
        params: tuple = ()
        if since is not None:
            sql += " WHERE published >= %s"
            params = (since,)
        # A server-side cursor: the archive streams through a chunk at a time.
        with self.conn.transaction(), self.conn.cursor(name="storyline_nearest") as cur:
            cur.itersize = SCAN_CHUNK
            cur.execute(sql + " ORDER BY seq", params)

            def rows() -> Iterator[list[tuple]]:
                while chunk := cur.fetchmany(SCAN_CHUNK):
                    yield chunk

            return scan_nearest(rows(), query, k)

    # -- writing ---------------------------------------------------------------------------------

    def begin_write(self) -> int:
        """Wait for the writer lock, then return the last article ``seq`` stored (by anyone).

        The engine reads the articles after its own last ``seq`` before deciding, so no two processes
        place the same article or open two stories for one event. :meth:`write_batch` (or
        :meth:`end_write`) releases the lock.
        """
        if not self._writing:
            self._turns.take()
            try:
                self._advisory_lock()
            except BaseException:
                self._turns.give()
                raise
            self._writing = True
            self._ask_after = 0.0
        # The same round trip learns whether another process has created the vector table since.
        last, table = self.conn.execute("SELECT coalesce(max(seq), 0), to_regclass('article_vectors') IS NOT NULL "
                                        "FROM articles").fetchone()
        last = int(last)
        self._vector_table = bool(table)
        if self._seen_seq is not None and last != self._seen_seq:  # another process wrote since
            self._shared_until = time.monotonic() + 1.0
        self._seen_seq = last
        return last

    def limit_wait(self, seconds: float) -> None:
        """From now on, wait at most ``seconds`` for the writer lock (then :class:`StoreError`): an
        interrupted command's last write must not wait for another process for ten minutes."""
        self._wait_limit = seconds

    def _advisory_lock(self) -> None:
        """Take the writer lock, waiting in the server a second at a time: one blocking call waited for
        ever, said nothing, and let no SIGTERM through until the other writer let go. Says (once) that
        it waits after two seconds, and gives up after ``timeout``."""
        start = time.monotonic()
        said = False
        timeout = self._wait_limit
        self.conn.execute("SET lock_timeout = '1s'")
        try:
            while True:
                try:
                    self.conn.execute("SELECT pg_advisory_lock(%s)", (_WRITER_LOCK,))
                    return
                except self._psycopg.errors.LockNotAvailable:
                    pass
                waited = time.monotonic() - start
                if waited > SAY_AFTER and not said:
                    said = True
                    turns_log.warning(WAITING, self.path)
                if waited > timeout:
                    raise StoreError(f"{self.path}: another storyline process has been writing to this store "
                                     f"for {timeout:.0f} s; try again when it has finished")
        finally:
            try:
                self.conn.execute("SET lock_timeout = 0")
            except self._psycopg.Error:
                pass  # the connection broke (or the wait was interrupted): its own error is the one to say

    # -- reads (the queries themselves are shared: store/reads.py) -----------------------------------

    mark = "%s"
    json_number = _POSTGRES_JSON_NUMBER

    def _fetch(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        return self.conn.execute(sql, params).fetchall()

    def _fetch_one(self, sql: str, params: Sequence[object] = ()) -> Any:
        return self.conn.execute(sql, params).fetchone()

    def _article_row(self, row: Any) -> ArticleRow:
        return _article(row)

    def contended(self) -> bool:
        """Whether another writer waits for the lock this one holds (then the engine writes what it has
        and lets it go, so that writers take turns article by article, in the order articles arrive)."""
        if not self._writing:
            return False
        if self._turns.waiting():  # another engine of this process
            return True
        # Asking costs a round trip (a third of a millisecond, as much as placing a short article), so a
        # writer alone (nobody waited, nobody else wrote, for a second) asks only every few milliseconds;
        # writers that share the store ask before every article, so that they alternate strictly.
        now = time.monotonic()
        if now < self._ask_after:
            return False
        waiting = bool(self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND objsubid = 1 AND (classid::bigint << 32 | objid::bigint) = %s "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()))",
            (_WRITER_LOCK,)).fetchone()[0])
        if waiting:
            self._shared_until = now + 1.0
        self._ask_after = now if now < self._shared_until else now + _ASK_EVERY
        return waiting

    def end_write(self) -> None:
        """Release the writer lock (nothing to write after all)."""
        if self._writing:
            self._writing = False
            try:
                self.conn.execute("SELECT pg_advisory_unlock(%s)", (_WRITER_LOCK,))
            finally:
                self._turns.give()

    def when_wanted(self, write_and_release: Callable[[], None]) -> None:
        """Have ``write_and_release`` called when another engine on this thread wants the writer's turn
        this store holds (see :mod:`storyline.store.turns`); the engine passes its ``flush``."""
        self._turns.on_wanted = write_and_release

    def get_state(self, key: str) -> bytes | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = %s", (key,)).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    def write_batch(self, articles: Sequence[ArticleRow], merges: Sequence[tuple[int, int]],
                    state: dict[str, bytes]) -> None:
        conn = self.conn
        try:
            with conn.transaction(), conn.cursor() as cur:
                # COPY: several times faster than INSERTs for a batch of hundreds of articles.
                with cur.copy(f"COPY articles ({_ARTICLE_COLUMNS}) FROM STDIN") as copy:
                    for a in articles:
                        copy.write_row((a.seq, a.id, a.title, a.text, a.url, a.canonical_url, a.published,
                                        a.source, a.lang, a.story, a.kind, a.copy_of, a.text_key, a.score,
                                        a.why, a.features))
                touched = {a.story for a in articles}
                for gone, kept in merges:
                    cur.execute("UPDATE articles SET story = %s WHERE story = %s", (kept, gone))
                    cur.execute("INSERT INTO stories (id, merged_into) VALUES (%s, %s) ON CONFLICT (id) DO UPDATE "
                                "SET merged_into = excluded.merged_into, articles = 0, outlets = 0", (gone, kept))
                    cur.execute("UPDATE stories SET merged_into = %s WHERE merged_into = %s", (kept, gone))
                    touched.discard(gone)
                    touched.add(kept)
                if touched:
                    cur.execute(
                        f"""INSERT INTO stories ({_STORY_COLUMNS})
                            SELECT story, count(*), count(DISTINCT coalesce(source, '')), min(published),
                                   max(published), max(seq)
                            FROM articles WHERE story = ANY(%s) GROUP BY story
                            ON CONFLICT (id) DO UPDATE SET articles = excluded.articles,
                                outlets = excluded.outlets, first_seen = excluded.first_seen,
                                last_seen = excluded.last_seen, updated_seq = excluded.updated_seq""",
                        (sorted(touched),))
                if state:
                    cur.executemany("INSERT INTO meta (key, value) VALUES (%s, %s) ON CONFLICT (key) "
                                    "DO UPDATE SET value = excluded.value", list(state.items()))
            if articles:
                self._seen_seq = max(self._seen_seq or 0, articles[-1].seq)
        finally:
            self.end_write()
        if self._vector_table and articles:
            self._write_vectors(articles)

    def _write_vectors(self, articles: Sequence[ArticleRow]) -> None:
        """The batch's vectors into ``article_vectors``, and the mark moved past the batch if nothing
        before it is missing (see ``_VECTOR_TABLES``).

        After the batch is committed and the writer lock released: growing the HNSW graph costs about
        a millisecond an article, and other writers need not wait for it (writers that take turns
        article by article slowed, and the order in which they placed articles drifted from the
        stream's). The vectors are derived data: if this fails or the process dies first, the next
        open or search catches up from the mark, as SQLite's search index catches up in sync_search().
        """
        vecs = [(a.seq, vec) for a in articles
                if (vec := meaning_of(a.features)) is not None and len(vec) == PGVECTOR_DIM]
        first, last = min(a.seq for a in articles), max(a.seq for a in articles)
        mark = ("UPDATE article_vectors_sync SET done_seq = %s WHERE done_seq >= "
                "(SELECT coalesce(max(seq), 0) FROM articles WHERE seq < %s)")
        errors = self._psycopg.errors
        try:
            try:
                with self.conn.transaction(), self.conn.cursor() as cur:
                    if vecs:
                        with cur.copy(_COPY_VECTORS) as copy:
                            copy.write(halfvec_copy(vecs))
                    cur.execute(mark, (last, first))
            except errors.UniqueViolation:  # a catch-up in another process copied some of them first
                with self.conn.transaction(), self.conn.cursor() as cur:
                    self._insert_vectors(cur, vecs)
                    cur.execute(mark, (last, first))
        except self._psycopg.Error:
            pass  # left to the catch-up (the mark did not move)

    @staticmethod
    def _insert_vectors(cur: Any, vecs: list[tuple[int, Any]]) -> None:
        """Vectors in, skipping rows that exist (through a temporary table: COPY has no ON CONFLICT)."""
        if not vecs:
            return
        cur.execute("CREATE TEMPORARY TABLE IF NOT EXISTS incoming_vectors "
                    "(seq BIGINT, embedding halfvec) ON COMMIT DELETE ROWS")
        with cur.copy("COPY incoming_vectors (seq, embedding) FROM STDIN (FORMAT BINARY)") as copy:
            copy.write(halfvec_copy(vecs))
        cur.execute("INSERT INTO article_vectors SELECT seq, embedding FROM incoming_vectors "
                    "ON CONFLICT (seq) DO NOTHING")

    # -- reads -----------------------------------------------------------------------------------

    def replay(self, after: int = 0) -> Iterator[ArticleRow]:
        # A server-side cursor streams the archive instead of loading it whole into memory.
        with self.conn.transaction(), self.conn.cursor(name="storyline_replay") as cur:
            cur.itersize = 2000
            cur.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE seq > %s ORDER BY seq", (after,))
            for row in cur:
                yield _article(row)

    def search_backlog(self) -> int:
        """Always 0: PostgreSQL indexes each article as it is written."""
        return 0

    def sync_search(self) -> int:
        """Nothing to do: PostgreSQL indexes each article as it is written. Returns 0."""
        return 0

    def search(self, query: str, limit: int = 50) -> list[tuple[int, int, float]]:
        """Articles matching a web-search style query, best first: ``(seq, story, rank)``.

        As with the SQLite store, a lower ``rank`` is better (it is the negated ``ts_rank``).
        """
        rows = self.conn.execute(
            "SELECT a.seq, a.story, -ts_rank(a.search, q) AS rank "
            "FROM articles a, websearch_to_tsquery('simple', %s) q WHERE a.search @@ q "
            "ORDER BY rank, a.seq LIMIT %s", (search_text(query), limit)).fetchall()
        return [(int(seq), int(story), float(rank)) for seq, story, rank in rows]

    def latest_time(self) -> float | None:
        """The newest publication time in the store (the clock that ``--since`` counts back from)."""
        row = self.conn.execute("SELECT max(last_seen) FROM stories WHERE merged_into IS NULL").fetchone()
        return None if row is None else row[0]

    def counts(self) -> dict[str, int]:
        articles = self.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        stories = self.conn.execute("SELECT count(*) FROM stories WHERE merged_into IS NULL AND articles > 0"
                                    ).fetchone()[0]
        return {"articles": int(articles), "stories": int(stories)}

    def close(self) -> None:
        if hasattr(self, "_turns"):
            self._turns.close()
        if not self.conn.closed:
            self.conn.close()


def _article(row: Any) -> ArticleRow:
    values = list(row)
    values[15] = bytes(values[15])
    return ArticleRow(*values)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
