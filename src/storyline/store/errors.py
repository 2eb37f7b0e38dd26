"""The one error every store backend raises for a store it cannot open or use."""

from typing import Any


class StoreError(RuntimeError):
    """The store cannot be opened or used (e.g. not a storyline database, a newer schema, no server)."""



#: A meta key set while ``migrate`` or ``backfill`` fills a store and cleared when it has finished: a
#: store that still holds it was left half-filled (stopped, killed), and no command may use it.
UNFINISHED_KEY = "unfinished"


def refuse_unfinished(path: str, value: object) -> None:
    """Raise :class:`StoreError` for a store whose ``UNFINISHED_KEY`` holds ``value`` (what filled it)."""
    what = bytes(value).decode("utf-8", "replace") if isinstance(value, (bytes, bytearray, memoryview)) else str(value)
    raise StoreError(f"{path}: {what} was stopped before it finished, so this store is incomplete; delete it "
                     f"(or empty the database) and run {what} again")


def rollback(db: Any) -> None:
    """Roll back an SQLite transaction that failed, keeping the failure's own error: after a full
    disk (SQLITE_FULL) or an I/O error SQLite has rolled back already, and a ROLLBACK raising "no
    transaction is active" would hide why the write failed."""
    import sqlite3

    try:
        db.execute("ROLLBACK")
    except sqlite3.OperationalError:
        pass
