"""Watchlists in the real server: their pages, JSON and Atom feeds, and alerts after web writes and
`serve --watch` rounds, delivered in the background to a real local receiver, once, even after a restart."""

from __future__ import annotations

import html
import json
import re
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urljoin

import feedparser
import pytest
from markupsafe import escape

from brief_fixtures import EARLY, FESTIVAL, OUTLETS, festival, write
from conftest import story_of
from feed_server import FeedServer, rss
from serve_server import Server


class SlowReceiver:
    """A webhook receiver on 127.0.0.1 that takes ``delay`` seconds to answer each POST (200)."""

    def __init__(self, delay: float) -> None:
        self.received: list[tuple[float, dict, str]] = []  # (arrival time, body, X-Storyline-Alert)
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.received.append((time.monotonic(), body, self.headers.get("X-Storyline-Alert", "")))
                time.sleep(delay)
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def wait_for(self, n: int, timeout: float = 20.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.received) >= n:
                return True
            time.sleep(0.05)
        return False

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = SlowReceiver(delay=3.0)
    yield r
    r.close()


def _setup(run_cli, tmp_path, receiver_url: str, db: str | None = None):
    db = db or tmp_path / "w.db"
    assert run_cli("ingest", write(tmp_path / "early.jsonl", EARLY), "--db", db).returncode == 0
    for args in (("lights", "--query", "lanterns", "--webhook", receiver_url),
                 ("bridge", "--query", "Tarvik"),
                 ("anselm", "--entity", "Piet Anselm")):
        proc = run_cli("watchlist", "add", *args, "--db", db)
        assert proc.returncode == 0, proc.stderr
    return db


def test_watchlist_pages_feeds_and_a_background_alert_after_a_post(run_cli, tmp_path, receiver):
    db = _setup(run_cli, tmp_path, receiver.url)
    server = Server(db)
    try:
        listed = server.get("/api/watchlists").json()["watchlists"]
        assert [(w["name"], w["stories"], w["alerts"]) for w in listed] == [("anselm", 1, 0), ("bridge", 1, 0),
                                                                            ("lights", 0, 0)]
        lights = next(w for w in listed if w["name"] == "lights")
        assert lights["webhook"] is True and receiver.url not in json.dumps(listed)  # never the URL itself
        bridge = server.get("/api/watchlists/bridge").json()
        assert [s["id"] for s in bridge["stories"]] == [story_of(db, "brg-0")] and bridge["alerts"] == []

        # Articles that start a story matching "lights": the answer comes before the slow webhook does
        # (timed once the server has loaded its models, which it does in the background at start).
        server.wait_models()
        started = time.monotonic()
        reply = server.post("/api/articles", json=FESTIVAL)
        answered = time.monotonic()
        assert reply.status_code == 200, reply.text
        assert answered - started < 2.0, "the POST waited for the webhook (the receiver takes 3 s)"
        assert receiver.wait_for(1), "no alert was delivered"
        _, body, header = receiver.received[0]
        festival_story = story_of(db, "fst-0")
        assert (body["watchlist"], body["condition"], body["story"]) == ("lights", "match", festival_story)
        assert "Corvane" in body["headline"] and header == str(body["alert"])
        # pages keep answering while the receiver holds the delivery
        assert server.get("/api/watchlists/lights").status_code == 200

        page = server.get("/api/watchlists/lights").json()
        assert [s["id"] for s in page["stories"]] == [festival_story]
        assert [(a["condition"], a["story"]) for a in page["alerts"]] == [("match", festival_story)]
        assert page["watchlist"]["alerts"] == 1 and page["watchlist"]["pending"] is False
        html = server.get("/watchlists/lights")
        assert html.status_code == 200 and page["stories"][0]["headline"].split()[0] in html.text
        assert '<a href="/watchlists" aria-current="page">Watchlists</a>' in html.text
        assert 'href="/feeds/watchlists/lights.atom"' in html.text
        index = server.get("/watchlists")
        assert index.status_code == 200 and all(f'href="/watchlists/{n}"' in index.text
                                                for n in ("lights", "bridge", "anselm"))
        feed = server.get("/feeds/watchlists/lights.atom")
        assert feed.headers["content-type"].startswith("application/atom+xml")
        parsed = feedparser.parse(feed.content)
        assert not parsed.bozo, parsed.bozo_exception
        assert parsed.feed.title == "storyline: watchlist lights"
        assert [e.link for e in parsed.entries] == [f"{server.base}/story/{festival_story}"]
        vote = feedparser.parse(server.get("/feeds/watchlists/anselm.atom").content)
        assert [e.link for e in vote.entries] == [f"{server.base}/story/{story_of(db, 'vot-1')}"]
        assert server.get("/watchlists/nope").status_code == 404
        assert server.get("/api/watchlists/nope").status_code == 404
        assert server.get("/feeds/watchlists/nope.atom").status_code == 404
        time.sleep(1.0)
        assert len(receiver.received) == 1
    finally:
        server.stop()

    # A restart: nothing is sent again, and more articles of the same story fire nothing new.
    server = Server(db)
    try:
        more = [festival(2, 46, OUTLETS[6])]
        assert server.post("/api/articles", json=FESTIVAL + more).status_code == 200
        time.sleep(2.0)
        assert len(receiver.received) == 1
        assert server.get("/api/watchlists/lights").json()["watchlist"]["alerts"] == 1
    finally:
        server.stop()


