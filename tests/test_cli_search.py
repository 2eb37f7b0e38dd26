"""``storyline search``: by words and by meaning (across languages), the same on SQLite and on PostgreSQL
(with pgvector), and one-line errors that say what to do. The CLI runs in-process (``main``), so the
embedding model loads once for the whole file. The news here is invented for these tests."""

from __future__ import annotations

import json

import pytest
from conftest import T0, error_lines, write_jsonl

from storyline.cli.main import main

NEWS = [
    {"id": "quake-1", "title": "Strong earthquake shakes northern Japan", "source": "Wire A", "published": T0,
     "text": "A magnitude 7.1 earthquake struck off the coast of northern Japan on Monday, shaking buildings in "
             "Sendai and prompting a brief tsunami warning."},
    {"id": "quake-2", "title": "Japan lifts tsunami warning after strong quake", "source": "Wire B",
     "published": T0 + 3600,
     "text": "Japanese authorities lifted a tsunami warning hours after a strong earthquake hit the northern "
             "coast near Sendai. Minor damage was reported."},
    {"id": "rate-1", "title": "Central bank raises interest rates to curb inflation", "source": "Wire A",
     "published": T0 + 7200,
     "text": "The central bank raised its main interest rate by a quarter point on Tuesday, saying inflation "
             "remained too high."},
    {"id": "cup-1", "title": "Harbor City wins the cup final on penalties", "source": "Sports Daily",
     "published": T0 + 9000,
     "text": "Harbor City beat Riverside in a penalty shoot-out to win the national cup final after a "
             "goalless draw."},
    {"id": "flood-1", "title": "Flood closes ports along the Seline River", "source": "River Times",
     "published": T0 + 10000,
     "text": "Floodwater closed three ports along the Seline River after days of heavy rain, officials said."},
]


