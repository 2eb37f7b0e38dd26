"""What only the SQLite store has: WAL, refusal of foreign and junk files, the lazily synced FTS5 index.

The contract both backends keep (versions, counters, merges, search, the CLI) is in test_store_backends.py.
"""

from __future__ import annotations

import sqlite3

import pytest

from conftest import STREAM, error_lines, query

from storyline import Engine
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


def test_the_store_is_plain_tables_a_user_can_read(stream_db):
    rows = query(stream_db, "SELECT id, title, source, kind, why FROM articles WHERE id = 'dep-1'")
    assert rows and rows[0][1] == STREAM[0]["title"] and rows[0][2] == "Harbor Gazette" and rows[0][3] == "new"
    import json

    assert json.loads(rows[0][4])["kind"] == "new"


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


def test_impossible_dates_an_older_version_stored_are_cleared_on_upgrade(tmp_path, run_cli):
    import math
    import sqlite3

    from storyline import Article, Engine
    from storyline.store.sqlite import MIGRATIONS, SQLiteStore

    path = tmp_path / "poisoned.db"
    with Engine(str(path)) as engine:
        engine.add(Article(id="a", title="Harbour strike in Kessling", published=1_795_160_520.0))
        engine.add(Article(id="b", title="Harbour strike in Kessling ends", published=1_795_170_520.0))
        c = engine.add(Article(id="c", title="Glass museum opens in Orvanne", published=1_795_170_520.0))
    # What versions before the intake's date checks could store (year 10000, infinity), as schema 4.
    db = sqlite3.connect(path)
    db.execute("UPDATE articles SET published = ? WHERE id = 'b'", (math.inf,))
    db.execute("UPDATE stories SET last_seen = ? WHERE id != ?", (math.inf, c.story_id))
    db.execute("UPDATE articles SET published = 253402300800.0 WHERE id = 'c'")
    db.execute("UPDATE stories SET first_seen = 253402300800.0, last_seen = 253402300800.0 WHERE id = ?",
               (c.story_id,))
    db.execute("PRAGMA user_version = 4")
    db.commit()
    db.close()

    store = SQLiteStore(path)
    assert store.schema_version == len(MIGRATIONS) == 5
    store.close()
    rows = dict(sqlite3.connect(path).execute("SELECT id, published FROM articles").fetchall())
    assert rows == {"a": 1_795_160_520.0, "b": None, "c": None}
    spans = sqlite3.connect(path).execute("SELECT id, first_seen, last_seen FROM stories ORDER BY id").fetchall()
    assert spans[0][1:] == (1_795_160_520.0, 1_795_160_520.0) and spans[-1] == (c.story_id, None, None)
    listed = run_cli("stories", "--db", path, "--json")
    assert listed.returncode == 0, listed.stderr


def test_a_full_disk_is_reported_as_such(tmp_path):
    """SQLite rolls back by itself on a full disk; the ROLLBACK after it failed with "no transaction
    is active", and that was the error users saw."""
    import sqlite3

    from storyline import Article, Engine
    from storyline.config import Config

    engine = Engine(str(tmp_path / "full.db"), Config(embeddings="none"), batch_size=50)
    engine.add(Article(id="a0", title="Quillon harbour reopens", text="The harbour reopened."))
    engine.flush()
    db = engine.store.db
    db.execute(f"PRAGMA max_page_count = {db.execute('PRAGMA page_count').fetchone()[0] + 3}")  # a tiny disk
    with pytest.raises(sqlite3.OperationalError, match="full"):
        for i in range(2000):
            engine.add(Article(id=f"a{i + 1}", title=f"Report {i} on Quillon harbour and the Dunmere bridge",
                               text=f"Words about the harbour and bridge number {i}. " * 20))
        engine.flush()
    db.execute("PRAGMA max_page_count = 1073741823")  # space again: what was written is intact
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] >= 1
