"""What real feeds get wrong, read anyway: encodings, HTML in titles, dates, links, GUIDs, compression,
redirects; and full text from article pages with --fetch-articles."""

from __future__ import annotations

import asyncio
import zlib

import pytest

from conftest import HOUR, T0
from feed_server import Clock, FeedServer, Reply, rss

from storyline.engine import Engine
from storyline.ingest.entries import FeedParseError, parse_feed
from storyline.ingest.feeds import FeedStore
from storyline.ingest.watch import Watcher, WatchSettings

URL = "https://harbor.example/feeds/world.xml"


@pytest.fixture
def server():
    srv = FeedServer()
    yield srv
    srv.close()


@pytest.fixture
def engine(tmp_path):
    eng = Engine(str(tmp_path / "watch.db"))
    yield eng
    eng.close()


def watcher(engine, clock, **settings) -> Watcher:
    settings.setdefault("allow_private", True)
    return Watcher(engine, FeedStore(engine.store.db, clock=clock), WatchSettings(**settings), clock=clock)


def articles(engine) -> dict[str, tuple]:
    return {row[0]: row[1:] for row in engine.store.db.execute(
        "SELECT title, text, url, published, source, id FROM articles ORDER BY seq")}


# -- parsing a document ------------------------------------------------------------------------------

def test_wrong_encoding_html_in_titles_and_relative_links():
    doc = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
           "<title>Caf\xe9 &lt;b&gt;Gazette&lt;/b&gt;</title><link>/</link>"
           "<item><title><![CDATA[Caf\xe9 owners <b>protest</b> &amp; march]]></title><link>../news/1?utm_source=rss</link>"
           "<description>&lt;p&gt;Owners of the caf\xe9s marched.&lt;/p&gt;&lt;script&gt;x()&lt;/script&gt;</description>"
           "</item></channel></rss>").encode("latin-1")  # declared utf-8, really latin-1
    feed = parse_feed(doc, URL, fetched_at=T0, content_type="application/rss+xml; charset=utf-8")
    (a,) = feed.articles
    assert feed.title == "Café Gazette" and feed.site == "https://harbor.example/"
    assert a.title == "Café owners protest & march"
    assert a.text == "Owners of the cafés marched."
    assert a.url == "https://harbor.example/news/1?utm_source=rss"
    assert a.source == "Café Gazette"


def test_missing_and_future_dates_fall_back_to_the_fetch_time():
    doc = rss("Dates", [{"title": "No date at all", "link": "https://d.example/1"},
                        {"title": "From next year", "link": "https://d.example/2", "published": T0 + 365 * 86400},
                        {"title": "Five minutes ahead (clock skew)", "link": "https://d.example/3",
                         "published": T0 + 300},
                        {"title": "Yesterday", "link": "https://d.example/4", "published": T0 - 86400}])
    feed = parse_feed(doc, URL, fetched_at=T0)
    assert [a.published for a in feed.articles] == [T0, T0, T0 + 300, T0 - 86400]


def test_guids_are_stable_and_do_not_collide_between_feeds():
    items = [{"title": "Quake shakes Halvik", "guid": "1", "link": "https://a.example/q"},
             {"title": "Strike halts Corrant trains", "guid": "2", "link": "https://a.example/s"}]
    one = parse_feed(rss("A", items), "https://a.example/rss", T0).articles
    again = parse_feed(rss("A", items), "https://a.example/rss", T0 + HOUR).articles
    other = parse_feed(rss("B", items), "https://b.example/rss", T0).articles
    assert [a.id for a in one] == [a.id for a in again]
    assert not {a.id for a in one} & {a.id for a in other}

    reused = [{"title": "Bridge opens at Kelvik", "guid": "same", "link": "https://a.example/b"},
              {"title": "Fire at Dunstad warehouses", "guid": "same", "link": "https://a.example/f"},
              {"title": "Bridge opens at Kelvik", "guid": "same", "link": "https://a.example/b"}]  # a true repeat
    got = parse_feed(rss("A", reused), "https://a.example/rss", T0).articles
    assert [a.title for a in got] == ["Bridge opens at Kelvik", "Fire at Dunstad warehouses"]
    assert len({a.id for a in got}) == 2


