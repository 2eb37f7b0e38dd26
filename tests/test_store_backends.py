"""The store contract on both backends: each test runs on SQLite and on a real PostgreSQL server.

Versioned schema, refusal of foreign and newer databases, counters that match the articles, merges,
full-text search, catching up with another writer, and the CLI end to end (ingest, stories, show, why).
"""

from __future__ import annotations

import json

import pytest

from conftest import EVENTS, STREAM, by_event, error_lines, write_jsonl
from stores import is_pg, sql

from storyline import Article, Config, Engine
from storyline.ingest import to_article
from storyline.store import StoreError, open_store
from storyline.store import postgres as pg_store
from storyline.store import sqlite as sqlite_store


def migrations(target: str) -> list[str]:
    return pg_store.MIGRATIONS if is_pg(target) else sqlite_store.MIGRATIONS


def live_story(target: str, article_id: str) -> int:
    (story,), = sql(target, "SELECT story FROM articles WHERE id = ?", (article_id,))
    while True:
        row = sql(target, "SELECT merged_into FROM stories WHERE id = ?", (story,))
        if not row or row[0][0] is None:
            return story
        story = row[0][0]


@pytest.fixture
def ingested(store_target, run_cli, tmp_path) -> str:
    """A store holding STREAM, ingested by the CLI."""
    src = write_jsonl(tmp_path / "stream.jsonl", STREAM, labels=False)
    proc = run_cli("ingest", src, "--db", store_target)
    assert proc.returncode == 0, proc.stderr
    return store_target


def test_a_new_store_is_versioned_and_reopens_with_its_data(store_target):
    with Engine(store_target) as engine:
        engine.add(Article(id="a", title="Olsk fair opens"))
    store = open_store(store_target)
    try:
        assert store.schema_version == len(migrations(store_target)) >= 1
        assert store.counts() == {"articles": 1, "stories": 1}
        assert store.article("a").title == "Olsk fair opens"
    finally:
        store.close()



def test_a_postgresql_store_of_schema_1_is_upgraded_in_place(pg_server):
    """A store written before the "latest" index existed (schema version 1) gets it on open, data kept;
    dates no article can have, which older versions stored, are cleared (step 3)."""
    target = pg_server.new_database()
    with Engine(target, Config(embeddings="none")) as engine:
        engine.add(Article(id="a", title="Olsk fair opens", published=1.0e9))
        engine.add(Article(id="b", title="Glass museum opens in Orvanne", published=1.0e9))
    sql(target, "DROP INDEX stories_latest")
    sql(target, "UPDATE articles SET published = 'NaN' WHERE id = 'b'")
    sql(target, "UPDATE stories SET first_seen = 'NaN', last_seen = 'Infinity' WHERE id = "
                "(SELECT story FROM articles WHERE id = 'b')")
    sql(target, "UPDATE storyline_schema SET version = 1")
    store = open_store(target)
    try:
        assert store.schema_version == len(pg_store.MIGRATIONS) == 3
        assert store.article("a").title == "Olsk fair opens" and store.article("a").published == 1.0e9
        assert store.article("b").published is None
    finally:
        store.close()
    assert sql(target, "SELECT count(*) FROM pg_indexes WHERE indexname = 'stories_latest'") == [(1,)]
    assert sql(target, "SELECT first_seen, last_seen FROM stories WHERE id = (SELECT story FROM articles "
                       "WHERE id = 'b')") == [(None, None)]


def test_the_latest_stories_are_read_in_index_order(store_target):
    """The "latest" list (newest activity first, undated stories last) is read from an index in its
    order, not sorted: its cost must not grow with the number of stories."""
    with Engine(store_target, Config(embeddings="none")) as engine:
        engine.add(Article(id="a", title="Olsk fair opens", published=1.0e9))
    query = ("SELECT id FROM stories WHERE merged_into IS NULL AND articles > 0 "
             "ORDER BY last_seen DESC NULLS LAST, id DESC LIMIT 20")
    if is_pg(store_target):
        import psycopg

        with psycopg.connect(store_target, autocommit=True) as conn:
            # A tiny table would be scanned and sorted anyway: ask what the indexes can give.
            for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
                conn.execute(f"SET {setting} = off")
            plan = "\n".join(r[0] for r in conn.execute("EXPLAIN " + query))
    else:
        plan = "\n".join(str(r[-1]) for r in sql(store_target, "EXPLAIN QUERY PLAN " + query))
    assert "stories_" in plan and "Sort" not in plan and "TEMP B-TREE" not in plan, plan


