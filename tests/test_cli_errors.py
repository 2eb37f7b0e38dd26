"""A user's mistake is one `storyline: error:` line and a non-zero exit, never a traceback, and it is
found before any work is done (so a mistake never costs the work, nor leaves a half-made store)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from conftest import STREAM, error_lines, query, write_jsonl
from test_cli import one_clear_error

HUGE = "99999999999999999999"

BAD_CONFIGS = {
    "list.toml": "threshold = [1,2]\n",
    "date.toml": "threshold = 1970-01-01\n",
    "bool.toml": "threshold = true\n",
    "five.toml": "storyline = 5\n",
    "invalid.toml": "threshold = = 3\n",
    "nofile.toml": 'decision = "nosuchfile.json"\n',
    "notjson.toml": 'decision = "notjson.json"\n',
    "zero.toml": "body_words = 0\n",
}


def bad_config(folder: Path, name: str) -> Path:
    (folder / "notjson.json").write_text("not json")
    path = folder / name
    if name == "adir":
        path.mkdir(exist_ok=True)
    else:
        path.write_text(BAD_CONFIGS[name])
    return path


def usage_error(proc) -> str:
    """An argparse refusal: exit 2, the usage and one error line, no traceback."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr and "usage:" in proc.stderr
    return proc.stderr.strip().splitlines()[-1]


# -- configuration ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [*BAD_CONFIGS, "adir"])
def test_a_bad_config_file_is_one_line_in_eval(run_cli, tmp_path, name):
    src = write_jsonl(tmp_path / "gold.jsonl", STREAM)
    line = one_clear_error(run_cli("eval", src, "--no-embeddings", "--config", bad_config(tmp_path, name)))
    assert name in line  # the file that is wrong is named


@pytest.mark.parametrize("command", ["ingest", "backfill", "watch"])
@pytest.mark.parametrize("name", ["list.toml", "five.toml", "adir", "nofile.toml"])
def test_a_bad_config_file_is_one_line_before_any_store_is_made(run_cli, tmp_path, command, name):
    src = write_jsonl(tmp_path / "s.jsonl", STREAM, labels=False)
    config = bad_config(tmp_path, name)
    args = {"ingest": ["ingest", src, "--no-embeddings"], "backfill": ["backfill", src],
            "watch": ["watch", "--once"]}[command]
    line = one_clear_error(run_cli(*args, "--db", tmp_path / "new.db", "--config", config))
    assert name in line
    assert not (tmp_path / "new.db").exists()


@pytest.mark.parametrize("variable, value, words", [
    ("STORYLINE_THRESHOLD", "abc", "threshold must be a number"),
    ("STORYLINE_DECISION", "bogus", "no file 'bogus'"),
    ("STORYLINE_BODY_WORDS", "0", "body_words must be a whole number, 1 or more"),
])
def test_a_bad_environment_variable_is_named(run_cli, tmp_path, variable, value, words):
    src = write_jsonl(tmp_path / "gold.jsonl", STREAM)
    line = one_clear_error(run_cli("eval", src, "--no-embeddings", env={variable: value}))
    assert variable in line and words in line


def test_a_config_file_that_cannot_be_read_is_one_line(run_cli, tmp_path):
    # A path through a file (ENOTDIR): an OSError that is neither "missing" nor "a folder", for root too
    # (permissions, the usual case, do not stop root).
    (tmp_path / "notes.txt").write_text("a file, not a folder\n")
    config = tmp_path / "notes.txt" / "settings.toml"
    line = one_clear_error(run_cli("eval", write_jsonl(tmp_path / "g.jsonl", STREAM), "--config", config))
    assert "settings.toml: cannot read the configuration file" in line


# -- numbers too big for SQLite ---------------------------------------------------------------------

@pytest.mark.parametrize("args", [["stories", "--limit", HUGE], ["search", "flood", "--limit", HUGE],
                                  ["alerts", "--limit", HUGE]])
def test_a_huge_limit_means_all(run_cli, stream_db, args):
    proc = run_cli(*args, "--db", stream_db, "--json")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert isinstance(json.loads(proc.stdout), list)


def test_a_huge_story_id_is_no_story(run_cli, stream_db):
    for story in ("99999999999999999999999", "-99999999999999999999999"):
        assert one_clear_error(run_cli("show", story, "--db", stream_db)).startswith(f"storyline: error: no story {story}")