def test_serve_watch_rounds_fire_alerts_too(run_cli, tmp_path, receiver, store_target):
    """On both backends: feed rounds, the engine, the alert thread and the deliveries all share the store."""
    feeds = FeedServer()
    try:
        items = [{"title": r["title"], "text": r["text"], "link": f"http://127.0.0.1/fest/{i}",
                  "published": r["published"]} for i, r in enumerate(FESTIVAL)]
        feeds.feed("/fest.xml", rss("Valley Post", items))
        db = _setup(run_cli, tmp_path, receiver.url, store_target)
        assert run_cli("feeds", "add", feeds.url("/fest.xml"), "--db", db).returncode == 0
        server = Server(db, args=("--watch", "--allow-private"))
        try:
            assert receiver.wait_for(1, timeout=30), "no alert after the watch round"
            _, body, _ = receiver.received[0]
            assert (body["watchlist"], body["condition"]) == ("lights", "match") and "Corvane" in body["headline"]
            time.sleep(1.0)
            assert len(receiver.received) == 1
        finally:
            server.stop()
    finally:
        feeds.close()


def test_a_failing_webhook_is_retried_in_the_background(run_cli, tmp_path):
    from test_alerts import Receiver

    failing = Receiver(fail=1)  # answers 500 once, then 200
    try:
        db = _setup(run_cli, tmp_path, failing.url)
        server = Server(db, env={"STORYLINE_ALERT_RETRY": "0.3"})
        try:
            assert server.post("/api/articles", json=FESTIVAL).status_code == 200
            deadline = time.monotonic() + 20
            while not failing.delivered() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert [status for status, _, _ in failing.received] == [500, 200]
            assert len({header for _, _, header in failing.received}) == 1  # the same alert id on the retry
            assert failing.delivered()[0]["watchlist"] == "lights"
        finally:
            server.stop()
    finally:
        failing.close()


#: Names an older version let `watchlist add` store, which browsers resolved to other pages.
OLD_NAMES = ["..", ".", "../x", "a/b", "50% off?#top", "back\\slash"]


def test_old_watchlist_names_still_have_working_links(run_cli, tmp_path):
    db = tmp_path / "old.db"
    assert run_cli("ingest", write(tmp_path / "early.jsonl", EARLY), "--db", db).returncode == 0
    assert run_cli("watchlist", "add", "bridge", "--query", "Tarvik", "--db", db).returncode == 0
    con = sqlite3.connect(db)
    with con:
        con.executemany("INSERT INTO watchlists (name, query, created_at) VALUES (?, 'Tarvik', 0)",
                        [(n,) for n in OLD_NAMES])
    con.close()
    server = Server(db)
    try:
        # the list page's links, resolved as a browser resolves them (dot segments and all)
        cards = re.findall(r'<h2 class="headline"><a href="([^"]*)">([^<]*)</a></h2>.*?<a href="([^"]*)">Atom feed</a>',
                           server.get("/watchlists").text, re.DOTALL)
        assert sorted(html.unescape(name) for _, name, _ in cards) == sorted(OLD_NAMES + ["bridge"])
        for page_href, name, feed_href in cards:
            name = html.unescape(name)
            page = server.get(urljoin(server.base + "/watchlists", html.unescape(page_href)))
            assert page.status_code == 200 and f"<h1>{escape(name)}</h1>" in page.text, (name, page_href)
            feed = server.get(urljoin(server.base + "/watchlists", html.unescape(feed_href)))
            assert feedparser.parse(feed.content).feed.title == f"storyline: watchlist {name}", (name, feed_href)
        # and the addresses the JSON gives
        for w in server.get("/api/watchlists").json()["watchlists"]:
            api = server.get(urljoin(server.base + "/api/watchlists", w["url"]))
            assert api.status_code == 200 and api.json()["watchlist"]["name"] == w["name"], w
            page = server.get(urljoin(server.base + "/api/watchlists", w["page"]))
            assert f"<h1>{escape(w['name'])}</h1>" in page.text, w
            feed = server.get(urljoin(server.base + "/api/watchlists", w["feed"]))
            assert feedparser.parse(feed.content).feed.title == f"storyline: watchlist {w['name']}", w
    finally:
        server.stop()
