"""Nearest stories by meaning: candidates that share no words with an article (another language, a
paraphrased headline), found through the stories' embedding centroids.

Exact search over the stories still active (the clusterer drops a story from here once it is idle for
longer than ``Config.max_idle_hours``), so its size follows the stream's rate, not the archive's: the
cost per article stays flat as the archive grows. Rows live in one growing float32 matrix; one matrix
product scores them all. An approximate index (usearch, faiss) can replace this class behind the same
four methods when the active set grows into the millions.

>>> import numpy as np
>>> index = MeaningIndex(dim=2)
>>> index.put(1, np.array([1.0, 0.0])); index.put(2, np.array([0.0, 3.0]))
>>> index.nearest(np.array([0.6, 0.8], dtype=np.float32), k=1)
[(2, 0.8)]
>>> index.remove(2); len(index)
1
"""

from __future__ import annotations

from typing import Any


class MeaningIndex:
    """Unit-length story centroids, searchable by cosine."""

    def __init__(self, dim: int) -> None:
        import numpy as np

        self.dim = dim
        self._rows = np.zeros((64, dim), dtype=np.float32)
        self._ids: list[int] = []
        self._pos: dict[int, int] = {}

    def __len__(self) -> int:
        return len(self._ids)

    def __contains__(self, story: int) -> bool:
        return story in self._pos

    def ids(self) -> list[int]:
        """The stories held, in row order."""
        return list(self._ids)

    def put(self, story: int, centroid: Any) -> None:
        """Insert or replace a story's centroid (any length: it is normalised here)."""
        import numpy as np

        norm = float(np.linalg.norm(centroid))
        if norm == 0.0:
            self.remove(story)
            return
        row = self._pos.get(story)
        if row is None:
            row = len(self._ids)
            if row == len(self._rows):
                self._rows = np.concatenate([self._rows, np.zeros_like(self._rows)])
            self._ids.append(story)
            self._pos[story] = row
        self._rows[row] = centroid / norm

    def remove(self, story: int) -> None:
        """Forget a story (merged away, or idle too long); the last row takes its place."""
        row = self._pos.pop(story, None)
        if row is None:
            return
        last = len(self._ids) - 1
        if row != last:
            moved = self._ids[last]
            self._rows[row] = self._rows[last]
            self._ids[row] = moved
            self._pos[moved] = row
        self._ids.pop()

    def nearest(self, vector: Any, k: int, floor: float = -1.0) -> list[tuple[int, float]]:
        """Up to ``k`` stories most similar to ``vector`` (unit length), best first, above ``floor``.

        Ties go to the lower story id, so the answer never depends on row order.
        """
        import numpy as np

        n = len(self._ids)
        if n == 0 or k <= 0:
            return []
        sims = self._rows[:n] @ vector
        if n > k:
            top = np.argpartition(-sims, k - 1)[:k]
        else:
            top = np.arange(n)
        found = [(self._ids[i], round(float(sims[i]), 6)) for i in top if sims[i] > floor]
        found.sort(key=lambda t: (-t[1], t[0]))
        return found