# -- durations --------------------------------------------------------------------------------------

@pytest.mark.parametrize("since", ["99999999999d", "9999999999999999999999d"])
def test_brief_takes_any_age_as_stories_does(run_cli, stream_db, since):
    everything = {s["id"] for s in json.loads(run_cli("stories", "--since", since, "--db", stream_db, "--json").stdout)}
    for form in ("md", "html", "json"):
        proc = run_cli("brief", "--since", since, "--db", stream_db, "--format", form)
        assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    assert {s["id"] for s in json.loads(proc.stdout)["stories"]} == everything


def test_web_brief_takes_any_age_as_the_cli_does(run_cli, tmp_path):
    from serve_server import Server

    db = tmp_path / "brief.db"
    assert run_cli("ingest", write_jsonl(tmp_path / "s.jsonl", STREAM), "--db", db, "--no-embeddings").returncode == 0
    cli = run_cli("brief", "--since", "99999999999d", "--db", db, "--format", "json")
    assert cli.returncode == 0, cli.stderr
    server = Server(db, args=("--no-warm",))
    try:
        web = server.get("/api/brief", params={"since": "99999999999d"})
        assert web.status_code == 200, web.text
        assert web.json() == json.loads(cli.stdout)
        page = server.get("/brief", params={"since": "99999999999d"})
        assert page.status_code == 200, page.text
        assert server.get("/api/brief", params={"since": "0h"}).status_code == 422  # as the API docs say
    finally:
        server.stop()


# -- watch and serve settings -----------------------------------------------------------------------

def test_watch_interval_zero_is_one_line(run_cli, tmp_path):
    line = one_clear_error(run_cli("watch", "--interval", "0", "--db", tmp_path / "w.db"))
    assert "interval" in line


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
def test_serve_refuses_a_port_that_is_not_one(run_cli, stream_db, port):
    line = usage_error(run_cli("serve", "--db", stream_db, f"--port={port}"))
    assert "--port" in line


# -- output files checked before the work ------------------------------------------------------------

@pytest.mark.parametrize("target", ["nodir/p.jsonl", "afolder"])
def test_eval_checks_its_predictions_path_first(run_cli, tmp_path, target):
    (tmp_path / "afolder").mkdir()
    src = write_jsonl(tmp_path / "gold.jsonl", STREAM)
    proc = run_cli("eval", src, "--no-embeddings", "--predictions", tmp_path / target)
    line = one_clear_error(proc)
    assert "--predictions" in line and target in line
    assert proc.stdout == ""  # refused before clustering: no scores were printed


def test_backfill_checks_its_predictions_path_before_writing_the_store(run_cli, tmp_path):
    src = write_jsonl(tmp_path / "s.jsonl", STREAM, labels=False)
    db = tmp_path / "archive.db"
    line = one_clear_error(run_cli("backfill", src, "--db", db, "--predictions", tmp_path / "nodir" / "p.jsonl",
                                   "--quiet"))
    assert "--predictions" in line and "nodir" in line
    assert not db.exists()  # nothing written: the corrected command works
    good = run_cli("backfill", src, "--db", db, "--predictions", tmp_path / "p.jsonl", "--quiet")
    assert good.returncode == 0, good.stderr
    assert len((tmp_path / "p.jsonl").read_text().splitlines()) == len(STREAM)


def test_eval_reads_a_file_that_is_not_utf8_as_ingest_does_with_one_warning(run_cli, tmp_path):
    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes(b"".join(json.dumps(r, ensure_ascii=False).replace("Kestrelia", "Kestrélia")
                                .encode("latin-1") + b"\n" for r in STREAM))
    proc = run_cli("eval", latin1, "--no-embeddings", "--json")
    assert proc.returncode == 0 and "Traceback" not in proc.stderr and not error_lines(proc.stderr), proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["articles"] == len(STREAM) and result["skipped"] == 0  # every good line kept
    (warning,) = [line for line in proc.stderr.splitlines() if line.startswith("storyline: warning: ")]
    assert warning.startswith(f"storyline: warning: {latin1}: not valid UTF-8 text: ") and "replaced" in warning
    assert result["warnings"] == [warning[len("storyline: warning: "):]]
    # ingest says the same of the same file
    ingested = run_cli("ingest", latin1, "--no-embeddings", "--db", tmp_path / "l.db")
    assert warning in ingested.stderr.splitlines()


