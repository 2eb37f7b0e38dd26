"""`storyline serve --watch`: the server follows the store's feeds while it serves pages and writes."""

from __future__ import annotations

import time

from conftest import T0, query
from feed_server import FeedServer, rss
from serve_server import Server


def _items(prefix: str, n: int, hours: float = 0.0) -> list[dict]:
    return [{"title": f"Dunmere council approves flood barrier budget, part {prefix}{i}",
             "text": "The Dunmere council voted for the Seline River flood barrier on Friday, Mayor Jonas "
                     f"Ekwueme said, after a debate of {i + 2} hours.",
             "link": f"http://127.0.0.1/n/{prefix}{i}", "published": T0 + 3600 * (hours + i)} for i in range(n)]


def _wait(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_serve_watch_ingests_feeds_beside_posted_articles(run_cli, tmp_path):
    feeds = FeedServer()
    try:
        feeds.feed("/river.xml", rss("River Times", _items("a", 3)))
        db = tmp_path / "live.db"
        assert run_cli("feeds", "add", feeds.url("/river.xml"), "--db", db).returncode == 0
        server = Server(db, args=("--watch", "--allow-private"))
        try:
            assert _wait(lambda: server.get("/api/stats").json()["articles"] == 3), server.get("/api/stats").json()
            # The watcher and the API share one writer: a posted article lands beside the feed's.
            reply = server.post("/api/articles", json={"title": "Barges stranded at the port of Dunmere",
                                                       "source": "Harbor Gazette", "published": T0 + 7200})
            assert reply.status_code in (200, 201), reply.text
            assert server.get("/api/stats").json()["articles"] == 4
            (fetched,), = query(db, "SELECT count(*) FROM feeds WHERE last_fetch IS NOT NULL AND articles_seen = 3")
            assert fetched == 1
            assert query(db, "SELECT count(*) FROM articles")[0][0] == 4
        finally:
            server.stop()
    finally:
        feeds.close()


def test_serve_watch_refuses_loopback_feeds_without_allow_private(run_cli, tmp_path):
    feeds = FeedServer()
    try:
        feeds.feed("/river.xml", rss("River Times", _items("b", 2)))
        db = tmp_path / "guarded.db"
        assert run_cli("feeds", "add", feeds.url("/river.xml"), "--db", db).returncode == 0
        server = Server(db, args=("--watch",))
        try:
            assert _wait(lambda: query(db, "SELECT count(*) FROM feeds WHERE last_error IS NOT NULL")[0][0] == 1)
            (error,), = query(db, "SELECT last_error FROM feeds")
            assert "loopback" in error
            assert server.get("/api/stats").json()["articles"] == 0
        finally:
            server.stop()
    finally:
        feeds.close()
