"""OPML lists as RSS readers export them, the feed registry, and the SSRF guard's address rules."""

from __future__ import annotations

import pytest

from storyline.ingest.feeds import BadFeedURL, FeedStore, UnknownFeed, normalize_feed_url
from storyline.ingest.netguard import BlockedURL, blocked_reason, check_url
from storyline.ingest.opml import OPMLError, OutlineFeed, read_opml, write_opml
from storyline.store.sqlite import SQLiteStore

#: Shaped like a Miniflux / FreshRSS export: folders, attribute case varying, a duplicate, an empty folder.
READER_EXPORT = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>Subscriptions</title></head>
  <body>
    <outline text="World" title="World">
      <outline type="rss" text="Harbor Gazette" title="Harbor Gazette" xmlUrl="https://harbor.example/rss"
               htmlUrl="https://harbor.example/"/>
      <outline text="Europe">
        <outline type="rss" text="Northern Ledger" xmlurl="https://ledger.example/feed.atom"/>
      </outline>
    </outline>
    <outline text="Empty folder"/>
    <outline type="rss" text="River Times" XMLURL="http://river.example/rss.xml" HTMLURL="http://river.example"/>
    <outline type="rss" text="Harbor again" xmlUrl="https://harbor.example/rss"/>
  </body>
</opml>"""


def test_read_a_reader_export():
    feeds = read_opml(READER_EXPORT)
    assert feeds == [
        OutlineFeed("https://harbor.example/rss", "Harbor Gazette", "https://harbor.example/", "World"),
        OutlineFeed("https://ledger.example/feed.atom", "Northern Ledger", None, "World/Europe"),
        OutlineFeed("http://river.example/rss.xml", "River Times", "http://river.example", ""),
    ]


def test_write_then_read_round_trips():
    feeds = read_opml(READER_EXPORT) + [OutlineFeed("https://x.example/a&b?c=1", None, None, "Odd <names> & co")]
    doc = write_opml(feeds)
    assert doc.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    assert read_opml(doc) == feeds
    assert read_opml(write_opml(read_opml(doc))) == feeds


@pytest.mark.parametrize("doc, message", [
    (b"<opml><body><outline", "not valid XML"),
    (b"<rss version='2.0'><channel/></rss>", "not OPML (the root element is <rss>"),
    (b"<opml version='2.0'><head/></opml>", "OPML without a <body>"),
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
     b"<opml><body><outline xmlUrl='http://x.example/&lol2;'/></body></opml>", "declares entities"),
])
def test_bad_documents_are_refused_with_a_reason(doc, message):
    with pytest.raises(OPMLError, match="^" + message.replace("(", r"\(").replace("<", "<")):
        read_opml(doc)


def test_feed_store_adds_lists_schedules_and_removes():
    now = [1000.0]
    feeds = FeedStore(SQLiteStore(":memory:").db, clock=lambda: now[0])
    a, new = feeds.add("https://harbor.example/rss", title="Harbor Gazette", extra={"category": "World"})
    assert new and a.id == 1 and a.category == "World" and a.added_at == 1000.0 and a.name == "Harbor Gazette"
    added, known = feeds.add_many([("http://river.example/rss.xml", None, None, {}),
                                   ("HTTPS://HARBOR.example/rss", None, None, {})])
    assert [f.url for f in added] == ["http://river.example/rss.xml"] and [f.id for f in known] == [1]
    assert feeds.get("2").name == "river.example" and feeds.get("http://river.example/rss.xml").id == 2
    assert [f.id for f in feeds.due()] == [1, 2] and feeds.next_due() == float("-inf")
    feeds.reschedule(5000.0)
    assert feeds.due() == [] and feeds.next_due() == 5000.0
    assert feeds.remove(1).title == "Harbor Gazette" and feeds.count() == 1
    with pytest.raises(UnknownFeed, match="^no feed 1; `storyline feeds list` shows them$"):
        feeds.get(1)


@pytest.mark.parametrize("url", ["ftp://x.example/feed", "file:///etc/passwd", "javascript:alert(1)", "http://",
                                 "", "http://x.example:99999/"])
def test_feed_urls_must_be_http(url):
    with pytest.raises(BadFeedURL):
        normalize_feed_url(url)


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1/", "a loopback address"),
    ("http://127.8.9.10:8080/feed", "a loopback address"),
    ("http://[::1]/", "a loopback address"),
    ("http://[::ffff:127.0.0.1]/", "a loopback address"),
    ("http://[2002:7f00:1::]/", "a loopback address"),          # 6to4 around 127.0.0.1
    ("http://localhost:8000/", "a loopback address"),
    ("http://api.localhost/", "a loopback address"),
    ("http://10.1.2.3/", "a private address"),
    ("http://172.16.0.1/", "a private address"),
    ("http://192.168.1.1/", "a private address"),
    ("http://[fd00:ec2::254]/", "a private address"),
    ("http://169.254.169.254/latest/meta-data/", "a link-local address (cloud metadata services live there)"),
    ("http://[fe80::1]/", "a link-local address"),
    ("http://100.100.100.200/", "a carrier-grade NAT address"),
    ("http://0.0.0.0/", "an unspecified address"),
    ("http://224.0.0.1/", "a multicast address"),
    ("http://240.0.0.1/", "a reserved address"),
])
def test_the_guard_refuses_non_public_addresses(url, reason):
    with pytest.raises(BlockedURL, match="^refused .*: " + reason.replace("(", r"\(").replace(")", r"\)")):
        check_url(url)
    assert check_url(url, allow_private=True)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://x.example/", "ftp://x.example/f", "data:,hi"])
def test_the_guard_refuses_other_schemes_even_when_private_is_allowed(url):
    with pytest.raises(BlockedURL, match="only http and https URLs are fetched"):
        check_url(url, allow_private=True)


def test_public_addresses_and_names_pass():
    assert check_url("https://news.example/feed") == "news.example"
    assert check_url("http://93.184.215.14/rss") == "93.184.215.14"
    assert blocked_reason("2606:4700::1111") is None and blocked_reason("8.8.8.8") is None


def test_deep_outlines_and_a_bare_doctype_are_read():
    deep = ("<opml version='2.0'><body>" + "<outline text='f'>" * 1500
            + "<outline text='d' xmlUrl='http://deep.example/rss'/>" + "</outline>" * 1500 + "</body></opml>")
    (feed,) = read_opml(deep)  # a RecursionError traceback before
    assert feed.url == "http://deep.example/rss" and feed.category.count("/") == 1499
    bare = "<?xml version='1.0'?><!DOCTYPE opml><opml><body><outline xmlUrl='http://a.example/rss'/></body></opml>"
    assert [f.url for f in read_opml(bare)] == ["http://a.example/rss"]
