""""Why here": the decision that placed an article in its story, in words a reader can follow.

The engine stores every decision with its scores (``articles.why``, the data of ``storyline why``);
this module turns one into a sentence and a few labelled bars.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

#: Labels of the similarity features, in the order they are shown.
FEATURES = (("title", "title words"), ("body", "body words"), ("names", "names"),
            ("meaning", "meaning"))


@dataclass(frozen=True, slots=True)
class Bar:
    """One similarity feature: ``value`` is a cosine in [0, 1]."""

    key: str
    label: str
    value: float


@dataclass(frozen=True, slots=True)
class Why:
    """An article's placement explained."""

    kind: str
    sentence: str
    score: float | None
    threshold: float | None
    bars: tuple[Bar, ...] = ()
    hours_apart: float | None = None
    copy_of: str | None = None
    runner_up: int | None = None
    runner_up_score: float | None = None
    merged: tuple[int, ...] = ()
    #: The story had gone quiet and this follow-up reopened it.
    reopened: bool = False


def explain(why_json: str, story_id: int) -> Why:
    """The decision stored for an article, explained.

    >>> w = explain('{"kind":"joined","score":0.41,"scores":{"title":0.58,"body":0.34,"names":0.36,'
    ...             '"hours_apart":0.8,"total":0.41},"threshold":0.2}', 7)
    >>> w.sentence
    'Joined this story with a score of 0.41, above the threshold of 0.20: its title words, body words and names match the story’s.'
    >>> [b.key for b in w.bars], w.hours_apart
    (['title', 'body', 'names'], 0.8)
    """
    try:
        why = json.loads(why_json)
    except (TypeError, ValueError):
        return Why("unknown", "No decision was recorded for this article.", None, None)
    kind = str(why.get("kind", "unknown"))
    scores = why.get("scores") or {}
    score = _number(why.get("score"))
    threshold = _number(why.get("threshold"))
    bars = tuple(Bar(k, label, max(0.0, min(1.0, float(scores[k]))))
                 for k, label in FEATURES if isinstance(scores.get(k), (int, float)))
    hours = _number(scores.get("hours_apart"))
    runner = why.get("runner_up")
    runner_score = _number(why.get("runner_up_score"))
    merged = tuple(int(m) for m in why.get("merged", ()) if isinstance(m, int))
    if kind == "copy":
        resemblance = _number(scores.get("resemblance")) or 1.0
        sentence = (f"A near-identical copy of another article (shingle resemblance {resemblance:.2f}), so it "
                    "is shown folded under that original.")
        return Why(kind, sentence, score, threshold, (), None, why.get("copy_of"), None, None, merged)
    if kind == "new":
        if runner is not None and runner_score is not None and threshold is not None:
            sentence = (f"Started this story: the closest earlier story scored {runner_score:.2f}, below the "
                        f"threshold of {threshold:.2f}.")
        else:
            sentence = "Started this story: no active story shared its key words."
    elif kind == "joined":
        strong = [label for b in bars for k, label in FEATURES if b.key == k and b.value >= 0.25]
        matched = _join(strong) if strong else "words"
        verb = "matches" if strong == ["meaning"] else "match"  # "its meaning matches", "its names match"
        sentence = (f"Joined this story with a score of {score or 0:.2f}, above the threshold of "
                    f"{threshold or 0:.2f}: its {matched} {verb} the story’s.")
        if why.get("reopened") is True and hours is not None:
            sentence += (f" The story had gone quiet for {round(hours / 24)} days; this follow-up retells it, "
                         "so it was reopened.")
        if merged:
            sentence += f" It also tied {len(merged)} other {'story' if len(merged) == 1 else 'stories'} to this one."
    else:
        sentence = f"Placed here ({kind})."
    return Why(kind, sentence, score, threshold, bars, hours, None,
               int(runner) if isinstance(runner, int) and runner != story_id else None, runner_score, merged,
               why.get("reopened") is True)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _join(words: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
