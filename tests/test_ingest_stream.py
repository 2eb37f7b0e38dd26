"""``producer | storyline ingest -``: a stream is stored as it arrives, not at its end.

A live producer may pause for hours between records. Whatever arrived is placed and written when the
input pauses (about a second), so readers see it, a kill loses none of it, and other writers of the
store (``serve``, another ``ingest``) are not kept waiting for the writer's turn meanwhile.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import clean_env, query

RECORDS = [
    {"id": "s1", "title": "Quake strikes Qeshm island off Iran", "source": "Harbor Gazette",
     "text": "An earthquake of magnitude 5.6 struck Qeshm island on Friday, officials said."},
    {"id": "s2", "title": "Strong quake shakes Iran's Qeshm island", "source": "Daily Meridian",
     "text": "A strong earthquake shook Qeshm island in the Gulf on Friday, damaging homes."},
    {"id": "s3", "title": "Flood closes ports along the Seline River", "source": "River Times",
     "text": "Floodwater closed three ports along the Seline River after days of heavy rain."},
]


def start_ingest(db: Path, cwd: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "storyline", "ingest", "-", "--db", str(db),
                             "--no-embeddings", "--json", *extra],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=clean_env(), cwd=cwd)


def stored_ids(db: Path) -> set[str]:
    if not db.exists():
        return set()
    try:
        return {row[0] for row in query(db, "SELECT id FROM articles")}
    except Exception:  # noqa: BLE001 - the store is being created
        return set()


def end_stream(proc: subprocess.Popen, last: dict) -> tuple[dict, str]:
    """Send one last record, close the input; the ingest's JSON summary and its stderr."""
    proc.stdin.write(json.dumps(last) + "\n")
    proc.stdin.close()
    proc.wait(60)
    out, err = proc.stdout.read(), proc.stderr.read()
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1]), err


def wait_for(check, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def test_a_paused_stdin_stream_is_stored_before_it_ends(tmp_path):
    db = tmp_path / "live.db"
    proc = start_ingest(db, tmp_path)
    try:
        for record in RECORDS[:2]:
            proc.stdin.write(json.dumps(record) + "\n")
        proc.stdin.flush()
        # The input stays open: the two articles must be written anyway (they used to wait for EOF).
        assert wait_for(lambda: stored_ids(db) == {"s1", "s2"}), proc.poll()
        assert proc.poll() is None
        summary, _ = end_stream(proc, RECORDS[2])
    finally:
        proc.kill()
    assert summary["read"] == 3
    assert stored_ids(db) == {"s1", "s2", "s3"}
    assert len({row[0] for row in query(db, "SELECT story FROM articles WHERE id IN ('s1', 's2')")}) == 1


def test_a_kill_while_the_stream_waits_loses_nothing_that_arrived(tmp_path):
    db = tmp_path / "killed.db"
    proc = start_ingest(db, tmp_path)
    try:
        proc.stdin.write("".join(json.dumps(r) + "\n" for r in RECORDS))
        proc.stdin.flush()
        assert wait_for(lambda: len(stored_ids(db)) == 3)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    assert stored_ids(db) == {"s1", "s2", "s3"}


def test_another_writer_is_not_kept_waiting_by_a_quiet_stream(tmp_path, run_cli):
    db = tmp_path / "shared.db"
    proc = start_ingest(db, tmp_path)
    try:
        proc.stdin.write(json.dumps(RECORDS[0]) + "\n")
        proc.stdin.flush()
        assert wait_for(lambda: stored_ids(db) == {"s1"})
        other = tmp_path / "other.jsonl"
        other.write_text("".join(json.dumps(r) + "\n" for r in RECORDS[1:]), encoding="utf-8")
        start = time.monotonic()
        done = run_cli("ingest", other, "--db", db, "--no-embeddings", timeout=120)
        assert done.returncode == 0, done.stderr
        assert time.monotonic() - start < 60  # it used to wait for the writer's turn, up to 10 minutes
        # The stream reads what the other writer stored before it places its next article: the same
        # wire text from another outlet is a copy of s2, in s2's story.
        summary, _ = end_stream(proc, {**RECORDS[1], "id": "s2-again-by-stream", "source": "Evening Herald"})
    finally:
        proc.kill()
    assert summary["copy"] == 1
    rows = dict(query(db, "SELECT id, story FROM articles"))
    assert set(rows) == {"s1", "s2", "s3", "s2-again-by-stream"}
    assert rows["s2-again-by-stream"] == rows["s2"] == rows["s1"]
    assert query(db, "SELECT kind, copy_of FROM articles WHERE id = 's2-again-by-stream'") == [("copy", "s2")]


def test_a_csv_stream_and_a_feed_on_stdin_are_read(tmp_path, run_cli):
    proc = run_cli("ingest", "-", "--db", tmp_path / "csv.db", "--no-embeddings", "--json",
                   input="\n\nid,title,source\nc1,Dunmere gallery opens new wing,Arts Daily\nc2,,Arts Daily\n")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (summary["read"], summary["skipped"]) == (1, 1)  # blank lines before the header are skipped
    assert "<stdin>:5: " in proc.stderr  # and counted in the lines named
    proc = run_cli("ingest", "-", "--db", tmp_path / "csv.db", "--no-embeddings", "--json",
                   input="id,title,source\nc1,Dunmere gallery opens new wing,Arts Daily\nc2,,Arts Daily\n")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert (summary["read"], summary["skipped"]) == (1, 1)
    assert "<stdin>:3:" in proc.stderr
    feed = ("\n<?xml version='1.0'?><rss version='2.0'><channel><title>T</title><item><title>Harbour fire "
            "contained overnight</title><link>https://news.example/fire</link></item></channel></rss>\n")
    proc = run_cli("ingest", "-", "--db", tmp_path / "feed.db", "--no-embeddings", "--json", input=feed)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["read"] == 1


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_keeps_the_records_read_before_it(tmp_path, stop):
    # SIGTERM is what a service manager sends: it used to end the process at once, placed articles unwritten.
    db = tmp_path / "stopped.db"
    proc = start_ingest(db, tmp_path)
    try:
        assert wait_for(db.exists)  # the engine is up and waiting for input
        time.sleep(0.5)
        proc.stdin.write("".join(json.dumps(r) + "\n" for r in RECORDS))
        proc.stdin.flush()
        time.sleep(0.7)  # read, but (most likely) less than a pause: nothing written yet
        proc.send_signal(stop)
        proc.wait(60)
        err = proc.stderr.read()
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert err.strip().endswith("storyline: interrupted") and "Traceback" not in err, err
    assert stored_ids(db) == {"s1", "s2", "s3"}
