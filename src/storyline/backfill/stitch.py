"""Stitching partitions together: stories that share an article in an overlap are one story.

Every partition numbers its stories on its own. A warm-up article of partition *i* is owned by
partition *i - 1*, so it is in one story of each: those two stories are the same story, and a
union-find over ``(partition, story)`` pairs joins them, transitively, across every boundary. A story
is joined to the one earlier story that holds most of its warm-up articles (see :func:`_best_matches`).
Final
stories are numbered 1, 2, ... in the order of their first article, so the same plan always gives the
same ids.

>>> from storyline.store.base import ArticleRow
>>> def row(i, story): return ArticleRow(i, f"a{i}", "t", "", None, None, None, None, None, story,
...                                      "new", None, f"k{i}", 0.0, "{}", b"")
>>> first = PartitionResult(0, rows=[row(1, 1), row(2, 2), row(3, 1)])
>>> second = PartitionResult(1, rows=[row(4, 1), row(5, 2)], links={"a3": 1})
>>> [r.story for r in stitch([first, second]).rows]
[1, 2, 1, 1, 3]
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..store.base import ArticleRow
from .partition import PartitionResult


class UnionFind:
    """Disjoint sets of hashable items, with path halving and union by size.

    >>> u = UnionFind()
    >>> u.union("a", "b"); u.union("c", "b")
    >>> u.find("a") == u.find("c"), u.find("a") == u.find("d")
    (True, False)
    """

    def __init__(self) -> None:
        self.parent: dict[object, object] = {}
        self.size: dict[object, int] = {}

    def find(self, item: object) -> object:
        parent = self.parent
        if item not in parent:
            parent[item] = item
            self.size[item] = 1
            return item
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    def union(self, a: object, b: object) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return
        if self.size[ra] < self.size[rb]:
            ra, rb = rb, ra
        self.parent[rb] = ra
        self.size[ra] += self.size[rb]


@dataclass
class Stitched:
    """The backfill's result: rows to store (global story ids, ``seq`` 1, 2, ... in stream order) and
    the story of every article id read, exact duplicates included. ``joins`` counts the unions that
    tied two different stories together across a boundary. ``documents``, ``df`` and ``common`` are the
    vocabulary learned over the whole stream."""

    rows: list[ArticleRow] = field(default_factory=list)
    story_of: dict[str, int] = field(default_factory=dict)
    joins: int = 0
    documents: int = 0
    df: Counter = field(default_factory=Counter)
    common: set[str] = field(default_factory=set)


def stitch(results: Sequence[PartitionResult]) -> Stitched:
    """Join the partitions' stories through their overlaps and renumber them."""
    results = sorted(results, key=lambda r: r.index)
    uf = UnionFind()
    owner: dict[str, tuple[int, int]] = {}  # article id -> (partition, local story) where it is owned
    for result in results:
        for row in result.rows:
            owner.setdefault(row.id, (result.index, row.story))
    out = Stitched()
    for result in results:
        for node, earlier in _best_matches(result, owner):
            if uf.find(node) != uf.find(earlier):
                out.joins += 1
                uf.union(node, earlier)
    number: dict[object, int] = {}
    seen_url: dict[str, str] = {}
    seen_text: dict[tuple[str, str], str] = {}
    duplicates: dict[str, str] = {}
    for result in results:
        duplicates.update({d: o for d, o in result.duplicates.items() if d not in duplicates})
        for row in result.rows:
            if row.id in out.story_of:
                continue  # the same id owned twice (repeated far apart): the first one stands
            original = (seen_url.get(row.canonical_url) if row.canonical_url else None) or \
                seen_text.get((row.text_key, row.source or ""))
            if original is not None:  # a duplicate across partitions, as `ingest` would skip it
                out.story_of[row.id] = out.story_of[original]
                continue
            root = uf.find((result.index, row.story))
            story = number.setdefault(root, len(number) + 1)
            out.story_of[row.id] = story
            if row.canonical_url:
                seen_url.setdefault(row.canonical_url, row.id)
            seen_text.setdefault((row.text_key, row.source or ""), row.id)
            out.rows.append(_renumbered(row, len(out.rows) + 1, story))
    for result in results:
        out.documents += result.documents
        out.df.update(result.df)
        out.common |= result.common
    for dup, original in duplicates.items():
        chain = 0
        while original not in out.story_of and original in duplicates and chain < 100:
            original, chain = duplicates[original], chain + 1
        if dup not in out.story_of and original in out.story_of:
            out.story_of[dup] = out.story_of[original]
    return out


def _best_matches(result: PartitionResult, owner: dict[str, tuple[int, int]]
                  ) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Pairs ``(story here, earlier story)`` to join.

    Each story as it stood at the end of the warm-up is tied to the one earlier story holding most
    of its warm-up articles (ties: the one met first), then stands for the live story it ended in.
    A partition's engine starts cold, and when it lumps the warm-up articles of two earlier stories
    into one, tying it to both would merge them and, from boundary to boundary, chain large stories
    together. A merge decided later, by the partition's own articles, is kept: the two warm-up
    stories end in one live story, which is tied to both their earlier stories.
    """
    shared: dict[int, dict[tuple[int, int], int]] = {}
    for article_id, story in result.links.items():
        node = owner.get(article_id)
        if node is not None:  # None: an exact duplicate in the owner; its original speaks for it
            counts = shared.setdefault(story, {})
            counts[node] = counts.get(node, 0) + 1
    return [((result.index, result.finals.get(story, story)), max(counts, key=counts.__getitem__))
            for story, counts in shared.items()]


def _renumbered(row: ArticleRow, seq: int, story: int) -> ArticleRow:
    """The row with its place in the whole stream and its final story. The decision's own story ids
    (runner-up, merged, the story it was placed in) were local to the partition, so they are dropped
    from ``why`` (the final story stands for the one it was placed in)."""
    why = json.loads(row.why)
    for key in ("runner_up", "runner_up_score", "merged", "placed_in"):
        why.pop(key, None)
    return ArticleRow(seq, row.id, row.title, row.text, row.url, row.canonical_url, row.published,
                      row.source, row.lang, story, row.kind, row.copy_of, row.text_key, row.score,
                      json.dumps(why, separators=(",", ":")), row.features)
