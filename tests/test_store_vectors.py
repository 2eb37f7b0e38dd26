"""Nearest articles by meaning: pgvector on PostgreSQL, the exact scan on SQLite and wherever pgvector
is missing, and the two agreeing; the vector table migrated into an older store and caught up after a
copy. Every store is real (the suite's PostgreSQL server has pgvector; a role that may not create the
extension stands for a server without it). The news here is invented for these tests."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import psycopg
import pytest
from stores import sql

from storyline import Article, Engine
from storyline.config import Config
from storyline.store.postgres import MIGRATIONS, PostgresStore
from storyline.store.sqlite import SQLiteStore
from storyline.store.transfer import copy_store
from storyline.store.vectors import PGVECTOR_DIM, meaning_of
from storyline.text.embeddings import embedder_for
from storyline.text.features import pack, unpack

T0 = 1795160520.0
DENSE = Config().with_overrides({"embeddings": "use"})
CORPUS = [
    Article("quake-en", "Strong earthquake shakes northern Japan",
            "A magnitude 7.1 earthquake struck off the coast of northern Japan, shaking buildings in Sendai.",
            source="Wire A", published=T0),
    Article("quake-de", "Starkes Erdbeben erschüttert den Norden Japans",
            "Ein Erdbeben der Stärke 7,1 hat vor der Küste Nordjapans Gebäude in Sendai erschüttert.",
            source="Zeitung", published=T0 + 3600),
    Article("quake-copy", "Strong earthquake shakes northern Japan",
            "A magnitude 7.1 earthquake struck off the coast of northern Japan, shaking buildings in Sendai.",
            source="Wire B", url="https://b.example/quake", published=T0 + 4000),
    Article("rate-en", "Central bank raises interest rates to curb inflation",
            "The central bank raised its main rate by a quarter point, saying inflation remained too high.",
            source="Wire A", published=T0 + 7200),
    Article("rate-es", "El banco central sube los tipos de interés",
            "El banco central subió su tipo principal un cuarto de punto porque la inflación sigue alta.",
            source="Diario", published=T0 + 9000),
    Article("cup-en", "Harbor City wins the cup final on penalties",
            "Harbor City beat Riverside in a penalty shoot-out to win the national cup final.",
            source="Sports Daily", published=T0 + 10000),
    Article("flood-fr", "Inondations : la Seline déborde à Dunmere",
            "La Seline est sortie de son lit à Dunmere après des jours de pluie ; les ports sont fermés.",
            source="Journal", published=T0 + 12000),
]
QUERIES = ["Erdbeben in Japan", "interest rate decision", "fútbol final de copa", "flood closes river ports"]


@pytest.fixture(scope="module")
def rows():
    """The corpus as stored rows (placed once, with embeddings), to write into every store alike, an
    article without text as older versions stored one (a zero vector: no direction, never found; an
    Engine refuses such an article now), and a twin of the first article with the very same vector (a
    republication stored as a copy)."""
    with Engine(config=DENSE) as engine:
        engine.add_many(CORPUS)
        engine.flush()
        placed = list(engine.store.replay())
    flood = next(r for r in placed if r.id == "flood-fr")
    features, sketch = unpack(flood.features)
    features.meaning = np.zeros_like(features.meaning)
    empty = replace(flood, seq=placed[-1].seq + 1, id="empty", title="", text="", source="Blank",
                    published=T0 + 13000, story=max(r.story for r in placed) + 1, kind="new", url=None,
                    canonical_url=None, text_key="empty", features=pack(features, sketch))
    cup = next(r for r in placed if r.id == "cup-en")
    twin = replace(cup, seq=empty.seq + 1, id="cup-twin", kind="copy", copy_of="cup-en",
                   url="https://c.example/cup")
    return placed + [empty, twin]


@pytest.fixture(scope="module")
def queries():
    embedder = embedder_for("use")
    return list(embedder.encode(QUERIES))


def filled(store, rows):
    store.begin_write()
    store.write_batch(rows[:3], (), {})
    store.begin_write()
    store.write_batch(rows[3:], (), {})
    return store


def sqlite_store(tmp_path, rows):
    return filled(SQLiteStore(tmp_path / "v.db"), rows)


def agree(a, b, tol=1e-5):
    """The same articles, stories and similarities (to float32 precision) in the same order, but for
    articles whose similarities are equal within that precision (a republication's vector differs from
    the original's in the last bits), which may come in either order."""
    assert len(a) == len(b)
    assert np.allclose([n.similarity for n in a], [n.similarity for n in b], atol=tol)
    for i, n in enumerate(a):
        same = {(m.article_id, m.story_id) for m in b if abs(m.similarity - n.similarity) <= tol}
        at_the_cut = abs(n.similarity - b[-1].similarity) <= tol  # a near-tie that k cut through
        assert (n.article_id, n.story_id) in same or at_the_cut, (i, n, b)


def test_pgvector_and_the_scan_agree_on_both_backends(tmp_path, rows, queries, pg_server):
    lite = sqlite_store(tmp_path, rows)
    pg = filled(PostgresStore(pg_server.new_database()), rows)
    scan = PostgresStore(pg.url, vectors=False)
    try:
        assert pg.vector_mode == "pgvector" and "pgvector 0." in pg.vector_note
        assert scan.vector_mode == "scan" and "vectors=False" in scan.vector_note
        with_vectors = [r.seq for r in rows if meaning_of(r.features) is not None]
        assert len(with_vectors) == len(CORPUS) + 1  # the corpus and the twin: not the empty article
        assert sql(pg.url, "SELECT seq FROM article_vectors ORDER BY seq") == [(s,) for s in with_vectors]
        for q in queries:
            expected = lite.nearest(q, k=5)
            assert len(expected) == 5
            agree(pg.nearest(q, k=5), expected)
            agree(scan.nearest(q, k=5), expected)
        # The German query finds the Japanese earthquake in English and German first.
        assert {n.article_id for n in lite.nearest(queries[0], k=3)} == {"quake-en", "quake-de", "quake-copy"}
        # A twin shares its original's vector exactly: the tie comes in arrival order on every path.
        cup = meaning_of(next(r for r in rows if r.id == "cup-en").features)
        twins = [n.article_id for n in lite.nearest(cup, k=2)]
        assert twins == ["cup-en", "cup-twin"]
        for store in (pg, scan):
            assert [n.article_id for n in store.nearest(cup, k=2)] == twins
        # since: only articles published then or later; k larger than the store: everything with a vector.
        late = lite.nearest(queries[0], k=3, since=T0 + 5000)
        assert "quake-en" not in {n.article_id for n in late}
        agree(pg.nearest(queries[0], k=3, since=T0 + 5000), late)
        agree(scan.nearest(queries[0], k=3, since=T0 + 5000), late)
        agree(pg.nearest(queries[1], k=50), lite.nearest(queries[1], k=50))
        assert len(lite.nearest(queries[1], k=50)) == len(with_vectors)
        assert lite.nearest(queries[0], k=1)[0].similarity > 0.5
        assert lite.nearest(np.zeros(PGVECTOR_DIM), k=3) == pg.nearest(np.zeros(PGVECTOR_DIM), k=3) == []
        assert lite.nearest(queries[0], k=0) == pg.nearest(queries[0], k=0) == []
    finally:
        for s in (lite, pg, scan):
            s.close()


def test_the_pgvector_query_uses_the_hnsw_index(rows, queries, pg_server):
    store = filled(PostgresStore(pg_server.new_database()), rows)
    try:
        with psycopg.connect(store.url, autocommit=True) as conn:
            conn.execute("SET enable_seqscan = off")  # a table this small would be scanned otherwise
            plan = "\n".join(r[0] for r in conn.execute(
                "EXPLAIN SELECT seq FROM article_vectors ORDER BY embedding <=> %s::halfvec LIMIT 5",
                ("[" + ",".join(map(str, queries[0].tolist())) + "]",)))
        assert "article_vectors_hnsw" in plan
    finally:
        store.close()


def test_merged_stories_are_reported_live(tmp_path, rows, queries, pg_server):
    """nearest() names the story an article belongs to now, after a merge, on both backends."""
    for store in (SQLiteStore(tmp_path / "m.db"), PostgresStore(pg_server.new_database())):
        try:
            filled(store, rows)
            gone = next(r.story for r in rows if r.id == "quake-de")
            kept = next(r.story for r in rows if r.id == "rate-en")
            store.begin_write()
            store.write_batch([], [(gone, kept)], {})
            found = {n.article_id: n.story_id for n in store.nearest(queries[0], k=3)}
            assert found["quake-de"] == kept
        finally:
            store.close()


def plain_role_url(pg_server) -> str:
    """A new database owned by a role that is no superuser: it may not create pgvector (an untrusted
    extension), as on a server where pgvector is not installed, the store must fall back."""
    name = f"plain{pg_server.new_database().rsplit('/', 1)[-1].split('?')[0]}"
    with psycopg.connect(pg_server.url(), autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{name}" LOGIN')
        conn.execute(f'CREATE DATABASE "{name}" OWNER "{name}"')
    url = pg_server.url(name)
    return re.sub(r"^postgresql://[^:@/]*", f"postgresql://{name}", url)


def test_without_pgvector_the_store_falls_back_to_the_scan(tmp_path, rows, queries, pg_server):
    url = plain_role_url(pg_server)
    store = filled(PostgresStore(url), rows)
    lite = sqlite_store(tmp_path, rows)
    try:
        assert sql(url, "SELECT current_user, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)")[0][1] \
            is False
        assert store.vector_mode == "scan"
        assert "no pgvector" in store.vector_note and "permission denied" in store.vector_note
        assert sql(url, "SELECT to_regclass('article_vectors')") == [(None,)]
        assert store.schema_version == len(MIGRATIONS)
        for q in queries:
            agree(store.nearest(q, k=4), lite.nearest(q, k=4))
        # Later writes work as before; the search sees them.
        assert store.counts()["articles"] == len(rows)
    finally:
        store.close()
        lite.close()


def test_a_store_from_before_vectors_gets_them_on_open(rows, queries, pg_server):
    url = pg_server.new_database()
    old = filled(PostgresStore(url, vectors=False), rows)  # writes what the storyline before vectors wrote
    old.close()
    assert sql(url, "SELECT to_regclass('article_vectors'), to_regclass('article_vectors_sync')") == [(None, None)]
    store = PostgresStore(url)
    scan = PostgresStore(url, vectors=False)
    try:
        assert store.schema_version == len(MIGRATIONS) == 3  # the articles never depend on the extension
        assert store.vector_mode == "pgvector"
        assert sql(url, "SELECT count(*) FROM article_vectors") == [(len(rows) - 1,)]
        assert sql(url, "SELECT done_seq FROM article_vectors_sync") == [(rows[-1].seq,)]
        for q in queries:
            agree(store.nearest(q, k=4), scan.nearest(q, k=4))
    finally:
        store.close()
        scan.close()


def test_a_writer_that_opened_before_the_vector_table_fills_it(rows, queries, pg_server):
    url = pg_server.new_database()
    early = filled(PostgresStore(url, vectors=False), rows[:4])  # no table yet: it writes none
    later = PostgresStore(url)  # creates the table and copies the four in
    try:
        early.begin_write()  # learns of the table under the writer lock, and fills it from now on
        early.write_batch(rows[4:], (), {})
        assert sql(url, "SELECT count(*) FROM article_vectors") == [(len(rows) - 1,)]
        assert sql(url, "SELECT done_seq FROM article_vectors_sync") == [(rows[-1].seq,)]
        agree(later.nearest(queries[2], k=6), early.nearest(queries[2], k=6))
    finally:
        early.close()
        later.close()


def test_vectors_written_twice_are_kept_once(rows, queries, pg_server):
    """A writer copies its batch's vectors after its commit; a catch-up in another process may have
    copied them first. The second copy skips them, and the mark stays where it is."""
    store = filled(PostgresStore(pg_server.new_database()), rows)
    try:
        before = sql(store.url, "SELECT count(*), (SELECT done_seq FROM article_vectors_sync) FROM article_vectors")
        store._write_vectors(rows[3:])  # as the writer of that batch would, after a catch-up copied it
        assert sql(store.url, "SELECT count(*), (SELECT done_seq FROM article_vectors_sync) "
                              "FROM article_vectors") == before == [(len(rows) - 1, rows[-1].seq)]
        assert store.conn.info.transaction_status.name == "IDLE"
        assert store.nearest(queries[0], k=1)[0].article_id in ("quake-en", "quake-de", "quake-copy")
    finally:
        store.close()


def test_a_copied_store_catches_up_its_vectors(tmp_path, rows, queries, pg_server):
    """`storyline migrate` copies articles table by table, past write_batch: the copy's vector table is
    caught up before it answers."""
    lite = sqlite_store(tmp_path, rows)
    target = PostgresStore(pg_server.new_database())
    try:
        assert copy_store(lite, target).ok
        assert sql(target.url, "SELECT count(*) FROM article_vectors") == [(0,)]
        agree(target.nearest(queries[3], k=5), lite.nearest(queries[3], k=5))
        assert sql(target.url, "SELECT count(*) FROM article_vectors") == [(len(rows) - 1,)]
    finally:
        lite.close()
        target.close()


def test_a_store_without_embeddings_finds_nothing(tmp_path, queries, pg_server):
    sparse = Config().with_overrides({"embeddings": "none"})
    for target in (str(tmp_path / "s.db"), pg_server.new_database()):
        with Engine(target, sparse) as engine:
            engine.add_many(CORPUS[:3])
            engine.flush()
            assert engine.store.counts()["articles"] == 3
            assert engine.store.nearest(queries[0], k=5) == []
