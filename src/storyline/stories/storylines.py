"""Storylines: related stories tied into one thread (troop deployment, prisoner-swap offer and arms
deliveries are three stories of one war).

The evidence is already in every clustering decision: an article placed in story A whose runner-up was
story B (scoring below the bar to join, but well above chance) says that A and B are related. A pair of
stories whose evidence adds up to ``Config.storyline_evidence`` is linked, and a storyline is a set of
stories connected by links (union-find, so it grows as the stream goes and costs nothing to keep).
Links need several articles or one strong one, so a single stray word does not tie two events, and
the strongest links are taken first up to ``Config.storyline_max_stories`` stories a storyline.

A storyline is named by the names its stories share (``Kaldoria · Veszmark``), else by the headline
of its biggest story.

>>> links = StorylineLinks(evidence=0.3, low=0.1)
>>> links.observe(1, 2, 0.2); links.observe(3, 2, 0.05)
>>> links.groups(lambda s: s)
[]
>>> links.observe(2, 1, 0.15)
>>> links.groups(lambda s: s)
[(1, 2)]
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ..model import Story


@dataclass(frozen=True, slots=True)
class Storyline:
    """Related stories, most recently active first, under one name."""

    id: int  # the smallest story id in it: stable while the storyline grows
    name: str
    stories: tuple[Story, ...]


class StorylineLinks:
    """Evidence between pairs of stories, gathered one decision at a time."""

    def __init__(self, evidence: float, low: float, max_stories: int = 25) -> None:
        self.evidence = evidence
        self.low = low
        self.max_stories = max_stories
        self._weight: dict[tuple[int, int], float] = defaultdict(float)

    def observe(self, story: int, runner_up: int | None, score: float) -> None:
        """An article went to ``story``; ``runner_up`` was the next best story, at ``score``."""
        if runner_up is None or runner_up == story or score < self.low:
            return
        self._weight[(min(story, runner_up), max(story, runner_up))] += score

    def groups(self, resolve: Callable[[int], int]) -> list[tuple[int, ...]]:
        """Sets of linked live stories (``resolve`` maps a merged story to the one that absorbed it),
        each sorted, ordered by their first story."""
        weight: dict[tuple[int, int], float] = defaultdict(float)
        for (a, b), w in self._weight.items():
            a, b = resolve(a), resolve(b)
            if a != b:
                weight[(min(a, b), max(a, b))] += w
        parent: dict[int, int] = {}
        size: dict[int, int] = defaultdict(lambda: 1)

        def find(x: int) -> int:
            root = x
            while parent.get(root, root) != root:
                root = parent[root]
            while parent.get(x, x) != root:  # path compression
                parent[x], x = root, parent[x]
            return root

        # Strongest links first, and no storyline beyond max_stories: weak links would otherwise chain
        # half an archive into one "storyline" (one story after another, each a little related).
        for (a, b), w in sorted(weight.items(), key=lambda kv: (-kv[1], kv[0])):
            if w < self.evidence:
                break
            ra, rb = find(a), find(b)
            if ra != rb and size[ra] + size[rb] <= self.max_stories:
                keep, gone = min(ra, rb), max(ra, rb)
                parent[gone] = keep
                size[keep] += size[gone]
        members: dict[int, list[int]] = defaultdict(list)
        for story in {s for pair in weight for s in pair}:
            if story in parent:
                members[find(story)].append(story)
        groups = []
        for root, stories in members.items():
            group = tuple(sorted(set(stories) | {root}))
            if len(group) > 1:
                groups.append(group)
        return sorted(groups)


def gather(decisions: Iterable[tuple[int, int | None, float]], evidence: float, low: float,
           max_stories: int = 25) -> StorylineLinks:
    """Links from stored decisions: ``(story, runner_up, runner_up_score)`` of each placed article."""
    links = StorylineLinks(evidence, low, max_stories)
    for story, runner_up, score in decisions:
        links.observe(story, runner_up, score)
    return links


def name_of(stories: Sequence[Story], limit: int = 3) -> str:
    """The names most of a storyline's stories share, else its biggest story's headline.

    >>> from storyline.model import Entity
    >>> def s(i, *names): return Story(i, f"Story {i}", "", 3, 2, 0.0, 0.0, tuple(Entity(n, "place", 2) for n in names))
    >>> name_of([s(1, "Kaldoria", "Veszmark"), s(2, "Veszmark", "Kaldoria", "Alvenia"), s(3, "Alvenia")])
    'Kaldoria · Veszmark · Alvenia'
    >>> name_of([s(1, "Lumora"), s(2, "Belmara")])
    'Story 1'
    """
    counts: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    stories = sorted(stories, key=lambda s: (-s.articles, s.id))  # the biggest story's names lead ties
    for story in stories:
        for rank, entity in enumerate(story.entities[:8]):
            counts[entity.name] += 1
            first_seen.setdefault(entity.name, len(first_seen))
    shared = sorted((n for n, c in counts.items() if c >= 2), key=lambda n: (-counts[n], first_seen[n]))
    picked: list[str] = []
    for name in shared:  # "Lumora Technologies" says nothing "Lumora" did not
        words = set(name.lower().split())
        if not any(words & set(p.lower().split()) for p in picked):
            picked.append(name)
    if picked:
        return " · ".join(picked[:limit])
    biggest = max(stories, key=lambda s: (s.articles, -s.id))
    return biggest.headline


def assemble(group: Sequence[Story]) -> Storyline:
    """A storyline from its described stories."""
    ordered = tuple(sorted(group, key=lambda s: (-(s.last_seen or 0.0), s.id)))
    return Storyline(min(s.id for s in group), name_of(group), ordered)
