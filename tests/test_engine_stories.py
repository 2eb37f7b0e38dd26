"""The Python API and the fields of the stories it builds, on a small handcrafted stream."""

from __future__ import annotations

import re

import pytest

from conftest import HOUR, STREAM, T0, by_event, write_jsonl

from storyline import Article, Assignment, Engine, Entity, Story
from storyline.config import Config
from storyline.ingest import to_article
from storyline.text.features import Vectorizer


def articles(records=STREAM) -> list[Article]:
    return [to_article({k: v for k, v in r.items() if k != "story"}) for r in records]


def place_stream(engine: Engine, records=STREAM) -> dict[str, Assignment]:
    return {a.id: engine.add(a) for a in articles(records)}


@pytest.fixture
def engine_with_stream():
    engine = Engine()
    assigned = place_stream(engine)
    yield engine, assigned
    engine.close()


def live_partition(engine: Engine, ids) -> dict[str, int]:
    return {i: engine.story_of(i) for i in ids}


def test_public_names_import_from_the_package():
    import storyline

    for name in ("Engine", "StoryReader", "Article", "Assignment", "Story", "Entity", "Config", "CoverageItem",
                 "Storyline"):
        assert name in storyline.__all__
        assert getattr(storyline, name) is not None
    with pytest.raises(AttributeError):
        storyline.NoSuchThing  # noqa: B018


def test_add_returns_an_assignment_with_a_kind_and_a_story(engine_with_stream):
    engine, assigned = engine_with_stream
    first = assigned["dep-1"]
    assert isinstance(first, Assignment)
    assert first.article_id == "dep-1" and first.kind == "new"
    joined = assigned["dep-3"]
    assert joined.kind == "joined"
    assert joined.story_id == engine.story_of("dep-1")
    assert joined.score >= engine.config.threshold
    assert "title" in joined.scores and "total" in joined.scores
    assert engine.story_of("no-such-article") is None


def test_each_event_is_one_story_and_the_singleton_is_alone(engine_with_stream):
    engine, assigned = engine_with_stream
    story_of = live_partition(engine, assigned)
    groups = by_event()
    event_story = {}
    for event, records in groups.items():
        stories = {story_of[r["id"]] for r in records}
        assert len(stories) == 1, f"{event} split over stories {stories}"
        event_story[event] = stories.pop()
    assert len(set(event_story.values())) == len(groups), "two events were put in one story"
    listed = engine.stories()
    assert sorted(s.id for s in listed) == sorted(event_story.values())
    tax = engine.story(event_story["tax"])
    assert tax.articles == 1 and tax.outlets == 1


def test_story_fields_describe_the_event(engine_with_stream):
    engine, assigned = engine_with_stream
    for event, records in by_event().items():
        story = engine.story(engine.story_of(records[0]["id"]))
        assert isinstance(story, Story)
        titles = {r["title"] for r in records}
        assert story.headline in titles
        assert story.articles == len(records)
        assert story.outlets == len({r["source"] for r in records})
        times = [r["published"] for r in records]
        assert story.first_seen == min(times) and story.last_seen == max(times)
        assert story.first_seen <= story.last_seen
        # Summary: one to three sentences, taken from the bodies (they all have one).
        assert story.summary.strip()
        sentences = [s for s in re.split(r"(?<=[.!?])\s+", story.summary.strip()) if s]
        assert 1 <= len(sentences) <= 3, story.summary
        bodies = " ".join(" ".join(r["text"].split()) for r in records)
        assert all(s in bodies for s in sentences), "summary sentences must come from the articles"
        # Timeline counts every article once.
        assert sum(n for _, n in story.timeline) == story.articles
        # Coverage: grouped by outlet, every article exactly once.
        outlets = [o for o, _ in story.coverage]
        assert len(outlets) == len(set(outlets))
        covered = [(o, c.article_id) for o, items in story.coverage for c in items]
        assert sorted(i for _, i in covered) == sorted(r["id"] for r in records)
        source_of = {r["id"]: r["source"] for r in records}
        assert all(source_of[i] == o for o, i in covered)
        # Keywords are words as the articles write them, not the stems the clusterer weighs
        # ("evacuat", "continu" were shown).
        written = set(re.findall(r"[^\W_]+", " ".join(r["title"] + " " + r["text"] for r in records).lower()))
        assert story.keywords and set(story.keywords) <= written, (story.keywords, written)


