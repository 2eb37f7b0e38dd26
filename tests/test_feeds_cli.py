"""`storyline feeds add | import | list | remove | export`, run as real subprocesses."""

from __future__ import annotations

import json

import pytest

from conftest import error_lines
from test_feeds_opml import READER_EXPORT

from storyline.ingest.opml import read_opml


@pytest.mark.parametrize("args", [["feeds"], ["feeds", "add"], ["feeds", "import"], ["feeds", "list"],
                                  ["feeds", "remove"], ["feeds", "export"], ["watch"]])
def test_help(run_cli, args):
    proc = run_cli(*args, "--help")
    assert proc.returncode == 0 and proc.stderr == ""
    assert proc.stdout.startswith(f"usage: storyline {' '.join(args)}")


def test_top_level_help_lists_feeds_and_watch(run_cli):
    out = run_cli("--help").stdout
    assert "feeds" in out and "watch" in out


def test_add_list_remove(run_cli, tmp_path):
    db = str(tmp_path / "f.db")
    proc = run_cli("feeds", "add", "https://harbor.example/rss", "ledger.example/feed.atom", "ftp://x.example/f",
                   "--db", db)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == ["added feed 1: https://harbor.example/rss",
                                        "added feed 2: https://ledger.example/feed.atom"]
    assert error_lines(proc.stderr) == ["storyline: error: ftp://x.example/f: not an http or https URL"]

    proc = run_cli("feeds", "add", "HTTPS://Harbor.Example/rss", "http://127.0.0.1:8080/intranet.xml",
                   "--title", "x", "--db", db)
    assert proc.returncode == 1 and "--title names one feed" in proc.stderr
    proc = run_cli("feeds", "add", "HTTPS://Harbor.Example/rss", "http://127.0.0.1:8080/intranet.xml", "--db", db)
    assert proc.returncode == 0
    assert proc.stdout.splitlines() == ["already following feed 1: https://harbor.example/rss",
                                        "added feed 3: http://127.0.0.1:8080/intranet.xml"]
    assert proc.stderr.strip() == ("storyline: note: 127.0.0.1: a loopback address; `storyline watch` fetches it "
                                   "only with --allow-private")

    listed = run_cli("feeds", "list", "--db", db)
    assert listed.returncode == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["ID", "STATE", "ARTICLES", "LAST", "FETCH", "(UTC)", "NEXT", "FEED"]
    assert lines[1].split() == ["1", "new", "0", "never", "now", "https://harbor.example/rss"]
    rows = json.loads(run_cli("feeds", "list", "--json", "--db", db).stdout)
    assert [(r["id"], r["state"], r["articles_seen"], r["last_error"]) for r in rows] == \
        [(1, "new", 0, None), (2, "new", 0, None), (3, "new", 0, None)]
    assert all(r["added_at"].endswith("Z") and r["next_fetch"] is None for r in rows)  # ISO, as all JSON

    proc = run_cli("feeds", "remove", "2", "https://harbor.example/rss", "99", "--db", db)
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [
        "removed feed 2: https://ledger.example/feed.atom (its 0 articles stay in the store)",
        "removed feed 1: https://harbor.example/rss (its 0 articles stay in the store)"]
    assert error_lines(proc.stderr) == ["storyline: error: no feed 99; `storyline feeds list` shows them"]
    assert [r["id"] for r in json.loads(run_cli("feeds", "list", "--json", "--db", db).stdout)] == [3]

    proc = run_cli("feeds", "--db", db)
    assert proc.returncode == 2 and "usage" in proc.stderr
    proc = run_cli("feeds")
    assert proc.returncode == 1 and "feeds needs an action" in proc.stderr


def test_import_and_export_round_trip(run_cli, tmp_path):
    db = str(tmp_path / "f.db")
    src = tmp_path / "reader.opml"
    src.write_bytes(READER_EXPORT)
    proc = run_cli("feeds", "import", str(src), "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"imported 3 feeds from {src} (0 already followed, 0 skipped)"
    again = run_cli("feeds", "import", str(src), "--db", db, "--json")
    assert json.loads(again.stdout) == {"file": str(src), "feeds": 3, "added": 0, "already_followed": 3,
                                        "skipped": 0}

    exported = run_cli("feeds", "export", "--db", db)
    assert exported.returncode == 0 and exported.stderr == ""
    original = read_opml(READER_EXPORT)
    back = read_opml(exported.stdout.encode())
    assert [(f.url, f.title, f.category) for f in back] == [(f.url, f.title, f.category) for f in original]

    out = tmp_path / "feeds.opml"
    proc = run_cli("feeds", "export", "-o", str(out), "--db", db)
    assert proc.returncode == 0 and read_opml(out.read_bytes()) == back
    # ... and into a new store, from stdin
    other = str(tmp_path / "other.db")
    proc = run_cli("feeds", "import", "-", "--db", other, input=out.read_text())
    assert proc.returncode == 0 and "imported 3 feeds" in proc.stdout
    assert run_cli("feeds", "export", "--db", other).stdout.split("<body>")[1] == \
        exported.stdout.split("<body>")[1]


def test_clear_errors(run_cli, tmp_path):
    db = str(tmp_path / "none.db")
    for args, message in [
        (["feeds", "list", "--db", db], f"storyline: error: {db}: no such store; add feeds with "
                                        "`storyline feeds add URL` first"),
        (["feeds", "import", str(tmp_path / "missing.opml")], f"{tmp_path / 'missing.opml'}: no such file"),
        (["watch", "--once", "--db", db], f"{db}: no such store; add feeds with `storyline feeds add URL`"),
        (["watch", "--interval", "10s", "--db", db], "--interval must be at least 1m"),
    ]:
        proc = run_cli(*args)
        assert proc.returncode == 1, args
        assert "Traceback" not in proc.stderr
        assert len(error_lines(proc.stderr)) == 1 and message in proc.stderr, proc.stderr
    bad = tmp_path / "bad.opml"
    bad.write_text("<rss/>")
    proc = run_cli("feeds", "import", str(bad))
    assert proc.returncode == 1 and "not OPML (the root element is <rss>" in proc.stderr
    empty = tmp_path / "empty.db"
    run_cli("feeds", "add", "https://x.example/rss", "--db", str(empty))
    run_cli("feeds", "remove", "1", "--db", str(empty))
    proc = run_cli("watch", "--once", "--db", str(empty))
    assert proc.returncode == 1 and "no feeds to watch" in proc.stderr


def test_import_of_a_url_says_how_to_import_it_not_that_no_file_exists(run_cli, tmp_path):
    db = tmp_path / "f.db"
    proc = run_cli("feeds", "import", "https://news.example/subscriptions.opml", "--db", db)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    (line,) = error_lines(proc.stderr)
    assert "no such file" not in line  # what it said before
    assert line.startswith("storyline: error: https://news.example/subscriptions.opml: a URL, not a file")
    assert "storyline feeds import -" in line and "storyline feeds add URL" in line
    assert not db.exists()  # refused before any store was made


def test_a_password_in_a_feed_url_is_not_shown_but_is_kept(run_cli, tmp_path):
    db = tmp_path / "f.db"
    url = "https://reader:s3cret@news.example/rss.xml"
    added = run_cli("feeds", "add", url, "--db", db)
    assert added.returncode == 0 and "s3cret" not in added.stdout and "reader:***@news.example" in added.stdout
    listed = run_cli("feeds", "list", "--db", db)
    assert listed.returncode == 0 and "s3cret" not in listed.stdout + listed.stderr
    assert "s3cret" in run_cli("feeds", "export", "--db", db).stdout  # what fetches it again
