"""``storyline migrate``: an SQLite store copied to PostgreSQL (and back) without loss, proven by counts
and a checksum; clear one-line errors for a dead server, a missing source and a non-empty target."""

from __future__ import annotations

import json
import sqlite3

from conftest import STREAM, error_lines, write_jsonl
from stores import sql

from storyline.store import open_store
from storyline.store.transfer import TABLES, checksum, table_counts


def filled_sqlite(tmp_path, run_cli) -> str:
    """A store with articles, stories, merges' traces, feeds, a watchlist, an alert and cached stories."""
    db = tmp_path / "a.db"
    src = write_jsonl(tmp_path / "stream.jsonl", STREAM, labels=False)
    assert run_cli("ingest", src, "--db", db).returncode == 0
    con = sqlite3.connect(db)
    con.execute("INSERT INTO feeds (url, title, added_at, failures, articles_seen, extra) "
                "VALUES ('https://news.example/rss', 'Example', 1.5, 2, 7, '{\"folder\": \"world\"}')")
    con.execute("INSERT INTO watchlists (name, query, created_at, checked_seq) VALUES ('floods', 'Seline', 2.0, 3)")
    con.execute("INSERT INTO alerts (watchlist, story, condition, fired_at, payload) VALUES (1, 2, 'match', 3.0, '{}')")
    con.execute("INSERT INTO alert_deliveries (alert, target, next_try) VALUES (1, 'https://hooks.example', 4.0)")
    con.execute("INSERT INTO story_cache VALUES (1, 5, '{\"headline\": \"x\"}')")
    con.execute("INSERT INTO story_entities VALUES (1, 'Tomas Aldervik', 'person', 4)")
    con.execute("INSERT INTO meta VALUES ('brief_mark', '1795160520')")  # a text value, as SQLite allows
    con.commit()
    con.close()
    return str(db)


def test_sqlite_to_postgresql_and_back_loses_nothing(tmp_path, run_cli, pg_server):
    source = filled_sqlite(tmp_path, run_cli)
    target = pg_server.new_database()
    proc = run_cli("migrate", "--from", f"sqlite:///{source}", "--to", target, "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] and report["checksum"] == report["copied_checksum"]
    assert report["counts"]["articles"] == len(STREAM) and report["counts"]["feeds"] == 1
    assert "counts and checksum" in proc.stderr and "Traceback" not in proc.stderr
    # The copy is a working store: the same stories, searchable, and new ids continue after the copied ones.
    assert run_cli("stories", "--db", source, "--json").stdout == run_cli("stories", "--db", target, "--json").stdout
    store = open_store(target)
    try:
        assert {seq for seq, _, _ in store.search("Aldervik")} == {
            seq for (seq,) in sql(source, "SELECT seq FROM articles WHERE title || text LIKE '%Aldervik%'")}
    finally:
        store.close()
    assert sql(target, "INSERT INTO feeds (url, added_at) VALUES ('https://b.example/rss', 9) RETURNING id") == [(2,)]
    assert sql(target, "SELECT value FROM meta WHERE key = 'brief_mark'") == [(b"1795160520",)]
    # And back to SQLite: the same counts and checksum as the original (less the feed added above).
    sql(target, "DELETE FROM feeds WHERE id = 2")
    back = tmp_path / "back.db"
    proc = run_cli("migrate", "--from", target, "--to", back, "--quiet")
    assert proc.returncode == 0, proc.stderr
    original, copy = open_store(source), open_store(str(back))
    try:
        assert table_counts(copy) == table_counts(original)
        assert checksum(copy) == checksum(original)
        assert copy.search("Aldervik")  # the SQLite search index is rebuilt from the articles
    finally:
        original.close()
        copy.close()


def test_a_non_empty_target_is_refused_and_left_alone(tmp_path, run_cli, pg_server):
    source = filled_sqlite(tmp_path, run_cli)
    target = pg_server.new_database()
    assert run_cli("migrate", "--from", source, "--to", target, "--quiet").returncode == 0
    again = run_cli("migrate", "--from", source, "--to", target)
    assert again.returncode == 1 and "Traceback" not in again.stderr
    (line,) = error_lines(again.stderr)
    assert "not empty" in line and f"{len(STREAM)} articles" in line
    assert sql(target, "SELECT count(*) FROM articles") == [(len(STREAM),)]


def test_errors_are_one_line(tmp_path, run_cli):
    source = tmp_path / "a.db"
    dead = run_cli("migrate", "--from", "missing.db", "--to", "postgresql://news:pw@127.0.0.1:9/news")
    assert dead.returncode == 1 and "no such store" in dead.stderr and not (tmp_path / "missing.db").exists()
    write_jsonl(tmp_path / "one.jsonl", [{"id": "a", "title": "Olsk fair opens"}])
    assert run_cli("ingest", tmp_path / "one.jsonl", "--db", source).returncode == 0
    dead = run_cli("migrate", "--from", source, "--to", "postgresql://news:pw@127.0.0.1:9/news")
    assert dead.returncode == 1 and "Traceback" not in dead.stderr
    (line,) = error_lines(dead.stderr)
    assert "cannot connect to PostgreSQL" in line and ":pw@" not in line


def test_every_table_of_both_schemas_is_copied():
    """A table added to a schema must be added to the copy too."""
    from storyline.store.sqlite import SQLiteStore

    store = SQLiteStore(":memory:")
    tables = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
              if not r[0].startswith("articles_fts")}
    assert tables == set(TABLES)
    for table, columns in TABLES.items():
        assert [r[1] for r in store.db.execute(f"PRAGMA table_info({table})")] == [c for c, _ in columns]


