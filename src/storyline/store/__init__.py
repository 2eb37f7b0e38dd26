"""Store stage: where articles, stories and the engine's state live (SQLite by default, or PostgreSQL)."""

from .base import ArticleRow, Store, StoryRow
from .errors import StoreError
from .open import open_store
from .sqlite import SQLiteStore

__all__ = ["ArticleRow", "SQLiteStore", "Store", "StoreError", "StoryRow", "open_store"]
