"""The SQLite store: versioned schema, WAL, clear errors on foreign files, consistent counters."""

from __future__ import annotations

import sqlite3

import pytest

from conftest import STREAM, error_lines, query

from storyline import Article, Engine
from storyline.store.sqlite import MIGRATIONS, SQLiteStore, StoreError, default_path, open_store


def test_new_store_has_a_schema_version_and_wal(tmp_path):
    db = tmp_path / "new.db"
    SQLiteStore(db).close()
    assert query(db, "PRAGMA user_version")[0][0] == len(MIGRATIONS) >= 1
    assert query(db, "PRAGMA journal_mode")[0][0] == "wal"
    tables = {r[0] for r in query(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"articles", "stories", "meta"} <= tables


def test_store_written_by_the_cli_is_versioned_and_wal(stream_db):
    assert query(stream_db, "PRAGMA user_version")[0][0] >= 1
    assert query(stream_db, "PRAGMA journal_mode")[0][0] == "wal"


def test_reopening_keeps_the_version_and_the_data(tmp_path):
    db = str(tmp_path / "re.db")
    with Engine(db) as engine:
        engine.add(Article(id="a", title="Olsk fair opens"))
    store = SQLiteStore(db)
    assert store.schema_version == len(MIGRATIONS)
    assert store.counts() == {"articles": 1, "stories": 1}
    store.close()


def test_a_foreign_sqlite_file_is_refused(tmp_path):
    db = tmp_path / "other.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE invoices (n INTEGER)")
    con.execute("INSERT INTO invoices VALUES (1)")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="not a storyline database"):
        SQLiteStore(db)
    with pytest.raises(StoreError):
        Engine(str(db))
    # Refusing it did not change it.
    assert query(db, "SELECT n FROM invoices") == [(1,)]
    assert query(db, "PRAGMA user_version") == [(0,)]
    assert {r[0] for r in query(db, "SELECT name FROM sqlite_master WHERE type = 'table'")} == {"invoices"}


def test_refusing_a_foreign_sqlite_file_leaves_its_journal_mode_alone(tmp_path):
    """A file that is not ours is only read: it must not be switched to WAL on the way."""
    db = tmp_path / "other.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE invoices (n INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(StoreError):
        SQLiteStore(db)
    assert query(db, "PRAGMA journal_mode") == [("delete",)]


