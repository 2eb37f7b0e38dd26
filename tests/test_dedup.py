"""Exact duplicates change nothing; near-identical copies fold under their original in its story."""

from __future__ import annotations

import json

from conftest import STREAM, T0, HOUR, query, story_of, write_jsonl

from storyline import Article, Engine

WIRE_SENTENCES = [
    "Engineers in Quillon began draining the old harbour basin on Tuesday to repair the sea wall that cracked "
    "during last winter's storms, the port authority said.",
    "The work is expected to take eleven weeks and will close the northern quay to fishing boats until the "
    "end of March, according to a statement from harbour master Petra Lindqvist.",
    "Lindqvist said the basin had not been fully drained for more than sixty years and that divers had found "
    "loose blocks along a stretch of nearly two hundred metres.",
    "Fishing crews will moor at the southern pier while the repairs go on, and the ferry to Dunmere will keep "
    "its normal timetable.",
    "The project is paid for by the regional council, which set aside money for coastal defences after the "
    "storms flooded several streets near the waterfront.",
    "A public meeting about the works will be held at the Quillon town hall next Thursday evening.",
]
WIRE_BODY = " ".join(WIRE_SENTENCES)
COPY_BODY = " ".join(WIRE_SENTENCES[:-1])  # the republisher trimmed the last sentence


def wire_records() -> list[dict]:
    return [
        {"id": "wire-1", "title": "Quillon drains old harbour to repair storm-damaged sea wall", "text": WIRE_BODY,
         "source": "Continental Wire", "published": T0, "url": "https://wire.example/quillon-harbour"},
        {"id": "copy-1", "title": "Harbour basin emptied as Quillon fixes its sea wall", "text": COPY_BODY,
         "source": "Valley Post", "published": T0 + HOUR, "url": "https://post.example/2026/quillon-wall"},
        {"id": "own-1", "title": "Quillon fishing crews move to southern pier during sea wall repairs",
         "text": "Fishing crews in Quillon moved their boats to the southern pier on Wednesday as the old harbour "
                 "basin was drained for sea wall repairs. Harbour master Petra Lindqvist said the northern quay "
                 "would stay closed until March. Some crews said the move would cost them a week of work.",
         "source": "Coastal Courier", "published": T0 + 2 * HOUR, "url": "https://courier.example/pier"},
    ]


