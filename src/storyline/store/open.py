"""One place that turns a ``--db`` value (a path or a URL) into a store of the right backend."""

from __future__ import annotations

import re

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
    from .sqlite import SQLiteStore, default_path

    target = target or default_path()
    if is_postgres_url(target):
        from .postgres import PostgresStore  # only then: a large module, and its driver

        return PostgresStore(target)
    if target.startswith("sqlite:///"):
        return SQLiteStore(target[len("sqlite:///"):])
    if "://" in target:
        scheme = target.split("://", 1)[0]
        raise StoreError(f"{target}: unknown store backend {scheme!r} (use a file path, sqlite:///PATH "
                         f"or postgresql://...)")
    return SQLiteStore(target)


def is_postgres_url(target: str) -> bool:
    """Whether a ``--db`` value names a PostgreSQL server.

    >>> is_postgres_url("postgresql://news@db.example/storyline"), is_postgres_url("news.db")
    (True, False)
    """
    return target.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """A connection URL fit for a message: the password replaced by ``***``.

    >>> redact("postgresql://news:s3cret@db.example:5432/storyline")
    'postgresql://news:***@db.example:5432/storyline'
    """
    return re.sub(r"^(\w+://[^:/@]*):[^@/]*@", r"\1:***@", url)
