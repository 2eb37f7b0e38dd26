"""The learned decision: the shipped model loads, scores with its features, and places articles."""

from __future__ import annotations

import json

import pytest

from storyline import Engine
from storyline.cluster.decision import FEATURES, MODEL_FILE, DecisionModel, pair_features
from storyline.config import Config

from test_storylines import war_and_tax


def test_the_shipped_model_matches_the_features():
    model = DecisionModel.load()
    assert model.features == FEATURES and len(model.weights) == len(FEATURES)
    assert set(model.trained_on) == {"ecbplus", "gva-incidents", "uci-aggregator"}
    # More agreement never lowers the odds: the model learned that similarity is evidence.
    weak = model.log_odds(pair_features(0.1, 0.1, 0.1, 0.1, 24.0, 3))
    strong = model.log_odds(pair_features(0.7, 0.6, 0.8, 0.7, 24.0, 3))
    assert strong > 0 > weak


def test_learned_decision_places_articles_and_says_so(tmp_path):
    config = Config().with_overrides({"decision": "learned", "embeddings": "none"})
    with Engine(str(tmp_path / "learned.db"), config) as engine:
        placed = {a.article_id: a.story_id for a in engine.add_many(war_and_tax())}
        engine.flush()
        why = json.loads(engine.store.article("a1").why)
    assert placed["a1"] == placed["a0"]  # two reports of one troop deployment
    assert placed["a7"] not in {placed[f"a{i}"] for i in range(7)}  # the tax bill stays alone
    assert why["threshold"] == 0.0  # log-odds: join above even odds


def test_a_model_for_other_features_is_refused(tmp_path):
    stale = tmp_path / "old.json"
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    data["features"] = data["features"][:-1]
    stale.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="retrain"):
        Engine(config=Config().with_overrides({"decision": str(stale)}))
