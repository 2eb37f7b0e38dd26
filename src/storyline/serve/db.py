"""Read access to the store for a multi-threaded server, and the clock pages count ages from.

Every server thread gets its own connection, read-only so that a page can never change the store by
accident. On an SQLite file (WAL lets readers run beside a writer) that is ``PRAGMA query_only``; on
a PostgreSQL server it is a psycopg connection with ``default_transaction_read_only``, wrapped in
:class:`~storyline.store.portable.PortableConnection` so that the server's SQL (``?`` placeholders,
``BEGIN IMMEDIATE``, ``INSERT OR REPLACE``) runs unchanged on both; the few fragments that differ
come from :mod:`.dialect`.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from collections.abc import Callable, Sequence
from typing import Any, Union

from ..store.portable import PortableConnection
from ..store.open import is_postgres_url, redact

#: What the server's queries run on: an SQLite connection, or a PostgreSQL one in the SQLite dialect.
Connection = Union[sqlite3.Connection, PortableConnection]

#: A store whose newest article is older than this is an archive: ages count from that article.
LIVE_WITHIN = 2 * 86400.0


class Readers:
    """Thread-local read-only connections to one store (a file, or a PostgreSQL URL).

    The web server's worker threads come and go (an idle one ends after a few seconds), so the
    connections of threads that ended are closed whenever a new one is opened: on PostgreSQL each is a
    server process, and leaving them open would use up the server's connections.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._all: dict[threading.Thread, Connection] = {}
        self._lock = threading.Lock()

    def get(self) -> Connection:
        """This thread's connection, opened on first use (and again after a PostgreSQL server restart:
        a connection it dropped never works again)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and not usable(conn):
            self._local.conn = None
            with self._lock:
                self._all.pop(threading.current_thread(), None)
            close_connection(conn)
            conn = None
        if conn is None:
            conn = open_connection(self.path, readonly=True)
            self._local.conn = conn
            with self._lock:
                ended = [t for t in self._all if not t.is_alive()]
                gone = [self._all.pop(t) for t in ended]
                self._all[threading.current_thread()] = conn
            for old in gone:
                close_connection(old)
        return conn

    def open(self) -> int:
        """How many connections are open (for tests)."""
        with self._lock:
            return len(self._all)

    def close(self) -> None:
        """Close every connection handed out (at shutdown)."""
        with self._lock:
            conns = list(self._all.values())
            self._all.clear()
        for conn in conns:
            close_connection(conn)


def open_connection(path: str, readonly: bool) -> Connection:
    """A connection to a store (an SQLite file with a busy timeout, or a ``postgresql://`` URL in
    autocommit mode), read-only when ``readonly``."""
    if is_postgres_url(path):
        return ReadConnection(path) if readonly else PortableConnection(_connect(path, readonly=False))
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA busy_timeout=10000")
    if readonly:
        conn.execute("PRAGMA query_only=ON")
    return conn


def _connect(url: str, readonly: bool) -> Any:
    from ..store.postgres import connect

    raw = connect(url, application_name="storyline-serve")
    if readonly:
        raw.execute("SET default_transaction_read_only = on")
    return raw


class ReadConnection(PortableConnection):
    """A read-only PostgreSQL connection that reconnects once when the server dropped it (a restart of
    the database server), and runs the statement again: a read can be repeated, so the first page after
    a restart is answered rather than a 503. Still unreachable: the error goes up (then a 503)."""

    def __init__(self, url: str) -> None:
        super().__init__(_connect(url, readonly=True))
        self.url = url

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        try:
            return super().execute(sql, params)
        except Exception as exc:
            if not (unavailable(exc) and self.conn.broken):
                raise
        close_connection(PortableConnection(self.conn))
        self.conn = _connect(self.url, readonly=True)
        return super().execute(sql, params)


def open_store(path: str) -> Any:
    """:func:`storyline.store.open.open_store` for the server's own writing connections.

    A PostgreSQL server that cannot be reached raises psycopg's error here (which the app answers with
    a 503), not the store's :class:`~storyline.store.errors.StoreError` (a store that is not usable).
    """
    from ..store.open import open_store as dispatch

    if is_postgres_url(path):
        close_connection(open_connection(path, readonly=True))  # raises if the server is unreachable
    return dispatch(path)


def close_connection(conn: Connection) -> None:
    """Close a connection from :func:`open_connection`, whatever state it is in."""
    try:
        # PortableConnection.close() leaves the connection to its store; here the server owns it.
        (conn.conn if isinstance(conn, PortableConnection) else conn).close()
    except Exception:  # noqa: BLE001 - closing a broken connection may fail; it is gone either way
        pass


def usable(conn: Connection) -> bool:
    """Whether a connection can still run queries (a PostgreSQL connection breaks with its server)."""
    raw = getattr(conn, "conn", None)
    return raw is None or not (raw.closed or raw.broken)


def unavailable(exc: BaseException) -> bool:
    """Whether an error means the database server cannot be reached (down, restarting, connection lost):
    nothing to debug in the server, so one line in the log and a 503 rather than a traceback."""
    if not type(exc).__module__.startswith("psycopg"):
        return False
    import psycopg

    return isinstance(exc, (psycopg.OperationalError, psycopg.InterfaceError))


def denied(exc: BaseException) -> bool:
    """Whether an error means this login may read the store but not write it (a SELECT-only role, a
    read-only file): a setting to change, not a bug to debug, so one line rather than a traceback.

    >>> import sqlite3
    >>> denied(sqlite3.OperationalError("attempt to write a readonly database")), denied(ValueError("x"))
    (True, False)
    """
    if getattr(exc, "sqlstate", None) in ("42501", "25006"):  # PostgreSQL: no privilege; a read-only database
        return True
    return isinstance(exc, sqlite3.OperationalError) and "readonly" in str(exc)


def first_line(exc: BaseException) -> str:
    """An error's message in one line.

    >>> first_line(RuntimeError("connection refused\\n\\tIs the server running?"))
    'connection refused'
    """
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def log_failure(log: logging.Logger, what: str, exc: BaseException, retry: float | None = None) -> None:
    """Log a failed background step: one line when the database is unreachable (saying when it is
    tried again, if it is), else the traceback."""
    if unavailable(exc):
        again = f"; trying again in {retry:g} s" if retry is not None else ""
        log.error("%s: the database server is unreachable (%s)%s", what, first_line(exc), again)
    elif denied(exc):
        log.error("%s: the store refuses writes from this login (%s); pages are still served",
                  what, first_line(exc))
    else:
        log.error("%s", what, exc_info=exc)


def run_connected(path: str, stop: threading.Event, log: logging.Logger, name: str,
                  body: Callable[[Connection], None], retry: float,
                  on_failure: Callable[[], None] | None = None) -> None:
    """Run a background thread's ``body`` on a writable connection to ``path`` until it returns.

    A database server that goes away (a PostgreSQL restart) pauses the thread, which then starts
    ``body`` again on a new connection; any other error is logged with its traceback and ends it.
    """
    while not stop.is_set():
        try:
            conn = open_connection(path, readonly=False)
        except Exception as exc:  # noqa: BLE001 - logged; retried while the server is unreachable
            log_failure(log, f"{name}: cannot open the store", exc, retry)
            if not unavailable(exc):
                return
            stop.wait(retry)
            continue
        try:
            body(conn)
            return
        except Exception as exc:  # noqa: BLE001 - a background thread must log, never die silently
            if on_failure is not None:
                on_failure()
            log_failure(log, f"{name}: stopped", exc, retry)
            if not unavailable(exc):
                return
            stop.wait(retry)
        finally:
            close_connection(conn)


def shown(path: str) -> str:
    """A store's name fit for messages and logs (a PostgreSQL URL without its password)."""
    return redact(path) if is_postgres_url(path) else path


@dataclass(frozen=True, slots=True)
class Clock:
    """The time ages are counted from: now for a live store, the newest article for an archive.

    >>> Clock.at(latest=100.0, real=100.0 + 86400).archive, Clock.at(latest=100.0, real=1e9).now
    (False, 100.0)
    """

    now: float
    latest: float | None
    archive: bool

    @classmethod
    def at(cls, latest: float | None, real: float | None = None) -> "Clock":
        # To the minute (ages are shown in minutes): an answer that names its clock to the second had
        # a new ETag every second, so a client polling a live store never got a 304.
        real = float(int(time.time()) // 60 * 60) if real is None else real
        if latest is None or latest >= real - LIVE_WITHIN:
            return cls(real, latest, False)
        return cls(latest, latest, True)

    @classmethod
    def of(cls, conn: Any) -> "Clock":
        """The clock of a store (one index lookup)."""
        row = conn.execute("SELECT max(last_seen) FROM stories WHERE merged_into IS NULL").fetchone()
        return cls.at(row[0] if row else None)
