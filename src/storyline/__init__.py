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
    from .stories.reader import StoryReader
    from .stories.storylines import Storyline

__all__ = ["Article", "Assignment", "Config", "CoverageItem", "Engine", "Entity", "Story", "StoryReader",
           "Storyline"]
__version__ = "0.1.0"


def __getattr__(name: str) -> object:
    # The engine pulls in the store and the clusterer; keep `import storyline` itself light.
    if name == "Engine":
        from .engine import Engine

        return Engine
    if name == "StoryReader":
        from .stories.reader import StoryReader

        return StoryReader
    if name == "Storyline":
        from .stories.storylines import Storyline

        return Storyline
    raise AttributeError(f"module 'storyline' has no attribute {name!r}")


def __dir__() -> list[str]:
    # The lazily imported names too, so a notebook's tab completion offers Engine and StoryReader.
    return sorted(set(globals()) | set(__all__))
