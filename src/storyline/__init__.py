"""storyline: turn a firehose of news into stories.

>>> from storyline import Engine, Article
>>> engine = Engine()                      # in memory; Engine("news.db") keeps a SQLite file
>>> a = engine.add(Article(id="1", title="Quake strikes Qeshm island off Iran", published=0.0))
>>> b = engine.add(Article(id="2", title="Strong quake strikes Iran's Qeshm island", published=3600.0))
>>> a.story_id == b.story_id, b.kind
(True, 'joined')
>>> engine.story(a.story_id).articles
2
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import Config
from .model import Article, Assignment, CoverageItem, Entity, Story

if TYPE_CHECKING:
    from .engine import Engine
    from .evaluate.run import EvalError
    from .ingest.records import BadRecord
    from .stories.reader import StoryReader
    from .stories.storylines import Storyline
    from .store.errors import StoreError
    from .text.embeddings import EmbeddingError

__all__ = ["Article", "Assignment", "BadRecord", "Config", "CoverageItem", "EmbeddingError", "Engine", "Entity",
           "EvalError", "Story", "StoreError", "StoryReader", "Storyline"]

#: Names imported on first use, and where from: what they pull in must not slow `import storyline`.
_LAZY = {"Engine": ".engine", "StoryReader": ".stories.reader", "Storyline": ".stories.storylines",
         "BadRecord": ".ingest.records", "EmbeddingError": ".text.embeddings", "EvalError": ".evaluate.run",
         "StoreError": ".store.errors"}
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # The engine pulls in the store and the clusterer; keep `import storyline` itself light.
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'storyline' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The lazily imported names too, so a notebook's tab completion offers Engine and StoryReader.
    return sorted(set(globals()) | set(__all__))
