"""Exact and near-identical copies.

Exact copies share an id, a canonical URL, or the same normalised text from the same outlet: they are
the same article and change nothing. Near-identical copies (the same wire text under another outlet's
headline) are found through bottom-k sketches and fold under their original.
"""

from __future__ import annotations

import hashlib

from ..text.shingles import could_resemble, resemblance


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

    >>> from storyline.text.shingles import sketch
    >>> nd = NearDuplicates(threshold=0.8)
    >>> body = [f"word{i}" for i in range(60)]
    >>> nd.add(1, sketch(body))
    >>> nd.find(sketch(body + ["plus", "a", "short", "tail"]))
    (1, 0.96875)
    """

    def __init__(self, threshold: float = 0.8, bands: int = 4) -> None:
        self.threshold = threshold
        self.bands = bands
        self._sketches: dict[int, tuple[int, ...]] = {}
        self._buckets: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return len(self._sketches)

    def find(self, sketch: tuple[int, ...]) -> tuple[int, float] | None:
        """The earliest best-matching earlier article and its resemblance, if above the threshold."""
        if not sketch:
            return None
        seen: set[int] = set()
        best: tuple[int, float] | None = None
        for h in sketch[: self.bands]:
            for other in self._buckets.get(h, ()):
                if other in seen:
                    continue
                seen.add(other)
                theirs = self._sketches[other]
                if not could_resemble(sketch, theirs, self.threshold):
                    continue
                r = resemblance(sketch, theirs)
                if r >= self.threshold and (best is None or r > best[1]):
                    best = (other, r)
        return best

    def add(self, key: int, sketch: tuple[int, ...]) -> None:
        """File an article's sketch under ``key``."""
        if not sketch:
            return
        self._sketches[key] = sketch
        for h in sketch[: self.bands]:
            self._buckets.setdefault(h, []).append(key)
