"""Writing a stitched backfill into a store, through the ordinary :class:`Store` protocol.

The rows already carry their final story, so they go in with ``write_batch`` and no merges, in
batches (each one atomic, as the engine writes). The store must be empty: a backfill builds a store,
it does not extend one (``storyline ingest`` continues from it afterwards).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence

from ..store.base import ArticleRow, Store
from ..store.errors import UNFINISHED_KEY


class StoreNotEmpty(ValueError):
    """The target store already holds articles."""


def check_empty(store: Store) -> None:
    """Raise :class:`StoreNotEmpty` unless ``store`` holds no article."""
    held = store.counts()["articles"]
    if held:
        raise StoreNotEmpty(f"the store already holds {held:,} articles; backfill writes into a new, empty "
                            "store (use `storyline ingest` to add to an existing one)")


def vocabulary_state(documents: int, df: Mapping[str, int], common: Iterable[str]) -> dict[str, bytes]:
    """The vocabulary as the engine saves it (:mod:`storyline.stories.vocabulary` reads it back), so
    story descriptions, briefs and a later ``ingest`` start from what the whole archive taught."""
    from ..stories.vocabulary import STATE_KEY

    state = json.dumps({"documents": documents, "df": dict(df), "common": sorted(common)}, separators=(",", ":"))
    return {STATE_KEY: zlib.compress(state.encode("utf-8"), 1)}


def write_rows(store: Store, rows: Sequence[ArticleRow], batch: int = 5000,
               progress: Callable[[int], None] | None = None, state: dict[str, bytes] | None = None) -> int:
    """Write ``rows`` (seq 1, 2, ...) into an empty ``store``, and ``state`` with the last batch;
    returns how many rows were written."""
    check_empty(store)
    # Until the last batch is in, the store says it is unfinished: one stopped halfway is refused by
    # every command (it looked like a finished store with the newest articles missing).
    store.begin_write()
    store.write_batch([], (), {UNFINISHED_KEY: b"storyline backfill"})
    written = 0
    for i in range(0, len(rows), batch):
        part = rows[i : i + batch]
        last = i + batch >= len(rows)
        store.begin_write()  # the writer lock, on backends that have one; write_batch releases it
        store.write_batch(part, (), (state or {}) if last else {})
        written += len(part)
        if progress is not None:
            progress(written)
    store.db.execute("DELETE FROM meta WHERE key = ?", (UNFINISHED_KEY,))
    return written
