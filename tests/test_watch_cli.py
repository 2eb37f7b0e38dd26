"""`storyline watch` as a real subprocess against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import pytest

from conftest import T0, clean_env, error_lines, query
from feed_server import FeedServer, Reply, news_feeds, opml, rss, wait_until


@pytest.fixture
def server():
    srv = FeedServer()
    yield srv
    srv.close()


def test_watch_once_on_200_feeds_takes_less_than_10_seconds(run_cli, server, tmp_path):
    names = []
    for path, outlet, body in news_feeds(server.url(""), feeds=200, items=10):
        server.feed(path, body)
        names.append((outlet, server.url(path)))
    (tmp_path / "news.opml").write_bytes(opml(names))
    db = str(tmp_path / "live.db")
    proc = run_cli("feeds", "import", "news.opml", "--db", db)
    assert proc.returncode == 0 and "imported 200 feeds" in proc.stdout

    # The sparse mode: the speed floor of following feeds (embeddings cost ~2 ms an article more,
    # measured apart in BENCHMARKS.md).
    start = time.monotonic()
    proc = run_cli("watch", "--once", "--allow-private", "--json", "--db", db, env={"STORYLINE_EMBEDDINGS": "none"})
    elapsed = time.monotonic() - start
    assert proc.returncode == 0, proc.stderr
    assert elapsed < 10, f"watch --once on 200 feeds took {elapsed:.1f} s"
    summary = json.loads(proc.stdout)
    assert (summary["due"], summary["fetched"], summary["failed"], summary["parsed"]) == (200, 200, 0, 200)
    assert summary["added"] == 2000 and summary["entries"] == 2000
    assert summary["started"].endswith("Z") and summary["next_due"] > summary["started"]  # ISO times
    assert 40 < summary["new"] < 400  # stories covered by many outlets, not one story per article
    (last,) = [line for line in proc.stderr.splitlines() if line.startswith("watch: 200 feeds in")]
    assert "200 fetched, 0 not modified, 0 failed; 2,000 new articles" in last
    assert query(db, "SELECT count(*) FROM articles")[0][0] == 2000
    assert query(db, "SELECT count(*) FROM feeds WHERE etag IS NOT NULL AND articles_seen = 10")[0][0] == 200

    proc = run_cli("watch", "--once", "--allow-private", "--db", db)  # nothing is due for 15 minutes
    assert proc.returncode == 0
    assert proc.stderr.startswith("watch: no feed is due; the next is due in 15m (--force fetches them now, but never before a server's Retry-After)")

    proc = run_cli("watch", "--once", "--force", "--json", "--db", db, env={"STORYLINE_ALLOW_PRIVATE": "1"})
    summary = json.loads(proc.stdout)
    assert (summary["not_modified"], summary["parsed"], summary["added"]) == (200, 0, 0)


def test_watch_refuses_loopback_unless_allowed(run_cli, server, tmp_path):
    server.feed("/feed.xml", rss("Local Desk", [{"title": "Council approves Dunmere flood barrier budget",
                                                 "link": server.url("/n/1"), "published": T0}]))
    db = str(tmp_path / "w.db")
    run_cli("feeds", "add", server.url("/feed.xml"), "--db", db)
    proc = run_cli("watch", "--once", "--db", db)
    assert proc.returncode == 1  # every feed failed
    assert f"storyline: feed 1 {server.url('/feed.xml')}: refused 127.0.0.1: a loopback address; " \
           "use --allow-private" in proc.stderr
    assert "(next try in 15m)" in proc.stderr and "Traceback" not in proc.stderr
    assert server.hits["/feed.xml"] == 0
    assert query(db, "SELECT failures, last_error LIKE 'refused%' FROM feeds") == [(1, 1)]

    proc = run_cli("watch", "--once", "--allow-private", "--db", db)  # still backing off
    assert "no feed is due" in proc.stderr and server.hits["/feed.xml"] == 0
    proc = run_cli("watch", "--once", "--force", "--allow-private", "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert "1 new article " in proc.stderr and server.hits["/feed.xml"] == 1
    listed = json.loads(run_cli("feeds", "list", "--json", "--db", db).stdout)
    assert listed[0]["state"] == "ok" and listed[0]["articles_seen"] == 1 and listed[0]["title"] == "Local Desk"


def test_watch_runs_rounds_until_stopped(server, tmp_path):
    server.feed("/feed.xml", rss("Round Desk", [{"title": "Ferry returns to Lake Ordway", "link": server.url("/r/1"),
                                                 "published": T0}]))
    db = str(tmp_path / "w.db")
    subprocess.run([sys.executable, "-m", "storyline", "feeds", "add", server.url("/feed.xml"), "--db", db],
                   env=clean_env(), check=True, capture_output=True, timeout=30)
    proc = subprocess.Popen([sys.executable, "-m", "storyline", "watch", "--interval", "1m", "--allow-private",
                             "--db", db], env=clean_env(), stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()  # the first round's summary
        assert line.startswith("watch: 1 feed in") and "1 new article " in line, line
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=20)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and rest.strip() == "watch: stopped" and not error_lines(rest)
    assert query(db, "SELECT title FROM articles") == [("Ferry returns to Lake Ordway",)]


def test_watch_once_stopped_by_sigterm_keeps_what_answered_and_gives_the_rest_back(server, tmp_path):
    """cron's `timeout` and systemd stop with SIGTERM: the round lost everything and held its feeds."""
    server.feed("/fast.xml", rss("Fast Desk", [{"title": "Ferry returns to Lake Ordway",
                                                "link": server.url("/r/1"), "published": T0}]))
    server.route("/slow.xml", lambda request: Reply(200, b"<rss/>", delay=30.0))
    db = str(tmp_path / "w.db")
    subprocess.run([sys.executable, "-m", "storyline", "feeds", "add", server.url("/fast.xml"),
                    server.url("/slow.xml"), "--db", db], env=clean_env(), check=True, capture_output=True,
                   timeout=30)
    proc = subprocess.Popen([sys.executable, "-m", "storyline", "watch", "--once", "--allow-private", "--db", db],
                            env=clean_env(), stderr=subprocess.PIPE, text=True)
    try:
        assert wait_until(lambda: server.hits.get("/slow.xml", 0) >= 1 and server.hits.get("/fast.xml", 0) >= 1,
                        timeout=30)
        time.sleep(1.0)  # the fast feed's answer is parsed meanwhile
        proc.send_signal(signal.SIGTERM)
        err = proc.communicate(timeout=20)[1]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 143, err
    assert "watch: stopped" in err and "Traceback" not in err
    assert query(db, "SELECT title FROM articles") == [("Ferry returns to Lake Ordway",)]
    # The slow feed is due again now, not claimed for ten minutes.
    assert query(db, f"SELECT next_fetch IS NULL OR next_fetch <= {time.time() + 60} FROM feeds "
                     "WHERE url LIKE '%slow.xml'") == [(1,)]


def test_watch_says_which_feed_had_entries_it_skipped_and_why(run_cli, server, tmp_path):
    server.feed("/feed.xml", rss("Gap Desk", [
        {"title": "Ferry returns to Lake Ordway", "link": server.url("/g/1"), "published": T0},
        {"title": None, "link": server.url("/g/2"), "published": T0},   # nothing to make an article of
        {"title": None, "link": server.url("/g/3"), "published": T0}]))
    db = str(tmp_path / "w.db")
    run_cli("feeds", "add", server.url("/feed.xml"), "--db", db)
    proc = run_cli("watch", "--once", "--allow-private", "--db", db)
    assert proc.returncode == 0, proc.stderr
    # The round's summary only counted them before: nothing said which feed, or why.
    assert f"storyline: feed 1 {server.url('/feed.xml')}: 2 entries skipped (entry 2: title: missing" in proc.stderr
    assert "1 new article " in proc.stderr and "2 bad entries skipped" in proc.stderr
    other = str(tmp_path / "q.db")
    run_cli("feeds", "add", server.url("/feed.xml"), "--db", other)
    quiet = run_cli("watch", "--once", "--allow-private", "--quiet", "--db", other)
    assert quiet.returncode == 0 and quiet.stderr == ""
