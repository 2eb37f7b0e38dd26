"""Kill ``storyline ingest`` with SIGKILL mid-way, then resume: nothing lost, nothing duplicated."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from conftest import T0, clean_env, query

SYLLABLES = "ka lo mi ner sol vat dre quin bar tes lun ok rav shi mel por zan fi ged ur".split()
PLACES = ["harbour", "valley", "district", "river port", "old town", "hill villages", "coast", "market square"]
THINGS = ["bridge", "school", "water plant", "rail depot", "hospital wing", "ferry line", "power station",
          "library", "stadium", "bus network"]
HAPPENINGS = ["closes after inspection", "reopens after repairs", "gets new funding", "hit by fire",
              "faces strike", "wins national award", "delayed by flooding", "to be expanded"]
OUTLETS = [f"{a} {b}" for a in ("Valley", "Harbor", "Northern", "Coastal", "Evening")
           for b in ("Post", "Gazette", "Ledger")]


def name(rnd: random.Random, parts: int) -> str:
    return "".join(rnd.choice(SYLLABLES) for _ in range(parts)).capitalize()


def generate(n: int, seed: int = 11) -> list[dict]:
    """``n`` small invented articles about ``n // 8`` local events, some repeated later in the file."""
    rnd = random.Random(seed)
    events = []
    for _ in range(max(1, n // 8)):
        events.append((name(rnd, 3), name(rnd, 2) + " " + name(rnd, 3), rnd.choice(PLACES), rnd.choice(THINGS),
                       rnd.choice(HAPPENINGS)))
    out: list[dict] = []
    for i in range(n):
        if i and i % 97 == 0:  # an exact repeat of an earlier line: the same article again
            out.append(dict(out[rnd.randrange(len(out))]))
            continue
        town, person, place, thing, what = events[min(len(events) - 1, i // 8 + rnd.randrange(0, 2))]
        rec = {"title": f"{town} {thing} {what}, update {i}",
               "text": f"The {thing} in the {place} of {town} {what}, mayor {person} said on day {i % 31}. "
                       f"Residents asked about the {thing} at meeting {i}.",
               "source": OUTLETS[i % len(OUTLETS)], "published": T0 + i * 20}
        if i % 3 == 0:
            rec["id"] = f"gen-{i}"
        elif i % 3 == 1:
            rec["url"] = f"https://news{i % 7}.example/{town.lower()}/{i}?utm_source=feed"
        out.append(rec)  # the rest get an id derived from their text
    return out


def unique_ids(records: list[dict]) -> set[str]:
    from storyline.ingest import to_article

    return {to_article(r).id for r in records}


def article_count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        return query(db, "SELECT count(*) FROM articles")[0][0]
    except sqlite3.OperationalError:  # not created yet, or schema being written
        return 0


def check_consistent(db: Path, run_cli) -> None:
    """Every article's story exists and is live; the CLI can read the store."""
    orphans = query(db, "SELECT count(*) FROM articles a LEFT JOIN stories s ON s.id = a.story "
                        "WHERE s.id IS NULL OR s.merged_into IS NOT NULL")
    assert orphans == [(0,)]
    counted = query(db, "SELECT coalesce(sum(articles), 0) FROM stories WHERE merged_into IS NULL")[0][0]
    assert counted == article_count(db)
    dupes = query(db, "SELECT count(*) FROM (SELECT id FROM articles GROUP BY id HAVING count(*) > 1)")
    assert dupes == [(0,)]
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    proc = run_cli("stories", "--db", db, "--json", "--limit", "5")
    assert proc.returncode == 0, proc.stderr
    stories = json.loads(proc.stdout)
    assert stories and all(s["articles"] >= 1 for s in stories)


def test_kill_mid_ingest_then_resume(tmp_path, run_cli):
    records = generate(6_000)
    expected = unique_ids(records)
    assert len(expected) < len(records)  # the file repeats some articles
    src = tmp_path / "big.jsonl"
    with open(src, "w", encoding="utf-8") as out:
        for r in records:
            out.write(json.dumps(r) + "\n")
    db = tmp_path / "big.db"

    proc = subprocess.Popen([sys.executable, "-m", "storyline", "ingest", str(src), "--db", str(db), "--no-embeddings"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=clean_env(), cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while article_count(db) == 0:
            assert proc.poll() is None, "ingest ended before its first batch was seen: " + proc.stderr.read().decode()
            assert time.monotonic() < deadline, "ingest wrote nothing for 60 s"
            time.sleep(0.02)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    # The store opens and holds a consistent prefix of the input, in input order.
    stored = article_count(db)
    assert 0 < stored < len(expected), "the kill came too late to test anything"
    check_consistent(db, run_cli)
    from storyline.ingest import to_article

    input_ids = list(dict.fromkeys(to_article(r).id for r in records))  # first occurrences, in order
    prefix_ids = [r[0] for r in query(db, "SELECT id FROM articles ORDER BY seq")]
    assert prefix_ids == input_ids[:stored]
    before_kill = dict(query(db, "SELECT id, kind FROM articles"))

    # Resume: the same command again completes and stores the rest, nothing twice.
    done = run_cli("ingest", src, "--db", db, "--json", "--no-embeddings", timeout=120)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["stored_articles"] == len(expected)
    assert summary["read"] == len(records)
    assert summary["duplicate"] == len(records) - (len(expected) - stored)
    ids = [r[0] for r in query(db, "SELECT id FROM articles ORDER BY seq")]
    assert len(ids) == len(set(ids)) == len(expected)
    assert set(ids) == expected
    assert ids == input_ids
    seqs = [r[0] for r in query(db, "SELECT seq FROM articles ORDER BY seq")]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # no gap where the kill happened
    # What was stored before the kill was not rewritten.
    assert {i: k for i, k in query(db, "SELECT id, kind FROM articles") if i in before_kill} == before_kill
    check_consistent(db, run_cli)

    # And once more: a complete file is all duplicates.
    again = json.loads(run_cli("ingest", src, "--db", db, "--json", "--no-embeddings", timeout=120).stdout.strip().splitlines()[-1])
    assert again["duplicate"] == len(records) and again["stored_articles"] == len(expected)


def test_a_restart_after_the_last_snapshot_reads_the_articles_after_it_again(tmp_path):
    """Document frequencies are snapshotted now and then, not at every flush: an engine that stopped
    without closing (as a killed process does) is rebuilt to exactly the state of one that never
    stopped, and places the next articles the same way."""
    from storyline import Engine
    from storyline.ingest import to_article

    articles = [to_article(r) for r in generate(120)]
    first, rest = articles[:-10], articles[-10:]
    crashed = Engine(str(tmp_path / "a.db"), batch_size=1)  # a flush per article; snapshots now and then
    for a in first:
        crashed.add(a)
    crashed.store.close()  # no close(): the last snapshot is behind the stored articles
    stored = json.loads(__import__("zlib").decompress(
        sqlite3.connect(tmp_path / "a.db").execute("SELECT value FROM meta WHERE key='vectorizer'").fetchone()[0]))
    assert stored["seq"] < crashed._seq  # the snapshot really is stale
    resumed = Engine(str(tmp_path / "a.db"))
    steady = Engine(str(tmp_path / "b.db"))
    for a in first:
        steady.add(a)
    assert resumed.vectorizer.documents == steady.vectorizer.documents > 100
    assert resumed.vectorizer.df == steady.vectorizer.df
    assert resumed.vectorizer.common == steady.vectorizer.common
    after = [[(x.story_id, x.kind, round(x.score, 6)) for x in (e.add(a) for a in rest)] for e in (resumed, steady)]
    assert after[0] == after[1]
    resumed.close()
    steady.close()
