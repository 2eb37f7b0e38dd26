"""Cross-lingual stories (issue 5): thirty events, each reported in English, German, Spanish and French.

The reports in ``tests/data/crosslingual`` were written for this test: invented places, people and
outlets, and each language's report told in its own words (not translated line by line). Among the
events are pairs that read alike but are different events (two floods, two resignations, two cup
finals), so joining by topic alone would fail too.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from storyline import Engine
from storyline.config import Config
from storyline.evaluate.metrics import bcubed
from storyline.ingest import to_article

FIXTURE = Path(__file__).parent / "data" / "crosslingual"


def reports(declared: bool = True) -> tuple[list, list[str]]:
    """The articles in publication order, and their gold stories; ``declared=False`` drops ``lang``
    so that languages are detected."""
    records = [json.loads(line) for part in sorted(FIXTURE.glob("part*.jsonl"))
               for line in part.read_text(encoding="utf-8").splitlines() if line.strip()]
    records.sort(key=lambda r: (r["published"], r["id"]))
    gold = [r["story"] for r in records]
    articles = [to_article({k: v for k, v in r.items() if k != "story" and (declared or k != "lang")})
                for r in records]
    return articles, gold


def clustered(config: Config, declared: bool = True) -> tuple[float, list]:
    """BCubed F1 of the engine on the fixture, and the stories it described."""
    articles, gold = reports(declared)
    with Engine(config=config) as engine:
        placed = [engine.clusterer.find(a.story_id) for a in engine.add_many(articles)]
        stories = engine.stories(limit=100)
    return bcubed(placed, gold)[2], stories


def test_the_fixture_is_thirty_events_in_three_or_more_languages():
    articles, gold = reports()
    languages: dict[str, set[str]] = defaultdict(set)
    for article, story in zip(articles, gold):
        languages[story].add(article.lang)
    assert len(languages) >= 30
    assert all(len(langs) >= 3 for langs in languages.values())
    assert Counter(a.lang for a in articles).keys() >= {"en", "de", "es", "fr"}
    assert len({a.id for a in articles}) == len(articles)


@pytest.mark.parametrize("declared", [True, False], ids=["languages declared", "languages detected"])
def test_reports_in_four_languages_join_their_events_story(declared):
    f1, stories = clustered(Config().with_overrides({"embeddings": "use"}), declared)
    assert f1 >= 0.9
    # Story pages name the languages of their reports: most stories hold all four.
    four = [s for s in stories if {lang for lang, _ in s.languages} == {"en", "de", "es", "fr"}]
    assert len(four) >= 27