def test_a_newer_schema_is_refused(store_target):
    open_store(store_target).close()
    newer = len(migrations(store_target)) + 1
    if is_pg(store_target):
        import psycopg

        with psycopg.connect(store_target, autocommit=True) as conn:
            conn.execute("UPDATE storyline_schema SET version = %s", (newer,))
    else:
        import sqlite3

        con = sqlite3.connect(store_target)
        con.execute(f"PRAGMA user_version = {newer}")
        con.close()
    with pytest.raises(StoreError, match="newer"):
        open_store(store_target)


def test_a_foreign_database_is_refused_and_left_alone(store_target):
    if is_pg(store_target):
        import psycopg

        with psycopg.connect(store_target, autocommit=True) as conn:
            conn.execute("CREATE TABLE invoices (n INTEGER)")
            conn.execute("INSERT INTO invoices VALUES (1)")
    else:
        import sqlite3

        con = sqlite3.connect(store_target)
        con.execute("CREATE TABLE invoices (n INTEGER)")
        con.execute("INSERT INTO invoices VALUES (1)")
        con.commit()
        con.close()
    with pytest.raises(StoreError, match="not a storyline"):
        open_store(store_target)
    with pytest.raises(StoreError):
        Engine(store_target)
    assert sql(store_target, "SELECT n FROM invoices") == [(1,)]


def test_story_counters_match_the_articles(ingested):
    stories = sql(ingested, "SELECT id, articles, outlets, first_seen, last_seen FROM stories "
                            "WHERE merged_into IS NULL AND articles > 0")
    actual = {r[0]: tuple(r[1:]) for r in sql(
        ingested, "SELECT story, count(*), count(DISTINCT coalesce(source, '')), min(published), "
                  "max(published) FROM articles GROUP BY story")}
    assert {r[0]: tuple(r[1:]) for r in stories} == actual
    assert sum(r[1] for r in stories) == len(STREAM)
    assert sql(ingested, "SELECT count(*) FROM articles WHERE story NOT IN (SELECT id FROM stories)") == [(0,)]


def test_cli_end_to_end_each_event_is_one_story(ingested, run_cli, tmp_path):
    for event, records in by_event().items():
        assert len({live_story(ingested, r["id"]) for r in records}) == 1, event
    assert len({live_story(ingested, r["id"]) for r in STREAM}) == len(EVENTS)
    listed = run_cli("stories", "--db", ingested, "--json")
    assert listed.returncode == 0, listed.stderr
    stories = json.loads(listed.stdout)
    assert len(stories) == len(EVENTS) and sum(s["articles"] for s in stories) == len(STREAM)
    flood = live_story(ingested, "fld-1")
    shown = json.loads(run_cli("show", str(flood), "--db", ingested, "--json").stdout)
    assert shown["id"] == flood and "Seline" in shown["headline"]
    why = json.loads(run_cli("why", "fld-2", "--db", ingested, "--json").stdout)
    assert why["story"] == flood and why["kind"] == "joined"
    # Ingesting again changes nothing: every article is recognised.
    src = write_jsonl(tmp_path / "again.jsonl", STREAM, labels=False)
    again = json.loads(run_cli("ingest", src, "--db", ingested, "--json").stdout.strip().splitlines()[-1])
    assert again["duplicate"] == len(STREAM) and again["stored_articles"] == len(STREAM)


def test_both_backends_make_the_same_stories(ingested, tmp_path, run_cli):
    reference = str(tmp_path / "reference.db")
    if ingested == reference:
        return
    src = write_jsonl(tmp_path / "ref.jsonl", STREAM, labels=False)
    assert run_cli("ingest", src, "--db", reference).returncode == 0
    columns = "SELECT id, seq, story, kind, copy_of, why FROM articles ORDER BY seq"
    assert sql(ingested, columns) == sql(reference, columns)


