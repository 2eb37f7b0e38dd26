"""One place that turns a ``--db`` value (a path or a URL) into a store of the right backend."""

from __future__ import annotations

import os
import re

from .base import Store
from .errors import StoreError


def open_store(target: str | None = None) -> Store:
    """The store a ``--db`` value names; default ``$STORYLINE_DB``, else ``./storyline.db``.

    A path or ``sqlite:///path`` opens an SQLite file (see :func:`sqlite_path`); ``postgresql://...``
    (or ``postgres://``) a PostgreSQL database (with the ``postgres`` extra installed).

    >>> store = open_store("sqlite:///:memory:")
    >>> type(store).__name__, store.counts()
    ('SQLiteStore', {'articles': 0, 'stories': 0})
    """
    from .sqlite import SQLiteStore, default_path

    target = target or default_path()
    if is_postgres_url(target):
        from .postgres import PostgresStore  # only then: a large module, and its driver

        return PostgresStore(target)
    path = sqlite_path(target)
    if path is None:
        scheme = target.split("://", 1)[0]
        raise StoreError(f"{redact(target)}: unknown store backend {scheme!r} (use a file path, sqlite:///PATH "
                         f"or postgresql://...)")
    folder = os.path.dirname(path) or "."
    if target.startswith("sqlite:///") and not os.path.isabs(path) and not os.path.isdir(folder) \
            and os.path.isdir(os.path.dirname("/" + path)):  # sqlite:///tmp/x.db, meant as /tmp/x.db
        raise StoreError(f"{target}: names {path} in the working folder, and its folder does not exist; "
                         f"for /{path} write sqlite:////{path} (four slashes)")
    return SQLiteStore(path)


def sqlite_path(target: str) -> str | None:
    """The file an SQLite ``--db`` value names, or ``None`` for another backend's URL.

    A plain path is itself. ``sqlite:///PATH`` follows SQLAlchemy's convention: three slashes and a
    relative path (``sqlite:///news.db`` is ``news.db`` in the working folder), four slashes for an
    absolute one (``sqlite:////srv/news.db``). An empty path is refused: SQLite would quietly open a
    temporary database, and everything written to it would be lost.

    >>> sqlite_path("news.db"), sqlite_path("sqlite:///news.db"), sqlite_path("sqlite:////srv/news.db")
    ('news.db', 'news.db', '/srv/news.db')
    >>> sqlite_path("postgresql://db/news") is None
    True
    >>> sqlite_path("sqlite:///")
    Traceback (most recent call last):
    ...
    storyline.store.errors.StoreError: sqlite:///: no file named; write sqlite:///news.db (relative) or sqlite:////srv/news.db (absolute)
    """
    if target.startswith("sqlite:"):
        if not target.startswith("sqlite:///"):
            raise StoreError(f"{target}: an SQLite URL is sqlite:///PATH (three slashes, then a relative path; "
                             "four for an absolute one)")
        path = target[len("sqlite:///"):]
        if "://" in path:
            raise StoreError(f"sqlite:///{redact(path)}: sqlite:/// names a file, and this names a URL; "
                             "give the URL alone")
        if not path.strip():
            raise StoreError(f"{target}: no file named; write sqlite:///news.db (relative) or "
                             "sqlite:////srv/news.db (absolute)")
        return path
    if is_postgres_url(target) or "://" in target:
        return None
    if not target.strip():
        raise StoreError("the store's path is empty; name an SQLite file (e.g. --db news.db)")
    if _KEYWORD_DSN.match(target):
        # It would be a file named after the connection string (its password too), written silently.
        raise StoreError(f"{redact(target)}: a PostgreSQL keyword connection string; write it as a URL: "
                         "postgresql://USER:PASSWORD@HOST:PORT/DBNAME")
    return target


#: ``host=db dbname=news ...``: libpq's keyword form, which only looks like a file name.
_KEYWORD_DSN = re.compile(r"(?i)^\s*(host|hostaddr|dbname|user|password|port|service|sslmode)\s*=\S*(\s+\w+\s*=|$)")


def is_postgres_url(target: str) -> bool:
    """Whether a ``--db`` value names a PostgreSQL server.

    >>> is_postgres_url("postgresql://news@db.example/storyline"), is_postgres_url("news.db")
    (True, False)
    """
    return target.startswith(("postgresql://", "postgres://"))


def secrets_of(url: str) -> list[str]:
    """The password a connection URL or keyword DSN holds, as written and percent-decoded: what must
    never appear in a message, whoever wrote the message (libpq quotes the part it cannot parse).

    >>> secrets_of("postgresql://news:a%zzLEAK@db.example/news"), secrets_of("host=db password=s3cret")
    (['a%zzLEAK'], ['s3cret'])
    """
    from urllib.parse import unquote

    found = []
    m = _URL_PASSWORD.match(url)
    if m:
        found.append(m.group(3))
    found += [v.strip("'") for _key, v in _KEY_PASSWORD.findall(url)]
    out: list[str] = []
    for secret in found:
        for form in (secret, unquote(secret)):
            if len(form) >= 2 and form not in out:
                out.append(form)
    return out


def scrubbed(message: str, url: str) -> str:
    """``message`` with every form of ``url``'s password replaced by ``***``.

    >>> scrubbed('invalid percent-encoded token: "a%zzLEAK"', "postgresql://u:a%zzLEAK@h/db")
    'invalid percent-encoded token: "***"'
    """
    for secret in sorted(secrets_of(url), key=len, reverse=True):
        message = message.replace(secret, "***")
    return message


def redact(url: str) -> str:
    """A connection URL fit for a message: the password replaced by ``***``.

    >>> redact("postgresql://news:s3cret@db.example:5432/storyline")
    'postgresql://news:***@db.example:5432/storyline'
    >>> redact("postgresql+psycopg://news:p@ss:w/rd@db.example/storyline")
    'postgresql+psycopg://news:***@db.example/storyline'
    >>> redact("postgresql://db.example/news?user=news&password=s3cret"), redact("host=db password=s3cret")
    ('postgresql://db.example/news?user=news&password=***', 'host=db password=***')
    """
    m = _URL_PASSWORD.match(url)
    if m:
        url = f"{m.group(1)}{m.group(2)}:***@{m.group(4)}"
    return _KEY_PASSWORD.sub(r"\1***", url)


#: scheme://user:PASSWORD@host...; a password may hold an unencoded @ or /: the host begins after
#: the last @ of the address.
_URL_PASSWORD = re.compile(r"^([A-Za-z][\w+.-]*://)([^:@/]*):(.*)@([^@]*)$", re.DOTALL)
#: password=... in a query string or a keyword DSN.
_KEY_PASSWORD = re.compile(r"(?i)\b(password\s*=\s*)('[^']*'|[^&\s]*)")
