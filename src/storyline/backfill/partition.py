"""Running the online engine on one partition, exactly as ``ingest`` would on that slice of the stream.

The engine writes into a throw-away in-memory store, so a worker needs no database and no shared
disk. What comes back is plain data (picklable for Ray or Dask): the stored rows of the articles the
partition owns, and the stories its warm-up articles ended in, for stitching.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..config import Config
from ..model import Article
from ..store.base import ArticleRow


@dataclass
class PartitionResult:
    """What one partition decided.

    ``documents`` and ``df`` are what the owned articles added to the engine's document frequencies
    (the warm-up's are counted by the partition that owns it), ``common`` the words it saw in lower
    case: summed over partitions, they are the vocabulary one process would have learned.

    ``rows`` are the stored rows of the articles the partition owns, in order, with ``story`` set to
    the partition's live story (merges applied). ``links`` maps every warm-up article id to the story
    it was in when the warm-up ended, and ``finals`` each of those stories to the live story it is
    part of at the end (the owned articles may have merged some). ``duplicates`` maps owned exact
    duplicates to the id they repeat. Story ids are local to the partition.
    """

    index: int
    rows: list[ArticleRow] = field(default_factory=list)
    links: dict[str, int] = field(default_factory=dict)
    finals: dict[int, int] = field(default_factory=dict)
    duplicates: dict[str, str] = field(default_factory=dict)
    documents: int = 0
    df: dict[str, int] = field(default_factory=dict)
    common: set[str] = field(default_factory=set)
    seconds: float = 0.0


def run_partition(index: int, warmup: Sequence[Article], owned: Sequence[Article],
                  config: Config | None = None) -> PartitionResult:
    """Add ``warmup`` then ``owned`` articles to a fresh engine, in order, and report the stories."""
    from ..engine import Engine

    started = time.perf_counter()
    engine = Engine(None, config, batch_size=5000)
    result = PartitionResult(index)
    seen: dict[str, str] = {}  # warm-up article id -> the id whose story it shares
    # add_many: the engine may embed articles in batches, much faster than one by one.
    for article, a in zip(warmup, engine.add_many(warmup)):
        seen[article.id] = (a.copy_of or article.id) if a.kind == "duplicate" else article.id
    for article_id, same_as in seen.items():
        story = engine.story_of(same_as)
        if story is not None:
            result.links[article_id] = story
    vec = engine.vectorizer
    warm_documents, warm_df = vec.documents, dict(vec.df)
    owned_ids: set[str] = set()
    for article, a in zip(owned, engine.add_many(owned)):
        if a.kind != "duplicate":
            owned_ids.add(article.id)
        elif article.id not in owned_ids:
            result.duplicates[article.id] = a.copy_of or article.id
    engine.flush()
    result.documents = vec.documents - warm_documents
    result.df = {w: n - warm_df.get(w, 0) for w, n in vec.df.items() if n > warm_df.get(w, 0)}
    result.common = set(vec.common)
    for article_id, story in result.links.items():
        if story not in result.finals:
            final = engine.story_of(seen[article_id])
            result.finals[story] = story if final is None else final
    for row in engine.store.replay():
        if row.id in owned_ids:
            live = engine.story_of(row.id)
            result.rows.append(_with_story(row, row.story if live is None else live))
    engine.close()
    result.seconds = time.perf_counter() - started
    return result


def _with_story(row: ArticleRow, story: int) -> ArticleRow:
    if row.story == story:
        return row
    return ArticleRow(row.seq, row.id, row.title, row.text, row.url, row.canonical_url, row.published,
                      row.source, row.lang, story, row.kind, row.copy_of, row.text_key, row.score, row.why,
                      row.features)
