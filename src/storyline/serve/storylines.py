"""Storylines for the server: the links between stories, read from the stored decisions (one pass of
SQL over the articles' ``why``, about 0.3 s on 50k articles), then a lookup for each story page.

The pass runs in the background: at start-up, and again when articles were added since (pages show
the storylines of the last pass meanwhile), so no page waits for it."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from ..config import Config
from ..model import Story
from ..store.base import StoryRow
from ..store.reads import MERGES_SQL, resolver, runner_up_rows, runner_ups_sql
from ..stories.storylines import gather, name_of
from .cache import Descriptions, story_rows
from .db import Connection, close_connection, log_failure, open_connection
from .dialect import dialect_of

log = logging.getLogger("storyline.serve")


@dataclass(frozen=True, slots=True)
class StorylineView:
    """The storyline a story page shows: its name and its stories (the page's own included)."""

    id: int
    name: str
    stories: tuple[Story, ...]
    #: Stories in the storyline in all (the page lists the most recent few).
    total: int = 0


#: Stories of a storyline a page lists (the most recently active; the count says how many in all).
SHOWN = 10


class Storylines:
    """Groups of linked stories, recomputed in the background when articles were added."""

    def __init__(self, path: str | None = None, config: Config | None = None) -> None:
        self.path = path
        self.config = config or Config()
        self._lock = threading.Lock()
        self._seq = -1
        self._group_of: dict[int, tuple[int, ...]] = {}
        self._running: threading.Thread | None = None
        self._first_running = threading.Event()
        self._first_done = threading.Event()

    def refresh(self, conn: Connection) -> None:
        """Recompute the groups if articles were added since the last pass (any thread)."""
        (seq,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM articles").fetchone()
        if seq == self._seq:
            return
        group_of = self._compute(conn)
        with self._lock:
            self._group_of, self._seq = group_of, seq

    def _refresh_later(self, conn: Connection) -> None:
        """Start a background pass when the groups are out of date (pages keep the last ones)."""
        (seq,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM articles").fetchone()
        if seq == self._seq:
            return
        if self._seq == -1 and self._first_running.is_set():
            # The start-up pass is under way: wait a moment for it (a small store is done at once),
            # else show no storyline this time rather than compute a second pass beside it.
            self._first_done.wait(0.2)
            return
        if self._seq == -1 or self.path is None:  # never computed (or no file to reopen): now, once
            self.refresh(conn)
            return
        with self._lock:
            if self._running is not None and self._running.is_alive():
                return
            self._running = threading.Thread(target=self._background, name="storyline-storylines", daemon=True)
            self._running.start()

    def refresh_now(self) -> None:
        """One pass on a connection of its own (the server runs it at start-up, in the background)."""
        self._first_running.set()
        try:
            self._background()
        finally:
            self._first_done.set()
            self._first_running.clear()

    def _background(self) -> None:
        assert self.path is not None
        try:
            conn = open_connection(self.path, readonly=True)
            try:
                self.refresh(conn)
            finally:
                close_connection(conn)
        except Exception as exc:  # noqa: BLE001 - logged; the next story page asks again
            log_failure(log, "storylines: pass failed", exc)

    def _compute(self, conn: Connection) -> dict[int, tuple[int, ...]]:
        cfg = self.config
        d = dialect_of(conn)
        rows = conn.execute(runner_ups_sql(d.json_number, "?"), (cfg.storyline_low,))
        links = gather(runner_up_rows(rows), cfg.storyline_evidence, cfg.storyline_low, cfg.storyline_max_stories)
        merged = {int(a): int(b) for a, b in conn.execute(MERGES_SQL)}
        group_of = {}
        for group in links.groups(resolver(merged)):
            for story in group:
                group_of[story] = group
        return group_of

    def of(self, conn: Connection, cache: Descriptions, row: StoryRow) -> StorylineView | None:
        """The storyline ``row`` belongs to (its :data:`SHOWN` most recent stories, ``row`` among them),
        or ``None`` when it stands alone."""
        self._refresh_later(conn)
        with self._lock:
            group = self._group_of.get(row.id)
        if not group:
            return None
        rows = story_rows(conn, group)
        recent = sorted(rows.values(), key=lambda r: (r.id != row.id, -(r.last_seen or 0.0), r.id))[:SHOWN]
        descs = cache.get_many(conn, recent)
        rows = {r.id: r for r in recent}
        stories = [Story(r.id, descs[r.id].headline, descs[r.id].summary, r.articles, r.outlets, r.first_seen,
                         r.last_seen, tuple(descs[r.id].entities)) for r in rows.values()]
        if len(stories) < 2:
            return None
        stories.sort(key=lambda s: (-(s.last_seen or 0.0), s.id))
        return StorylineView(min(group), name_of(stories), tuple(stories), len(group))
