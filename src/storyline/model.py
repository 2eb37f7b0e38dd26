"""The small typed records that travel through the pipeline: articles in, assignments and stories out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone


def iso(ts: float | None) -> str | None:
    """A Unix time as every JSON of storyline's writes it: ISO 8601 in UTC, to the second.

    >>> iso(0.0), iso(None)
    ('1970-01-01T00:00:00Z', None)
    """
    return None if ts is None else datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Article:
    """One news article as it enters the engine.

    ``published`` is a Unix timestamp in seconds (UTC) or ``None`` when the source gives no date. The
    text fields are ``str`` (``url``, ``source`` and ``lang`` may be ``None``); ``id`` names the
    article, so another article with the same id is a duplicate of it.

    >>> Article(id="a1", title="Quake hits coast").text
    ''
    """

    id: str
    title: str
    text: str = ""
    url: str | None = None
    published: float | None = None
    source: str | None = None
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class Assignment:
    """What the engine decided for one article, with the scores that decided it.

    ``kind`` is ``"new"`` (started a story), ``"joined"`` (joined an existing story), ``"copy"``
    (near-identical copy of ``copy_of``), or ``"duplicate"`` (an exact copy already stored: nothing
    changed; ``copy_of`` is the stored article it repeats, itself when its id was seen before).
    ``score`` and ``scores`` are those of its best candidate story (for ``"new"``, the closest story,
    which scored below the threshold; for ``"copy"``, the shingle resemblance): ``scores`` holds the
    title, body, names and meaning similarities that apply, ``hours_apart`` and the ``total``.
    ``runner_up`` is the best story it did not join, if any; ``merged`` the stories it tied into its own;
    ``reopened`` says that the story had gone quiet for longer than ``Config.max_idle_hours`` and
    the article, a follow-up retelling it (an arrest, a trial), brought it back.
    """

    article_id: str
    story_id: int
    kind: str
    score: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    copy_of: str | None = None
    runner_up: int | None = None
    runner_up_score: float = 0.0
    merged: tuple[int, ...] = ()
    reopened: bool = False


@dataclass(frozen=True, slots=True)
class Entity:
    """A named person, place or organisation (``type`` is ``person``, ``place``, ``org`` or ``other``)."""

    name: str
    type: str
    count: int = 1


@dataclass(frozen=True, slots=True)
class CoverageItem:
    """An article in a story's coverage list; ``copies`` are near-identical republications of it."""

    article_id: str
    title: str
    url: str | None
    source: str | None
    published: float | None
    copies: tuple["CoverageItem", ...] = ()


@dataclass(frozen=True, slots=True)
class Story:
    """A story as a reader sees it: one real-world event, named and explained.

    - ``headline``: the title nearest the story's centre (its most representative, not its first),
      without an outlet's name at its end; ``summary``: one to three sentences of its articles.
    - ``articles``: how many it holds, copies included; ``outlets``: how many distinct sources (as
      written: "Reuters" and "reuters" are two; articles without one count as one "unknown outlet").
    - ``first_seen``, ``last_seen``: Unix seconds of its first and last dated article (``None`` if
      none is dated).
    - ``entities``: the names most of its articles mention, typed (display only, best effort);
      ``keywords``: its heaviest words, as its articles write them.
    - ``timeline``: ``(period, articles)`` with gaps as zeros, undated articles left out: per hour
      (``"2026-11-20T07:00Z"``) for a story up to three days long, else per day (``"2026-11-20"``).
    - ``coverage``: ``(outlet, items)`` with the outlets that carried most first; each
      :class:`CoverageItem` holds its near-identical copies.
    """

    id: int
    headline: str
    summary: str
    articles: int
    outlets: int
    first_seen: float | None
    last_seen: float | None
    entities: tuple[Entity, ...] = ()
    keywords: tuple[str, ...] = ()
    timeline: tuple[tuple[str, int], ...] = ()
    coverage: tuple[tuple[str, tuple[CoverageItem, ...]], ...] = ()
    #: Languages of its articles with their counts, most articles first.
    languages: tuple[tuple[str, int], ...] = ()
