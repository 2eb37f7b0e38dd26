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


# A shooting, its follow-up three weeks later, and a new shooting in the same town (invented).
_SHOOTING = [
    ("One dead in shooting outside Marlowe Lounge in Calvert",
     "Tessa Varnum, 24, was shot dead outside the Marlowe Lounge on Dell Avenue in Calvert early on Sunday. "
     "Police said an argument inside the lounge spilled into the parking lot before shots were fired. "
     "Two other people were wounded and taken to Calvert General Hospital."),
    ("Woman killed, two hurt in Calvert lounge shooting",
     "A 24-year-old woman, Tessa Varnum, died after gunfire outside the Marlowe Lounge on Dell Avenue. "
     "Calvert police said the argument began inside the lounge. Two men were wounded and are in stable "
     "condition at Calvert General Hospital."),
]
_FOLLOW_UP = ("Two men charged in Calvert killing",
              "Calvert police charged two men on Thursday with the murder of Tessa Varnum, who was shot outside "
              "the Marlowe Lounge on Dell Avenue after an argument inside the lounge. Two others wounded that "
              "night were treated at Calvert General Hospital.")
_NEW_SHOOTING = ("One dead in shooting outside Marlowe Lounge in Calvert",
                 "Gunfire killed Dorian Pell, 31, on Saturday night as he left the Marlowe Lounge on Dell Avenue. "
                 "A witness saw a grey van drive off; no arrests have been made.")


def _shooting_stream(follow_up_day: float) -> list[Article]:
    out = [Article(id=f"s{n}", title=t, text=b, source=f"outlet{n}", published=T0 + n * 3600.0)
           for n, (t, b) in enumerate(_SHOOTING)]
    out += [a for day in range(1, int(follow_up_day) + 1) for a in _event(day)]  # the news goes on
    out.append(Article(id="new-shooting", title=_NEW_SHOOTING[0], text=_NEW_SHOOTING[1], source="outlet8",
                       published=T0 + (follow_up_day - 0.5) * DAY))
    out.append(Article(id="follow-up", title=_FOLLOW_UP[0], text=_FOLLOW_UP[1], source="outlet7",
                       published=T0 + follow_up_day * DAY))
    return out


def test_a_follow_up_weeks_later_reopens_its_quiet_story_and_a_look_alike_does_not():
    engine = Engine(config=Config(embeddings="none"))  # max_idle_hours: 14 days
    placed = {a.id: engine.add(a) for a in _shooting_stream(20.0)}
    story = placed["s0"].story_id
    assert placed["s1"].story_id == story
    follow = placed["follow-up"]
    assert (follow.kind, follow.story_id, follow.reopened) == ("joined", story, True)
    assert follow.scores["hours_apart"] > 14 * 24
    assert placed["new-shooting"].story_id != story  # same town, same kind of headline: another shooting
    assert not placed["new-shooting"].reopened
    assert engine.why("follow-up")["reopened"] is True
    assert "reopened" not in engine.why("s1")


def test_a_story_forgotten_is_not_reopened():
    engine = Engine(config=Config(embeddings="none"))
    placed = {a.id: engine.add(a) for a in _shooting_stream(30.0)}  # past twice the 14 days
    assert placed["follow-up"].story_id != placed["s0"].story_id
    assert not placed["follow-up"].reopened


def test_forgetting_changes_no_reopening():
    articles = _shooting_stream(20.0)
    forgetful = Engine(config=Config(embeddings="none"))
    remembering = Engine(config=Config(embeddings="none"))
    remembering.clusterer.forget_idle = lambda: []
    got = []
    for a in articles:
        got.append(forgetful.add(a).story_id)
        forgetful.clusterer.forget_idle()
    assert got == [remembering.add(a).story_id for a in articles]


def test_why_says_a_story_was_reopened(tmp_path, run_cli):
    import json

    from storyline.serve.explain import explain

    db = tmp_path / "reopen.db"
    with Engine(str(db), Config(embeddings="none")) as engine:
        engine.add_many(_shooting_stream(20.0))
    text = run_cli("why", "follow-up", "--db", db).stdout
    assert "the story had gone quiet (20 days before this article)" in text and "reopened" in text
    assert "gone quiet" not in run_cli("why", "s1", "--db", db).stdout
    stored = json.loads(run_cli("why", "follow-up", "--db", db, "--json").stdout)
    assert stored["reopened"] is True
    assert "gone quiet for 20 days" in explain(json.dumps(stored), stored["story"]).sentence
