"""``/brief`` and ``/api/brief``: the same brief as ``storyline brief``, made over the server's readers.

The web brief is a read-only view: it never moves the mark that ``storyline brief --since-last`` starts
from (``since=last`` shows what arrived after the last CLI ``--since-last`` brief, and leaves the mark where it is).
A made brief is kept until an article arrives or the mark moves, so reloading or printing it is free.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from ..config import parse_duration
from ..store.base import Store
from ..stories.brief import Brief, BriefError, build_brief, read_mark
from ..stories.vocabulary import stored_vectorizer
from ..text.features import Vectorizer
from .queries import BadQuery
from .db import Connection, shown
from .readstore import read_only_store

#: How many differently-asked briefs are kept.
KEEP = 16
MAX_LIMIT = 50


@dataclass(frozen=True, slots=True)
class BriefRequest:
    """What a brief is asked for: ``since`` seconds back (``None`` with ``since_last``), a topic, a size."""

    since: float | None
    since_last: bool
    topic: str | None
    limit: int


def parse_since(text: str | None) -> tuple[float | None, bool]:
    """``since`` as the CLI reads it (:func:`storyline.config.parse_duration`: ``30m``, ``24h``, ``7d``,
    ``2w``, a bare number is hours, an age beyond 1,000 years is everything), or ``last``.

    >>> parse_since("24h"), parse_since("last"), parse_since(None), parse_since("1.5d")
    ((86400.0, False), (None, True), (86400.0, False), (129600.0, False))
    >>> parse_since("99999999999d")[0] / (365.25 * 86400)  # years: everything, as for `stories --since`
    1000.0
    >>> parse_since("soon")
    Traceback (most recent call last):
    ...
    storyline.serve.queries.BadQuery: since: a duration such as 6h, 24h, 3d or 2w, or 'last'
    """
    text = (text or "24h").strip().lower()
    if text == "last":
        return None, True
    try:
        seconds = parse_duration(text)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        raise BadQuery("since: a duration such as 6h, 24h, 3d or 2w, or 'last'")
    return seconds, False


def request(since: str | None, topic: str | None, limit: int = 10) -> BriefRequest:
    """A checked :class:`BriefRequest` from query parameters (raises :class:`BadQuery`)."""
    seconds, last = parse_since(since)
    topic = (topic or "").strip()[:500] or None
    if not 1 <= limit <= MAX_LIMIT:
        raise BadQuery(f"limit: from 1 to {MAX_LIMIT}")
    return BriefRequest(seconds, last, topic, limit)


class Briefs:
    """Makes web briefs, remembering the last few until the store changes."""

    def __init__(self, path: str, sync_search: Callable[[], object] = lambda: None) -> None:
        self.path = path
        #: Brings the full-text index up to date (the server's writer does it) before a topic is searched.
        self.sync_search = sync_search
        self._lock = threading.Lock()
        self._made: OrderedDict[tuple, Brief] = OrderedDict()
        self._vocabulary: tuple[int, Vectorizer] | None = None

    def make(self, conn: Connection, ask: BriefRequest) -> Brief:
        """The brief ``ask`` describes, over a read-only connection (the search index must be synced
        when ``ask.topic`` is set). Raises :class:`~storyline.stories.brief.BriefError`."""
        if ask.topic:
            self.sync_search()
        store = read_only_store(conn, shown(self.path))
        last_seq = int(conn.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()[0])
        mark = read_mark(store) if ask.since_last else None
        key = (ask, last_seq, mark)
        with self._lock:
            if key in self._made:
                self._made.move_to_end(key)
                return self._made[key]
        brief = build_brief(store, self._vectorizer(store, last_seq), since=ask.since, since_last=ask.since_last,
                            topic=ask.topic, limit=ask.limit)
        with self._lock:
            self._made[key] = brief
            while len(self._made) > KEEP:
                self._made.popitem(last=False)
        return brief

    def _vectorizer(self, store: Store, last_seq: int) -> Vectorizer:
        """The saved vocabulary, reloaded when articles arrived (so the web brief says what the CLI says)."""
        with self._lock:
            if self._vocabulary is not None and self._vocabulary[0] == last_seq:
                return self._vocabulary[1]
        vec = stored_vectorizer(store)
        with self._lock:
            self._vocabulary = (last_seq, vec)
        return vec


__all__ = ["BriefError", "BriefRequest", "Briefs", "parse_since", "request"]
