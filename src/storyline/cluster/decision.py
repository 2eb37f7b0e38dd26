"""A learned decision: a logistic model over pairwise article-story features, instead of hand-set weights.

For each candidate story the model gives the log-odds that the article reports the story's event;
the article joins the best candidate whose log-odds are positive, else it starts a story (so the "new
story" decision is learned too: it depends on every feature, not on one global threshold). The model
is trained by ``bench/train_decision.py`` on the labelled corpora and shipped as ``decision.json``
beside this module; training is deterministic (Newton's method from zero, no sampling), so the same
corpora give the same file bit for bit.

Features (see :func:`pair_features`): the title, body, names and meaning similarities and whether each
side had that field, the log of the days apart and whether dates are known, the log of the story's
size, and a few products the linear model cannot form itself (title without a body, meaning without a
body).

>>> model = DecisionModel(FEATURES, [0.0] * len(FEATURES), -1.0)
>>> model.log_odds([0.0] * len(FEATURES))
-1.0
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

MODEL_FILE = Path(__file__).with_name("decision.json")

FEATURES: tuple[str, ...] = (
    "title", "body", "has_body", "names", "has_names", "meaning", "has_meaning",
    "log_days_apart", "has_time", "log_size", "title_without_body", "meaning_without_body",
    "title_sq", "names_sq", "body_x_names",
)


def pair_features(title: float, body: float | None, names: float | None, meaning: float | None,
                  hours_apart: float | None, size: int) -> list[float]:
    """The model's inputs for one article and one candidate story, from the raw similarities.

    >>> pair_features(0.5, None, 0.8, None, 48.0, 3)[:4]
    [0.5, 0.0, 0.0, 0.8]
    """
    has_body = 0.0 if body is None else 1.0
    has_names = 0.0 if names is None else 1.0
    has_meaning = 0.0 if meaning is None else 1.0
    b, n, m = body or 0.0, names or 0.0, meaning or 0.0
    days = 0.0 if hours_apart is None else math.log1p(hours_apart / 24.0)
    return [title, b, has_body, n, has_names, m, has_meaning, days, 0.0 if hours_apart is None else 1.0,
            math.log1p(size), title * (1.0 - has_body), m * (1.0 - has_body), title * title, n * n, b * n]


@dataclass(frozen=True)
class DecisionModel:
    """Weights of a logistic model over :data:`FEATURES`, with how it was trained."""

    features: tuple[str, ...]
    weights: list[float]
    bias: float
    trained_on: tuple[str, ...] = ()

    def log_odds(self, x: list[float]) -> float:
        """Log-odds that an article with features ``x`` belongs to the story."""
        return self.bias + sum(w * v for w, v in zip(self.weights, x))

    @classmethod
    def load(cls, path: str | Path = MODEL_FILE) -> "DecisionModel":
        """Read a model written by :meth:`to_json` (the shipped one by default).

        Any file that is not such a model raises ``ValueError`` naming the file: it is named by a
        user's setting (``decision = "model.json"``), so what is wrong with it must be said plainly.

        >>> DecisionModel.load("no-such-model.json")
        Traceback (most recent call last):
        ...
        ValueError: no-such-model.json: cannot read the decision model (No such file or directory)
        """
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"{path}: cannot read the decision model ({exc.strerror or exc})") from None
        except ValueError as exc:  # not UTF-8, or not JSON
            raise ValueError(f"{path}: not a decision model (not JSON: {exc})") from None
        try:
            features = tuple(data["features"])
            weights = [float(w) for w in data["weights"]]
            bias = float(data["bias"])
            trained_on = tuple(str(name) for name in data.get("trained_on", ()))
        except (KeyError, TypeError, ValueError, AttributeError):
            raise ValueError(f"{path}: not a decision model (it needs 'features', 'weights' and 'bias', "
                             "as bench/train_decision.py writes them)") from None
        if features != FEATURES:
            raise ValueError(f"{path}: the model was trained on other features; retrain it "
                             "(python bench/train_decision.py)")
        if len(weights) != len(features) or not all(map(math.isfinite, [*weights, bias])):
            raise ValueError(f"{path}: not a decision model (one finite weight per feature is needed)")
        return cls(features, weights, bias, trained_on)

    def to_json(self, **extra: object) -> str:
        """The model as JSON (weights rounded to 6 places, so the file diffs and reproduces cleanly)."""
        return json.dumps({"features": list(self.features), "weights": [round(w, 6) for w in self.weights],
                           "bias": round(self.bias, 6), "trained_on": list(self.trained_on), **extra},
                          indent=1) + "\n"