def test_outlet_with_two_articles_counts_once_and_leads_the_coverage(engine_with_stream):
    engine, _ = engine_with_stream
    flood = engine.story(engine.story_of("fld-1"))
    assert flood.articles == 5 and flood.outlets == 4  # River Times wrote two of the five
    outlet, items = flood.coverage[0]
    assert outlet == "River Times"
    assert [c.article_id for c in items] == ["fld-1", "fld-5"]


def test_entities_are_typed_names_from_the_articles(engine_with_stream):
    engine, _ = engine_with_stream
    deploy = engine.story(engine.story_of("dep-1"))
    assert all(isinstance(e, Entity) and e.type in {"person", "place", "org", "other"} for e in deploy.entities)
    people = [e for e in deploy.entities if e.type == "person"]
    assert any("Aldervik" in e.name for e in people), deploy.entities
    places = [e.name for e in deploy.entities if e.type == "place"]
    assert any("Varnholm" in p for p in places), deploy.entities
    treaty = engine.story(engine.story_of("trt-1"))
    assert any(e.name == "Geneva" and e.type == "place" for e in treaty.entities), treaty.entities
    assert any("Pellegrin" in e.name and e.type == "person" for e in treaty.entities), treaty.entities


@pytest.mark.parametrize("name, kind", [
    # Seen listed as people on the web page's list of names, before these cues:
    ("San Jose", "place"), ("Puerto Velasco", "place"), ("Mill Lane", "place"), ("Scottish Highlands", "place"),
    ("Lumora Technologies", "org"), ("Alcázar FC", "org"), ("Fenmoor Zoo", "org"), ("Redport United", "org"),
    # A hyphenated surname is still a person's; "United States" is a place, not an organisation.
    ("Daniel Okafor-Reyes", "person"), ("United States", "place"), ("Major League Baseball", "org"),
    # A kind of name on its own is no name of anything.
    ("Harbour", "other"), ("Council", "other"),
    # Seen as people on the web's list of names: an event, a city, a valley.
    ("Continental Cup", "other"), ("Valmont Film Festival", "other"), ("São Paulo", "place"),
    ("Ashford Vale", "place"),
])
def test_names_are_typed_by_their_cues(name, kind):
    from storyline.text.entities import entity_type

    assert entity_type(name) == kind


def test_an_age_before_a_name_is_not_part_of_it():
    from storyline.text.entities import spans

    assert spans("Fourteen-year-old Maya Okonkwo-Bell beat 52-year-old Ivo Sarr.") == ["Maya Okonkwo-Bell", "Ivo Sarr"]


@pytest.mark.parametrize("name, core", [
    ("Belmara PM Voss", "Voss"), ("CFO Victor Amsel", "Victor Amsel"),
    ("Goaltender Felix Morane", "Felix Morane"), ("President Morvek", "President Morvek"),
])
def test_a_job_title_is_not_part_of_a_persons_name(name, core):
    from storyline.text.entities import person_core

    assert person_core(name) == core


def test_entity_article_counts_never_exceed_the_story(engine_with_stream):
    """An entity's count is the number of the story's articles naming it: at most the article count.

    (An article naming both "Defence Minister Tomas Aldervik" and "Aldervik" is one article.)
    """
    engine, _ = engine_with_stream
    for story in engine.stories():
        for e in story.entities:
            assert 1 <= e.count <= story.articles, (story.headline, e)


def test_story_of_a_merged_or_unknown_id(engine_with_stream):
    engine, _ = engine_with_stream
    assert engine.story(10_000) is None
    assert engine.stories(limit=2) == engine.stories()[:2]


