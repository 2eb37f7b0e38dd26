"""`storyline serve` on a PostgreSQL store: the same pages, API and feeds as on SQLite.

The demo store is built once on SQLite and copied to PostgreSQL with `storyline migrate`, then one
server runs on each, and their answers are compared: the queries are written once (the few fragments
that differ come from ``storyline.serve.dialect``), so the answers must agree, down to the headlines.
The PostgreSQL server reaches its database through a small TCP relay that a test cuts, to see what a
reader gets while the database server is down (a 503, one line in the log) and that it recovers.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, quote, urlsplit

import feedparser
import pytest

from conftest import clean_env, query
from serve_server import Server, demo_store, free_port
from stores import sql

TOKEN = "pg-token-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Relay:
    """TCP on 127.0.0.1 to the test server's Unix socket. ``cut()`` drops every connection and refuses
    new ones, as a dead database server would; ``restore()`` listens again on the same port."""

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path
        self.port = free_port()
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._listen()

    def url(self, database: str) -> str:
        return f"postgresql://postgres:secret-pw@127.0.0.1:{self.port}/{database}"

    def _listen(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._server,), daemon=True).start()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.socket_path)
            with self._lock:
                self._sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self) -> None:
        try:  # wakes the accepting thread: closing alone leaves the socket listening while it waits
            self._server.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._server.close()
        with self._lock:
            for s in self._sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                    s.close()
                except OSError:
                    pass
            self._sockets.clear()

    def restore(self) -> None:
        self._listen()


@pytest.fixture(scope="module")
def stores(tmp_path_factory, pg_server):
    """The demo news in an SQLite file and, copied, in a PostgreSQL database reached through a relay."""
    folder = tmp_path_factory.mktemp("serve-pg")
    db = demo_store(folder)
    direct = pg_server.new_database()
    proc = subprocess.run([sys.executable, "-m", "storyline", "migrate", "--from", str(db), "--to", direct, "-q"],
                          capture_output=True, text=True, env=clean_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    for store in (str(db), direct):  # the same watchlists on both (they record what they match at once)
        for args in (("truce", "--query", "ceasefire"), ("ports", "--query", "port OR harbour")):
            proc = subprocess.run([sys.executable, "-m", "storyline", "watchlist", "add", *args, "--db", store],
                                  capture_output=True, text=True, env=clean_env(), timeout=120)
            assert proc.returncode == 0, proc.stderr
    parts = urlsplit(direct)
    relay = Relay(parse_qs(parts.query)["host"][0] + "/.s.PGSQL.5432")
    yield db, direct, relay.url(parts.path.lstrip("/")), relay
    relay.cut()


@pytest.fixture(scope="module")
def servers(stores):
    db, _, url, _ = stores
    lite = Server(db)
    pg = Server(url, env={"STORYLINE_TOKEN": TOKEN})
    lite.wait_described()
    pg.wait_described()
    yield lite, pg
    lite.stop()
    pg.stop()


def both(servers, path: str, **params: object) -> tuple[object, object]:
    lite, pg = servers
    answers = []
    for server in (lite, pg):
        r = server.get(path, params=params)
        assert r.status_code == 200, (server.db, path, r.text)
        answers.append(r.json())
    return answers[0], answers[1]


def test_stats_are_the_same(servers):
    lite, pg = both(servers, "/api/stats")
    for key in ("articles", "stories", "described", "latest", "archive", "last_seq"):
        assert pg[key] == lite[key], key
    assert pg["background"]["errors"] == 0 and pg["background"]["swept"]


@pytest.mark.parametrize("sort", ["top", "latest", "coverage"])
def test_front_page_lists_are_the_same(servers, sort):
    for params in ({"sort": sort, "limit": 100}, {"sort": sort, "window": "24h", "limit": 100}):
        lite, pg = both(servers, "/api/stories", **params)
        assert pg["stories"] and pg == lite, params
    lite, pg = both(servers, "/api/stories", sort=sort, limit=7)  # paging: the same next page
    assert pg["next"] == lite["next"] and pg["next"]
    lite, pg = both(servers, pg["next"])
    assert pg == lite


def test_story_pages_are_the_same(servers, stores):
    db = stores[0]
    ids = [i for (i,) in query(db, "SELECT id FROM stories WHERE merged_into IS NULL AND articles > 0 "
                                   "ORDER BY articles DESC, id LIMIT 3")]
    for story in ids:
        lite, pg = both(servers, f"/api/stories/{story}")
        assert pg["coverage"] and pg == lite, story
    merged = query(db, "SELECT id FROM stories WHERE merged_into IS NOT NULL LIMIT 1")
    if merged:
        lite, pg = both(servers, f"/api/stories/{merged[0][0]}")
        assert pg["requested"] == merged[0][0] and pg == lite
    _, server = servers
    assert server.get("/api/stories/999999").json() == {"error": "no story 999999"}
    page = server.get(f"/story/{ids[0]}")
    assert page.status_code == 200 and "Full coverage" in page.text and "Why here" in page.text
    aid, = query(db, "SELECT id FROM articles WHERE kind = 'joined' LIMIT 1")[0]
    lite, pg = both(servers, f"/api/articles/{quote(aid)}")
    assert pg == lite


def test_search_finds_the_same_stories_with_marked_hits(servers, stores):
    db = stores[0]
    for q in ("ceasefire", "port", '"river flood"', "ceasefire OR treaty", 'ceasefire "unbalanced'):
        lite, pg = both(servers, "/api/search", q=q)
        assert {s["id"] for s in pg["stories"]} == {s["id"] for s in lite["stories"]}, q
    _, pg = both(servers, "/api/search", q="ceasefire")
    assert pg["stories"] and pg["articles_matched"] >= len(pg["stories"])
    for s in pg["stories"]:
        for h in s["hits"]:
            (title, text), = query(db, "SELECT title, text FROM articles WHERE id = ?", (h["id"],))
            assert "ceasefire" in (title + " " + text).lower()
            assert re.search(r"<mark>ceasefire</mark>", h["title_html"] + h["snippet_html"], re.I), h
    page = servers[1].get("/search", params={"q": "ceasefire"})
    assert page.status_code == 200 and "<mark>" in page.text


def test_entity_pages_are_the_same(servers):
    lite, pg = both(servers, "/api/entities", limit=10)
    assert pg["entities"] and pg == lite
    name = pg["entities"][0]["name"]
    lite, pg = both(servers, f"/api/entities/{quote(name, safe='')}")
    assert pg["stories"] and pg == lite
    html = servers[1].get("/entity/" + quote(name, safe=""))
    assert html.status_code == 200 and f"<h1>{name}</h1>" in html.text


def test_pages_and_feeds_answer(servers):
    lite, pg = servers
    story = pg.get("/api/stories?limit=1").json()["stories"][0]["id"]
    for path in ("/", "/?sort=latest", "/?window=24h", f"/story/{story}", "/entities", "/brief", "/watchlists",
                 "/add", "/api/docs"):
        r = pg.get(path)
        assert r.status_code == 200 and "Traceback" not in r.text, path
    feeds = []
    for server in servers:
        r = server.get("/feeds/stories.atom")
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
        parsed = feedparser.parse(r.content)
        assert not parsed.bozo and parsed.entries
        feeds.append([(e.id, e.title, e.link.split("/story/")[1]) for e in parsed.entries])
    assert feeds[1] == feeds[0]
    parsed = feedparser.parse(pg.get("/feeds/search.atom", params={"q": "ceasefire"}).content)
    assert not parsed.bozo and parsed.entries


def test_watchlist_pages_and_feeds_are_the_same(servers):
    def same(lite: dict, pg: dict) -> bool:  # but for when each was added
        for body in (lite, pg):
            for w in body.get("watchlists") or [body["watchlist"]]:
                w.pop("created_at")
        return lite == pg

    lite, pg = both(servers, "/api/watchlists")
    assert [w["name"] for w in pg["watchlists"]] == ["ports", "truce"] and same(lite, pg)
    for name in ("truce", "ports"):
        lite, pg = both(servers, f"/api/watchlists/{name}")
        assert pg["stories"] and same(lite, pg), name
        entries = [[e.link.split("/story/")[1] for e in feedparser.parse(
            server.get(f"/feeds/watchlists/{name}.atom").content).entries] for server in servers]
        assert entries[1] == entries[0] and entries[0]
    for path in ("/watchlists", "/watchlists/truce"):
        assert servers[1].get(path).status_code == 200


def test_brief_is_the_cli_brief(servers, stores, run_cli):
    url = stores[2]
    for params, args in (({"since": "3d"}, ("--since", "3d")),
                         ({"since": "7d", "topic": "ceasefire"}, ("--since", "7d", "--topic", "ceasefire"))):
        web = servers[1].get("/api/brief", params=params)
        assert web.status_code == 200, web.text
        proc = run_cli("brief", "--db", url, "--format", "json", *args)
        assert proc.returncode == 0, proc.stderr
        import json

        assert web.json() == json.loads(proc.stdout), params
        assert web.json()["stories"]
    lite, pg = both(servers, "/api/brief", since="3d")
    assert pg == lite


def test_writes_go_to_postgresql_beside_another_writer(servers, stores, run_cli):
    _, direct, url, _ = stores
    _, server = servers
    before = sql(direct, "SELECT count(*) FROM articles")[0][0]
    item = {"id": "pg-1", "title": "Zentrova harbour cranes idle as dockers strike", "source": "Test Wire",
            "text": "Dockers in Zentrova stopped the harbour cranes on Monday.", "published": "2026-11-22T20:00:00Z"}
    assert server.post("/api/articles", json=item).status_code == 401
    r = server.post("/api/articles", json=item, headers=AUTH)
    assert r.status_code == 200, r.text
    (accepted,) = r.json()["accepted"]
    (story,), = sql(direct, "SELECT story FROM articles WHERE id = 'pg-1'")
    assert accepted["story"] == story
    # another process writes to the same store meanwhile; the server's engine reads it before placing more
    other = ('{"id": "pg-2", "title": "Zentrova dockers extend harbour strike", "source": "Other Wire", '
             '"text": "The dockers of Zentrova kept the harbour cranes idle.", "published": "2026-11-22T21:00:00Z"}\n')
    proc = run_cli("ingest", "-", "--db", url, input=other)
    assert proc.returncode == 0, proc.stderr
    again = server.post("/api/articles", json=[item, {**item, "id": "pg-3", "title": "Zentrova strike: "
                                                      "harbour cranes idle for a third day"}], headers=AUTH).json()
    assert [a["status"] for a in again["accepted"]][0] == "duplicate"
    ids = [i for (i,) in sql(direct, "SELECT id FROM articles WHERE id LIKE ? ORDER BY id", ("pg-%",))]
    assert ids == ["pg-1", "pg-2", "pg-3"]
    assert sql(direct, "SELECT count(*) FROM articles")[0][0] == before + 3
    stories = {s for (s,) in sql(direct, "SELECT DISTINCT story FROM articles WHERE id LIKE ?", ("pg-%",))}
    assert len(stories) == 1, "one event, one story, whichever process placed the article"
    found = server.get("/api/search", params={"q": "Zentrova"}).json()  # indexed as written: no sync
    assert {s["id"] for s in found["stories"]} == stories
    page = server.get(f"/api/stories/{stories.pop()}").json()
    assert {a["id"] for g in page["coverage"] for a in g["articles"]} >= {"pg-1", "pg-2", "pg-3"}
    assert server.get("/api/stats").json()["articles"] == before + 3


def test_a_dead_database_server_is_a_503_then_recovers(servers, stores):
    relay = stores[3]
    _, server = servers
    relay.cut()
    try:
        for path in ("/api/stories", "/api/stats", "/api/search?q=port"):
            r = server.get(path)
            assert r.status_code == 503, (path, r.text)
            assert "database server cannot be reached" in r.json()["error"]
        page = server.get("/")
        assert page.status_code == 503 and "Traceback" not in page.text and "secret-pw" not in page.text
        posted = server.post("/api/articles", json={"title": "Olsk fair opens"}, headers=AUTH)
        assert posted.status_code == 503
    finally:
        relay.restore()
    # back at once: a reader whose connection the outage broke opens a new one and reads again
    for path in ("/api/stories", "/api/stats", "/", "/api/search?q=port", "/api/stories?sort=latest"):
        assert server.get(path).status_code == 200, path
    assert server.post("/api/articles", json={"id": "pg-4", "title": "Olsk autumn fair opens to crowds"},
                       headers=AUTH).status_code == 200
    log = server.stop()
    assert "Traceback" not in log and "secret-pw" not in log, log
    assert "unreachable" in log


def test_serve_on_an_unreachable_server_is_one_line(run_cli):
    proc = run_cli("serve", "--db", "postgresql://news:s3cret@127.0.0.1:9/news", "--port", str(free_port()))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "s3cret" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "cannot connect to PostgreSQL" in lines[0], proc.stderr


def test_readers_close_the_connections_of_ended_threads(pg_server):
    """The web server's worker threads end when idle: their PostgreSQL connections must not pile up."""
    from storyline.serve.db import Readers
    from storyline.store.open import open_store

    url = pg_server.new_database()
    open_store(url).close()
    readers = Readers(url)

    def serving() -> int:
        return sql(url, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'storyline-serve' "
                        "AND datname = current_database()")[0][0]

    for _ in range(4):  # bursts of requests on threads that then end
        threads = [threading.Thread(target=lambda: readers.get().execute("SELECT 1").fetchone()) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert readers.get().execute("SELECT count(*) FROM stories").fetchone() == (0,)
    assert readers.open() <= 4 and serving() <= 4
    # the database server drops the connection (as at a restart): the next read reconnects and succeeds
    dropped = readers.get().conn
    sql(url, "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE application_name = 'storyline-serve' "
             "AND datname = current_database()")
    assert readers.get().execute("SELECT count(*) FROM stories").fetchone() == (0,)
    assert dropped.broken and readers.get().conn is not dropped
    with pytest.raises(Exception, match="read-only"):
        readers.get().execute("DELETE FROM stories")
    readers.close()
    deadline = time.monotonic() + 5
    while serving() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert serving() == 0
