"""One place that turns a ``--db`` value (a path or a URL) into a store of the right backend."""

from __future__ import annotations

from .base import Store
from .errors import StoreError


def open_store(target: str | None = None) -> Store:
    """The store a ``--db`` value names; default ``$STORYLINE_DB``, else ``./storyline.db``.

    A path or ``sqlite:///path`` opens an SQLite file; ``postgresql://...`` (or ``postgres://``) a
    PostgreSQL database (with the ``postgres`` extra installed).

    >>> store = open_store("sqlite:///:memory:")
    >>> type(store).__name__, store.counts()
    ('SQLiteStore', {'articles': 0, 'stories': 0})
    """
    from .postgres import PostgresStore, is_postgres_url
    from .sqlite import SQLiteStore, default_path

    target = target or default_path()
    if is_postgres_url(target):
        return PostgresStore(target)
    if target.startswith("sqlite:///"):
        return SQLiteStore(target[len("sqlite:///"):])
    if "://" in target:
        scheme = target.split("://", 1)[0]
        raise StoreError(f"{target}: unknown store backend {scheme!r} (use a file path, sqlite:///PATH "
                         f"or postgresql://...)")
    return SQLiteStore(target)
