"""Copy a whole store to another (any backend to any backend), then prove the copy is whole.

Every table is copied row by row with its own ids; then both stores are read again and compared by
row counts and by a checksum of their contents. The checksum does not depend on row order or backend:
it is the sum (mod 2**256) of a SHA-256 per row, computed over values normalised by column type
(so an integer stored in an SQLite REAL column and the same number in a PostgreSQL DOUBLE agree).

>>> from storyline.store.sqlite import SQLiteStore
>>> src, dst = SQLiteStore(":memory:"), SQLiteStore(":memory:")
>>> src.db.execute("INSERT INTO meta VALUES ('next_story', '7')") and None
>>> report = copy_store(src, dst)
>>> report.counts["meta"], report.ok
(1, True)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from .errors import UNFINISHED_KEY, StoreError, rollback

#: Tables with their columns and each column's kind (i: integer, r: real, t: text, b: bytes). The order
#: is the copy order. Search indexes are not copied: each backend builds its own from the articles.
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "meta": (("key", "t"), ("value", "b")),
    "articles": (("seq", "i"), ("id", "t"), ("title", "t"), ("text", "t"), ("url", "t"), ("canonical_url", "t"),
                 ("published", "r"), ("source", "t"), ("lang", "t"), ("story", "i"), ("kind", "t"),
                 ("copy_of", "t"), ("text_key", "t"), ("score", "r"), ("why", "t"), ("features", "b")),
    "stories": (("id", "i"), ("merged_into", "i"), ("articles", "i"), ("outlets", "i"), ("first_seen", "r"),
                ("last_seen", "r"), ("updated_seq", "i")),
    "feeds": (("id", "i"), ("url", "t"), ("title", "t"), ("site", "t"), ("added_at", "r"), ("etag", "t"),
              ("last_modified", "t"), ("last_fetch", "r"), ("last_status", "i"), ("last_error", "t"),
              ("failures", "i"), ("next_fetch", "r"), ("articles_seen", "i"), ("extra", "t")),
    "story_cache": (("story", "i"), ("updated_seq", "i"), ("description", "t")),
    "story_entities": (("story", "i"), ("name", "t"), ("type", "t"), ("articles", "i")),
    "watchlists": (("id", "i"), ("name", "t"), ("query", "t"), ("entity", "t"), ("webhook", "t"), ("command", "t"),
                   ("created_at", "r"), ("checked_seq", "i")),
    "alerts": (("id", "i"), ("watchlist", "i"), ("story", "i"), ("condition", "t"), ("fired_at", "r"),
               ("payload", "t")),
    "alert_deliveries": (("id", "i"), ("alert", "i"), ("target", "t"), ("attempts", "i"), ("next_try", "r"),
                         ("delivered_at", "r"), ("last_error", "t")),
}

#: Bookkeeping of one backend that must not travel: the SQLite search index's high-water mark (the
#: copy's index is built afresh, so the mark would wrongly say it is done).
LOCAL_META = ("fts_seq", UNFINISHED_KEY)

_BATCH = 2000


@dataclass
class Report:
    """What a copy did: rows per table in the source and in the copy, and both checksums."""

    counts: dict[str, int] = field(default_factory=dict)
    copied_counts: dict[str, int] = field(default_factory=dict)
    checksum: str = ""
    copied_checksum: str = ""

    @property
    def ok(self) -> bool:
        return self.counts == self.copied_counts and self.checksum == self.copied_checksum


def copy_store(source: Any, target: Any, progress: Callable[[str, int], None] | None = None) -> Report:
    """Copy every table of ``source`` into the empty store ``target``, then compare them.

    Raises :class:`StoreError` if ``target`` already holds anything. ``progress(table, rows)`` is
    called as rows are copied, and once more with ``rows = -1 - total`` when a table is done.
    """
    busy = {t: n for t, n in table_counts(target).items() if n}
    if busy:
        held = ", ".join(f"{n:,} {t}" for t, n in busy.items())
        raise StoreError(f"{target.path}: not empty ({held}); migrate copies into a new, empty store")
    # Until the copy is whole and checked, the target says so: a copy stopped halfway (^C, a crash) is
    # refused by every command, instead of passing for a store with its stories missing.
    _write(target, "meta", ["key", "value"], [(UNFINISHED_KEY, b"storyline migrate")])
    for table, columns in TABLES.items():
        names = [c for c, _ in columns]
        done = 0
        for batch in _batches(_read(source, table, names)):
            _write(target, table, names, [_for_target(target, columns, row) for row in batch])
            done += len(batch)
            if progress is not None:
                progress(table, done)
        if progress is not None:
            progress(table, -1 - done)
    _after_copy(target)
    report = Report()
    report.counts, report.checksum = table_counts(source), checksum(source)
    report.copied_counts, report.copied_checksum = table_counts(target), checksum(target)
    if report.ok:
        _execute(target, f"DELETE FROM meta WHERE key = '{UNFINISHED_KEY}'")
    return report


def table_counts(store: Any) -> dict[str, int]:
    """Rows per copied table (meta without the backend's own bookkeeping)."""
    out = {}
    for table in TABLES:
        sql = f"SELECT count(*) FROM {table}"
        if table == "meta":
            sql += " WHERE key NOT IN (" + ", ".join(f"'{k}'" for k in LOCAL_META) + ")"
        out[table] = int(_execute(store, sql).fetchone()[0])
    return out


def checksum(store: Any) -> str:
    """A hex digest of every copied table's contents, independent of row order and backend."""
    whole = hashlib.sha256()
    for table, columns in TABLES.items():
        total = 0
        for row in _read(store, table, [c for c, _ in columns]):
            digest = hashlib.sha256(repr(_normal(columns, row)).encode("utf-8")).digest()
            total = (total + int.from_bytes(digest, "big")) % (1 << 256)
        whole.update(f"{table}:{total:064x};".encode())
    return whole.hexdigest()


# -- backends --------------------------------------------------------------------------------------------


def _is_pg(store: Any) -> bool:
    return hasattr(store, "conn")


def _execute(store: Any, sql: str) -> Any:
    return store.conn.execute(sql) if _is_pg(store) else store.db.execute(sql)


def _read(store: Any, table: str, names: Sequence[str]) -> Iterator[tuple]:
    sql = f"SELECT {', '.join(names)} FROM {table}"
    if table == "meta":
        sql += " WHERE key NOT IN (" + ", ".join(f"'{k}'" for k in LOCAL_META) + ")"
    if _is_pg(store):
        # A server-side cursor: an archive of millions of articles is streamed, not loaded.
        with store.conn.transaction(), store.conn.cursor(name=f"storyline_copy_{table}") as cur:
            cur.itersize = _BATCH
            cur.execute(sql)
            yield from (tuple(r) for r in cur)
    else:
        yield from store.db.execute(sql)


def _write(store: Any, table: str, names: Sequence[str], rows: list[tuple]) -> None:
    if _is_pg(store):
        with store.conn.transaction(), store.conn.cursor() as cur:
            with cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        return
    db = store.db
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})", rows)
        db.execute("COMMIT")
    except BaseException:
        rollback(db)
        raise


