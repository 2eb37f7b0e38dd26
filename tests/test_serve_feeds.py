"""Atom feeds out of `storyline serve`, parsed with feedparser."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import feedparser
import pytest

from serve_server import Server, demo_store

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
