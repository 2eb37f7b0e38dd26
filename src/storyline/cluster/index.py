"""An inverted index from words and names to the stories that use them.

Each posting list is kept in order of last use, so a lookup reads only the most recently active
stories for a word: the cost of finding candidates stays flat however large the archive grows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from itertools import chain, islice


class InvertedIndex:
    """Maps keys to stories, most recently touched last.

    >>> ix = InvertedIndex(max_postings=2)
    >>> for story, key in [(1, "quake"), (2, "quake"), (3, "quake"), (2, "iran")]:
    ...     ix.add(story, [key])
    >>> ix.lookup(["quake", "iran"])
    Counter({2: 2, 3: 1})
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

    def lookup(self, keys: Iterable[str]) -> Counter[int]:
        """Stories sharing any of ``keys``, with how many of them they share."""
        limit = self.max_postings
        # Counted in C, in one pass over the newest ``limit`` stories of each key.
        return Counter(chain.from_iterable(islice(reversed(plist), limit)
                                           for plist in map(self._postings.get, keys) if plist))

    def remove(self, story: int, keys: Iterable[str]) -> None:
        """Forget ``story`` under ``keys`` (merged into another, or idle for long)."""
        postings = self._postings
        for key in keys:
            plist = postings.get(key)
            if plist is not None:
                plist.pop(story, None)
                if not plist:
                    del postings[key]