def test_stories_are_listed_newest_activity_first_and_since_filters(engine_with_stream):
    engine, _ = engine_with_stream
    listed = engine.stories()
    lasts = [s.last_seen for s in listed]
    assert lasts == sorted(lasts, reverse=True)
    recent = engine.stories(since=T0 + 6 * HOUR)
    assert {s.id for s in recent} == {s.id for s in listed if s.last_seen >= T0 + 6 * HOUR}
    assert 0 < len(recent) < len(listed)


def test_same_input_same_order_gives_identical_stories():
    runs = []
    for _ in range(2):
        with Engine() as engine:
            assigned = place_stream(engine)
            runs.append(([(a.article_id, a.story_id, a.kind, a.score) for a in assigned.values()],
                         [(s.id, s.headline, s.summary, s.articles, s.entities) for s in engine.stories()]))
    assert runs[0] == runs[1]


def test_two_fresh_stores_get_identical_assignments(tmp_path):
    rows = []
    for name in ("one.db", "two.db"):
        with Engine(str(tmp_path / name)) as engine:
            place_stream(engine)
        import sqlite3

        con = sqlite3.connect(tmp_path / name)
        rows.append(con.execute("SELECT id, story, kind, copy_of, score FROM articles ORDER BY seq").fetchall())
        con.close()
    assert rows[0] == rows[1]
    assert len(rows[0]) == len(STREAM)


def test_stories_survive_reopening_the_file(tmp_path):
    db = str(tmp_path / "news.db")
    with Engine(db) as engine:
        place_stream(engine)
        before = [(s.id, s.headline, s.summary, s.articles, s.outlets) for s in engine.stories()]
    with Engine(db) as engine:
        after = [(s.id, s.headline, s.summary, s.articles, s.outlets) for s in engine.stories()]
        assert engine.add(articles()[0]).kind == "duplicate"
    assert after == before


def test_a_stream_split_over_two_sessions_clusters_like_one(tmp_path):
    """Closing the store half-way and reopening it must not change where later articles go."""
    with Engine() as engine:
        whole = {a.article_id: a.story_id for a in place_stream(engine).values()}
    db = str(tmp_path / "split.db")
    half = len(STREAM) // 2
    with Engine(db) as engine:
        first = place_stream(engine, STREAM[:half])
    with Engine(db) as engine:
        second = place_stream(engine, STREAM[half:])
        split = {i: engine.story_of(i) for i in whole}
    assert {i: a.story_id for i, a in {**first, **second}.items()} == whole
    assert split == whole


def test_articles_without_body_or_date_still_cluster():
    with Engine() as engine:
        a = engine.add(Article(id="x1", title="Brannock dam bursts after record rain"))
        b = engine.add(Article(id="x2", title="Record rain bursts Brannock dam, villages evacuated"))
        assert a.kind == "new" and b.kind == "joined" and a.story_id == b.story_id
        story = engine.story(a.story_id)
        assert story.first_seen is None and story.last_seen is None and story.timeline == ()
        assert story.articles == 2
        assert story.headline in {"Brannock dam bursts after record rain",
                                  "Record rain bursts Brannock dam, villages evacuated"}


@pytest.mark.parametrize("embeddings", ["none", "use"])
def test_a_capital_or_demonym_names_its_country(embeddings):
    # Issue 5's paraphrase: no word in common, and the names only meet through Pyongyang's country.
    config = Config().with_overrides({"embeddings": embeddings})
    with Engine(config=config) as engine:
        first = engine.add(Article(id="k1", title="North Korea prepares to send more soldiers", published=T0))
        second = engine.add(Article(id="k2", title="Pyongyang readies new troop deployment", published=T0 + HOUR))
        other = engine.add(Article(id="k3", title="Senator proposes to end the tax on tips", published=T0 + HOUR))
    assert second.kind == "joined" and second.story_id == first.story_id
    assert second.scores["title"] == 0.0 and second.scores["names"] > 0.5
    assert other.kind == "new"


