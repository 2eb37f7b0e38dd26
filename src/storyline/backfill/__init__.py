"""Partitioned backfill: cluster a large archive in parallel with the online engine.

The stream, in published order, is cut into time partitions that overlap (:mod:`.plan`); the online
engine runs on each partition, here or on Ray or Dask (:mod:`.partition`, :mod:`.executors`); stories
that share an article in an overlap are joined (:mod:`.stitch`); the result is written to a store
(:mod:`.write`). :func:`backfill` does all of it.
"""

from .pipeline import BackfillReport, backfill
from .executors import ENGINES, ExecutorError
from .write import StoreNotEmpty

__all__ = ["BackfillReport", "ENGINES", "ExecutorError", "StoreNotEmpty", "backfill"]
