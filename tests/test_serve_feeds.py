"""Atom feeds out of `storyline serve`, parsed with feedparser."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from email.utils import formatdate, parsedate_to_datetime

import feedparser
import pytest

from serve_server import Server, copy_store, demo_store

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(demo_store(tmp_path_factory.mktemp("serve-feeds")))
    srv.wait_described()
    yield srv
    srv.stop()


def test_stories_feed_is_valid_atom_of_the_latest_stories(server):
    r = server.get("/feeds/stories.atom")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(r.content)
    assert root.tag == f"{ATOM}feed" and root.find(f"{ATOM}id").text.startswith("urn:storyline:")
    feed = feedparser.parse(r.content)
    assert not feed.bozo, feed.get("bozo_exception")
    latest = server.get("/api/stories?sort=latest&limit=50").json()["stories"]
    assert [e.title for e in feed.entries] == [s["headline"] for s in latest]
    assert len({e.id for e in feed.entries}) == len(feed.entries)
    for entry, story in zip(feed.entries, latest):
        assert entry.link == f"{server.base}/story/{story['id']}"
        if story["summary"]:
            assert entry.summary == story["summary"]
        assert entry.updated_parsed is not None
        assert {t.term for t in entry.get("tags", [])} == {e["name"] for e in story["entities"]}
    # the page links the feed for autodiscovery
    assert 'type="application/atom+xml"' in server.get("/").text


def test_search_feed_follows_a_query(server):
    api = server.get("/api/search", params={"q": "quake"}).json()["stories"]
    feed = feedparser.parse(server.get("/feeds/search.atom", params={"q": "quake"}).content)
    assert not feed.bozo and "quake" in feed.feed.title
    assert {e.title for e in feed.entries} == {s["headline"] for s in api}
    assert server.get("/feeds/search.atom").status_code == 422
    empty = feedparser.parse(server.get("/feeds/search.atom", params={"q": "zzzznothingmatches"}).content)
    assert not empty.bozo and empty.entries == []


def test_feed_ids_and_self_links_are_encoded_and_an_empty_feed_is_dated(server, run_cli):
    """A watchlist feed's self link had raw spaces and accents (a reader re-subscribing by it failed),
    a search feed's id carried the raw query ('urn:...:search:"port strike"'), and an empty feed was
    dated 1970."""
    from urllib.parse import quote

    assert run_cli("watchlist", "add", "Zoë São Paulo", "--query", "quake", "--db", server.db).returncode == 0
    watch = ET.fromstring(server.get("/feeds/watchlists/" + quote("Zoë São Paulo") + ".atom").content)
    self_link = next(l.get("href") for l in watch.findall(f"{ATOM}link") if l.get("rel") == "self")
    assert self_link == f"{server.base}/feeds/watchlists/Zo%C3%AB%20S%C3%A3o%20Paulo.atom"
    assert watch.find(f"{ATOM}id").text.endswith(":watchlist:Zo%C3%AB%20S%C3%A3o%20Paulo")
    search = ET.fromstring(server.get("/feeds/search.atom", params={"q": '"port strike" <x>'}).content)
    feed_id = search.find(f"{ATOM}id").text
    assert not set(feed_id) & set(' "<>') and feed_id.endswith(":search:%22port%20strike%22%20%3Cx%3E")
    empty = ET.fromstring(server.get("/feeds/search.atom", params={"q": "zzzznothingmatches"}).content)
    newest = max(s["last_seen"] for s in server.get("/api/stories?sort=latest&limit=1").json()["stories"])
    assert empty.find(f"{ATOM}updated").text == newest.replace("+00:00", "Z")[:19] + "Z"


FEEDS = ["/feeds/stories.atom", "/feeds/search.atom?q=quake"]


@pytest.mark.parametrize("path", FEEDS)
def test_an_unchanged_feed_costs_a_304(server, path):
    first = server.get(path)
    tag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.status_code == 200 and tag.startswith('"') and not tag.startswith("W/")  # strong
    assert parsedate_to_datetime(modified).timestamp() <= time.time() + 1
    assert first.headers["cache-control"] == "no-cache"  # stored, but asked about again at each poll
    again = server.get(path)
    assert (again.headers["etag"], again.headers["last-modified"], again.content) == (tag, modified, first.content)
    earlier = formatdate(parsedate_to_datetime(modified).timestamp() - 60, usegmt=True)
    for headers, status in [({"If-None-Match": tag}, 304), ({"If-None-Match": f'"other", {tag}'}, 304),
                            ({"If-None-Match": "W/" + tag}, 304), ({"If-None-Match": "*"}, 304),
                            ({"If-None-Match": '"other"'}, 200), ({"If-Modified-Since": modified}, 304),
                            ({"If-Modified-Since": earlier}, 200), ({"If-Modified-Since": "yesterday"}, 200),
                            # If-None-Match decides when both are sent (RFC 9110, 13.2.2)
                            ({"If-None-Match": '"other"', "If-Modified-Since": modified}, 200),
                            ({"If-None-Match": tag, "If-Modified-Since": earlier}, 304)]:
        r = server.get(path, headers=headers)
        assert r.status_code == status, (headers, r.status_code)
        assert r.headers["etag"] == tag and r.headers["last-modified"] == modified
        if status == 304:
            assert r.content == b"" and "content-type" not in r.headers
            assert r.headers["content-security-policy"]  # the security headers still come
        else:
            assert r.content == first.content
    head = server.client.head(path, headers={"If-None-Match": tag})
    assert head.status_code == 304 and head.content == b""
    head = server.client.head(path)
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == tag


def test_the_json_api_has_etags_too(server):
    for path in ("/api/stories", "/api/stories?sort=latest&limit=5", "/api/entities"):
        r = server.get(path)
        tag = r.headers["etag"]
        assert r.status_code == 200 and "last-modified" not in r.headers
        again = server.get(path, headers={"If-None-Match": tag})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
        assert server.get(path, headers={"If-None-Match": '"other"'}).json() == r.json()
    # errors carry none (a 404 is not a version of anything)
    assert "etag" not in server.get("/api/stories/999999999").headers


def test_a_changed_feed_is_sent_in_full_and_never_dated_after_its_answer(tmp_path):
    srv = Server(copy_store(demo_store(tmp_path), tmp_path / "store.db"))
    try:
        srv.wait_described()
        old = srv.get("/feeds/stories.atom")
        tag, modified = old.headers["etag"], old.headers["last-modified"]
        added = srv.post("/api/articles", json={"id": "etag-test", "title": "Lighthouse keepers strike in Varrow",
                                                "published": "2026-12-01T00:00:00Z", "source": "Test Wire"})
        assert added.status_code == 200, added.text
        story = added.json()["accepted"][0]["story"]
        for headers in ({"If-None-Match": tag}, {"If-Modified-Since": modified}):
            r = srv.get("/feeds/stories.atom", headers=headers)
            assert r.status_code == 200 and r.headers["etag"] != tag, headers
            assert feedparser.parse(r.content).entries[0].link == f"{srv.base}/story/{story}"
            # A body that changed within the second its predecessor was dated keeps that date (a later
            # one would be after the answer's Date, which RFC 9110 forbids); it still is sent in full.
            assert parsedate_to_datetime(r.headers["last-modified"]) >= parsedate_to_datetime(modified)
            assert parsedate_to_datetime(r.headers["last-modified"]) <= parsedate_to_datetime(r.headers["date"])
            assert len(r.headers.get_list("date")) == 1
    finally:
        srv.stop()


def test_behind_a_reverse_proxy_the_public_address_is_answered_and_linked(tmp_path):
    """With $STORYLINE_PUBLIC_URL set, a proxy forwarding its Host got a 421 from a server on the
    loopback address, and the feeds linked http://127.0.0.1:PORT/story/ID."""
    db = demo_store(tmp_path)
    srv = Server(db, env={"STORYLINE_PUBLIC_URL": "https://news.example/"})
    try:
        proxied = srv.get("/feeds/stories.atom", headers={"Host": "news.example"})
        assert proxied.status_code == 200
        feed = feedparser.parse(proxied.content)
        assert feed.entries and all(e.link.startswith("https://news.example/story/") for e in feed.entries)
        assert srv.get("/api/stats", headers={"Host": "evil.example"}).status_code == 421  # rebinding still refused
        direct = feedparser.parse(srv.get("/feeds/stories.atom").content)
        assert direct.entries[0].link.startswith("https://news.example/story/")
    finally:
        srv.stop()


