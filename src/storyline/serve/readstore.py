"""A store interface over one of the server's read-only connections, for code written against a store.

Briefs and watchlist matching read through a store's methods (``story``, ``story_articles``,
``search``...). The server must not open a store per request (that migrates, and on SQLite sets
pragmas) nor write from a page, so these borrow a thread's read-only connection; on SQLite they
never sync the full-text index themselves: the caller syncs it through the server's writer first.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from ..store.portable import PortableConnection
from ..store.postgres import PostgresStore
from ..store.sqlite import SQLiteStore
from .db import Connection


class ReadOnlyStore(SQLiteStore):
    """:class:`SQLiteStore` reads over a borrowed connection (``PRAGMA query_only`` in the server)."""

    def __init__(self, conn: sqlite3.Connection, path: str = "") -> None:  # noqa: D107 - no migration here
        # Deliberately not SQLiteStore.__init__: the server migrated the schema when it started.
        self.path = path
        self.db = conn

    def sync_search(self) -> int:
        """Nothing: this connection cannot write; the server's writer keeps the index in step."""
        return 0

    def close(self) -> None:
        """Nothing: the connection belongs to the server's readers."""


class ReadOnlyPostgresStore(PostgresStore):
    """:class:`PostgresStore` reads over a borrowed read-only connection (PostgreSQL indexes each
    article for search as it is written, so there is nothing to sync)."""

    def __init__(self, conn: PortableConnection, path: str = "") -> None:  # noqa: D107 - no connect, no migration
        # Deliberately not PostgresStore.__init__, for the same reasons as ReadOnlyStore's.
        self.url = path
        self.path = path
        self.conn: Any = conn.conn
        self._writing = False
        self._seen_seq = None

    def begin_write(self) -> int:
        raise PermissionError("a read-only store does not write")

    def close(self) -> None:
        """Nothing: the connection belongs to the server's readers."""


def read_only_store(conn: Connection, path: str = "") -> SQLiteStore | PostgresStore:
    """The read-only store over a server connection of either backend."""
    if isinstance(conn, PortableConnection):
        return ReadOnlyPostgresStore(conn, path)
    return ReadOnlyStore(conn, path)
