"""The engine's learned vocabulary as last saved in a store, for readers that do not run the engine.

Describing a story weighs words by their document frequencies and tells names from ordinary words with
the set of words seen in lower case. The engine saves both with every batch (meta key ``vectorizer``);
a brief, a web page or an alert check only needs that saved state, not the engine, whose start-up
replays the whole store.

>>> from storyline.store.sqlite import SQLiteStore
>>> stored_vectorizer(SQLiteStore(":memory:")).documents
0
"""

from __future__ import annotations

import json
import zlib
from collections import Counter
from typing import Protocol

from ..text.features import Vectorizer

#: Where :class:`storyline.engine.Engine` saves its vectorizer state.
STATE_KEY = "vectorizer"


class HasState(Protocol):
    """A store's key-value state (``meta`` in SQLite)."""

    def get_state(self, key: str) -> bytes | None: ...


def vectorizer_from_state(blob: bytes | None) -> Vectorizer:
    """A vectorizer with the saved document frequencies and common words (empty when ``blob`` is None)."""
    vec = Vectorizer()
    if blob is not None:
        state = json.loads(zlib.decompress(blob))
        vec.documents = state["documents"]
        vec.df = Counter(state["df"])
        vec.common = set(state["common"])
    return vec


def stored_vectorizer(store: HasState) -> Vectorizer:
    """The vectorizer state a store holds (what an :class:`~storyline.engine.Engine` would restore)."""
    return vectorizer_from_state(store.get_state(STATE_KEY))
