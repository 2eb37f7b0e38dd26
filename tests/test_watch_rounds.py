"""Rounds of `watch` against a real HTTP server on 127.0.0.1, with a clock moved by hand.

Feeds change between rounds; what is new becomes articles that update stories, what is unchanged
costs a 304 and no parse, and a broken feed fails alone with a clear message.
"""

from __future__ import annotations

import asyncio
import re
from email.utils import format_datetime
from datetime import datetime, timezone

import pytest

from conftest import HOUR, STREAM, T0
from feed_server import Clock, FeedServer, Reply, gzip_bomb, rss, slow_chunks

from storyline.engine import Engine
from storyline.ingest.feeds import FeedStore
from storyline.ingest.watch import Watcher, WatchSettings


@pytest.fixture
def server():
    srv = FeedServer()
    yield srv
    srv.close()


@pytest.fixture
def clock():
    return Clock(T0 + 3 * HOUR)


@pytest.fixture
def engine(tmp_path):
    eng = Engine(str(tmp_path / "watch.db"))
    yield eng
    eng.close()


def watcher(engine, clock, **settings) -> Watcher:
    settings.setdefault("allow_private", True)  # the test server is on 127.0.0.1
    return Watcher(engine, FeedStore(engine.store.db, clock=clock), WatchSettings(**settings), clock=clock)


def run(w: Watcher, force: bool = False):
    return asyncio.run(w.run_round(force=force))


def outlet_items(server: FeedServer, outlet: str, until_hours: float) -> list[dict]:
    return [{"title": r["title"], "text": r["text"], "link": server.url(f"/news/{r['id']}"), "guid": r["id"],
             "published": r["published"]}
            for r in STREAM if r["source"] == outlet and r["published"] <= T0 + until_hours * HOUR]


def slug(outlet: str) -> str:
    return "/" + outlet.lower().replace(" ", "-") + ".xml"


def publish(server: FeedServer, until_hours: float) -> list[str]:
    outlets = sorted({r["source"] for r in STREAM})
    for outlet in outlets:
        server.feed(slug(outlet), rss(outlet, outlet_items(server, outlet, until_hours), link=server.url("/")))
    return outlets


def stories_by_url(engine: Engine) -> dict[str, int]:
    rows = engine.store.db.execute("SELECT url, story FROM articles").fetchall()
    return {url.rsplit("/", 1)[1]: engine.store.resolve(story) for url, story in rows}


def test_new_items_become_articles_and_update_stories(server, clock, engine):
    outlets = publish(server, until_hours=3)
    stamp = "Fri, 20 Nov 2026 07:00:00 GMT"  # a feed with Last-Modified and no ETag
    server.feed("/wire.xml", rss("Wire", [{"title": "Finance office floats levy on sugary drinks",
                                           "link": server.url("/wire/1"), "published": T0}]),
                etag=False, last_modified=stamp)
    w = watcher(engine, clock)
    for outlet in outlets:
        w.feeds.add(server.url(slug(outlet)))
    w.feeds.add(server.url("/wire.xml"))

    first = run(w)
    early = [r for r in STREAM if r["published"] <= T0 + 3 * HOUR]
    assert (first.due, first.fetched, first.failed, first.parsed) == (7, 7, 0, 7)
    assert first.added == len(early) + 1 and first.duplicate == 0
    stories = stories_by_url(engine)
    assert stories["fld-1"] == stories["fld-2"] and stories["dep-1"] == stories["dep-3"]
    flood_before = engine.store.story(stories["fld-1"]).articles

    clock.advance(16 * 60)  # past the 15 minute interval
    publish(server, until_hours=7)
    second = run(w)
    # Harbor Gazette has nothing after 3 h and the wire feed never changes: both answer 304, unparsed.
    assert second.due == 7 and second.not_modified == 2 and second.fetched == 5 and second.parsed == 5
    assert second.added == len(STREAM) - len(early) and second.failed == 0
    assert second.duplicate == sum(1 for r in early if r["source"] != "Harbor Gazette")  # old entries again
    stories = stories_by_url(engine)
    for event in ("fld", "dep", "trt"):
        ids = [r["id"] for r in STREAM if r["id"].startswith(event)]
        assert len({stories[i] for i in ids}) == 1, event
    flood = engine.store.story(stories["fld-1"])
    assert flood.articles == 5 > flood_before and flood.outlets == 4
    sources = dict(engine.store.db.execute("SELECT url, source FROM articles"))
    assert sources[server.url("/news/fld-5")] == "River Times"

    feeds = {f.url: f for f in w.feeds.all()}
    assert sum(f.articles_seen for f in feeds.values()) == len(STREAM) + 1
    gazette = feeds[server.url(slug("Harbor Gazette"))]
    assert gazette.title == "Harbor Gazette" and gazette.site == server.url("/")
    assert gazette.etag and gazette.last_status == 304 and gazette.failures == 0 and gazette.last_error is None
    assert feeds[server.url("/wire.xml")].last_modified == stamp