def ingest(run_cli, src, db) -> dict:
    proc = run_cli("ingest", src, "--db", db, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- exact ----------------------------------------------------------------------------------------

def test_reingesting_the_same_file_changes_nothing(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "stream.jsonl", STREAM, labels=False)
    db = tmp_path / "news.db"
    first = ingest(run_cli, src, db)
    assert first["stored_articles"] == len(STREAM) and first["duplicate"] == 0
    articles = query(db, "SELECT seq, id, story, kind FROM articles ORDER BY seq")
    stories = query(db, "SELECT id, merged_into, articles, outlets, first_seen, last_seen FROM stories ORDER BY id")
    second = ingest(run_cli, src, db)
    assert second["duplicate"] == len(STREAM)
    assert second["new"] == second["joined"] == second["copy"] == 0
    assert second["stored_articles"] == len(STREAM) and second["stories"] == first["stories"]
    assert query(db, "SELECT seq, id, story, kind FROM articles ORDER BY seq") == articles
    assert query(db, "SELECT id, merged_into, articles, outlets, first_seen, last_seen FROM stories ORDER BY id") \
        == stories


def test_same_canonical_url_is_the_same_article(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "urls.jsonl", [
        {"title": "Selby opens winter night shelter", "url": "https://post.example/shelter?utm_source=rss",
         "source": "Valley Post"},
        {"title": "Selby opens a winter night shelter (updated)",
         "url": "https://post.example/shelter?utm_medium=social&fbclid=abc#comments", "source": "Valley Post"},
        {"id": "explicit-id", "title": "Winter shelter opens in Selby",
         "url": "HTTPS://POST.example:443/shelter", "source": "Valley Post"},
    ])
    db = tmp_path / "u.db"
    summary = ingest(run_cli, src, db)
    assert summary["read"] == 3 and summary["duplicate"] == 2 and summary["stored_articles"] == 1
    (row,) = query(db, "SELECT title, canonical_url FROM articles")
    assert row == ("Selby opens winter night shelter", "https://post.example/shelter")


def test_duplicate_assignment_points_at_the_stored_article():
    with Engine() as engine:
        first = engine.add(Article(id="a", title="Olsk gets new fire station", url="https://h.example/fire",
                                   source="Harbor Gazette"))
        again = engine.add(Article(id="b", title="Olsk gets a new fire station",
                                   url="https://h.example/fire?utm_campaign=x", source="Harbor Gazette"))
        same_text = engine.add(Article(id="c", title="OLSK gets  new FIRE station ", source="Harbor Gazette"))
        assert again.kind == "duplicate" and again.copy_of == "a" and again.story_id == first.story_id
        assert same_text.kind == "duplicate" and same_text.copy_of == "a"
        engine.flush()
        assert engine.store.counts() == {"articles": 1, "stories": 1}


def test_same_text_from_another_outlet_is_a_copy_not_a_duplicate():
    with Engine() as engine:
        first = engine.add(Article(id="a", title="Dunmere pier closed after storm", source="River Times"))
        other = engine.add(Article(id="b", title="Dunmere pier closed after storm", source="Valley Post"))
        assert other.kind == "copy" and other.copy_of == "a" and other.story_id == first.story_id
        story = engine.story(first.story_id)
        assert story.articles == 2 and story.outlets == 2


# -- near -----------------------------------------------------------------------------------------

def test_republished_wire_story_is_a_copy_in_the_same_story(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "wire.jsonl", wire_records())
    db = tmp_path / "wire.db"
    summary = ingest(run_cli, src, db)
    assert summary["copy"] == 1 and summary["stored_articles"] == 3
    rows = {r[0]: r[1:] for r in query(db, "SELECT id, kind, copy_of FROM articles")}
    assert rows["copy-1"] == ("copy", "wire-1")
    assert rows["wire-1"][0] == "new" and rows["own-1"][0] == "joined"
    story = story_of(db, "wire-1")
    assert story_of(db, "copy-1") == story == story_of(db, "own-1")

    why = run_cli("why", "copy-1", "--db", db, "--json")
    assert why.returncode == 0, why.stderr
    w = json.loads(why.stdout)
    assert w["kind"] == "copy" and w["copy_of"] == "wire-1" and w["story"] == story
    assert w["scores"]["resemblance"] >= 0.8
    text = run_cli("why", "copy-1", "--db", db)
    assert "copy of article wire-1" in text.stdout

    show = run_cli("show", str(story), "--db", db, "--json")
    assert show.returncode == 0, show.stderr
    s = json.loads(show.stdout)
    assert s["articles"] == 3
    assert s["outlets"] == 3  # the copying outlet counts as an outlet covering the story
    outlets = {g["outlet"]: g["articles"] for g in s["coverage"]}
    assert "Valley Post" not in outlets  # its only article is folded under the original
    (original,) = outlets["Continental Wire"]
    assert original["article_id"] == "wire-1"
    assert [c["article_id"] for c in original["copies"]] == ["copy-1"]
    assert original["copies"][0]["source"] == "Valley Post"
    assert original["copies"][0]["title"] == "Harbour basin emptied as Quillon fixes its sea wall"
    listed = [a["article_id"] for g in s["coverage"] for a in g["articles"]]
    listed += [c["article_id"] for g in s["coverage"] for a in g["articles"] for c in a["copies"]]
    assert sorted(listed) == ["copy-1", "own-1", "wire-1"]
    # A copy is not picked as the headline, nor counted twice in the entities.
    assert s["headline"] != "Harbour basin emptied as Quillon fixes its sea wall"
    page = run_cli("show", str(story), "--db", db)
    assert "copy: Valley Post" in page.stdout


def test_a_copy_of_a_copy_nests_under_the_first_original():
    records = wire_records()
    with Engine() as engine:
        for r in records[:2]:
            engine.add(Article(**{k: v for k, v in r.items()}))
        third = engine.add(Article(id="copy-2", title="Quillon sea wall repair starts", text=COPY_BODY,
                                   source="Evening Herald", published=T0 + 3 * HOUR))
        assert third.kind == "copy" and third.copy_of in {"wire-1", "copy-1"}
        story = engine.story(third.story_id)
        assert story.articles == 3 and story.outlets == 3
        (outlet, items), = story.coverage
        assert outlet == "Continental Wire"
        assert sorted(c.article_id for c in items[0].copies) == ["copy-1", "copy-2"]


def test_a_different_article_sharing_a_few_sentences_is_not_a_copy():
    with Engine() as engine:
        engine.add(Article(id="wire-1", title="Quillon drains old harbour", text=WIRE_BODY, source="Wire"))
        fresh = (" ".join(WIRE_SENTENCES[:1]) + " Residents of Quillon packed the town hall on Thursday to "
                 "complain about the noise of pumps running through the night, and the council promised to "
                 "limit the work to daytime hours from next week. Several shop owners near the quay said "
                 "trade had fallen by half since the northern quay closed to visitors and boats. The port "
                 "authority offered a small fund to help businesses hit by the closure, and a second meeting "
                 "was called for the end of the month to hear how the money would be shared out.")
        other = engine.add(Article(id="local-1", title="Quillon residents complain about harbour pump noise",
                                   text=fresh, source="Valley Post"))
        assert other.kind != "copy" and other.copy_of is None


def test_a_stock_phrase_shared_by_thousands_keeps_lookups_and_memory_bounded():
    """Every text opens with the same boilerplate: the sketches of old texts are forgotten and the
    buckets of shared hashes keep only their newest entries, yet a copy of a recent text is found."""
    from storyline.cluster.duplicates import NearDuplicates
    from storyline.text.shingles import sketch

    stock = "this story was produced with reporting from our correspondents in the region".split()
    nd = NearDuplicates(threshold=0.8, keep=300, bucket_size=16)
    bodies = [stock + [f"w{i}x{j}" for j in range(40)] for i in range(2000)]
    for i, body in enumerate(bodies):
        nd.add(i, sketch(body))
    assert len(nd) == 300
    assert sum(map(len, nd._buckets.values())) <= 300 * nd.bands  # forgotten sketches left no entries
    assert max(map(len, nd._buckets.values())) <= 16
    found = nd.find(sketch(bodies[1999] + ["and", "a", "new", "line"]))
    assert found is not None and found[0] == 1999
    assert nd.find(sketch(stock + [f"fresh{j}" for j in range(40)])) is None