def test_an_undated_story_is_dated_by_the_clock_and_a_foreign_title_says_its_language(tmp_path, run_cli):
    """Undated stories were dated 1970 in feeds (sorted last, never reaching a reader) and their pages
    said datetime="None"; a German title inside an English page was read with an English voice."""
    import json

    records = [{"id": "dated", "title": "Harbour cranes return to Kessling docks", "source": "Port Times",
                "text": "Cranes returned to the Kessling docks on Monday.", "published": "2026-11-20T08:00:00Z"},
               {"id": "undated", "title": "Leuchtturmwärter von Halvorsen geht in Rente", "lang": "de",
                "source": "Inselbote", "text": "Der Leuchtturmwärter von Halvorsen geht nach vierzig Jahren in Rente."}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    db = tmp_path / "u.db"
    assert run_cli("ingest", "in.jsonl", "--db", db).returncode == 0
    srv = Server(db)
    try:
        feed = ET.fromstring(srv.get("/feeds/stories.atom").content)
        for entry in feed.findall(f"{ATOM}entry"):
            assert not entry.find(f"{ATOM}updated").text.startswith("1970"), entry.find(f"{ATOM}title").text
        story = srv.get("/api/stories?limit=5").json()["stories"]
        undated = next(s["id"] for s in story if s["headline"].startswith("Leuchtturm"))
        page = srv.get(f"/story/{undated}").text
        assert 'datetime="None"' not in page
        assert 'lang="de">Leuchtturmwärter von Halvorsen geht in Rente' in page
        front = srv.get("/").text
        assert 'id="live" role="status" aria-live="polite"' in front
    finally:
        srv.stop()


def test_a_search_feed_follows_the_newest_matches_not_the_best(tmp_path):
    """A feed is read for what is new: once a query matched more than 200 articles, a new story that
    ranked lower than the best 200 never reached it."""
    from storyline import Article, Engine
    from storyline.config import Config

    db = tmp_path / "many.db"
    with Engine(str(db), Config(embeddings="none")) as engine:
        for n in range(220):  # many strong matches: the query word in the title and twice in the text
            engine.add(Article(id=f"h{n}", title=f"Harbour works {n}: Quillon harbour crane {n} moved",
                               text=f"Harbour crane {n} moved along the harbour at Quillon pier {n}.",
                               source=f"outlet{n % 7}", published=1795000000.0 + n * 600))
        filler = " ".join(f"glacier{i} museum{i}" for i in range(150))
        engine.add(Article(id="late", title="Glacier museum unveils ice sculpture hall",
                           text=f"{filler} The hall faces the harbour.", source="Alpine Post",
                           published=1795000000.0 + 300 * 600))
    srv = Server(db)
    try:
        feed = ET.fromstring(srv.get("/feeds/search.atom", params={"q": "harbour"}).content)
        titles = [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]
        assert titles[0] == "Glacier museum unveils ice sculpture hall", titles[:3]
    finally:
        srv.stop()
