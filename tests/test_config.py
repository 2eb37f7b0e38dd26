"""The configuration object: every value is checked as it is read, and a mistake names its key and source."""

from __future__ import annotations

import datetime
import json

import pytest

from storyline.cluster.decision import MODEL_FILE, DecisionModel
from storyline.config import MAX_DURATION, MAX_INT, Config, parse_duration


@pytest.mark.parametrize("key, value", [
    ("threshold", [1, 2]), ("threshold", datetime.date(1970, 1, 1)), ("threshold", True), ("threshold", "abc"),
    ("threshold", float("nan")), ("threshold", "inf"), ("merge_threshold", 10**400),
    ("title_weight", -0.1), ("entity_weight", "-1"), ("time_penalty", -0.5),
    ("max_idle_hours", 0), ("max_idle_hours", -3), ("near_duplicate", 0), ("near_duplicate", 1.5),
    ("body_words", 0), ("body_words", "0"), ("body_words", 1.5), ("body_words", True), ("body_words", "12.0"),
    ("max_candidates", 0), ("query_terms", -1), ("body_terms", 0), ("max_postings", 2**64),
    ("near_duplicate_min_words", 0), ("near_duplicate_keep", 0), ("storyline_max_stories", 0),
    ("meaning_candidates", -1), ("embeddings", 5), ("decision", 5), ("decision", "nosuchfile.json"),
])
def test_a_wrong_value_is_a_value_error_naming_its_key(key, value):
    with pytest.raises(ValueError, match=key):
        Config().with_overrides({key: value})


def test_right_values_are_taken_and_converted():
    config = Config().with_overrides({"threshold": "-0.5", "title_weight": 0, "near_duplicate": 1,
                                      "meaning_candidates": "0", "body_words": " 12 ", "max_idle_hours": 0.5,
                                      "max_postings": MAX_INT, "decision": "learned"})
    assert (config.threshold, config.title_weight, config.near_duplicate, config.meaning_candidates,
            config.body_words, config.max_idle_hours, config.max_postings, config.decision) == \
        (-0.5, 0.0, 1.0, 0, 12, 0.5, MAX_INT, "learned")
    assert isinstance(config.title_weight, float) and isinstance(config.body_words, int)
    assert Config().with_overrides({"decision": str(MODEL_FILE)}).decision == str(MODEL_FILE)


@pytest.mark.parametrize("content, message", [
    ('threshold = [1,2]\n', "threshold must be a number"),
    ('threshold = 1970-01-01\n', r"threshold must be a number \(got 1970-01-01\)"),
    ('threshold = true\n', r"threshold must be a number \(got true\)"),
    ('storyline = 5\n', "'storyline' must be a table"),
    ('[storyline]\nbody_words = 0\n', "body_words must be a whole number, 1 or more"),
    ('threshold = = 3\n', "not valid TOML"),
    ('decision = "nosuchfile.json"\n', "decision must be rules, learned or the path of a model file"),
])
def test_a_wrong_file_names_itself_and_the_key(tmp_path, content, message):
    path = tmp_path / "storyline.toml"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as caught:
        Config.load(path, env={})
    assert str(caught.value).startswith(f"{path}: ")


def test_a_file_that_is_not_utf8_or_not_a_file(tmp_path):
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe threshold = 1")
    with pytest.raises(ValueError, match="not UTF-8"):
        Config.load(binary, env={})
    with pytest.raises(IsADirectoryError):  # an OSError: the CLI words it as a file it cannot read
        Config.load(tmp_path, env={})


@pytest.mark.parametrize("variable, value, message", [
    ("STORYLINE_THRESHOLD", "abc", "threshold must be a number"),
    ("STORYLINE_BODY_WORDS", "0", "body_words must be a whole number, 1 or more"),
    ("STORYLINE_DECISION", "bogus", "decision must be rules, learned"),
])
def test_a_wrong_environment_variable_is_named(variable, value, message):
    with pytest.raises(ValueError, match=message) as caught:
        Config.load(env={variable: value})
    assert str(caught.value).startswith(f"environment variable {variable}: ")


def test_a_decision_file_that_is_not_a_model_is_named(tmp_path):
    for name, text in (("notjson.json", "not json"), ("list.json", "[1, 2]"), ("short.json", '{"features": []}')):
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(ValueError, match=f"{path}: not a decision model"):
            DecisionModel.load(path)
        with pytest.raises(ValueError, match=name):
            Config().with_overrides({"decision": str(path)})
    data = json.loads(MODEL_FILE.read_text(encoding="utf-8"))
    data["weights"] = data["weights"][:-1]
    short = tmp_path / "few-weights.json"
    short.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="one finite weight per feature"):
        DecisionModel.load(short)


def test_durations_are_read_once_for_everyone_and_capped():
    assert parse_duration("90m") == 5400.0 and parse_duration("2") == 7200.0 and parse_duration("1W") == 604800.0
    assert parse_duration("99999999999d") == parse_duration("9" * 400 + "d") == MAX_DURATION
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("-1d")