def test_unchanged_feeds_cost_a_304_and_no_parse(server, clock, engine):
    publish(server, until_hours=7)
    server.feed("/no-validators.xml", rss("Plain", [{"title": "Ferry timetable changes for winter",
                                                     "link": server.url("/plain/1"), "published": T0}]),
                etag=False)
    w = watcher(engine, clock)
    for path in list(server.routes):
        w.feeds.add(server.url(path))
    first = run(w)
    assert first.parsed == 7 and first.failed == 0

    hits = sum(server.hits.values())
    again = run(w)  # nothing is due yet: no request at all
    assert again.due == 0 and sum(server.hits.values()) == hits

    clock.advance(15 * 60)
    second = run(w)
    assert (second.due, second.not_modified, second.unchanged, second.parsed, second.entries) == (7, 6, 1, 0, 0)
    assert second.added == 0 and second.duplicate == 0
    conditional = [r for r in server.requests[hits:] if r.path != "/no-validators.xml"]
    assert len(conditional) == 6 and all(r.headers.get("if-none-match") for r in conditional)
    assert all(r.headers["user-agent"].startswith("storyline/") for r in server.requests)
    assert all("gzip" in r.headers["accept-encoding"] for r in server.requests)

    forced = run(w, force=True)  # --force fetches every feed now; still no parse
    assert forced.due == 7 and forced.parsed == 0


def test_each_bad_feed_fails_alone_with_a_clear_error(server, clock, engine):
    server.feed("/ok.xml", rss("Good Outlet", [
        {"title": "Seline River ports reopen after flood", "link": server.url("/a/1"), "published": T0},
        {"title": "Tessaly parliament ratifies water treaty", "link": server.url("/a/2"), "published": T0}]))
    server.reply("/500.xml", Reply(500, b"oops"))
    server.reply("/404.xml", Reply(404, b"nope"))
    server.reply("/slow.xml", Reply(200, b"<rss/>", delay=5))
    server.reply("/trickle.xml", Reply(200, chunks=slow_chunks(200_000, 16), pause=0.05))
    server.reply("/big.xml", Reply(200, b"<rss>" + b" " * 10_000_000, {"Content-Type": "application/rss+xml"}))
    server.reply("/big-chunked.xml", Reply(200, chunks=(b" " * 65536 for _ in range(160))))
    server.reply("/loop-a.xml", Reply(302, headers={"Location": "/loop-b.xml"}))
    server.reply("/loop-b.xml", Reply(302, headers={"Location": server.url("/loop-a.xml")}))
    for i in range(10):
        server.reply(f"/hop/{i}", Reply(301, headers={"Location": f"/hop/{i + 1}"}))
    server.reply("/broken.xml", Reply(200, b"\x00\x01<<<this is not xml", {"Content-Type": "text/xml"}))
    server.reply("/bomb.xml", Reply(200, gzip_bomb(50_000_000), {"Content-Encoding": "gzip",
                                                                 "Content-Type": "application/rss+xml"}))
    server.reply("/bad-gzip.xml", Reply(200, b"this is not gzip data", {"Content-Encoding": "gzip"}))
    server.reply("/page.html", Reply(200, b'<!DOCTYPE html><html><head><link rel="alternate" '
                                          b'type="application/rss+xml" href="/ok.xml"></head><body>Hi</body></html>',
                                     {"Content-Type": "text/html"}))
    server.reply("/empty.xml", Reply(200, b""))
    expected = {
        "/500.xml": r"^HTTP 500 Internal Server Error$",
        "/404.xml": r"^HTTP 404 Not Found \(is the feed URL right\?\)$",
        "/slow.xml": r"no (complete )?answer within 1 s",
        "/trickle.xml": r"no complete answer within 1 s",
        "/big.xml": r"answer of 10 MB is over the 1 MB limit",
        "/big-chunked.xml": r"answer over the 1 MB limit; stopped reading",
        "/loop-a.xml": r"^redirect loop: .*/loop-b.xml redirects back to .*/loop-a.xml$",
        "/hop/0": r"^more than 3 redirects",
        "/broken.xml": r"^not a readable RSS or Atom feed: malformed XML \(line \d+, column \d+: not well-formed",
        "/bomb.xml": r"^answer decompresses to more than 2 MB \(gzip\); a zip bomb\?$",
        "/bad-gzip.xml": r"^corrupt gzip data",
        "/page.html": r"^a web page, not an RSS or Atom feed; its feed is at http://127\.0\.0\.1:\d+/ok\.xml",
        "/empty.xml": r"^an empty answer, not a feed$",
    }
    w = watcher(engine, clock, timeout=1.0, max_bytes=1_000_000, max_decoded_bytes=2_000_000, max_redirects=3)
    w.feeds.add(server.url("/ok.xml"))
    for path in expected:
        w.feeds.add(server.url(path))
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    w.feeds.add(f"http://127.0.0.1:{closed}/feed.xml")

    summary = run(w)
    assert summary.seconds < 8
    assert summary.fetched == 1 and summary.failed == len(expected) + 1 and summary.added == 2
    errors = {e["url"].split(str(server.port), 1)[-1]: e["error"] for e in summary.errors}
    for path, pattern in expected.items():
        assert re.search(pattern, errors[path]), (path, errors[path])
    assert re.match(r"^cannot fetch: ", errors[f"http://127.0.0.1:{closed}/feed.xml"])
    assert all("\n" not in e for e in errors.values())
    stored = {f.url: f for f in w.feeds.all()}
    assert stored[server.url("/500.xml")].last_error == "HTTP 500 Internal Server Error"
    assert stored[server.url("/500.xml")].last_status == 500 and stored[server.url("/500.xml")].failures == 1
    assert stored[server.url("/ok.xml")].failures == 0
    assert engine.store.counts()["articles"] == 2
    assert server.hits["/hop/0"] == 1 and server.hits["/hop/4"] == 0  # stopped after 3 redirects


