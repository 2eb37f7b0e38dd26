"""Stories read from a store, for the commands and programs that only look (``stories``, ``show``,
``why``, ``search``).

An :class:`~storyline.engine.Engine` rebuilds its memory of every active story when it opens, which
takes seconds per hundred thousand stored articles: the price of placing new ones. Describing a
story needs only the store and the vocabulary the engine saved, so a reader opens in milliseconds
however large the store is. Both describe stories with the same functions, below.

>>> from storyline import Article, Config, Engine
>>> engine = Engine(config=Config(embeddings="none"))
>>> _ = engine.add(Article(id="a", title="Flood closes Danube ports in Vienna", published=0.0))
>>> engine.flush()  # what is written is what a reader sees
>>> StoryReader(engine.store).story(1).headline
'Flood closes Danube ports in Vienna'
"""

from __future__ import annotations

import json
import numbers
import os
from typing import TYPE_CHECKING, Any

from ..config import MAX_INT, Config
from ..model import Story
from ..text.features import Vectorizer
from .vocabulary import stored_vectorizer

if TYPE_CHECKING:  # pragma: no cover
    from ..store.base import Store
    from .storylines import Storyline


def _check_window(since: object, limit: object) -> None:
    """Refuse a ``since`` or ``limit`` a database would take and quietly misread (``"24h"`` compared
    as text, ``-1`` as no limit), with an error that names it.

    >>> _check_window(None, 20)
    >>> _check_window("24h", 20)
    Traceback (most recent call last):
    ...
    TypeError: since must be Unix seconds (a float) or None, not str: '24h' (storyline.config.parse_duration reads '24h' as an age)
    """
    if isinstance(limit, bool) or not isinstance(limit, numbers.Integral):  # numpy's integers are whole numbers too
        raise TypeError(f"limit must be a whole number, not {type(limit).__name__}: {limit!r}")
    if limit < 0:
        raise ValueError(f"limit must be 0 or more (got {limit})")
    if since is not None and (isinstance(since, bool) or not isinstance(since, numbers.Real)):
        hint = " (storyline.config.parse_duration reads '24h' as an age)" if isinstance(since, str) else ""
        raise TypeError(f"since must be Unix seconds (a float) or None, not {type(since).__name__}: {since!r}{hint}")


def read_stories(store: "Store", vectorizer: Vectorizer, since: float | None = None, limit: int = 20,
                 sort: str = "activity") -> list[Story]:
    """Stories described for a reader: most recently active first, or (``sort="coverage"``) the most
    widely covered first; at most ``limit``, only those active since ``since`` (Unix seconds) if given."""
    from .describe import describe

    _check_window(since, limit)
    return [describe(row, store.story_articles(row.id), vectorizer)
            for row in store.stories(since=_seconds(since), limit=int(limit), sort=sort)]


def read_story(store: "Store", vectorizer: Vectorizer, story_id: int) -> Story | None:
    """One story, described for a reader (a merged id gives the story that absorbed it), or ``None``
    if there is no such story. An id that is not a whole number raises ``TypeError``."""
    from .describe import describe

    if isinstance(story_id, bool) or not isinstance(story_id, numbers.Integral):
        raise TypeError(f"a story id is a whole number, not {type(story_id).__name__}: {story_id!r}")
    story_id = int(story_id)
    if not 0 < story_id <= MAX_INT:  # ids count from 1; a database cannot even compare a larger one
        return None
    row = store.story(story_id)
    if row is None:
        return None
    return describe(row, store.story_articles(row.id), vectorizer)


def _seconds(since: object) -> float | None:
    return None if since is None else float(since)  # type: ignore[arg-type]  # checked by _check_window


def read_why(store: "Store", vectorizer: Vectorizer, article_id: str) -> dict[str, Any] | None:
    """Why an article is where it is, as ``storyline why --json`` prints it, or ``None`` if it is not stored.

    Keys: ``id`` (and ``article``, the same), ``title``, ``story`` (the story it is in now), ``headline``
    (of that story), ``placed_in`` (the story it was placed in, which may have merged since) and the
    stored decision:
    ``kind`` (``new``, ``joined`` or ``copy``), ``score``, ``scores`` (title, body, names and
    meaning similarity, hours apart, total; a copy's shingle resemblance), ``threshold``, and when
    they apply ``runner_up`` and ``runner_up_score`` (the best story not joined), ``merged`` (stories
    this article tied into its own), ``copy_of``, and ``furniture`` (character spans of its text left
    out as its outlet's page furniture) and ``title_end`` (where its title's outlet tail begins).
    """
    if not isinstance(article_id, str):
        raise TypeError(f"an article id is a str, not {type(article_id).__name__}: {article_id!r}")
    row = store.article(article_id)
    if row is None:
        return None
    live = store.resolve(row.story)
    story = read_story(store, vectorizer, live)
    # "id" as the HTTP API names the article ("article" kept for programs that read it)
    return {"id": row.id, "article": row.id, "title": row.title, "story": live,
            "headline": story.headline if story else None, "placed_in": row.story, **json.loads(row.why)}