def test_progress_ends_with_each_tables_total(tmp_path, run_cli):
    """The progress said "articles: 2,000 rows" (its first batch) and then "copied 2,999 articles":
    it read as a copy cut short. Each table now ends with its total."""
    from storyline import Article, Config, Engine

    source = tmp_path / "big.db"
    with Engine(source, Config(embeddings="none")) as engine:
        for i in range(2100):
            engine.add(Article(id=f"a{i}", title=f"Harbour notice number {i} for ship {i * 7919 % 10007}",
                               published=1795160520.0 + i))
    proc = run_cli("migrate", "--from", source, "--to", tmp_path / "copy.db")
    assert proc.returncode == 0, proc.stderr
    lines = [line for line in proc.stderr.splitlines() if "migrate: articles:" in line]
    assert lines == ["storyline migrate: articles: 2,000 rows so far",
                     "storyline migrate: articles: 2,100 rows, done"]


def test_a_copy_stopped_halfway_is_refused_by_every_command(tmp_path, run_cli, pg_server, monkeypatch):
    import storyline.store.transfer as transfer
    from storyline.cli.main import main

    source = filled_sqlite(tmp_path, run_cli)
    writes = []
    real_write = transfer._write

    def stopped(store, table, names, rows):  # ^C once the articles are copied, before their stories
        if table == "stories":
            raise KeyboardInterrupt
        writes.append(table)
        real_write(store, table, names, rows)

    monkeypatch.setattr(transfer, "_write", stopped)
    target = pg_server.new_database()
    assert main(["migrate", "--from", source, "--to", target, "--quiet"]) == 130
    assert sql(target, "SELECT count(*) FROM articles")[0][0] > 0  # half copied...
    refused = run_cli("stories", "--db", target)  # ...and refused, not shown as a store without stories
    assert refused.returncode == 1 and "storyline migrate was stopped before it finished" in refused.stderr
    assert "delete it (or empty the database) and run storyline migrate again" in refused.stderr
    # A new SQLite file is not left behind at all.
    local = tmp_path / "copy.db"
    assert main(["migrate", "--from", source, "--to", str(local), "--quiet"]) == 130
    assert not local.exists()
    monkeypatch.setattr(transfer, "_write", real_write)
    assert run_cli("migrate", "--from", source, "--to", local, "--quiet").returncode == 0
    assert run_cli("stories", "--db", local).returncode == 0  # a finished copy carries no mark