@pytest.fixture(autouse=True)
def no_settings(monkeypatch, tmp_path):
    """No STORYLINE_* settings from the machine running the tests; run in tmp_path."""
    import os

    for key in [k for k in os.environ if k.startswith("STORYLINE_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def search_json(capsys, *args: str) -> list[dict]:
    code, out, err = cli(capsys, "search", *args, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def stores(tmp_path, pg_server, capsys):
    """The same news ingested (embeddings on, the default) into an SQLite file and a PostgreSQL database."""
    src = write_jsonl(tmp_path / "news.jsonl", NEWS)
    targets = [str(tmp_path / "news.db"), pg_server.new_database()]
    for target in targets:
        code, _, err = cli(capsys, "ingest", src, "--db", target, "--quiet")
        assert code == 0, err
    return targets


def test_search_by_words_and_by_meaning_on_both_backends(stores, capsys):
    results = {}
    for db in stores:
        words = search_json(capsys, "earthquake", "--db", db)
        assert [r["best_match"]["id"] for r in words][:1] in (["quake-1"], ["quake-2"])
        assert len(words) == 1 and words[0]["articles"] == 2 and "similarity" not in words[0]
        assert words[0]["id"] == words[0]["story"]  # "id", as /api/search names the story
        assert "earthquake" in words[0]["headline"].lower() or "quake" in words[0]["headline"].lower()
        # German words match no English text ...
        assert search_json(capsys, "Erdbeben in Japan", "--db", db) == []
        code, out, _ = cli(capsys, "search", "Erdbeben in Japan", "--db", db)
        assert code == 0 and "No stories match" in out and "--meaning" in out
        # ... but their meaning finds the English earthquake story first, one entry per story.
        meaning = search_json(capsys, "Erdbeben in Japan", "--meaning", "--db", db)
        assert meaning[0]["story"] == words[0]["story"] and meaning[0]["similarity"] > 0.4
        assert meaning[0]["best_match"]["id"] in ("quake-1", "quake-2")
        assert len({r["story"] for r in meaning}) == len(meaning)
        assert all(r["similarity"] >= 0.2 for r in meaning)  # the default floor
        assert [r["best_match"]["id"] for r in search_json(capsys, "tipos de interés del banco central",
                                                           "--meaning", "--limit", "1", "--db", db)] == ["rate-1"]
        everything = search_json(capsys, "Erdbeben", "--meaning", "--min-similarity", "-1", "--db", db)
        assert len(everything) == 4  # every story, however far
        code, out, err = cli(capsys, "search", "Erdbeben in Japan", "--meaning", "--db", db)
        assert code == 0 and out.startswith("1. ") and "best match:" in out and "similarity" in out
        results[db] = (words, meaning, everything)
    (lite, pg) = results.values()
    for a, b in zip(lite, pg):
        assert [(r["story"], r["best_match"]["id"]) for r in a] == [(r["story"], r["best_match"]["id"]) for r in b]
        assert [r.get("similarity") for r in a] == pytest.approx([r.get("similarity") for r in b], abs=1e-3)


def test_minus_words_are_left_out_on_both_backends(stores, capsys):
    """README and --help promise -word; on SQLite it was searched as a word instead (FTS5 cannot parse
    it, and the fallback searched the plain words), so it brought exactly what it should leave out."""
    for db in stores:
        with_tsunami = {r["story"] for r in search_json(capsys, "earthquake", "--db", db)}
        assert with_tsunami
        assert search_json(capsys, "earthquake -tsunami", "--db", db) == []  # both quake articles say tsunami
        assert {r["story"] for r in search_json(capsys, "earthquake -Riverside", "--db", db)} == with_tsunami
        code, _, err = cli(capsys, "search", "--db", db, "--", "-tsunami")
        assert code == 1 and error_lines(err) == [
            "storyline: error: '-tsunami' only leaves words out (-word): add a word to look for, as in "
            'storyline search "WORD -tsunami"']


def test_meaning_search_errors_say_what_to_do(tmp_path, pg_server, capsys, monkeypatch):
    src = write_jsonl(tmp_path / "news.jsonl", NEWS[:2])
    sparse = str(tmp_path / "sparse.db")
    assert cli(capsys, "ingest", src, "--db", sparse, "--no-embeddings", "--quiet")[0] == 0
    # A store ingested without embeddings: words work, meaning says how to get vectors.
    assert len(search_json(capsys, "earthquake", "--db", sparse)) == 1
    code, _, err = cli(capsys, "search", "Erdbeben", "--meaning", "--db", sparse)
    (line,) = error_lines(err)
    assert code == 1 and "no article here has a meaning vector" in line and "--no-embeddings" in line
    # Embeddings turned off where the search runs.
    monkeypatch.setenv("STORYLINE_EMBEDDINGS", "none")
    code, _, err = cli(capsys, "search", "Erdbeben", "--meaning", "--db", sparse)
    (line,) = error_lines(err)
    assert code == 1 and "STORYLINE_EMBEDDINGS=none" in line and "without --meaning" in line
    monkeypatch.delenv("STORYLINE_EMBEDDINGS")
    # No store, an empty store, an empty query.
    code, _, err = cli(capsys, "search", "quake", "--db", tmp_path / "missing.db")
    assert code == 1 and "no such store" in error_lines(err)[0]
    empty = pg_server.new_database()
    code, _, err = cli(capsys, "search", "quake", "--meaning", "--db", empty)
    assert code == 1 and "no articles yet" in error_lines(err)[0] and "Traceback" not in err
    code, _, err = cli(capsys, "search", "  ", "--db", sparse)
    assert code == 1 and "needs words" in error_lines(err)[0]


def test_a_first_search_over_a_large_backlog_says_why_it_waits(tmp_path, capsys, monkeypatch):
    """The first search indexes every article stored since the last one; past a size, one stderr
    line says so (about 2 s per 100,000 articles), and later searches start at once, silently."""
    import storyline.cli.search as search_cli
    from storyline.store.sqlite import SQLiteStore

    src = write_jsonl(tmp_path / "news.jsonl", NEWS)
    db = str(tmp_path / "news.db")
    assert cli(capsys, "ingest", src, "--db", db, "--no-embeddings", "--quiet")[0] == 0
    store = SQLiteStore(db)
    try:
        assert store.search_backlog() == len(NEWS)
    finally:
        store.close()
    monkeypatch.setattr(search_cli, "_BACKLOG_NOTICE", len(NEWS))  # this store's backlog is "large"
    code, out, err = cli(capsys, "search", "earthquake", "--db", db)
    assert code == 0 and out.startswith("1. ")
    assert err.strip() == f"storyline: indexing {len(NEWS)} articles for search (once; later searches start at once)"
    code, out, err = cli(capsys, "search", "flood", "--db", db)
    assert code == 0 and out.startswith("1. ") and err == ""
    store = SQLiteStore(db)
    try:
        assert store.search_backlog() == 0
    finally:
        store.close()
