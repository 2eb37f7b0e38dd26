"""Exact and near-identical copies.

Exact copies share an id, a canonical URL, or the same normalised text from the same outlet: they are
the same article and change nothing. Near-identical copies (the same wire text under another outlet's
headline) are found through bottom-k sketches and fold under their original.
"""

from __future__ import annotations

import hashlib
from array import array

from ..text.shingles import resemblance


def text_key(title: str, body: str) -> str:
    """A digest of the text with case and spacing normalised away.

    >>> text_key("Quake hits  coast!", "") == text_key("quake hits coast!", "")
    True
    """
    norm = " ".join(f"{title} {body}".lower().split())
    return hashlib.blake2b(norm.encode("utf-8"), digest_size=12).hexdigest()


class NearDuplicates:
    """Finds an earlier article whose body is a near-identical copy of a new one.

    Each sketch is filed under its ``bands`` smallest hashes; two texts with resemblance r share
    the smallest one with probability r, so a true copy is nearly always found, and only candidates
    that share a filed hash are compared in full.

    Lookups and memory stay flat however long the stream: only the sketches of the ``keep`` newest
    articles are kept (copies follow their original within days), and a bucket keeps only its
    ``bucket_size`` newest entries (a hash that many texts share is a stock phrase, not a sign of a
    copy).

    >>> from storyline.text.shingles import sketch
    >>> nd = NearDuplicates(threshold=0.8)
    >>> body = [f"word{i}" for i in range(60)]
    >>> nd.add(1, sketch(body))
    >>> nd.find(sketch(body + ["plus", "a", "short", "tail"]))
    (1, 0.96875)
    """

    def __init__(self, threshold: float = 0.8, bands: int = 4, keep: int = 50_000,
                 bucket_size: int = 64) -> None:
        self.threshold = threshold
        self.bands = bands
        self.keep = keep
        self.bucket_size = bucket_size
        #: Oldest first (insertion order), so the sketch to forget is the first key. Kept as arrays:
        #: a tuple of 32 Python ints takes five times the memory.
        self._sketches: dict[int, array] = {}
        #: Keys filed under each hash, oldest first (small lists: most buckets hold one key).
        self._buckets: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self._sketches)

    def find(self, sketch: tuple[int, ...]) -> tuple[int, float] | None:
        """The earliest best-matching earlier article and its resemblance, if above the threshold."""
        if not sketch:
            return None
        seen: set[int] = set()
        best: tuple[int, float] | None = None
        mine = frozenset(sketch)
        # Can the resemblance reach the threshold? Not unless enough hashes are shared (cheap, exact).
        need = self.threshold * len(sketch)
        for h in sketch[: self.bands]:
            for other in self._buckets.get(h, ()):
                if other in seen:
                    continue
                seen.add(other)
                theirs = self._sketches[other]
                if len(mine.intersection(theirs)) < min(need, self.threshold * len(theirs)):
                    continue
                r = resemblance(sketch, theirs)
                if r >= self.threshold and (best is None or r > best[1]):
                    best = (other, r)
        return best

    def add(self, key: int, sketch: tuple[int, ...]) -> None:
        """File an article's sketch under ``key``."""
        if not sketch:
            return
        sketches, buckets = self._sketches, self._buckets
        if key in sketches:
            return
        sketches[key] = array("q", sketch)
        for h in sketch[: self.bands]:  # distinct: a sketch is a sorted set
            bucket = buckets.get(h)
            if bucket is None:
                buckets[h] = [key]
            else:
                bucket.append(key)
                if len(bucket) > self.bucket_size:
                    del bucket[0]
        if len(sketches) > self.keep:
            self._forget(next(iter(sketches)))

    def _forget(self, key: int) -> None:
        for h in self._sketches.pop(key)[: self.bands]:
            bucket = self._buckets.get(h)
            if bucket is not None and key in bucket:
                bucket.remove(key)
                if not bucket:
                    del self._buckets[h]