def test_backoff_and_retry_after_are_respected(server, clock, engine):
    answers = [Reply(500, b"down"), Reply(500, b"down"), Reply(503, b"busy", {"Retry-After": "7200"})]
    later = format_datetime(datetime.fromtimestamp(clock() + 3 * 86400 + 600 + 1200 + 7200, timezone.utc),
                            usegmt=True)
    answers.append(Reply(429, b"slow down", {"Retry-After": later}))
    good = rss("Flaky", [{"title": "Dunmere barges stranded as flood worsens", "link": server.url("/f/1"),
                          "published": T0}])
    answers.append(Reply(200, good, {"Content-Type": "application/rss+xml"}))
    server.route("/flaky.xml", lambda request: answers.pop(0) if len(answers) > 1 else answers[0])
    w = watcher(engine, clock, interval=600)
    feed, _ = w.feeds.add(server.url("/flaky.xml"))

    def state():
        return w.feeds.get(feed.id)

    start = clock()
    s = run(w)
    assert s.failed == 1 and state().failures == 1 and state().next_fetch == start + 600
    # watch --json gives the retry's time as ISO 8601, as next_due beside it (it gave Unix seconds)
    from storyline.model import iso

    assert s.to_dict()["errors"][0]["next_fetch"] == iso(start + 600)

    clock.advance(599)
    assert run(w).due == 0 and server.hits["/flaky.xml"] == 1  # not retried hot

    clock.advance(1)
    run(w)
    assert state().failures == 2 and state().next_fetch == clock() + 1200  # doubled

    clock.advance(1200)
    s = run(w)
    assert state().failures == 3 and state().next_fetch == clock() + 7200  # Retry-After beats 2400
    assert "the server asks to wait 2h" in state().last_error
    assert s.failing == [{"feed": feed.id, "url": feed.url, "failures": 3, "error": state().last_error}]

    clock.advance(2400)
    assert run(w).due == 0  # the back-off alone would have allowed it, Retry-After does not
    assert run(w, force=True).due == 0 and server.hits["/flaky.xml"] == 3  # nor does --force
    clock.advance(7200 - 2400)
    run(w)
    assert state().last_status == 429 and state().failures == 4
    assert abs(state().next_fetch - (clock() + 3 * 86400)) < 2  # an HTTP date, read with the same clock

    clock.advance(3 * 86400)
    s = run(w)
    assert s.fetched == 1 and s.added == 1
    assert state().failures == 0 and state().last_error is None and state().next_fetch == clock() + 600
    assert server.hits["/flaky.xml"] == 5

    capped = w.schedule(state().__class__(1, "https://x.example/", failures=40), 0.0, ok=False)
    assert capped == (41, w.settings.max_backoff)


