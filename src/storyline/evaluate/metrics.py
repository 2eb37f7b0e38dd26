"""Clustering scores: BCubed precision/recall/F1 and the adjusted Rand index.

BCubed (Bagga & Baldwin, 1998; Amigó et al., 2009) scores every item: precision is the share of the
item's predicted cluster that shares its gold label, recall the share of its gold cluster that was
predicted together with it. Singletons count like any other item.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from math import comb


@dataclass(frozen=True)
class Scores:
    """BCubed precision, recall and F1, and the adjusted Rand index."""

    bcubed_precision: float
    bcubed_recall: float
    bcubed_f1: float
    ari: float


def bcubed(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> tuple[float, float, float]:
    """BCubed precision, recall and F1 of ``predicted`` labels against ``gold`` (same order).

    >>> bcubed(["a", "a", "b"], [1, 1, 1])
    (1.0, 0.5555555555555555, 0.7142857142857143)
    """
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold must have the same length")
    n = len(gold)
    if n == 0:
        return 0.0, 0.0, 0.0
    pair = Counter(zip(predicted, gold))
    pred_size = Counter(predicted)
    gold_size = Counter(gold)
    # Each (predicted, gold) cell of size c contributes c items, each with c/|pred| precision.
    precision = sum(c * c / pred_size[p] for (p, _), c in pair.items()) / n
    recall = sum(c * c / gold_size[g] for (_, g), c in pair.items()) / n
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def adjusted_rand(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> float:
    """Adjusted Rand index (Hubert & Arabie, 1985) of two labelings of the same items.

    >>> adjusted_rand([0, 0, 1, 1], ["x", "x", "y", "y"])
    1.0
    """
    if len(predicted) != len(gold):
        raise ValueError("predicted and gold must have the same length")
    n = len(gold)
    if n < 2:
        return 1.0
    index = sum(comb(c, 2) for c in Counter(zip(predicted, gold)).values())
    sum_pred = sum(comb(c, 2) for c in Counter(predicted).values())
    sum_gold = sum(comb(c, 2) for c in Counter(gold).values())
    expected = sum_pred * sum_gold / comb(n, 2)
    maximum = (sum_pred + sum_gold) / 2
    if maximum == expected:
        return 1.0
    return (index - expected) / (maximum - expected)


def score(predicted: Sequence[Hashable], gold: Sequence[Hashable]) -> Scores:
    """All scores at once.

    >>> s = score([1, 1, 2, 2], ["a", "a", "b", "b"])
    >>> (s.bcubed_f1, s.ari)
    (1.0, 1.0)
    """
    p, r, f = bcubed(predicted, gold)
    return Scores(p, r, f, adjusted_rand(predicted, gold))
