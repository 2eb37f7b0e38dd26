"""Read access to the store for a multi-threaded server, and the clock pages count ages from.

Every server thread gets its own SQLite connection (WAL lets readers run beside a writer); they
are read-only (``PRAGMA query_only``), so a page can never change the store by accident.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass

#: A store whose newest article is older than this is an archive: ages count from that article.
LIVE_WITHIN = 2 * 86400.0


class Readers:
    """Thread-local read-only connections to one store file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def get(self) -> sqlite3.Connection:
        """This thread's connection, opened on first use."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = open_connection(self.path, readonly=True)
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def close(self) -> None:
        """Close every connection handed out (at shutdown)."""
        with self._lock:
            for conn in self._all:
                try:
                    conn.close()
                except sqlite3.Error:
                    pass
            self._all.clear()


def open_connection(path: str, readonly: bool) -> sqlite3.Connection:
    """A connection to a store file with a busy timeout (and ``query_only`` when ``readonly``)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA busy_timeout=10000")
    if readonly:
        conn.execute("PRAGMA query_only=ON")
    return conn


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
        real = time.time() if real is None else real
        if latest is None or latest >= real - LIVE_WITHIN:
            return cls(real, latest, False)
        return cls(latest, latest, True)

    @classmethod
    def of(cls, conn: sqlite3.Connection) -> "Clock":
        """The clock of a store (one index lookup)."""
        row = conn.execute("SELECT max(last_seen) FROM stories WHERE merged_into IS NULL").fetchone()
        return cls.at(row[0] if row else None)