@pytest.mark.parametrize("guids", [("1", "2"), ("https://a.example/", "https://a.example/")],
                         ids=["positions", "the site's address"])
def test_a_guid_reused_by_the_next_fetch_never_hides_a_new_entry(engine, guids):
    """Feeds that number their entries, or give each the site's address, reuse GUIDs between fetches."""
    first = [{"title": "Harbour bulletin: Kelvik ferry resumes", "guid": guids[0], "link": "https://a.example/3"},
             {"title": "Harbour bulletin: Dunstad pier closes", "guid": guids[1], "link": "https://a.example/2"}]
    later = [{"title": "Harbour bulletin: Corrant lock repaired", "guid": guids[0], "link": "https://a.example/4"},
             {"title": "Harbour bulletin: Kelvik ferry resumes", "guid": guids[1], "link": "https://a.example/3"}]
    kinds = [engine.add(a).kind for doc in (first, later)
             for a in parse_feed(rss("A", doc), "https://a.example/rss", T0).articles]
    assert kinds[2] != "duplicate"  # the new entry is stored
    assert kinds[3] == "duplicate"  # the entry seen before, under another GUID now, is not stored twice
    engine.flush()
    assert "Harbour bulletin: Corrant lock repaired" in articles(engine)


def test_the_name_a_feed_is_followed_under_names_its_outlet():
    doc = rss("News", [{"title": "Quake shakes Halvik", "link": "https://a.example/q"}])
    assert parse_feed(doc, URL, T0, source="Harbor Gazette").articles[0].source == "Harbor Gazette"
    assert parse_feed(doc, URL, T0).articles[0].source == "News"


def test_atom_and_partly_broken_documents():
    atom = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
      <title type="html">Lake &lt;i&gt;Post&lt;/i&gt;</title><link href="https://lake.example/"/>
      <entry><title>Ferry service resumes on Lake Ordway</title><id>tag:lake.example,2026:1</id>
        <link href="/ferry"/><updated>2026-11-20T07:42:00Z</updated>
        <content type="html">&lt;p&gt;The ferry resumed on Monday.&lt;/p&gt;</content></entry></feed>"""
    feed = parse_feed(atom, "https://lake.example/atom.xml", T0 + HOUR)
    (a,) = feed.articles
    assert (feed.title, a.url, a.published, a.text) == ("Lake Post", "https://lake.example/ferry", float(T0),
                                                        "The ferry resumed on Monday.")
    broken = b"""<rss version="2.0"><channel><title>T</title>
      <item><title>Alpha & omega</title><link>https://t.example/1</link></item>
      <item><title>Beta</title><link>https://t.example/2</link></item>"""
    feed = parse_feed(broken, "https://t.example/rss", T0)
    assert [a.title for a in feed.articles] == ["Alpha & omega", "Beta"]
    assert feed.warning.startswith("partly malformed XML, 2 entries recovered")
    with pytest.raises(FeedParseError, match="^not a readable RSS or Atom feed: malformed XML"):
        parse_feed(b'{"json": "instead"}', URL, T0)


# -- through the watcher -----------------------------------------------------------------------------

