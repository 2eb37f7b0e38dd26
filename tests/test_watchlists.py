"""Watchlists: add, list, remove, and which stories a query or an entity matches."""

from __future__ import annotations

import json

from brief_fixtures import STREAM, write
from conftest import query


def _setup(run_cli, tmp_path):
    db = tmp_path / "w.db"
    proc = run_cli("ingest", write(tmp_path / "s.jsonl", STREAM), "--db", db)
    assert proc.returncode == 0, proc.stderr
    return db


def _story(db, article_id):
    return query(db, "SELECT story FROM articles WHERE id = ?", (article_id,))[0][0]


def test_add_list_remove(run_cli, tmp_path):
    db = _setup(run_cli, tmp_path)
    proc = run_cli("watchlist", "add", "bridges", "--query", "bridge AND collapse", "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert "1 story matches now" in proc.stdout
    proc = run_cli("watchlist", "add", "people", "--entity", "Mira Castellan", "--command", "cat", "--db", db)
    assert proc.returncode == 0 and "1 story matches now" in proc.stdout
    listed = json.loads(run_cli("watchlist", "list", "--json", "--db", db).stdout)
    assert [(w["name"], w["query"], w["entity"], w["command"], w["alerts"]) for w in listed] == [
        ("bridges", "bridge AND collapse", None, None, 0), ("people", None, "Mira Castellan", "cat", 0)]
    text = run_cli("watchlist", "list", "--db", db).stdout
    assert "bridges: query 'bridge AND collapse'; 0 alerts" in text
    assert run_cli("watchlist", "remove", "bridges", "--db", db).returncode == 0
    assert [w["name"] for w in json.loads(run_cli("watchlist", "list", "--json", "--db", db).stdout)] == ["people"]


def test_mistakes_are_one_line_errors(run_cli, tmp_path):
    db = _setup(run_cli, tmp_path)
    cases = [(("add", "x"), "needs --query or --entity"),
             (("add", "x", "--query", "a", "--webhook", "ftp://h/"), "http(s) URL"),
             (("remove", "nope"), "no watchlist 'nope'")]
    for args, message in cases:
        proc = run_cli("watchlist", *args, "--db", db)
        assert proc.returncode == 1 and message in proc.stderr and len(proc.stderr.splitlines()) == 1
    # no action: one line, as `storyline feeds` says it (it was argparse's usage, exit 2)
    proc = run_cli("watchlist")
    assert proc.returncode == 1 and proc.stderr.strip() == (
        "storyline: error: watchlist needs an action: add, list or remove (see `storyline watchlist --help`)")
    assert run_cli("watchlist", "add", "x", "--query", "a", "--db", db).returncode == 0
    proc = run_cli("watchlist", "add", "x", "--query", "b", "--db", db)
    assert proc.returncode == 1 and "exists" in proc.stderr


def test_names_that_cannot_be_part_of_an_address_are_refused(run_cli, tmp_path):
    """A name is a segment of /watchlists/NAME: `.`, `..`, a slash or backslash would send its links
    elsewhere, and control or invisible characters hide in logs and links. Each is a one-line error."""
    db = _setup(run_cli, tmp_path)
    cases = [(".", "cannot name a watchlist"), ("..", "cannot name a watchlist"),
             ("../x", "slash or backslash"), ("ports/strikes", "slash or backslash"), ("a\\b", "slash or backslash"),
             ("bell\x07", "control or invisible character (U+0007)"),
             ("tab\there", "control or invisible character (U+0009)"),
             ("line\u2028break", "control or invisible character (U+2028)"),
             ("evil\u202egnp.exe", "control or invisible character (U+202E)"),
             ("x" * 201, "at most 200 characters")]
    for name, message in cases:
        proc = run_cli("watchlist", "add", name, "--query", "bridge", "--db", db)
        assert proc.returncode == 1 and message in proc.stderr, (name, proc.stderr)
        assert len(proc.stderr.splitlines()) == 1, proc.stderr
    assert json.loads(run_cli("watchlist", "list", "--json", "--db", db).stdout) == []
    # what an address can carry is fine (percent-encoded where the web links it)
    for name in ("Ports & strikes: 50% ?#1", "Tarvik…", "x" * 200, " padded "):
        proc = run_cli("watchlist", "add", name, "--query", "bridge", "--db", db)
        assert proc.returncode == 0, (name, proc.stderr)
    names = [w["name"] for w in json.loads(run_cli("watchlist", "list", "--json", "--db", db).stdout)]
    assert sorted(names) == sorted(["Ports & strikes: 50% ?#1", "Tarvik…", "x" * 200, "padded"])


def test_matching_by_query_entity_and_both(tmp_path, run_cli):
    from storyline.alerts.watchlists import Watchlists, matching_stories
    from storyline.engine import Engine

    db = _setup(run_cli, tmp_path)
    bridge, vote, festival = _story(db, "brg-0"), _story(db, "vot-1"), _story(db, "fst-0")
    with Engine(str(db)) as engine:
        lists = Watchlists(engine.store.db)
        common = engine.vectorizer.common

        def match(**kw):
            return matching_stories(lists.add(f"w{len(lists.all())}", **kw), engine.store, common)

        assert match(query="Tarvik OR Salvern") == {bridge, vote}
        assert match(query="lanterns") == {festival}
        assert match(entity="Holmqvist") == {bridge}          # a surname finds "Edda Holmqvist"
        assert match(entity="Piet Anselm") == {vote}
        assert match(entity="Edda") == {bridge}
        assert match(entity="Nobody Here") == set()
        assert match(query="council", entity="Piet Anselm") == {vote}
        assert match(query="lanterns", entity="Piet Anselm") == set()  # both must match
        assert matching_stories(lists.get("w0"), engine.store, common, among={vote}) == {vote}


def test_an_entity_matches_whatever_its_accents_and_its_unicode_form(tmp_path, run_cli):
    import unicodedata

    records = [{"id": f"z{i}", "title": f"Union leader Zoë Harrow rejects Talvik port offer {i}",
                "text": "Zoë Harrow, who leads the Talvik dockworkers, rejected the port authority's offer.",
                "source": f"outlet{i}", "published": f"2026-12-01T0{i}:00:00Z"} for i in range(3)]
    db = tmp_path / "z.db"
    assert run_cli("ingest", write(tmp_path / "z.jsonl", records), "--db", db).returncode == 0
    for name, entity in (("plain", "Zoe Harrow"), ("upper", "ZOË HARROW"), ("composed", "Zoë Harrow")):
        proc = run_cli("watchlist", "add", name, "--entity", entity, "--db", db)
        assert proc.returncode == 0 and "1 story matches now" in proc.stdout, (entity, proc.stdout)
    decomposed = unicodedata.normalize("NFD", "Zoë")
    assert run_cli("watchlist", "add", "Zoë", "--entity", "Harrow", "--db", db).returncode == 0
    again = run_cli("watchlist", "add", decomposed, "--entity", "Harrow", "--db", db)
    assert again.returncode == 1 and "exists" in again.stderr  # one name, however it was typed
