"""The SQLite dialect that storyline's own modules write, run on a PostgreSQL connection.

Modules beside the store (feeds, alerts) run their SQL on ``store.db``, written for Python's
``sqlite3``: ``?`` placeholders, ``BEGIN IMMEDIATE``, ``INSERT OR IGNORE``, ``cursor.lastrowid``.
:class:`PortableConnection` accepts exactly that much on PostgreSQL, so plain SQL works on both
backends; SQL that only SQLite has (FTS5 ``MATCH``, ``PRAGMA``) still fails, with PostgreSQL's error.

>>> translate("SELECT id FROM feeds WHERE url = ? AND title LIKE '%?%'")
"SELECT id FROM feeds WHERE url = %s AND title LIKE '%%?%%'"
>>> translate("INSERT OR IGNORE INTO alerts (watchlist, story) VALUES (?, ?)")
'INSERT INTO alerts (watchlist, story) VALUES (%s, %s) ON CONFLICT DO NOTHING'
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

#: Tables whose ``INSERT OR REPLACE`` is rewritten as an upsert on their key.
_KEYS = {"meta": ("key",), "story_cache": ("story",), "story_entities": ("story", "name")}
#: Tables whose ids PostgreSQL hands out: an INSERT returns the id, as ``cursor.lastrowid``.
_IDS = ("feeds", "watchlists", "alerts", "alert_deliveries")

_INSERT = re.compile(r"^\s*INSERT\s+(?:OR\s+(IGNORE|REPLACE)\s+)?INTO\s+(\w+)\s*(\(([^)]*)\))?", re.I)


def translate(sql: str) -> str:
    """SQLite-flavoured SQL as PostgreSQL (psycopg) takes it."""
    stripped = sql.strip().rstrip(";")
    if re.fullmatch(r"BEGIN(\s+(IMMEDIATE|DEFERRED|EXCLUSIVE))?(\s+TRANSACTION)?", stripped, re.I):
        return "BEGIN"
    out = _placeholders(stripped)
    # group_concat(x, sep) is string_agg(x, sep) in PostgreSQL.
    out = re.sub(r"\bgroup_concat\(", "string_agg(", out, flags=re.I)
    m = _INSERT.match(out)
    if m and m.group(1):
        verb, table, columns = m.group(1).upper(), m.group(2), m.group(4)
        out = _INSERT.sub(lambda g: f"INSERT INTO {table}" + (f" ({columns})" if columns else ""), out, count=1)
        if verb == "IGNORE":
            out += " ON CONFLICT DO NOTHING"
        else:
            keys = _KEYS.get(table.lower())
            if keys is None or not columns:
                raise ValueError(f"INSERT OR REPLACE INTO {table}: no key known for PostgreSQL")
            rest = [c.strip() for c in columns.split(",") if c.strip() not in keys]
            sets = ", ".join(f"{c} = excluded.{c}" for c in rest)
            out += f" ON CONFLICT ({', '.join(keys)}) " + (f"DO UPDATE SET {sets}" if sets else "DO NOTHING")
    return out


def _placeholders(sql: str) -> str:
    """``?`` -> ``%s`` and ``%`` -> ``%%``, except inside quoted literals and names (where only ``%`` doubles)."""
    out: list[str] = []
    quote = ""
    for ch in sql:
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "?":
            out.append("%s")
            continue
        out.append("%%" if ch == "%" else ch)
    return "".join(out)


class PortableCursor:
    """A psycopg cursor with ``lastrowid`` (the id an INSERT into an id table returned)."""

    def __init__(self, cursor: Any, lastrowid: int | None = None) -> None:
        self._cursor = cursor
        self.lastrowid = lastrowid

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchone(self) -> tuple | None:
        return self._cursor.fetchone() if self._cursor.description is not None else None

    def fetchall(self) -> list[tuple]:
        return self._cursor.fetchall() if self._cursor.description is not None else []

    def __iter__(self) -> Iterator[tuple]:
        return iter(self.fetchall())


class PortableConnection:
    """``execute``/``executemany`` in the ``sqlite3`` manner on a psycopg connection in autocommit mode."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> PortableCursor:
        query = translate(sql)
        m = _INSERT.match(sql)
        wants_id = bool(m and m.group(2).lower() in _IDS and "RETURNING" not in query.upper())
        if wants_id:
            query += " RETURNING id"
        cursor = self.conn.execute(query, tuple(params) if params else None)
        lastrowid = None
        if wants_id:
            row = cursor.fetchone()
            lastrowid = None if row is None else int(row[0])
        return PortableCursor(cursor, lastrowid)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> PortableCursor:
        cursor = self.conn.cursor()
        cursor.executemany(translate(sql), [tuple(r) for r in rows])
        return PortableCursor(cursor)

    def commit(self) -> None:
        """Nothing to do: statements outside ``BEGIN`` commit at once (autocommit)."""

    def close(self) -> None:
        """The store owns the connection; closing the store closes it."""
