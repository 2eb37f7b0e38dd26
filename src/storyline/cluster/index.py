"""An inverted index from words and names to the stories that use them.

Each posting list is kept in order of last use, so a lookup reads only the most recently active
stories for a word: the cost of finding candidates stays flat however large the archive grows.
"""

from __future__ import annotations

from collections.abc import Iterable


class InvertedIndex:
    """Maps keys to stories, most recently touched last.

    >>> ix = InvertedIndex(max_postings=2)
    >>> for story, key in [(1, "quake"), (2, "quake"), (3, "quake"), (2, "iran")]:
    ...     ix.add(story, [key])
    >>> ix.lookup({"quake": 1.0, "iran": 0.5})
    {3: 1.0, 2: 1.5}
    """

    def __init__(self, max_postings: int = 200) -> None:
        self.max_postings = max_postings
        self._postings: dict[str, dict[int, None]] = {}

    def add(self, story: int, keys: Iterable[str]) -> None:
        """Record that ``story`` uses ``keys`` now."""
        postings = self._postings
        for key in keys:
            plist = postings.get(key)
            if plist is None:
                postings[key] = {story: None}
            else:
                plist.pop(story, None)
                plist[story] = None

    def lookup(self, weights: dict[str, float]) -> dict[int, float]:
        """Stories sharing any key, with the summed weights of the keys they share."""
        hits: dict[int, float] = {}
        limit = self.max_postings
        for key, weight in weights.items():
            plist = self._postings.get(key)
            if not plist:
                continue
            for n, story in enumerate(reversed(plist)):
                if n >= limit:
                    break
                hits[story] = hits.get(story, 0.0) + weight
        return hits

    def remove(self, story: int, keys: Iterable[str]) -> None:
        """Forget ``story`` under ``keys`` (merged into another, or idle for long)."""
        postings = self._postings
        for key in keys:
            plist = postings.get(key)
            if plist is not None:
                plist.pop(story, None)
                if not plist:
                    del postings[key]