def test_gzip_deflate_and_permanent_redirects(server, engine):
    clock = Clock(T0)
    body = rss("Zip Times", [{"title": "Gzip: Seline River crest nears Dunmere", "link": server.url("/z/1"),
                              "published": T0}])
    server.feed("/gzip.xml", body, encoding="gzip")
    server.feed("/deflate.xml", body.replace(b"Gzip:", b"Deflate:").replace(b"/z/1", b"/z/2"), encoding="deflate")
    raw = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    raw_body = body.replace(b"Gzip:", b"Raw:").replace(b"/z/1", b"/z/3")
    server.reply("/raw-deflate.xml", Reply(200, raw.compress(raw_body) + raw.flush(),
                                           {"Content-Encoding": "deflate", "Content-Type": "application/rss+xml"}))
    server.reply("/old.xml", Reply(301, headers={"Location": "/older.xml"}))
    server.reply("/older.xml", Reply(308, headers={"Location": "/gzip.xml"}))
    server.reply("/temporary.xml", Reply(302, headers={"Location": "/deflate.xml"}))
    w = watcher(engine, clock)
    for path in ("/deflate.xml", "/raw-deflate.xml", "/old.xml", "/temporary.xml"):
        w.feeds.add(server.url(path))
    s = asyncio.run(w.run_round())
    assert s.failed == 0 and s.fetched == 4, s.errors
    titles = sorted(articles(engine))
    assert titles == ["Deflate: Seline River crest nears Dunmere", "Gzip: Seline River crest nears Dunmere",
                      "Raw: Seline River crest nears Dunmere"]
    urls = [f.url for f in w.feeds.all()]
    # Moved permanently (301 then 308): the feed follows its new home. A 302 is only temporary.
    assert urls == [server.url("/deflate.xml"), server.url("/raw-deflate.xml"), server.url("/gzip.xml"),
                    server.url("/temporary.xml")]


def test_fetch_articles_replaces_snippets_with_the_page_text(server, engine):
    clock = Clock(T0)
    paragraph = ("Crews at the port of Dunmere began clearing mud from the quays on Monday as the Seline River "
                 "fell below its warning level for the first time in a week. ")
    page = (f"<html><head><title>Port reopens</title></head><body><nav>Home | World | Sport</nav>"
            f"<article><h1>Dunmere port reopens</h1><p>{paragraph * 3}</p><p>{paragraph}</p></article>"
            f"<footer>Copyright Harbor Gazette</footer></body></html>").encode()
    server.reply("/story/1", Reply(200, page, {"Content-Type": "text/html; charset=utf-8"}))
    server.reply("/story/2", Reply(404, b"gone"))
    items = [{"title": "Dunmere port reopens", "text": "Crews began clearing mud...", "link": server.url("/story/1"),
              "published": T0},
             {"title": "Seline River levels fall", "text": "Short snippet.", "link": server.url("/story/2"),
              "published": T0}]
    server.feed("/snippets.xml", rss("Harbor Gazette", items))
    w = watcher(engine, clock, fetch_articles=True)
    w.feeds.add(server.url("/snippets.xml"))
    s = asyncio.run(w.run_round())
    assert (s.pages_fetched, s.pages_failed, s.added) == (1, 1, 2)
    stored = {title: row[0] for title, row in articles(engine).items()}
    assert stored["Dunmere port reopens"].startswith("Crews at the port of Dunmere began clearing mud")
    assert "Home | World" not in stored["Dunmere port reopens"]
    assert stored["Seline River levels fall"] == "Short snippet."  # the page failed: the snippet stays

    clock.advance(HOUR)
    items.append({"title": "Barges return to Dunmere", "text": "Barges are back.", "link": server.url("/story/3"),
                  "published": T0 + HOUR})
    server.reply("/story/3", Reply(200, page.replace(b"Dunmere port reopens", b"Barges return"),
                                   {"Content-Type": "text/html"}))
    server.feed("/snippets.xml", rss("Harbor Gazette", items))
    s = asyncio.run(w.run_round())
    assert s.added == 1 and s.pages_fetched == 1
    assert server.hits["/story/1"] == 1  # a page already ingested is not fetched again


def test_a_feed_longer_than_the_entries_read_says_so():
    from storyline.ingest.entries import MAX_ENTRIES

    items = "".join(f"<item><title>Olsk harbour report {n}</title><link>https://post.example/{n}</link></item>"
                    for n in range(MAX_ENTRIES + 5))
    doc = f"<rss version='2.0'><channel><title>Post</title>{items}</channel></rss>".encode()
    feed = parse_feed(doc, "https://post.example/rss", fetched_at=float(T0))
    assert len(feed.articles) == MAX_ENTRIES  # silently before
    assert f"{MAX_ENTRIES + 5:,} entries, of which the first {MAX_ENTRIES:,} were read" in feed.warning