def test_country_names_meet_across_demonyms_and_languages():
    v = Vectorizer()
    keys = [set(v.learn_transform(title, "").names) for title in (
        "Russian troops cross into the Kursk region",
        "Russland verlegt Truppen nach Kursk",
        "Rusia envía tropas a Kursk",
        "La Russie envoie des troupes à Koursk",
    )]
    assert all("@russia" in k for k in keys)
    assert not any("@russian" in k or "@russland" in k or "@rusia" in k or "@russie" in k for k in keys)


def test_a_word_repeated_a_thousand_times_is_weighed_like_any_other():
    # The table of logs once covered 800 counts at the start of a stream: a junk title overran it.
    with Engine() as engine:
        junk = engine.add(Article(id="j1", title="zz " * 1000, text="ab " * 2000))
        after = engine.add(Article(id="j2", title="Brannock dam bursts after record rain"))
    assert junk.kind == "new" and after.kind == "new"


def test_engine_writes_in_batches_and_reports_flushes(tmp_path):
    flushed = []
    db = tmp_path / "batches.db"
    engine = Engine(str(db), batch_size=4, on_flush=flushed.append)
    place_stream(engine)
    import sqlite3

    con = sqlite3.connect(db)
    stored_before_close = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    engine.close()
    stored_after_close = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    con.close()
    assert stored_before_close == len(STREAM) // 4 * 4
    assert stored_after_close == len(STREAM)
    assert flushed == [4, 8, 12, len(STREAM)]


def test_jsonl_file_round_trip_matches_api(tmp_path, run_cli):
    """The CLI and the Python API place the same file identically."""
    src = write_jsonl(tmp_path / "s.jsonl", STREAM, labels=False)
    db = tmp_path / "cli.db"
    assert run_cli("ingest", src, "--db", db).returncode == 0
    with Engine() as engine:
        api = {a.article_id: (a.story_id, a.kind) for a in place_stream(engine).values()}
    import sqlite3

    con = sqlite3.connect(db)
    cli = {i: (s, k) for i, s, k in con.execute("SELECT id, story, kind FROM articles")}
    con.close()
    assert cli == api


def test_a_reader_describes_what_the_engine_describes_without_replaying_the_store(tmp_path):
    """Commands that only look (stories, show, why, search) read the store with a StoryReader: the
    same stories as the engine that wrote them, without the engine's replay of every stored article."""
    from storyline.stories.reader import StoryReader

    path = str(tmp_path / "s.db")
    with Engine(path) as engine:
        place_stream(engine)
    with Engine(path) as engine:
        expected = engine.stories(limit=50)
        expected_lines = engine.storylines()
    reader = StoryReader(path)
    try:
        replay = reader.store.replay

        def no_replay(*args, **kwargs):
            raise AssertionError("a reader replayed the store")

        reader.store.replay = no_replay
        assert reader.stories(limit=50) == expected and len(expected) >= len(EVENTS_SEEN)
        assert [reader.story(s.id) for s in expected] == expected
        reader.store.replay = replay  # storylines read every stored decision, by design
        assert reader.storylines() == expected_lines
    finally:
        reader.close()


EVENTS_SEEN = {r["story"] for r in STREAM}


def test_a_person_of_a_place_is_that_person_and_that_place():
    with Engine(config=Config(embeddings="none")) as engine:
        for n, tail in enumerate(["Opposition leaders called for an inquiry.", "She denied wrongdoing.",
                                  "Falk named Jonas Brink as her successor."]):
            engine.add(Article(id=f"v{n}", title=f"Norland finance minister Varga resigns, report {n}",
                               text="Finance Minister Ilse Varga of Norland resigned on Tuesday after a report on "
                                    f"the Kestrel Fund accounts. Bank of Norland shares fell. {tail}",
                               published=T0 + n * HOUR))
        (story,) = engine.stories()
    names = {e.name: e.type for e in story.entities}
    assert names.get("Ilse Varga") == "person" and "Norland" in names
    assert "Ilse Varga of Norland" not in names  # a third name beside the two it is made of
    assert "Bank of Norland" in names  # one word before "of" is no person's name


