"""`storyline brief` on an invented stream: ranking, bursts, new versus developing, --since-last."""

from __future__ import annotations

import pytest

import json
import re
from datetime import datetime

from brief_fixtures import LATER, OUTLETS, STREAM, bridge, write


_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")


def _unix(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def _brief(run_cli, db, *args: str) -> dict:
    proc = run_cli("brief", "--db", db, "--format", "json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _ingest(run_cli, tmp_path, records, name="in.jsonl"):
    proc = run_cli("ingest", write(tmp_path / name, records), "--db", tmp_path / "b.db")
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "b.db"


def test_brief_ranks_by_importance_and_explains_the_burst(run_cli, tmp_path):
    db = _ingest(run_cli, tmp_path, STREAM)
    brief = _brief(run_cli, db, "--since", "48h")
    heads = [s["headline"] for s in brief["stories"]]
    assert len(heads) == 3
    bridge, festival, vote = brief["stories"]
    assert "Tarvik" in bridge["headline"] and "Corvane" in festival["headline"] and "Salvern" in vote["headline"]
    # the bridge: most outlets, growing, bursting; it began before the last 24 h, so it is developing
    assert bridge["status"] == "developing" and festival["status"] == "new" and vote["status"] == "developing"
    burst = bridge["importance"]["burst"]
    assert burst["hours"] == 6 and burst["after"] >= 3 * burst["before"]
    assert "in 6 h" in bridge["why"] and "coverage" in bridge["why"]
    assert bridge["importance"]["score"] > festival["importance"]["score"] > vote["importance"]["score"]
    assert len(brief["executive"]) == 3 and brief["executive"][0].startswith(bridge["headline"])
    assert brief["articles"] == len(STREAM) and brief["outlets"] == 6
    assert "Coastal Courier" in bridge["new_outlets"]  # first covered the bridge in the last 24 h
    assert {link["source"] for link in bridge["links"]} and len(bridge["links"]) == 3


def test_markdown_brief_reads_like_a_report_and_topic_filters(run_cli, tmp_path):
    db = _ingest(run_cli, tmp_path, STREAM)
    proc = run_cli("brief", "--db", db, "--since", "48h")
    assert proc.returncode == 0, proc.stderr
    md = proc.stdout
    assert md.startswith("# Brief: ")
    order = [md.index(h) for h in ("## Executive summary", "## New stories", "## Developing stories")]
    assert order == sorted(order)
    assert "\n1. " in md and "in 6 h (" in md
    assert "1 new story, 2 developing" in md
    topic = _brief(run_cli, db, "--since", "48h", "--topic", "lanterns")
    assert [s["headline"] for s in topic["stories"]] == [s["headline"] for s in _brief(
        run_cli, db, "--since", "48h")["stories"] if "Corvane" in s["headline"]]
    short = _brief(run_cli, db, "--since", "3h")  # only the burst's tail and the festival
    assert json.loads(run_cli("brief", "--db", db, "--since", "3h", "--json").stdout) == short  # an alias
    # Times are ISO 8601 UTC strings, as in `stories --json` (so they also sort as text).
    assert all(_ISO.fullmatch(t) for t in (short["start"], short["end"], short["fresh_from"]))
    assert all(s["last_seen"] >= short["start"] for s in short["stories"])
    assert not any("Salvern" in s["headline"] for s in short["stories"])


def test_since_last_reports_only_what_arrived_after_the_last_brief(run_cli, tmp_path):
    db = _ingest(run_cli, tmp_path, STREAM)
    first = _brief(run_cli, db, "--since-last")  # no earlier brief: the last 24 h, said so
    assert first["previous"] is None and "no earlier brief" in first["note"]
    again = _brief(run_cli, db, "--since-last")
    assert again["stories"] == [] and again["previous"] is not None
    _ingest(run_cli, tmp_path, LATER, "later.jsonl")
    later = _brief(run_cli, db, "--since-last")
    assert len(later["stories"]) == 1
    story = later["stories"][0]
    assert "Tarvik" in story["headline"] and story["status"] == "developing"
    assert story["new_articles"] == 2 and story["articles"] == 10
    assert sorted(story["new_outlets"]) == ["Morning Wire", "Valley Post"]
    assert "Oskar Lindqvist" in story["new_entities"] and "Edda Holmqvist" not in story["new_entities"]
    assert later["articles"] == 2


def test_brief_to_file_in_html_and_errors(run_cli, tmp_path):
    db = _ingest(run_cli, tmp_path, STREAM)
    proc = run_cli("brief", "--db", db, "--since", "48h", "--format", "html", "--out", tmp_path / "b.html")
    assert proc.returncode == 0 and proc.stdout == ""
    html = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "@media print" in html and "Executive summary" in html
    assert "<script" not in html
    proc = run_cli("brief", "--db", tmp_path / "missing.db")
    assert proc.returncode == 1 and "no such store" in proc.stderr
    proc = run_cli("brief", "--db", db, "--since", "2h", "--since-last")
    assert proc.returncode == 2 and "not allowed with" in proc.stderr


def test_the_overview_counts_the_whole_period_whatever_the_limit(run_cli, tmp_path):
    db = _ingest(run_cli, tmp_path, STREAM)
    full = _brief(run_cli, db, "--since", "48h")
    top = _brief(run_cli, db, "--since", "48h", "--limit", "1")
    assert (top["new_stories"], top["developing_stories"]) == (full["new_stories"], full["developing_stories"]) == (1, 2)
    assert len(top["stories"]) == 1
    overview = run_cli("brief", "--db", db, "--since", "48h", "--limit", "1").stdout.splitlines()[2]
    assert "1 new story, 2 developing. The most important follows." in overview


def test_a_topic_brief_leaves_the_since_last_mark_alone(run_cli, tmp_path):
    db = _ingest(run_cli, tmp_path, STREAM)
    assert _brief(run_cli, db, "--topic", "festival")["stories"]
    after = _brief(run_cli, db, "--since-last")
    assert after["previous"] is None and after["stories"]  # the topic brief briefed nothing else


def test_brief_out_never_overwrites_a_store_and_dash_is_stdout(run_cli, tmp_path):
    db = _ingest(run_cli, tmp_path, STREAM)
    size = db.stat().st_size
    proc = run_cli("brief", "--db", db, "--out", db)
    assert proc.returncode == 1 and "name another file" in proc.stderr
    assert db.stat().st_size == size and _brief(run_cli, db, "--since", "48h")["articles"] == len(STREAM)
    other = tmp_path / "other.db"
    other.write_bytes(db.read_bytes())
    proc = run_cli("brief", "--db", db, "--out", other)
    assert proc.returncode == 1 and "an SQLite database" in proc.stderr
    proc = run_cli("brief", "--db", db, "--out", "-")
    assert proc.returncode == 0 and proc.stdout.startswith("# Brief") and not (tmp_path / "-").exists()


@pytest.mark.parametrize("suffix", ["-wal", "-shm", "-journal", "-writer"])
def test_brief_out_never_writes_over_a_stores_journal_or_locks(run_cli, tmp_path, suffix):
    db = _ingest(run_cli, tmp_path, STREAM)
    companion = tmp_path / (db.name + suffix)
    proc = run_cli("brief", "--db", db, "--out", companion)
    assert proc.returncode == 1 and f"belongs to the store {db}" in proc.stderr, proc.stderr
    assert _brief(run_cli, db, "--since", "48h")["articles"] == len(STREAM)
    elsewhere = tmp_path / ("notes" + suffix)  # a name that only ends alike, with no store beside it
    assert run_cli("brief", "--db", db, "--out", elsewhere).returncode == 0 and elsewhere.exists()


def test_a_look_at_another_period_leaves_the_since_last_mark_alone(run_cli, tmp_path):
    db = _ingest(run_cli, tmp_path, STREAM)
    _brief(run_cli, db, "--since-last")
    _ingest(run_cli, tmp_path, LATER, "later.jsonl")
    assert _brief(run_cli, db, "--since", "2h")["stories"]  # a look at the last hours...
    later = _brief(run_cli, db, "--since-last")  # ...does not take them out of the next issue
    assert later["articles"] == 2 and len(later["stories"]) == 1


def test_since_last_counts_what_arrived_late_and_never_counts_an_article_twice(run_cli, tmp_path):
    db = _ingest(run_cli, tmp_path, STREAM)
    _brief(run_cli, db, "--since-last")
    # Both arrive after the brief: one dated at its very second (the newest article's time), one
    # dated a day before it (a feed that publishes late).
    newest = max(r["published"] for r in STREAM)
    late = [bridge(30, 0, OUTLETS[7]), bridge(31, 0, OUTLETS[6])]
    late[0]["published"], late[1]["published"] = newest, newest - 24 * 3600
    _ingest(run_cli, tmp_path, late, "late.jsonl")
    brief = _brief(run_cli, db, "--since-last")
    assert brief["articles"] == 2 and len(brief["stories"]) == 1
    story = brief["stories"][0]
    assert story["new_articles"] == 2
    # The story's weight counts the two that arrived, not what the last brief reported already.
    assert story["importance"]["articles"] == 2 and story["importance"]["outlets"] == 2
    assert story["why"].startswith("developing: 2 articles from 2 outlets")
    assert _unix(brief["start"]) <= newest - 24 * 3600  # the period shown reaches back to the late one


def test_a_store_of_undated_news_says_why_it_has_no_brief(run_cli, tmp_path):
    undated = [{k: v for k, v in r.items() if k != "published"} for r in STREAM[:3]]
    db = _ingest(run_cli, tmp_path, undated)
    proc = run_cli("brief", "--db", db)
    assert proc.returncode == 1
    assert "none of the store's 3 articles has a publication date" in proc.stderr


def test_one_old_arrival_does_not_stretch_a_since_last_brief(run_cli, tmp_path):
    db = _ingest(run_cli, tmp_path, STREAM)
    first = _brief(run_cli, db, "--since-last")
    old = bridge(40, 0, OUTLETS[7])
    old["published"] = min(r["published"] for r in STREAM) - 9 * 365 * 86400  # dated nine years back
    _ingest(run_cli, tmp_path, [old], "old.jsonl")
    brief = _brief(run_cli, db, "--since-last")
    assert brief["articles"] == 1  # counted, as what arrived
    assert _unix(brief["start"]) >= _unix(first["end"]) - 7 * 86400  # but the period reaches back a week at most


def test_a_developing_story_is_briefed_with_its_news_not_its_first_days(run_cli, tmp_path):
    text = ("The strike at the port of Talvik spread to the rail freight terminal as dockworkers picketed, "
            "union leader Zoe Harrow said.")
    first = [{"title": t, "text": text, "source": s, "published": p} for p, s, t in (
        ("2026-12-01T02:00:00Z", "Global Wire", "Talvik port strike spreads to rail terminal"),
        ("2026-12-01T03:00:00Z", "Harbor Times", "Talvik strike: rail freight halted as dockers picket"),
        ("2026-12-01T04:00:00Z", "Daily Meridian", "Talvik port strike hits fuel deliveries"))]
    ending = [{"title": "Talvik dockworkers end strike after pay deal", "source": "Global Wire",
               "published": "2026-12-02T16:00:00Z",
               "text": "Dockworkers at the port of Talvik returned to work after the port authority agreed to a "
                       "7 percent raise, union leader Zoe Harrow said."}]
    db = _ingest(run_cli, tmp_path, first)
    _brief(run_cli, db, "--since-last")
    _ingest(run_cli, tmp_path, ending, "later.jsonl")
    (story,) = _brief(run_cli, db, "--since-last")["stories"]
    assert story["status"] == "developing" and story["headline"] != ending[0]["title"]
    assert story["latest"] == ending[0]["title"]
    assert "returned to work" in story["summary"] and "spread to the rail" not in story["summary"]
    md = run_cli("brief", "--db", db, "--since", "24h").stdout
    assert "**Latest:** Talvik dockworkers end strike after pay deal" in md
    assert "latest: Talvik dockworkers end strike after pay deal" in md.split("## Executive summary")[1]
