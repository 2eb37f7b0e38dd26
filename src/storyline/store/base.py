"""The small interface every store backend implements, and the rows that cross it.

The engine talks only to this interface, so a server database can be added as one more class.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from .vectors import Neighbour


@dataclass(frozen=True, slots=True)
class ArticleRow:
    """An article as stored, with the decision that placed it."""

    seq: int
    id: str
    title: str
    text: str
    url: str | None
    canonical_url: str | None
    published: float | None
    source: str | None
    lang: str | None
    story: int
    kind: str
    copy_of: str | None
    text_key: str
    score: float
    why: str  # JSON of the decision's scores
    features: bytes  # the article's vectors (marshal), for replay on restart


@dataclass(frozen=True, slots=True)
class StoryRow:
    """A story's counters as stored (descriptions are computed from its articles)."""

    id: int
    articles: int
    outlets: int
    first_seen: float | None
    last_seen: float | None
    updated_seq: int


class Store(Protocol):
    """What the engine needs from a backend. All writes of one batch are atomic.

    A backend with a writer lock may also offer ``when_wanted(write_and_release)``: the engine passes
    its ``flush``, to be called when another engine on the same thread waits for that lock.
    """

    def begin_write(self) -> int:
        """Before deciding where new articles go: take the backend's writer lock, if it has one (so
        processes sharing a store take turns), and return the last article ``seq`` stored by anyone.
        ``write_batch`` or ``end_write`` releases the lock."""

    def end_write(self) -> None:
        """Release the writer lock without writing."""

    def contended(self) -> bool:
        """Whether another process waits for the writer lock this one holds (time to write and yield)."""

    def get_state(self, key: str) -> bytes | None:
        """A blob of engine state saved under ``key``."""

    def write_batch(self, articles: Sequence[ArticleRow], merges: Sequence[tuple[int, int]],
                    state: dict[str, bytes]) -> None:
        """Insert articles, apply story merges ``(gone, kept)``, save state, refresh counters: atomically."""

    def replay(self, after: int = 0) -> Iterator[ArticleRow]:
        """Every stored article with ``seq > after`` in arrival order (to rebuild or update the engine's
        memory)."""

    def article(self, article_id: str) -> ArticleRow | None:
        """One article by id."""

    def story(self, story_id: int) -> StoryRow | None:
        """One live story's counters (a merged story id resolves to the story that absorbed it)."""

    def stories(self, since: float | None = None, limit: int = 20, offset: int = 0,
                sort: str = "activity") -> list[StoryRow]:
        """Live stories, most recently active first (or most outlets first for ``sort="coverage"``),
        optionally only those active since ``since``."""

    def story_articles(self, story_id: int) -> list[ArticleRow]:
        """The articles of a story in arrival order."""

    def resolve(self, story_id: int) -> int:
        """The live story a (possibly merged) story id now belongs to."""

    def merges(self) -> dict[int, int]:
        """Each merged story id and the story that absorbed it."""

    def runner_ups(self, low: float) -> list[tuple[int, int, float]]:
        """``(story, runner_up, runner_up_score)`` of each placed article (not a copy) whose runner-up
        scored at least ``low``, in arrival order."""

    def counts(self) -> dict[str, int]:
        """Numbers of articles and live stories."""

    def nearest(self, vector: Any, k: int = 10, since: float | None = None) -> list[Neighbour]:
        """The ``k`` stored articles whose meaning vectors are most similar (cosine) to ``vector``, most
        similar first: ``(article_id, story_id, similarity)`` with the article's live story. Only
        articles published at or after ``since``, if given; articles without a vector never match."""

    def close(self) -> None:
        """Release the backend."""


def chunks(items: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    """Slices of at most ``size`` items (SQL parameter lists have limits)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
