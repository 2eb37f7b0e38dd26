"""An endless stream keeps memory for the active stories only: idle stories leave memory (not the
store), and near-duplicate sketches are kept for the newest articles only."""

from __future__ import annotations

from storyline import Article, Engine
from storyline.config import Config

DAY = 86400.0
T0 = 1_700_000_000.0
PLACES = ["Quillon", "Dunmere", "Harrowgate", "Vessen", "Orlamund", "Brackley", "Tirrel", "Sandholm"]


def _event(day: int) -> list[Article]:
    """Three reports of one invented event on ``day`` (each day its own place and subject)."""
    place = f"{PLACES[day % len(PLACES)]}{day}"
    words = " ".join(f"{syllable}{day}" for syllable in ("kar", "bel", "mun", "tos", "vir"))
    return [Article(id=f"d{day}-{n}", title=f"{place} {words} report {n}",
                    text=f"Officials in {place} said {words} today.",
                    source=f"outlet{n}", published=T0 + day * DAY + n * 3600.0) for n in range(3)]


def test_idle_stories_leave_memory_but_stay_in_the_store():
    config = Config(embeddings="none", max_idle_hours=48.0)
    engine = Engine(config=config)
    placed = [engine.add(a) for day in range(60) for a in _event(day)]
    clusterer = engine.clusterer
    assert clusterer.latest == T0 + 59 * DAY + 2 * 3600.0
    forgotten = clusterer.forget_idle()
    assert forgotten  # the old days' stories went
    # Only stories active within twice the idle horizon remain in memory and in the word index.
    assert len(clusterer.stories) <= 5
    assert all(clusterer.stories[s].last >= clusterer.latest - 4 * DAY for s in clusterer.stories)
    indexed = {story for plist in clusterer.index._postings.values() for story in plist}
    assert indexed <= set(clusterer.stories)
    # ...while every story is still in the store, with its articles.
    first_story = placed[0].story_id
    assert engine.story(first_story) is not None and engine.story(first_story).articles == 3
    assert len({a.story_id for a in placed}) == 60  # one story a day, as without forgetting


def test_forgetting_changes_no_assignment_of_an_in_order_stream():
    articles = [a for day in range(40) for a in _event(day)]
    forgetful = Engine(config=Config(embeddings="none", max_idle_hours=24.0))
    remembering = Engine(config=Config(embeddings="none", max_idle_hours=24.0))
    remembering.clusterer.forget_idle = lambda: []  # this one keeps every story in memory
    got = []
    for a in articles:
        got.append(forgetful.add(a).story_id)
        forgetful.clusterer.forget_idle()  # after every article, the most forgetful it can be
    want = [remembering.add(a).story_id for a in articles]
    assert got == want