def read_storylines(store: "Store", vectorizer: Vectorizer, config: Config, limit: int = 20,
                    since: float | None = None, sort: str = "activity") -> list["Storyline"]:
    """Related stories tied into storylines (see :mod:`storyline.stories.storylines`), most recently
    active first (``sort="coverage"``: most articles first, then outlets summed over its stories),
    only those active since ``since`` (Unix seconds) if given. Reads every stored decision: a
    command's work, not a page's."""
    from .storylines import assemble, gather

    from ..store.reads import resolver

    if sort not in ("activity", "coverage"):
        raise ValueError(f"unknown storyline order: {sort!r} (activity or coverage)")
    _check_window(since, limit)
    since, limit = _seconds(since), int(limit)
    groups = gather(store.runner_ups(config.storyline_low), config.storyline_evidence, config.storyline_low,
                    config.storyline_max_stories).groups(resolver(store.merges()))
    # The order (then the smallest story id, as a Storyline sorts) needs only the stories' counters:
    # only the storylines shown are described (most of the time, at scale).
    ranked = []
    for group in groups:
        rows = [r for r in map(store.story, group) if r is not None]
        if len(rows) < 2:
            continue
        last = max(r.last_seen or 0.0 for r in rows)
        if since is not None and last < since:
            continue
        key = (-last,) if sort == "activity" else (-sum(r.articles for r in rows), -sum(r.outlets for r in rows), -last)
        ranked.append((key, min(r.id for r in rows), [r.id for r in rows]))
    ranked.sort()
    return [assemble([s for s in (read_story(store, vectorizer, i) for i in ids) if s is not None])
            for _, _, ids in ranked[:limit]]


class StoryReader:
    """Stories of a store, read without starting an engine.

    ``store`` is a path to an SQLite file (a ``str`` or a :class:`pathlib.Path`), a ``postgresql://``
    URL or an open :class:`~storyline.store.base.Store` (left open by :meth:`close`). A reader never
    creates a store: an SQLite file that is not there raises
    :class:`~storyline.store.errors.StoreError`, as does using a closed reader. Keywords are weighed
    with the vocabulary the engine last saved, which every finished ``ingest`` brings up to date.
    """

    def __init__(self, store: "Store | str | os.PathLike[str]", config: Config | None = None) -> None:
        from ..store.errors import StoreError

        if config is not None and not isinstance(config, Config):
            raise TypeError(f"config must be a storyline.Config, not {type(config).__name__}")
        self.config = config or Config()
        if isinstance(store, os.PathLike):
            store = os.fspath(store)
        self._owned = isinstance(store, str)
        if isinstance(store, str):
            from ..store.open import open_store, sqlite_path

            path = sqlite_path(store)  # refuses an empty one (open_store would take the default)
            if path is not None and path != ":memory:" and not os.path.exists(path):
                raise StoreError(f"{store}: no such store (a reader never creates one; an Engine does)")
            store = open_store(store)
        elif not (hasattr(store, "story") and hasattr(store, "story_articles")):  # Store is a Protocol
            raise TypeError(f"store must be a path, a postgresql:// URL or a Store, not {type(store).__name__}")
        self.store: Store = store
        self._vectorizer: Vectorizer | None = None
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            from ..store.errors import StoreError

            raise StoreError("this StoryReader is closed; open a new one to go on")

    @property
    def vectorizer(self) -> Vectorizer:
        """The saved vocabulary, loaded on first use."""
        if self._vectorizer is None:
            self._vectorizer = stored_vectorizer(self.store)
        return self._vectorizer

    def stories(self, *, since: float | None = None, limit: int = 20, sort: str = "activity") -> list[Story]:
        """Stories described for a reader: most recently active first, or (``sort="coverage"``) the most
        widely covered first; at most ``limit``, only those active since ``since`` (Unix seconds) if given."""
        self._check_open()
        return read_stories(self.store, self.vectorizer, since, limit, sort)

    def story(self, story_id: int) -> Story | None:
        """One story (a merged id gives the story that absorbed it), or ``None`` if there is no such story."""
        self._check_open()
        return read_story(self.store, self.vectorizer, story_id)

    def storylines(self, *, limit: int = 20, since: float | None = None, sort: str = "activity") -> list["Storyline"]:
        """Related stories tied into storylines, most recently active first (``sort="coverage"``: most
        articles first); see :func:`read_storylines`."""
        self._check_open()
        return read_storylines(self.store, self.vectorizer, self.config, limit, since, sort)

    def why(self, article_id: str) -> dict[str, Any] | None:
        """Why an article is in its story, with the scores that decided it (see :func:`read_why`), or
        ``None`` for an article that is not stored."""
        self._check_open()
        return read_why(self.store, self.vectorizer, article_id)

    def close(self) -> None:
        """Close the store if this reader opened it (closing a closed reader does nothing)."""
        if self._owned and not self._closed:
            self.store.close()
        self._closed = True

    def __enter__(self) -> "StoryReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
