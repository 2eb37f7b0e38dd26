"""Online assignment of articles to stories (single-pass clustering with an index and merges).

Each story keeps the sums of its articles' title, body and name vectors. A new article is scored
against the stories its strongest words and names point to (never a scan of all stories); it joins
the best one if the score clears ``Config.threshold``, else it starts a story. When an article fits
two stories well and the two stories have converged, they merge. Follows the single-pass scheme of
the TDT event-detection systems (Allan et al., 1998) with the per-field similarities of Miranda et
al. (2018, "Multilingual Clustering of Streaming News").
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..text.features import Features, cosine
from .decision import MODEL_FILE, DecisionModel, pair_features
from .index import InvertedIndex
from .meaning_index import MeaningIndex

_HOUR = 3600.0
#: Articles between two sweeps that drop idle stories from the meaning index.
_PRUNE_EVERY = 1000
#: Quiet stories (idle past ``Config.max_idle_hours``) scored per article, besides the active ones: a
#: follow-up shares many keys with its story, so the few best-connected suffice (4 found every
#: reopening that 12 found on gva-incidents).
_IDLE_CANDIDATES = 4
#: Articles between two sweeps that forget stories idle for twice ``Config.max_idle_hours``.
_FORGET_EVERY = 5000


@dataclass(slots=True)
class StoryState:
    """What the clusterer remembers of a story: vector sums, their squared norms, size and time span."""

    id: int
    title: dict[str, float] = field(default_factory=dict)
    title_n2: float = 0.0
    body: dict[str, float] = field(default_factory=dict)
    body_n2: float = 0.0
    names: dict[str, float] = field(default_factory=dict)
    names_n2: float = 0.0
    size: int = 0
    first: float | None = None
    last: float | None = None
    keys: set[str] = field(default_factory=set)
    #: Sum of the members' sentence embeddings (numpy), if they have any.
    meaning: Any = None
    #: Languages of the members.
    langs: set[str] = field(default_factory=set)

    def add(self, f: Features, published: float | None) -> None:
        """Fold one article into the sums."""
        self.title_n2 = _accumulate(self.title, self.title_n2, f.title)
        self.body_n2 = _accumulate(self.body, self.body_n2, f.body)
        self.names_n2 = _accumulate(self.names, self.names_n2, f.names)
        if f.meaning is not None:
            self.meaning = f.meaning.astype("float32") if self.meaning is None else self.meaning + f.meaning
        if f.lang:
            self.langs.add(f.lang)
        self.touch(published)

    def touch(self, published: float | None) -> None:
        """Count one more article at ``published`` (copies count but do not move the vectors)."""
        self.size += 1
        if published is not None:
            self.first = published if self.first is None else min(self.first, published)
            self.last = published if self.last is None else max(self.last, published)

    def absorb(self, other: "StoryState") -> None:
        """Take in every article of ``other`` (a merge)."""
        for mine, theirs, attr in ((self.title, other.title, "title_n2"), (self.body, other.body, "body_n2"),
                                   (self.names, other.names, "names_n2")):
            setattr(self, attr, _accumulate(mine, getattr(self, attr), theirs, getattr(other, attr)))
        self.size += other.size
        for t in (other.first, other.last):
            if t is not None:
                self.touch(t)
                self.size -= 1
        self.keys |= other.keys
        if other.meaning is not None:
            self.meaning = other.meaning if self.meaning is None else self.meaning + other.meaning
        self.langs |= other.langs


def _accumulate(total: dict[str, float], n2: float, vec: dict[str, float], vec_n2: float | None = None) -> float:
    """Add ``vec`` into ``total`` in place and return the new squared norm of ``total``."""
    if not vec:
        return n2
    dot = 0.0
    get = total.get
    for k, w in vec.items():
        old = get(k, 0.0)
        dot += old * w
        total[k] = old + w
    if vec_n2 is None:
        vec_n2 = sum(w * w for w in vec.values())
    return n2 + 2.0 * dot + vec_n2


@dataclass(frozen=True, slots=True)
class Decision:
    """The clusterer's answer for one article."""

    story: int
    kind: str
    score: float
    scores: dict[str, float]
    runner_up: int | None = None
    runner_up_score: float = 0.0
    merged: tuple[int, ...] = ()
    #: The story had gone quiet (idle past ``Config.max_idle_hours``) and the article retells it.
    reopened: bool = False