def test_merges_keep_articles_pointing_at_live_stories(store_target, run_cli):
    """When a bridging article ties two stories together, the store and the CLI follow the merge."""
    eager = Config().with_overrides({"merge_threshold": 0.0})
    with Engine(store_target, eager) as engine:
        a = engine.add(Article(id="m1", title="Brannock dam cracks after storm", published=0.0))
        b = engine.add(Article(id="m2", title="Quillon ferry halted by storm", published=60.0))
        c = engine.add(Article(id="m3", title="Storm cracks Brannock dam and halts Quillon ferry", published=120.0))
        assert a.story_id != b.story_id and c.merged
        (gone,) = c.merged
        kept = c.story_id
        story = engine.story(gone)
        assert story.id == kept and story.articles == 3
    live = {r[0] for r in sql(store_target, "SELECT id FROM stories WHERE merged_into IS NULL AND articles > 0")}
    pointed = {r[0] for r in sql(store_target, "SELECT DISTINCT story FROM articles")}
    assert pointed == live == {kept}
    assert sql(store_target, "SELECT merged_into FROM stories WHERE id = ?", (gone,)) == [(kept,)]
    store = open_store(store_target)
    try:
        assert store.resolve(gone) == kept and [r.id for r in store.story_articles(gone)] == ["m1", "m2", "m3"]
    finally:
        store.close()
    shown = run_cli("show", str(gone), "--db", store_target, "--json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["id"] == kept
    assert json.loads(run_cli("why", "m1", "--db", store_target, "--json").stdout)["story"] == kept
    assert [s["id"] for s in json.loads(run_cli("stories", "--db", store_target, "--json").stdout)] == [kept]


def test_full_text_search_finds_words_and_tolerates_bad_queries(store_target):
    with Engine(store_target) as engine:
        engine.add(Article(id="q1", title="Quake hits Qeshm island", text="An earthquake struck near Dargahan.",
                           published=0.0))
        engine.add(Article(id="f1", title="Flood closes ports", text="Rain closed the ports of Dunmere.",
                           published=0.0))
        engine.flush()
        store = engine.store
        hits = store.search("dargahan")
        assert [seq for seq, _, _ in hits] == [1] and hits[0][1] == engine.story_of("q1")
        engine.add(Article(id="f2", title="Dunmere ports reopen", text="Barges moved again.", published=9.0))
        engine.flush()
        assert {seq for seq, _, _ in store.search("dunmere")} == {2, 3}
        assert {seq for seq, _, _ in store.search("Qeshm OR barges")} == {1, 3}
        assert store.search('"unbalanced') == []
        ranks = [rank for _, _, rank in store.search("dunmere ports")]
        assert ranks == sorted(ranks)  # best (lowest) first on both backends


def test_a_second_engine_catches_up_with_what_another_wrote(store_target):
    """Two writers on one store: the later one sees the earlier one's articles before deciding."""
    first = Engine(store_target)
    second = Engine(store_target)  # opened before the first writes anything
    try:
        a = first.add(Article(id="s1", title="Seline River flood closes Dunmere ports", source="River Times",
                              published=0.0))
        first.flush()
        again = second.add(Article(id="s1", title="Seline River flood closes Dunmere ports", published=0.0))
        joined = second.add(Article(id="s2", title="Dunmere ports stay shut as Seline River flood rises",
                                    source="Harbor Gazette", published=60.0))
        second.flush()
        assert again.kind == "duplicate" and again.story_id == a.story_id
        assert joined.kind == "joined" and joined.story_id == a.story_id
        third = first.add(Article(id="s3", title="Seline River flood crest nears Dunmere ports", published=90.0))
        assert third.story_id == a.story_id and first.store.counts() == {"articles": 2, "stories": 1}
        first.flush()
    finally:
        first.close()
        second.close()
    assert sql(store_target, "SELECT seq, id FROM articles ORDER BY seq") == [(1, "s1"), (2, "s2"), (3, "s3")]


def test_replay_after_a_seq(store_target):
    with Engine(store_target) as engine:
        engine.add_many([Article(id=f"r{i}", title=f"Item {i} of the Olsk fair") for i in range(5)])
    store = open_store(store_target)
    try:
        assert [r.id for r in store.replay(after=3)] == ["r3", "r4"]
        assert store.begin_write() == 5
        store.end_write()
    finally:
        store.close()


def test_runner_ups_and_merges_are_read_from_the_decisions(store_target):
    """What storylines are made of, read by the database, equals what the stored decisions say."""
    eager = Config(embeddings="none", merge_threshold=0.0)
    with Engine(store_target, eager) as engine:
        engine.add(Article(id="m1", title="Brannock dam cracks after storm", published=0.0))
        engine.add(Article(id="m2", title="Quillon ferry halted by storm", published=60.0))
        bridge = engine.add(Article(id="m3", title="Storm cracks Brannock dam and halts Quillon ferry",
                                    published=120.0))
        engine.add_many([to_article({k: v for k, v in r.items() if k != "story"}) for r in STREAM])
    assert bridge.merged
    store = open_store(store_target)
    try:
        expected = []
        for row in store.replay():
            why = json.loads(row.why)
            if row.kind != "copy" and why.get("runner_up") is not None and why["runner_up_score"] >= 0.05:
                expected.append((row.story, why["runner_up"], why["runner_up_score"]))
        assert len(expected) >= 3, "the fixture needs decisions with a runner-up"
        got = store.runner_ups(0.05)
        assert [(s, r) for s, r, _ in got] == [(s, r) for s, r, _ in expected]
        # (pytest 9.2 refuses approx over a list of tuples: the scores are compared one by one)
        assert [score for _, _, score in got] == pytest.approx([score for _, _, score in expected])
        assert all(type(r) is int for _, r, _ in got)
        assert store.runner_ups(2.0) == []
        assert store.merges() == {bridge.merged[0]: bridge.story_id}
    finally:
        store.close()


@pytest.mark.parametrize("command", [["stories"], ["show", "1"], ["ingest", "-"]])
def test_a_dead_server_is_one_clear_line(run_cli, command):
    url = "postgresql://news:s3cret@127.0.0.1:9/news"  # the discard port: nothing listens there
    proc = run_cli(*command, "--db", url, input='{"title": "Olsk fair opens"}\n')
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "s3cret" not in proc.stderr
    (line,) = error_lines(proc.stderr)
    assert "cannot connect to PostgreSQL" in line and "news:***@127.0.0.1:9/news" in line


def test_server_connections_give_up_on_a_vanished_host_unless_the_url_says_otherwise(pg_server):
    # A server host that disappears mid-session must end a read within about a minute, not hang it:
    # every connection (the store's and the web server's) asks the kernel for keepalive probes.
    from storyline.serve import db as serve_db

    url = pg_server.new_database()
    store = open_store(url)
    page = serve_db.open_connection(url, readonly=True)
    try:
        for conn in (store.conn, page.conn):
            params = conn.info.get_parameters()
            assert {key: params.get(key) for key in pg_store.LIVENESS} == pg_store.LIVENESS
    finally:
        store.close()
        page.conn.close()
    own = pg_store.connect(url + ("&" if "?" in url else "?") + "keepalives_idle=5")
    try:
        params = own.info.get_parameters()
        assert params["keepalives_idle"] == "5" and params["tcp_user_timeout"] == "60000"
    finally:
        own.close()


def test_an_unknown_backend_is_refused():
    with pytest.raises(StoreError, match="unknown store backend 'mysql'"):
        open_store("mysql://localhost/news")


def test_feeds_and_watch_on_both_backends(store_target, run_cli, tmp_path):
    """`feeds` and `watch` run their own SQL on ``store.db``: on PostgreSQL through the portable layer."""
    from feed_server import FeedServer, news_feeds

    server = FeedServer()
    try:
        urls = []
        for path, _outlet, body in news_feeds(server.url(""), feeds=4, items=5):
            server.feed(path, body)
            urls.append(server.url(path))
        added = run_cli("feeds", "add", *urls, "--db", store_target)
        assert added.returncode == 0, added.stderr
        again = run_cli("feeds", "add", urls[0], "--db", store_target)
        assert again.returncode == 0, again.stderr
        assert sql(store_target, "SELECT count(*) FROM feeds") == [(4,)]
        watched = run_cli("watch", "--once", "--allow-private", "--json", "--db", store_target)
        assert watched.returncode == 0, watched.stderr
        summary = json.loads(watched.stdout)
        assert (summary["fetched"], summary["failed"], summary["added"]) == (4, 0, 20)
        assert sql(store_target, "SELECT count(*) FROM articles") == [(20,)]
        assert sql(store_target, "SELECT count(*) FROM feeds WHERE articles_seen = 5 AND next_fetch IS NOT NULL"
                   ) == [(4,)]
        not_due = run_cli("watch", "--once", "--allow-private", "--db", store_target)
        assert not_due.returncode == 0 and "no feed is due" in not_due.stderr
        listed = run_cli("feeds", "list", "--db", store_target)
        assert listed.returncode == 0 and urls[0] in listed.stdout
        removed = run_cli("feeds", "remove", "1", "--db", store_target)
        assert removed.returncode == 0, removed.stderr
        assert sql(store_target, "SELECT count(*) FROM feeds") == [(3,)]
    finally:
        server.close()


def test_the_portable_layer_speaks_the_sqlite_dialect(pg_server):
    store = open_store(pg_server.new_database())
    try:
        db = store.db
        db.execute("BEGIN IMMEDIATE")
        cur = db.execute("INSERT INTO watchlists (name, query, created_at) VALUES (?, ?, ?)", ("ports", "Kessling", 1.0))
        db.execute("COMMIT")
        assert cur.lastrowid == 1 and cur.rowcount == 1
        db.executemany("INSERT OR IGNORE INTO alerts (watchlist, story, condition, fired_at, payload) "
                       "VALUES (?, ?, 'match', ?, '{}')", [(1, 7, 2.0), (1, 7, 3.0)])
        assert db.execute("SELECT count(*) FROM alerts").fetchone() == (1,)
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", ("mark", b"1"))
        db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", ("mark", b"2"))
        assert store.get_state("mark") == b"2"
        assert [r for r in db.execute("SELECT name FROM watchlists WHERE name LIKE '%or%'")] == [("ports",)]
    finally:
        store.close()


def test_watchlists_alerts_and_briefs_on_both_backends(store_target, run_cli, tmp_path):
    from brief_fixtures import BURST, EARLY, FESTIVAL, write

    assert run_cli("ingest", write(tmp_path / "early.jsonl", EARLY), "--db", store_target).returncode == 0
    out = tmp_path / "alerts.jsonl"
    for args in (("bridge", "--query", "Tarvik"), ("lights", "--query", "lanterns", "--command", f"cat >> '{out}'")):
        proc = run_cli("watchlist", "add", *args, "--db", store_target)
        assert proc.returncode == 0, proc.stderr
    proc = run_cli("ingest", write(tmp_path / "more.jsonl", BURST + FESTIVAL), "--db", store_target)
    assert proc.returncode == 0, proc.stderr
    assert "alert [lights] match:" in proc.stderr and "alert [bridge] burst:" in proc.stderr
    assert "lanterns" in out.read_text().lower() or "Corvane" in out.read_text()
    listed = json.loads(run_cli("alerts", "--json", "--db", store_target).stdout)
    assert sorted((a["watchlist"], a["condition"]) for a in listed) == [("bridge", "burst"), ("lights", "match")]
    again = run_cli("ingest", write(tmp_path / "again.jsonl", FESTIVAL), "--db", store_target)
    assert again.returncode == 0 and "alert [" not in again.stderr  # once each
    assert run_cli("watchlist", "remove", "lights", "--db", store_target).returncode == 0

    brief = json.loads(run_cli("brief", "--db", store_target, "--format", "json", "--since", "48h").stdout)
    assert any("Tarvik" in s["headline"] for s in brief["stories"])
    topic = json.loads(run_cli("brief", "--db", store_target, "--format", "json", "--topic", "lanterns").stdout)
    assert [s["headline"] for s in topic["stories"]] and all("Corvane" in s["headline"] for s in topic["stories"])
    first = run_cli("brief", "--db", store_target, "--format", "json", "--since-last")
    assert first.returncode == 0, first.stderr
    second = json.loads(run_cli("brief", "--db", store_target, "--format", "json", "--since-last").stdout)
    assert second["articles"] == 0  # nothing arrived since the last brief
