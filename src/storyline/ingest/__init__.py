"""Ingest stage: read articles from JSONL, CSV, RSS/Atom files or stdin into :class:`~storyline.model.Article`."""

from .records import BadRecord, canonical_url, to_article
from .sources import Problem, read_source

__all__ = ["BadRecord", "Problem", "canonical_url", "read_source", "to_article"]