def _after_copy(store: Any) -> None:
    """PostgreSQL hands out ids from counters, which copied rows did not move: move them past the copy."""
    if not _is_pg(store):
        return
    from .postgres import IDENTITY_TABLES

    for table in IDENTITY_TABLES:
        store.conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), max(id)) FROM {table} "
                           f"HAVING max(id) IS NOT NULL")


def _for_target(store: Any, columns: Sequence[tuple[str, str]], row: tuple) -> tuple:
    """A row as the target expects it: bytes columns as bytes (SQLite may hold text there)."""
    out = list(row)
    for i, (_, kind) in enumerate(columns):
        if kind == "b" and isinstance(out[i], str):
            out[i] = out[i].encode("utf-8")
        elif kind == "b" and isinstance(out[i], memoryview):
            out[i] = bytes(out[i])
    return tuple(out)


def _normal(columns: Sequence[tuple[str, str]], row: tuple) -> tuple:
    out = []
    for (_, kind), value in zip(columns, row):
        if value is None:
            out.append(None)
        elif kind == "i":
            out.append(int(value))
        elif kind == "r":
            out.append(float(value).hex())
        elif kind == "b":
            out.append(value.encode("utf-8") if isinstance(value, str) else bytes(value))
        else:
            out.append(str(value))
    return tuple(out)


def _batches(rows: Iterator[tuple]) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
