"""Store stage: where articles, stories and the engine's state live (SQLite by default)."""

from .base import ArticleRow, Store, StoryRow
from .sqlite import SQLiteStore, open_store

__all__ = ["ArticleRow", "SQLiteStore", "Store", "StoryRow", "open_store"]
