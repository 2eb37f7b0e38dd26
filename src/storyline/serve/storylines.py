"""Storylines for the server: the links between stories, read from the stored decisions once per
store version (one pass of SQL over the articles' ``why``), then a lookup for each story page."""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass

from ..config import Config
from ..model import Story
from ..store.base import StoryRow
from ..stories.storylines import gather, name_of
from .cache import Descriptions, story_rows


@dataclass(frozen=True, slots=True)
class StorylineView:
    """The storyline a story page shows: its name and its stories (the page's own included)."""

    id: int
    name: str
    stories: tuple[Story, ...]


class Storylines:
    """Groups of linked stories, recomputed when articles were added (at most every ``every`` s)."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self._lock = threading.Lock()
        self._seq = -1
        self._group_of: dict[int, tuple[int, ...]] = {}

    def _refresh(self, conn: sqlite3.Connection) -> None:
        (seq,) = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM articles").fetchone()
        if seq == self._seq:
            return
        cfg = self.config
        decisions = conn.execute(
            "SELECT story, json_extract(why, '$.runner_up'), json_extract(why, '$.runner_up_score') "
            "FROM articles WHERE kind != 'copy' AND json_extract(why, '$.runner_up_score') >= ?",
            (cfg.storyline_low,))
        links = gather(((s, r, float(x)) for s, r, x in decisions), cfg.storyline_evidence, cfg.storyline_low)
        merged = dict(conn.execute("SELECT id, merged_into FROM stories WHERE merged_into IS NOT NULL"))

        def resolve(story: int) -> int:
            while story in merged:
                story = merged[story]
            return story

        group_of = {}
        for group in links.groups(resolve):
            for story in group:
                group_of[story] = group
        self._group_of, self._seq = group_of, seq

    def of(self, conn: sqlite3.Connection, cache: Descriptions, row: StoryRow) -> StorylineView | None:
        """The storyline ``row`` belongs to, or ``None`` when it stands alone."""
        with self._lock:
            self._refresh(conn)
            group = self._group_of.get(row.id)
        if not group:
            return None
        rows = story_rows(conn, group)
        descs = cache.get_many(conn, list(rows.values()))
        stories = [Story(r.id, descs[r.id].headline, descs[r.id].summary, r.articles, r.outlets, r.first_seen,
                         r.last_seen, tuple(descs[r.id].entities)) for r in rows.values()]
        if len(stories) < 2:
            return None
        stories.sort(key=lambda s: (-(s.last_seen or 0.0), s.id))
        return StorylineView(min(s.id for s in stories), name_of(stories), tuple(stories))
