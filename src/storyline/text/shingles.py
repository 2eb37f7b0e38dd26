"""Bottom-k sketches of word shingles, to spot near-identical copies (wire stories republished).

Broder's resemblance (1997) estimated from one hash function: the k smallest shingle hashes of a text
stand for the whole set. Two texts' Jaccard similarity is estimated from the k smallest hashes of the
union of their sketches. Words are hashed with CRC-32 and shingles as tuples of those integers (whose
hash CPython does not randomise), so sketches are the same in every process and can be stored. Only
the opening of a body is sketched: a copy with a trimmed ending or a new headline keeps its opening
paragraphs word for word.
"""

from __future__ import annotations

import heapq
import zlib
from collections.abc import Sequence

_word_hash: dict[str, int] = {}


def _hash(word: str) -> int:
    h = _word_hash.get(word)
    if h is None:
        h = zlib.crc32(word.encode("utf-8"))
        if len(_word_hash) < 1_000_000:
            _word_hash[word] = h
    return h


def sketch(words: list[str], k: int = 32, max_words: int = 150) -> tuple[int, ...]:
    """The ``k`` smallest hashes of the 4-word shingles of the first ``max_words`` words.

    >>> len(sketch("one two three four five six".split()))
    3
    """
    cache = _word_hash
    hs = [cache.get(w) or _hash(w) for w in words[:max_words]]
    shingles = set(map(hash, zip(hs, hs[1:], hs[2:], hs[3:])))
    return tuple(sorted(shingles)[:k])


def resemblance(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two sketches.

    >>> s = sketch("the quick brown fox jumps over the lazy dog near the river bank today".split())
    >>> resemblance(s, s)
    1.0
    """
    if not a or not b:
        return 0.0
    k = min(len(a), len(b))
    both = set(a).intersection(b)
    if not both:
        return 0.0
    union = heapq.nsmallest(k, set(a).union(b))
    return sum(1 for h in union if h in both) / k
