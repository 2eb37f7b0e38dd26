"""A store interface over one of the server's read-only connections, for code written against a store.

Briefs and watchlist matching read through :class:`~storyline.store.sqlite.SQLiteStore`'s methods
(``story``, ``story_articles``, ``search``...). The server must not open a store per request (that
migrates and sets pragmas) nor write from a page, so this one borrows a thread's read-only connection
and never syncs the full-text index itself: the caller syncs it through the server's writer first.
"""

from __future__ import annotations

import sqlite3

from ..store.sqlite import SQLiteStore


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