def test_force_waits_for_a_retry_after_whatever_the_status(server, clock, engine):
    answers = [Reply(500, b"down", {"Retry-After": "86400"}),
               Reply(200, rss("Back", [{"title": "Harbour reopens at Kelvik", "link": server.url("/k/1"),
                                        "published": T0}]), {"Content-Type": "application/rss+xml"})]
    server.route("/down.xml", lambda request: answers.pop(0) if len(answers) > 1 else answers[0])
    w = watcher(engine, clock, interval=600)
    w.feeds.add(server.url("/down.xml"))
    assert run(w).failed == 1
    clock.advance(3600)
    assert run(w, force=True).due == 0 and server.hits["/down.xml"] == 1  # the server asked for a day
    clock.advance(86400)
    assert run(w, force=True).fetched == 1 and server.hits["/down.xml"] == 2
    clock.advance(60)
    assert run(w, force=True).due == 1  # after a success, --force fetches again at once


def test_the_ssrf_guard_refuses_private_addresses_unless_allowed(server, clock, engine, monkeypatch):
    server.feed("/feed.xml", rss("Local", [{"title": "Intranet notice", "link": server.url("/n/1"),
                                            "published": T0}]))
    w = watcher(engine, clock, allow_private=False)
    w.feeds.add(server.url("/feed.xml"))
    w.feeds.add(f"http://localhost:{server.port}/feed.xml")
    w.feeds.add(f"http://2130706433:{server.port}/feed.xml")  # 127.0.0.1 spelled as one number
    s = run(w)
    assert s.failed == 3 and s.added == 0 and server.hits["/feed.xml"] == 0
    for e in s.errors:
        assert "a loopback address; use --allow-private" in e["error"], e

    # The guard also holds where connections are made, whatever the URL looked like (DNS rebinding).
    from storyline.ingest import fetch

    monkeypatch.setattr(fetch, "check_url", lambda url, allow_private=False: "anything")
    clock.advance(86400 * 2)
    s = run(w, force=True)
    assert s.failed == 3 and server.hits["/feed.xml"] == 0
    assert all("refused" in e["error"] for e in s.errors)
    monkeypatch.undo()

    allowed = watcher(engine, clock, allow_private=True)
    s = run(allowed, force=True)
    assert s.failed == 0 and s.added == 1 and server.hits["/feed.xml"] == 3


def test_a_redirect_to_a_private_address_is_refused(server, monkeypatch):
    from storyline.ingest import fetch
    from storyline.ingest.netguard import BlockedURL

    server.reply("/go", Reply(302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}))
    server.reply("/file", Reply(302, headers={"Location": "file:///etc/passwd"}))
    server.reply("/home", Reply(302, headers={"Location": f"http://localhost:{server.port}/admin"}))
    # Only the test server itself is let through; every redirect target meets the real guard.
    real_url, real_address = fetch.check_url, fetch.check_address
    monkeypatch.setattr(fetch, "check_url", lambda url, allow_private=False: real_url(url, url.startswith(server.url(""))))
    monkeypatch.setattr(fetch, "check_address", lambda host, address, allow_private=False:
                        real_address(host, address, host == "127.0.0.1"))

    async def get(path: str):
        async with fetch.Fetcher(fetch.FetchLimits(timeout=2)) as fetcher:
            return await fetcher.get(server.url(path))

    with pytest.raises(BlockedURL, match=r"^refused 169\.254\.169\.254: a link-local address"):
        asyncio.run(get("/go"))
    with pytest.raises(BlockedURL, match=r"^file:///etc/passwd: only http and https URLs are fetched$"):
        asyncio.run(get("/file"))
    with pytest.raises(BlockedURL, match=r"^refused localhost: a loopback address"):
        asyncio.run(get("/home"))
    assert server.hits["/admin"] == 0