def test_eval_refuses_a_compressed_file_as_ingest_does(run_cli, tmp_path):
    packed = tmp_path / "gold.jsonl"
    packed.write_bytes(gzip.compress(b"".join(json.dumps(r).encode() + b"\n" for r in STREAM)))
    line = one_clear_error(run_cli("eval", packed, "--no-embeddings"))
    assert "gold.jsonl: not a text file (gzip? decompress it first)" in line


# -- --db values -------------------------------------------------------------------------------------

@pytest.mark.parametrize("db, words", [("sqlite:///", "no file named"), ("", "path is empty"),
                                       ("sqlite://x.db", "three slashes")])
def test_a_db_that_names_no_file_is_refused(run_cli, tmp_path, db, words):
    src = write_jsonl(tmp_path / "s.jsonl", STREAM, labels=False)
    for args in (["ingest", src, "--no-embeddings"], ["stories"], ["backfill", src]):
        line = one_clear_error(run_cli(*args, "--db", db))
        assert words in line, args
    assert list(tmp_path.glob("*.db")) == []


def test_sqlite_urls_follow_sqlalchemy(run_cli, tmp_path):
    src = write_jsonl(tmp_path / "s.jsonl", STREAM[:3], labels=False)
    assert run_cli("ingest", src, "--no-embeddings", "--db", "sqlite:///rel.db").returncode == 0
    assert query(tmp_path / "rel.db", "SELECT count(*) FROM articles") == [(3,)]
    absolute = tmp_path / "abs.db"
    assert run_cli("ingest", src, "--no-embeddings", "--db", f"sqlite:///{absolute}").returncode == 0  # four slashes
    assert query(absolute, "SELECT count(*) FROM articles") == [(3,)]
    # Three slashes before an absolute-looking path: a relative path, and the message says how to mean it.
    line = one_clear_error(run_cli("ingest", src, "--no-embeddings", "--db", f"sqlite://{absolute}"))
    assert f"sqlite:///{absolute}" in line and "four slashes" in line
    # Reading never creates a store, whichever way the file is named.
    assert "no such store" in one_clear_error(run_cli("stories", "--db", "sqlite:///missing.db"))
    assert not (tmp_path / "missing.db").exists()


def test_db_help_says_how_sqlite_urls_are_read(run_cli):
    help_text = " ".join(run_cli("stories", "--help").stdout.split())
    assert "sqlite:///PATH: three slashes for a relative path, four for an absolute one" in help_text


# -- demo --------------------------------------------------------------------------------------------

def test_demo_refuses_a_store_of_other_news(run_cli, tmp_path):
    src = write_jsonl(tmp_path / "s.jsonl", STREAM, labels=False)
    real = tmp_path / "my-real.db"
    assert run_cli("ingest", src, "--no-embeddings", "--db", real).returncode == 0
    line = one_clear_error(run_cli("demo", "--db", real))
    assert f"{len(STREAM)} articles that are not the demo's" in line and "--db" in line
    assert query(real, "SELECT count(*) FROM articles") == [(len(STREAM),)]
    # The default demo store holding other news is refused too, with another name to use.
    (tmp_path / "storyline-demo.db").write_bytes(real.read_bytes())
    assert "demo --db demo-news.db" in one_clear_error(run_cli("demo"))


def test_the_demo_runs_again_after_articles_were_added_to_it(run_cli, tmp_path):
    """The README adds an article to `serve --demo` with curl: after that, `storyline demo` and
    `serve --demo` refused the demo's own store forever (it held "1 article that is not the demo's")."""
    assert run_cli("demo", "--limit", "1", timeout=180).returncode == 0
    extra = write_jsonl(tmp_path / "extra.jsonl", [{"id": "mine", "title": "Quake strikes Qeshm island",
                                                    "source": "Harbor Gazette"}], labels=False)
    assert run_cli("ingest", extra, "--db", "storyline-demo.db", "--no-embeddings").returncode == 0
    again = run_cli("demo", "--limit", "1", timeout=180)
    assert again.returncode == 0 and error_lines(again.stderr) == [], again.stderr
    assert query(tmp_path / "storyline-demo.db", "SELECT count(*) FROM articles WHERE id = 'mine'") == [(1,)]


