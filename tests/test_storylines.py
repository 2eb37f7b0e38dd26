"""Storylines: related stories of one thread, linked from the clustering decisions.

The fixture follows the seed coverage's shape with invented places: a troop deployment, a prisoner-swap
offer and an arms delivery in one war land in separate stories of one storyline; a tax debate stays apart.
"""

from __future__ import annotations

import json

from storyline import Article, Engine
from storyline.stories.storylines import StorylineLinks

from serve_server import Server, demo_store

H = 3600.0


def war_and_tax() -> list[Article]:
    items = [
        (0, "Drevnik sends 3,000 more troops to help Veszmark",
         "Drevnik has sent 3,000 more troops to Veszmark, intelligence officials said. The soldiers arrived by "
         "train near the Selva front."),
        (5, "More Drevnik soldiers arrive in Veszmark",
         "Thousands more soldiers from Drevnik have arrived in Veszmark by train, officials said on Tuesday, in "
         "a deployment that doubles its force."),
        (9, "Drevnik troop deployment to Veszmark doubles in size",
         "The Drevnik deployment in Veszmark has doubled to 6,000 troops, satellite images showed, as trains "
         "kept arriving."),
        (60, "Veszmark offers all-for-all prisoner swap with Kaldoria",
         "Veszmark's president offered Kaldoria an exchange of all prisoners of war held by both sides, a step "
         "mediators welcomed."),
        (64, "Kaldoria studies Veszmark's prisoner exchange offer",
         "Kaldoria's government said it was studying the offer from Veszmark to exchange all prisoners of war, "
         "and asked for lists of names."),
        (150, "Alvenia delivers 40,000 artillery shells for the Selva front",
         "Alvenia has delivered 40,000 artillery shells for the war on the Selva front against Veszmark and the "
         "Drevnik troops, its defence ministry said."),
        (155, "First Alvenian shells reach Selva front gunners",
         "The first of 40,000 Alvenian artillery shells reached gunners on the Selva front, officials said, "
         "easing a shortage in the war with Veszmark."),
        (160, "Senator Marlow proposes ending federal tax on restaurant tips",
         "Senator Anne Marlow of Ostland proposed a bill that would end federal income tax on tips earned by "
         "restaurant workers, drawing praise from unions."),
    ]
    return [Article(id=f"a{i}", title=t, text=x, source=f"outlet{i % 4}", published=h * H, lang="en")
            for i, (h, t, x) in enumerate(items)]


def test_related_stories_form_one_storyline_and_the_unrelated_stays_out(tmp_path):
    db = str(tmp_path / "war.db")
    with Engine(db) as engine:
        placed = {a.article_id: a.story_id for a in engine.add_many(war_and_tax())}
        lines = engine.storylines()
    war = {placed[f"a{i}"] for i in range(7)}
    assert len(war) >= 2, "the fixture needs several stories to tie"
    assert len(lines) == 1
    line = lines[0]
    ids = {s.id for s in line.stories}
    assert ids == war
    assert placed["a7"] not in ids
    assert "Kaldoria" in line.name or "Veszmark" in line.name
    latest = [s.last_seen for s in line.stories]
    assert latest == sorted(latest, reverse=True)


def test_links_need_enough_evidence_and_follow_merges():
    links = StorylineLinks(evidence=0.25, low=0.12)
    links.observe(1, 2, 0.11)  # below the floor: no evidence
    links.observe(1, 3, 0.2)
    assert links.groups(lambda s: s) == []
    links.observe(3, 1, 0.1)  # too weak to add up
    assert links.groups(lambda s: s) == []
    links.observe(4, 3, 0.3)
    assert links.groups(lambda s: s) == [(3, 4)]
    assert links.groups(lambda s: 1 if s == 4 else s) == [(1, 3)]  # 4 merged into 1: 1-3 add up to 0.5


def test_weak_links_do_not_chain_beyond_the_cap():
    links = StorylineLinks(evidence=0.25, low=0.12, max_stories=3)
    for a in range(1, 8):  # a chain 1-2-3-4-5-6-7, the 3-4 link strongest
        links.observe(a, a + 1, 0.9 if a == 3 else 0.3)
    groups = links.groups(lambda s: s)
    assert all(len(g) <= 3 for g in groups)
    assert any({3, 4} <= set(g) for g in groups)  # strongest links are kept first


def test_cli_and_web_show_the_storyline(tmp_path, run_cli):
    src = tmp_path / "war.jsonl"
    with open(src, "w", encoding="utf-8") as out:
        for a in war_and_tax():
            out.write(json.dumps({"id": a.id, "title": a.title, "text": a.text, "source": a.source,
                                  "published": a.published, "lang": a.lang}) + "\n")
    db = tmp_path / "war.db"
    assert run_cli("ingest", src, "--db", db).returncode == 0
    listed = run_cli("stories", "--storylines", "--db", db, "--json")
    assert listed.returncode == 0, listed.stderr
    (line,) = json.loads(listed.stdout)
    ids = [s["id"] for s in line["stories"]]
    text = run_cli("stories", "--storylines", "--db", db).stdout
    assert line["name"] in text and all(f"story {i}" in text for i in ids)

    server = Server(db)
    try:
        api = server.get(f"/api/stories/{ids[-1]}").json()
        assert api["storyline"]["name"] == line["name"]
        assert [s["id"] for s in api["storyline"]["stories"]] == ids
        page = server.get(f"/story/{ids[-1]}").text
        assert f"Storyline: {line['name']}" in page
        assert all(f'href="/story/{i}"' in page for i in ids[:-1])
        tax = server.get("/api/stories").json()["stories"]
        alone = [s["id"] for s in tax if s["id"] not in ids]
        assert alone and server.get(f"/api/stories/{alone[0]}").json()["storyline"] is None
    finally:
        server.stop()


def test_storylines_sort_by_coverage_and_since_counts_before_the_limit(tmp_path, run_cli):
    db = demo_store(tmp_path)

    def listed(*args: str) -> list[dict]:
        proc = run_cli("stories", "--storylines", "--db", db, "--json", "--limit", "50", *args)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    def size(line: dict) -> int:
        return sum(s["articles"] for s in line["stories"])

    def last(line: dict) -> str:
        return max(s["last_seen"] for s in line["stories"])

    by_activity = listed()
    assert len(by_activity) >= 3
    assert [last(x) for x in by_activity] == sorted((last(x) for x in by_activity), reverse=True)
    by_coverage = listed("--sort", "coverage")
    assert sorted(x["id"] for x in by_coverage) == sorted(x["id"] for x in by_activity)
    assert [size(x) for x in by_coverage] == sorted((size(x) for x in by_coverage), reverse=True)
    assert [x["id"] for x in by_coverage] != [x["id"] for x in by_activity]  # the order did change

    # --since keeps the storylines active in the window, then --limit takes the best of those: the most
    # covered of the recent ones, even when older ones are more covered.
    recent = listed("--since", "6h")
    assert 0 < len(recent) < len(by_activity)
    best_recent = max(recent, key=size)
    top = listed("--sort", "coverage", "--since", "6h", "--limit", "1")
    assert [x["id"] for x in top] == [best_recent["id"]]
    text = run_cli("stories", "--storylines", "--db", db, "--limit", "50").stdout
    assert " 1 articles" not in text and "(1 article," in text
    # A window with no storyline in it is not an empty store.
    quiet = run_cli("stories", "--storylines", "--db", db, "--since", "1s")
    assert quiet.returncode == 0 and quiet.stdout.startswith("No storylines active in that period"), quiet.stdout