def test_a_random_file_is_refused(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(bytes(range(256)) * 64)
    with pytest.raises(StoreError) as info:
        SQLiteStore(junk)
    assert "junk.db" in str(info.value)
    assert junk.read_bytes() == bytes(range(256)) * 64


def test_a_newer_schema_is_refused(tmp_path):
    db = tmp_path / "future.db"
    SQLiteStore(db).close()
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    con.close()
    with pytest.raises(StoreError, match="newer"):
        SQLiteStore(db)


def test_missing_folder_and_unknown_backend(tmp_path):
    with pytest.raises(StoreError, match="does not exist"):
        SQLiteStore(tmp_path / "no" / "such" / "folder.db")
    with pytest.raises(StoreError, match="mysql"):
        open_store("mysql://localhost/news")
    store = open_store(f"sqlite:///{tmp_path / 'url.db'}")
    assert store.path == str(tmp_path / "url.db")
    store.close()


@pytest.mark.parametrize("kind", ["foreign", "junk"])
def test_cli_on_a_bad_store_is_one_clear_error(tmp_path, run_cli, kind):
    db = tmp_path / f"{kind}.db"
    if kind == "foreign":
        con = sqlite3.connect(db)
        con.execute("CREATE TABLE t (x)")
        con.close()
    else:
        db.write_text("this is not a database, just some notes\n" * 200)
    src = tmp_path / "a.jsonl"
    src.write_text('{"id": "a", "title": "Olsk fair opens"}\n')
    for args in (["stories"], ["ingest", str(src)], ["show", "1"]):
        proc = run_cli(*args, "--db", db)
        assert proc.returncode == 1, (args, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert len(error_lines(proc.stderr)) == 1 and str(db) in proc.stderr


def test_storyline_db_environment_variable_names_the_default(tmp_path, monkeypatch):
    target = tmp_path / "env.db"
    monkeypatch.setenv("STORYLINE_DB", str(target))
    assert default_path() == str(target)
    store = open_store()
    assert store.path == str(target)
    store.close()
    assert target.exists()
    monkeypatch.delenv("STORYLINE_DB")
    assert default_path() == "storyline.db"


def test_story_counters_match_the_articles(stream_db):
    stories = query(stream_db, "SELECT id, articles, outlets, first_seen, last_seen FROM stories "
                               "WHERE merged_into IS NULL AND articles > 0")
    actual = {r[0]: r[1:] for r in query(
        stream_db, "SELECT story, count(*), count(DISTINCT coalesce(source, '')), min(published), "
                   "max(published) FROM articles GROUP BY story")}
    assert {r[0]: r[1:] for r in stories} == actual
    assert sum(r[1] for r in stories) == len(STREAM)
    orphans = query(stream_db, "SELECT count(*) FROM articles WHERE story NOT IN (SELECT id FROM stories)")
    assert orphans == [(0,)]


def test_the_store_is_plain_tables_a_user_can_read(stream_db):
    rows = query(stream_db, "SELECT id, title, source, kind, why FROM articles WHERE id = 'dep-1'")
    assert rows and rows[0][1] == STREAM[0]["title"] and rows[0][2] == "Harbor Gazette" and rows[0][3] == "new"
    import json

    assert json.loads(rows[0][4])["kind"] == "new"


def test_merges_keep_articles_pointing_at_live_stories(tmp_path, run_cli):
    """When a bridging article ties two stories together, the store follows the merge."""
    from storyline import Config

    db = str(tmp_path / "merge.db")
    eager = Config().with_overrides({"merge_threshold": 0.0})
    with Engine(db, eager) as engine:
        a = engine.add(Article(id="m1", title="Brannock dam cracks after storm", published=0.0))
        b = engine.add(Article(id="m2", title="Quillon ferry halted by storm", published=60.0))
        c = engine.add(Article(id="m3", title="Storm cracks Brannock dam and halts Quillon ferry", published=120.0))
        assert a.story_id != b.story_id
        assert c.merged, c  # merging anything is allowed: the bridge ties the two stories
        (gone,) = c.merged
        kept = c.story_id
        assert {engine.story_of(i) for i in ("m1", "m2", "m3")} == {kept}
        story = engine.story(gone)  # a merged id gives the story that absorbed it
        assert story.id == kept and story.articles == 3
    con = sqlite3.connect(db)
    live = {r[0] for r in con.execute("SELECT id FROM stories WHERE merged_into IS NULL AND articles > 0")}
    pointed = {r[0] for r in con.execute("SELECT DISTINCT story FROM articles")}
    merged_into = con.execute("SELECT merged_into FROM stories WHERE id = ?", (gone,)).fetchone()
    con.close()
    assert pointed == live == {kept}
    assert merged_into == (kept,)
    shown = run_cli("show", str(gone), "--db", db, "--json")
    assert shown.returncode == 0, shown.stderr
    import json

    assert json.loads(shown.stdout)["id"] == kept
    why = json.loads(run_cli("why", "m1", "--db", db, "--json").stdout)
    assert why["story"] == kept
    listed = json.loads(run_cli("stories", "--db", db, "--json").stdout)
    assert [s["id"] for s in listed] == [kept]


def test_full_text_search_indexes_lazily_and_tolerates_bad_queries(tmp_path):
    from storyline import Article, Engine

    with Engine(str(tmp_path / "s.db")) as engine:
        engine.add(Article(id="q1", title="Quake hits Qeshm island", text="An earthquake struck near Dargahan.",
                           published=0.0))
        engine.add(Article(id="f1", title="Flood closes ports", text="Rain closed the ports of Dunmere.",
                           published=0.0))
        engine.flush()
        store = engine.store
        hits = store.search("dargahan")
        assert [seq for seq, _, _ in hits] == [1]
        assert hits[0][1] == engine.story_of("q1")
        assert store.sync_search() == 0  # already indexed by the search above
        engine.add(Article(id="f2", title="Dunmere ports reopen", text="Barges moved again.", published=9.0))
        engine.flush()
        assert {seq for seq, _, _ in store.search("dunmere")} == {2, 3}
        assert store.search('"unbalanced') == []  # FTS5 syntax error: searched as plain words


def test_a_version_1_store_is_migrated_with_its_articles_searchable(tmp_path):
    import sqlite3

    from storyline.store.sqlite import MIGRATIONS, SQLiteStore, _statements

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for statement in _statements(MIGRATIONS[0]):
        db.execute(statement)
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO articles (seq, id, title, text, story, kind, text_key, score, why, features) "
               "VALUES (1, 'a', 'Harbour strike in Kessling', 'Dockworkers walked out.', 1, 'new', 'k', 0, '{}', x'')")
    db.commit()
    db.close()
    store = SQLiteStore(path)
    assert store.schema_version == len(MIGRATIONS) >= 2
    assert [seq for seq, _, _ in store.search("dockworkers")] == [1]