def test_a_round_that_cannot_store_its_articles_leaves_its_feeds_due(server, clock, engine):
    publish(server, until_hours=7)
    w = watcher(engine, clock)
    w.feeds.add(server.url(slug("River Times")))

    class LostOnCrash:
        """Takes the articles into memory, then dies before they reach the disk."""

        def add(self, article):
            return _Assigned()

        def flush(self):
            raise OSError("disk full")

        def story_of(self, article_id):
            return None

    class _Assigned:
        kind = "new"

    crashing = Watcher(LostOnCrash(), w.feeds, w.settings, clock=clock)
    with pytest.raises(OSError, match="disk full"):
        run(crashing)
    (feed,) = w.feeds.all()
    assert feed.etag is None and feed.last_fetch is None and w.feeds.due() == [feed]  # no 304 would hide them

    s = run(w)  # the same moment: the feed is still due, and its entries all arrive this time
    assert s.fetched == 1 and s.added == sum(1 for r in STREAM if r["source"] == "River Times")


def test_a_round_stopped_while_a_slow_feed_answers_keeps_what_the_others_brought(server, clock, engine):
    fast = rss("Fast Post", [{"title": "Olsk harbour reopens after storm", "link": server.url("/fast/1"),
                              "published": T0}])
    server.feed("/fast.xml", fast)
    server.reply("/slow.xml", Reply(200, chunks=slow_chunks(60, 2), pause=1.0))  # 30 s, two bytes a second
    w = watcher(engine, clock, interval=600)
    for path in ("/fast.xml", "/slow.xml"):
        w.feeds.add(server.url(path))

    async def stopped_round() -> None:
        task = asyncio.ensure_future(w.run_round())
        while server.hits.get("/fast.xml", 0) == 0:  # the fast feed has answered
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(stopped_round())
    engine.flush()
    titles = [t for (t,) in engine.store.db.execute("SELECT title FROM articles")]
    assert titles == ["Olsk harbour reopens after storm"]  # nothing was stored before


def test_two_watchers_of_one_store_fetch_each_feed_once(server, clock, engine, tmp_path):
    outlets = publish(server, until_hours=7)
    first = watcher(engine, clock)
    for outlet in outlets:
        first.feeds.add(server.url(slug(outlet)))
    with Engine(str(tmp_path / "watch.db")) as other_engine:  # another process's view of the store
        second = watcher(other_engine, clock)

        async def both():
            return await asyncio.gather(first.run_round(), second.run_round())

        a, b = asyncio.run(both())
    assert a.due + b.due == len(outlets)  # each feed taken by one of them
    assert all(server.hits[slug(o)] == 1 for o in outlets), server.hits  # every feed fetched twice before
    assert all(f.next_fetch == clock() + 900 for f in first.feeds.all())  # and scheduled as usual


def test_a_store_locked_by_another_process_costs_a_round_not_the_watcher(server, clock, engine):
    import sqlite3

    server.feed("/feed.xml", rss("Desk", [{"title": "Ferry returns to Lake Ordway", "link": server.url("/r/1"),
                                           "published": T0}]))
    w = watcher(engine, clock, interval=600)
    w.feeds.add(server.url("/feed.xml"))
    stop = asyncio.Event()
    real, calls, told = w.run_round, [], []

    async def locked_once(force: bool = False):
        calls.append(force)
        if len(calls) == 1:
            raise sqlite3.OperationalError("database is locked")
        stop.set()
        return await real(force=force)

    async def no_wait(seconds: float) -> None:
        return None

    w.run_round, w.sleep = locked_once, no_wait
    asyncio.run(w.run_forever(stop=stop, on_busy=told.append))
    assert told == ["database is locked"] and len(calls) == 2
    assert engine.store.counts()["articles"] == 1


def test_a_dead_host_costs_one_timeout_not_one_per_feed_queued_behind_it(server, clock, engine):
    """Two requests at a time per host: ten feeds of a server that never answers took five timeouts
    in a row, and no feed's articles were stored until then."""
    import time

    server.feed("/ok.xml", rss("Good Outlet", [{"title": "Seline River ports reopen after flood",
                                                "link": server.url("/a/1"), "published": T0}]))
    for i in range(10):
        server.reply(f"/dead/{i}.xml", Reply(200, b"<rss/>", delay=20))
    w = watcher(engine, clock, timeout=1.0)
    w.feeds.add(server.url("/ok.xml"))
    for i in range(10):
        w.feeds.add(f"http://localhost:{server.port}/dead/{i}.xml")  # another host name, the same dead server
    start = time.monotonic()
    s = run(w)
    took = time.monotonic() - start
    assert took < 4.0, took  # one timeout (1 s), not five
    assert s.failed == 10 and s.added == 1
    skipped = [e for e in s.errors if "answered none of this round's requests in time" in e["error"]]
    assert len(skipped) == 8  # the two that timed out say so; the eight behind them were not tried