class OnlineClusterer:
    """Assigns each article, on arrival, to an existing story or a new one.

    >>> from storyline.text.features import Vectorizer
    >>> v, c = Vectorizer(), OnlineClusterer()
    >>> c.learn_one(v.learn_transform("Quake hits Qeshm island", ""), 0.0).kind
    'new'
    >>> c.learn_one(v.learn_transform("Qeshm island quake injures five", ""), 3600.0).kind
    'joined'
    """

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config()
        self.stories: dict[int, StoryState] = {}
        self.index = InvertedIndex(self.config.max_postings)
        self.next_id = 1
        #: Merged stories point to the story that absorbed them.
        self.merged_into: dict[int, int] = {}
        #: Active stories by embedding centroid (made on the first article with an embedding).
        self.meanings: MeaningIndex | None = None
        #: With ``Config.decision`` other than ``"rules"``: the learned model that scores candidates.
        self.model: DecisionModel | None = _load_model(self.config.decision)
        #: The score a candidate needs to be joined: the threshold, or log-odds 0 for a learned model.
        self.bar = self.config.threshold if self.model is None else 0.0
        #: Called with (story id, features) for every candidate scored (how the model is trained).
        self.observe: Callable[[int, list[float]], None] | None = None
        self._until_prune = _PRUNE_EVERY
        #: The newest publication time seen, and articles left until the next sweep of idle stories.
        self.latest: float | None = None
        self._until_forget = _FORGET_EVERY

    def find(self, story: int) -> int:
        """The live story that ``story`` is now part of (after merges)."""
        while story in self.merged_into:
            story = self.merged_into[story]
        return story

    def score(self, f: Features, published: float | None, s: StoryState) -> tuple[float, tuple]:
        """Similarity of an article to a story, and the raw features behind it (see :meth:`explain`).

        A weighted sum of the title, body and name cosines, less a penalty that grows with the log
        of the days between the article and the story. A field missing on either side hands its
        weight to the others, so titles-only streams and nameless headlines score on the same scale.

        With embeddings, meaning speaks where words cannot: for a title without a body it takes the
        body's place (a headline has too few words to overlap with its paraphrases), and between
        languages it takes the place of both title and body (words do not carry over; names do).
        """
        cfg = self.config
        meaning = None if f.meaning is None else self.meaning(f, s)
        across = meaning is not None and f.lang and s.langs and f.lang not in s.langs
        if across:
            title = raw_body = meaning
        else:
            title = cosine(f.title, s.title, s.title_n2 ** 0.5)
            raw_body = cosine(f.body, s.body, s.body_n2 ** 0.5) if f.body and s.body_n2 > 0.0 else None
        body = meaning if raw_body is None else raw_body
        total = cfg.title_weight * title + cfg.body_weight * (title if body is None else body)
        if f.names and s.names_n2 > 0.0:
            name_score = cosine(f.names, s.names, s.names_n2 ** 0.5)
            total += cfg.entity_weight * name_score
            names: float | None = name_score
        else:
            # No names on one side is no evidence either way: their weight goes to the words, and
            # only to the title's when meaning stands in for a missing body. Meaning tells a topic;
            # the title's own words tell one event of it from another (two towns' shootings read
            # alike to an encoder: with its share of the names' weight, meaning joined them).
            names = None
            if raw_body is None and meaning is not None:
                total += cfg.entity_weight * title
            else:
                total /= cfg.title_weight + cfg.body_weight
        gap = None
        if published is not None and s.last is not None and s.first is not None:
            gap = max(0.0, s.first - published, published - s.last) / _HOUR
            total -= cfg.time_penalty * math.log1p(gap / 24.0)
        if self.model is not None or self.observe is not None:
            x = pair_features(title, raw_body, names, meaning, gap, s.size)
            if self.observe is not None:
                self.observe(s.id, x)
            if self.model is not None:
                total = self.model.log_odds(x)
        # What is kept for "why" says what was compared: words only where words were (not where
        # meaning stood in for a missing body, or for both across languages).
        return total, (None if across else title, None if across else raw_body, names, gap, meaning)

    def meaning(self, f: Features, s: StoryState) -> float | None:
        """Cosine of the article's embedding with the story's, rescaled so that ``meaning_floor``
        (what unrelated news scores) is 0; ``None`` without embeddings on both sides."""
        if f.meaning is None or s.meaning is None:
            return None
        norm = float((s.meaning @ s.meaning) ** 0.5)
        if norm == 0.0:
            return None
        floor = self.config.meaning_floor
        return max(0.0, (float(f.meaning @ s.meaning) / norm - floor) / (1.0 - floor))

    @staticmethod
    def explain(total: float, raw: tuple) -> dict[str, float]:
        """The features behind a score, rounded for people and for the store."""
        title, body, names, gap, meaning = raw
        parts = {} if title is None else {"title": round(title, 4)}
        if body is not None:
            parts["body"] = round(body, 4)
        if names is not None:
            parts["names"] = round(names, 4)
        if meaning is not None:
            parts["meaning"] = round(meaning, 4)
        if gap is not None:
            parts["hours_apart"] = round(gap, 1)
        parts["total"] = round(total, 4)
        return parts

    def candidates(self, f: Features, published: float | None) -> list[StoryState]:
        """The stories the article's strongest keys point to, best-connected first.

        Stories idle past ``max_idle_hours`` (but still remembered, up to twice that) come after the
        active ones, for :meth:`learn_one` to accept only if the article retells them.
        """
        hits = self.index.lookup(f.query)
        horizon = None if published is None else published - self.config.max_idle_hours * _HOUR
        # Counted from the newest article, as forget_idle() counts: a story it may have dropped is
        # never a candidate, so when the sweeps run (a restart shifts them) changes no decision.
        memory = None if self.latest is None else self.latest - 2 * self.config.max_idle_hours * _HOUR
        stories = self.stories
        live = []
        idle = []
        for story, shared in hits.items():
            s = stories.get(story)
            if s is None:
                continue
            if horizon is None or s.last is None or s.last >= horizon:
                live.append((shared, story))
            elif memory is not None and s.last >= memory:
                idle.append((shared, story))
        # Most shared keys first, the newer story first among equals; only the top few are sorted.
        n = self.config.max_candidates
        out = [stories[story] for _, story in heapq.nlargest(n, live)]
        if idle:
            out += [stories[story] for _, story in heapq.nlargest(_IDLE_CANDIDATES, idle)]
        if f.meaning is not None and self.meanings is not None and self.config.meaning_candidates > 0:
            self._add_meaning_candidates(f, horizon, out)
        return out

    def _add_meaning_candidates(self, f: Features, horizon: float | None, out: list[StoryState]) -> None:
        """Stories close in meaning that the words did not find (other languages, paraphrases)."""
        assert self.meanings is not None
        self._until_prune -= 1
        if self._until_prune <= 0 and horizon is not None:
            self._until_prune = _PRUNE_EVERY
            for story in [sid for sid in self.meanings.ids()
                          if (st := self.stories.get(sid)) is None or (st.last is not None and st.last < horizon)]:
                self.meanings.remove(story)
        seen = {s.id for s in out}
        for story, _ in self.meanings.nearest(f.meaning, self.config.meaning_candidates, self.config.meaning_floor):
            s = self.stories.get(story)
            if s is None or story in seen:
                continue
            if f.body and s.body_n2 > 0.0 and not (f.lang and s.langs and f.lang not in s.langs):
                continue  # words can judge this pair, and they found it no candidate: meaning would not score
            if horizon is not None and s.last is not None and s.last < horizon:
                continue
            out.append(s)

    def learn_one(self, f: Features, published: float | None) -> Decision:
        """Assign one article and update the stories."""
        self._tick(published)
        best: tuple[float, StoryState, tuple] | None = None
        second: tuple[float, StoryState] | None = None
        idle_hours = self.config.max_idle_hours
        for s in self.candidates(f, published):
            total, raw = self.score(f, published, s)
            if raw[3] is not None and raw[3] > idle_hours and not retells(raw[0], raw[1]):
                continue
            if best is None or total > best[0]:
                if best is not None:
                    second = (best[0], best[1])
                best = (total, s, raw)
            elif second is None or total > second[0]:
                second = (total, s)
        threshold = self.bar
        if best is None or best[0] < threshold:
            story = self._new_story()
            story.add(f, published)
            self._index(story, f)
            parts = self.explain(best[0], best[2]) if best else {}
            return Decision(story.id, "new", best[0] if best else 0.0, parts,
                            best[1].id if best else None, best[0] if best else 0.0)
        total, story, raw = best
        parts = self.explain(total, raw)
        reopened = raw[3] is not None and raw[3] > idle_hours
        story.add(f, published)
        self._index(story, f)
        merged: list[int] = []
        if second is not None and second[0] >= threshold:
            other = second[1]
            if self.story_similarity(story, other) >= self.config.merge_threshold:
                story = self._merge_pair(story, other, merged)
        return Decision(story.id, "joined", total, parts,
                        second[1].id if second else None, second[0] if second else 0.0, tuple(merged), reopened)

    def _merge_pair(self, a: StoryState, b: StoryState, merged: list[int]) -> StoryState:
        keep, gone = (a, b) if (a.size, -a.id) >= (b.size, -b.id) else (b, a)
        self._merge(keep, gone)
        merged.append(gone.id)
        return keep

    def add_copy(self, story: int, published: float | None) -> int:
        """Count a near-identical copy in ``story``; returns the live story id."""
        live = self.find(story)
        s = self.stories.get(live)
        if s is not None:
            s.touch(published)
        return live

    def restore(self, story: int, f: Features, published: float | None, copy: bool) -> None:
        """Put back an article that was already assigned (rebuilding memory from the store)."""
        self._tick(published)
        s = self.stories.get(story)
        if s is None:
            s = self.stories[story] = StoryState(story)
            self.next_id = max(self.next_id, story + 1)
        if copy:
            s.touch(published)
        else:
            s.add(f, published)
            self._index(s, f)

    def _tick(self, published: float | None) -> None:
        if published is not None and (self.latest is None or published > self.latest):
            self.latest = published
        self._until_forget -= 1
        if self._until_forget <= 0:
            self._until_forget = _FORGET_EVERY
            self.forget_idle()

    def forget_idle(self) -> list[int]:
        """Drop from memory the stories idle for twice ``max_idle_hours`` before the newest article.

        They can no longer be candidates for anything published since (the horizon is
        ``max_idle_hours``; the other half is room for articles that arrive out of order), so
        memory holds the active stories only, however long the stream. They stay in the store.
        Returns the ids forgotten.
        """
        if self.latest is None:
            return []
        cutoff = self.latest - 2 * self.config.max_idle_hours * _HOUR
        gone = [sid for sid, s in self.stories.items() if s.last is not None and s.last < cutoff]
        for sid in gone:
            s = self.stories.pop(sid)
            self.index.remove(sid, s.keys)
            if self.meanings is not None:
                self.meanings.remove(sid)
        return gone

    def story_similarity(self, a: StoryState, b: StoryState) -> float:
        """Cosine similarity of two stories' centroids, fields weighted as for articles."""
        cfg = self.config

        def cos(x: dict[str, float], xn2: float, y: dict[str, float], yn2: float) -> float:
            if xn2 <= 0.0 or yn2 <= 0.0:
                return 0.0
            if len(x) > len(y):
                x, y = y, x
            get = y.get
            return sum(w * get(k, 0.0) for k, w in x.items()) / (xn2 * yn2) ** 0.5

        meaning = self._centroid_meaning(a, b)
        stand_in = False  # meaning stands in for a missing body
        if meaning is not None and a.langs and b.langs and not a.langs & b.langs:
            title = body = meaning  # as for an article in another language: words do not carry over
        else:
            title = cos(a.title, a.title_n2, b.title, b.title_n2)
            if a.body_n2 > 0.0 and b.body_n2 > 0.0:
                body = cos(a.body, a.body_n2, b.body, b.body_n2)
            else:
                stand_in = meaning is not None
                body = title if meaning is None else meaning
        text = cfg.title_weight * title + cfg.body_weight * body
        if a.names_n2 > 0.0 and b.names_n2 > 0.0:
            total = text + cfg.entity_weight * cos(a.names, a.names_n2, b.names, b.names_n2)
        elif stand_in:  # as in score(): the names' weight goes to the title, not to meaning
            total = text + cfg.entity_weight * title
        else:
            total = text / (cfg.title_weight + cfg.body_weight)
        if a.first is not None and a.last is not None and b.first is not None and b.last is not None:
            gap = max(0.0, b.first - a.last, a.first - b.last) / _HOUR
            total -= cfg.time_penalty * math.log1p(gap / 24.0)
        return total

    def _centroid_meaning(self, a: StoryState, b: StoryState) -> float | None:
        """:meth:`meaning` between two stories' centroids."""
        if a.meaning is None or b.meaning is None:
            return None
        norms = float((a.meaning @ a.meaning) * (b.meaning @ b.meaning)) ** 0.5
        if norms == 0.0:
            return None
        floor = self.config.meaning_floor
        return max(0.0, (float(a.meaning @ b.meaning) / norms - floor) / (1.0 - floor))

    def _new_story(self) -> StoryState:
        story = StoryState(self.next_id)
        self.next_id += 1
        self.stories[story.id] = story
        return story

    def _index(self, story: StoryState, f: Features) -> None:
        keys = f.query
        story.keys.update(keys)
        self.index.add(story.id, keys)
        if f.meaning is not None and story.meaning is not None:
            if self.meanings is None:
                self.meanings = MeaningIndex(len(story.meaning))
            self.meanings.put(story.id, story.meaning)

    def _merge(self, keep: StoryState, gone: StoryState) -> None:
        keep.absorb(gone)
        self.index.remove(gone.id, gone.keys)
        self.index.add(keep.id, gone.keys)
        del self.stories[gone.id]
        self.merged_into[gone.id] = keep.id
        if self.meanings is not None:
            self.meanings.remove(gone.id)
            if keep.meaning is not None:
                self.meanings.put(keep.id, keep.meaning)


def retells(title: float | None, body: float | None) -> bool:
    """Whether an article retells a story that has gone quiet, so that it may reopen it.

    Weeks after a shooting, "Man arrested in Cloud 9 nightclub killing" belongs to its story, and
    "Four shot in East Garfield Park" is most often a new shooting in the same place: a follow-up has
    a headline of its own (an arrest, a trial, a sentence) and a body that recounts the event's
    details, while a new event of the same kind reads like the old one in its headline, not in its
    details. So the body must be compared (both sides have one), score 0.3 or more, and score no
    less than the headline does, within 0.1.

    >>> retells(0.29, 0.55), retells(0.66, 0.35), retells(0.4, None)
    (True, False, False)
    """
    return body is not None and body >= 0.3 and body >= (title or 0.0) - 0.1


def _load_model(decision: str) -> DecisionModel | None:
    """The model ``Config.decision`` names: ``"rules"`` (none), ``"learned"`` (shipped) or a file."""
    if decision == "rules":
        return None
    return DecisionModel.load(MODEL_FILE if decision == "learned" else decision)