def test_demo_runs_again_in_the_same_folder(run_cli, tmp_path):
    first = run_cli("demo", "--limit", "1", timeout=180)
    assert first.returncode == 0, first.stderr
    again = run_cli("demo", "--limit", "1", timeout=180)
    assert again.returncode == 0 and error_lines(again.stderr) == [], again.stderr
    assert again.stdout == first.stdout


@pytest.mark.parametrize("command", [["stories"], ["search", "flood"], ["show", "1"]])
def test_a_damaged_store_file_is_one_line(run_cli, tmp_path, command):
    import random

    from test_resume import generate

    db = tmp_path / "damaged.db"
    assert run_cli("ingest", write_jsonl(tmp_path / "s.jsonl", generate(1_000)), "--db", db,
                   "--no-embeddings").returncode == 0
    size = db.stat().st_size
    with open(db, "r+b") as handle:  # pages overwritten, as a failing disk does (not the schema's)
        handle.seek(size // 3 // 4096 * 4096)
        handle.write(random.Random(7).randbytes(size // 3 // 4096 * 4096))
    line = one_clear_error(run_cli(*command, "--db", db))
    assert line == f"storyline: error: {db}: database disk image is malformed"


@pytest.mark.parametrize("value", ["2", "-1.5", "nan"])
def test_search_refuses_a_min_similarity_no_article_could_reach(run_cli, tmp_path, value):
    # It used to search, and say that no story matches.
    line = usage_error(run_cli("search", "quake", "--meaning", "--min-similarity", value,
                               "--db", tmp_path / "none.db"))
    assert "--min-similarity" in line and "from -1 to 1" in line


def test_serve_on_a_port_in_use_or_a_wrong_host_is_one_line(run_cli, tmp_path):
    """It printed "serving ... at http://127.0.0.1:8080/", then uvicorn's own error and an INFO line,
    and with --demo it loaded the demo first."""
    import socket

    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen(1)
    try:
        port = held.getsockname()[1]
        proc = run_cli("serve", "--demo", "--port", port, cwd=tmp_path)
        assert proc.returncode == 1 and proc.stderr.splitlines() == [
            f"storyline: error: cannot listen on 127.0.0.1:{port} (address already in use): another program "
            "(another storyline serve?) has that port; choose one with --port"]
        assert not (tmp_path / "storyline-demo.db").exists()
    finally:
        held.close()
    # an address of no interface here (TEST-NET-1: no name to look up, so nothing leaves the machine)
    proc = run_cli("serve", "--demo", "--host", "192.0.2.1", "--port", 0, cwd=tmp_path)
    assert proc.returncode == 1 and len(proc.stderr.splitlines()) == 1
    assert proc.stderr.startswith("storyline: error: cannot listen on 192.0.2.1:0 (")
    assert proc.stderr.rstrip().endswith("is --host an address of this machine?")


@pytest.mark.parametrize("db", ["mysql://news:s3cret@db.example/news", "postgresql+psycopg://news:s3cret@db/x",
                                "host=db.example password=s3cret dbname=news"])
def test_a_password_in_a_store_address_is_never_printed(run_cli, tmp_path, db):
    proc = run_cli("stories", "--db", db)
    assert proc.returncode == 1 and "s3cret" not in proc.stderr and "***" in proc.stderr, proc.stderr


# -- secrets never reach a message ---------------------------------------------------------------

@pytest.mark.parametrize("url", ["postgresql://news:a%zzLEAK3@127.0.0.1:9/news",
                                 "postgresql://news:a b?c=d&LEAK4 x@127.0.0.1:9/news"])
def test_a_password_the_driver_cannot_parse_is_not_repeated_in_its_message(run_cli, url):
    line = one_clear_error(run_cli("stories", "--db", url))
    assert "LEAK" not in line and "***" in line


@pytest.mark.parametrize("target", ["host=127.0.0.1 port=9 dbname=news user=news password=LEAK5",
                                    "sqlite:///postgresql://news:LEAK6@127.0.0.1:9/news"])
def test_a_connection_string_is_never_taken_for_a_file(run_cli, tmp_path, target):
    write_jsonl(tmp_path / "in.jsonl", STREAM[:3])
    line = one_clear_error(run_cli("ingest", "in.jsonl", "--db", target))
    assert "LEAK" not in line and ("keyword connection string" in line or "names a URL" in line)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]  # no file named after the password