def test_an_and_inside_an_organisations_name_keeps_it_whole():
    """"Brackwell Fire and Rescue" was shown as two names, "Brackwell Fire" and "Rescue"; "and" between
    two places still parts them."""
    with Engine(config=Config(embeddings="none")) as engine:
        for n, tail in enumerate(["Ten engines were sent.", "Nobody was hurt.", "The cause is not known."]):
            engine.add(Article(id=f"f{n}", title=f"Warehouse fire in Brackwell, update {n}",
                               text="A fire broke out at a warehouse in Brackwell on Friday night, and the fire "
                                    "spread fast. Brackwell Fire and Rescue said crews from Kaldoria and Veszmark "
                                    f"helped. {tail}",
                               published=T0 + n * HOUR))
        (story,) = engine.stories()
    names = {e.name: e.type for e in story.entities}
    assert names.get("Brackwell Fire and Rescue") == "org", names
    assert "Rescue" not in names and "Brackwell Fire" not in names
    assert "Kaldoria" in names and "Veszmark" in names


def test_a_story_whose_sentences_repeat_its_headline_still_has_a_summary():
    """Its one full sentence restated the headline and the other lacked a full stop: the summary was
    empty, and a story card showed nothing under the headline."""
    with Engine(config=Config(embeddings="none")) as engine:
        a = engine.add(Article(id="d1", title="Dam bursts near Orlen",
                               text="A dam burst near Orlen on Monday. Hundreds fled. The army was sent in to help"))
        b = engine.add(Article(id="d2", title="Ferry runs aground off Kessa",
                               text="A ferry ran aground off Kessa on Tuesday."))
        assert engine.story(a.story_id).summary == "The army was sent in to help"
        assert engine.story(b.story_id).summary == "A ferry ran aground off Kessa on Tuesday."


def test_a_title_the_cue_lists_do_not_know_is_folded_into_the_bare_name():
    """"Bundeskanzlerin Helene Brandt" (one German article) and "Helene Brandt" were two people, the
    first counted in four articles."""
    texts = ["Bundeskanzlerin Helene Brandt besuchte am Montag das Hochwassergebiet in Velden.",
             "Chancellor Helene Brandt visited the flooded town of Velden on Monday.",
             "Helene Brandt toured Velden, where the river burst its banks.",
             "In Velden, Helene Brandt promised money for the rebuilding."]
    with Engine(config=Config(embeddings="none")) as engine:
        for n, text in enumerate(texts):
            engine.add(Article(id=f"h{n}", title=f"Brandt visits flooded Velden ({n})", text=text,
                               source=f"Outlet {n}", published=T0 + n * HOUR))
        (story,) = engine.stories()
    names = {e.name: (e.type, e.count) for e in story.entities}
    assert names.get("Helene Brandt") == ("person", 4), names
    assert not [n for n in names if n.endswith("Helene Brandt") and n != "Helene Brandt"], names


def test_a_place_named_with_a_german_or_spanish_head_word_is_a_place():
    """"Provinz Hokuren" and "Stadt Sanmura" were people, and folded the English articles' bare names into them."""
    engine = Engine(config=Config(embeddings="none"))
    for n, (title, text, lang) in enumerate([
            ("Earthquake strikes Hokuren province", "A magnitude 6.4 earthquake struck Hokuren province, collapsing "
             "buildings in Sanmura, the Hokuren disaster agency said.", "en"),
            ("Hokuren quake toll rises", "The death toll from the earthquake in Hokuren province rose to 18 as "
             "rescuers searched Sanmura.", "en"),
            ("Erdbeben erschüttert Provinz Hokuren", "Ein Erdbeben der Stärke 6,4 hat die Provinz Hokuren "
             "erschüttert. In der Stadt Sanmura stürzten Gebäude ein.", "de")]):
        engine.add(Article(id=str(n), title=title, text=text, source=f"outlet{n}", lang=lang,
                           published=T0 + n * HOUR))
    (story,) = engine.stories()
    types = {e.name: e.type for e in story.entities}
    assert all(t != "person" for t in types.values()), types
