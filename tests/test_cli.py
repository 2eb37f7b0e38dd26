"""Every CLI command, run as a real subprocess against real SQLite files."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from importlib.resources import files
from pathlib import Path

import pytest

from conftest import HOUR, STREAM, T0, by_event, error_lines, query, story_of, write_jsonl

from storyline.evaluate.metrics import score

COMMANDS = ["ingest", "stories", "show", "why", "eval", "demo"]
SUMMARY_KEYS = {"id", "headline", "summary", "articles", "outlets", "first_seen", "last_seen"}
DEMO_CORPUS = Path(str(files("storyline") / "data" / "demo.jsonl"))


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def one_clear_error(proc) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines == error_lines(proc.stderr), proc.stderr
    return lines[0]


# -- help -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", COMMANDS)
def test_help_for_every_command(run_cli, command):
    proc = run_cli(command, "--help")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith(f"usage: storyline {command}")
    assert proc.stderr == ""


def test_top_level_help_lists_every_command(run_cli):
    proc = run_cli("--help")
    assert proc.returncode == 0
    for command in COMMANDS:
        assert command in proc.stdout
    bare = run_cli()
    assert bare.returncode == 2 and "usage: storyline" in bare.stdout


def test_version(run_cli):
    import storyline

    proc = run_cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"storyline {storyline.__version__}"


def test_bad_arguments_are_usage_errors(run_cli, stream_db):
    for args in (["stories", "--since", "soon"], ["stories", "--limit", "0"], ["show", "seven"],
                 ["stories", "--since", "0h"], ["brief", "--since", "0"]):
        proc = run_cli(*args, "--db", stream_db)
        assert proc.returncode == 2, args
        assert "Traceback" not in proc.stderr and "usage:" in proc.stderr
    # an empty period is refused as the web's ?since=0h is, not read as the newest article's second
    assert "duration above zero" in run_cli("stories", "--since", "0h", "--db", stream_db).stderr


# -- stories --------------------------------------------------------------------------------------

def test_stories_json(run_cli, stream_db):
    proc = run_cli("stories", "--db", stream_db, "--json")
    assert proc.returncode == 0, proc.stderr
    stories = json.loads(proc.stdout)
    assert isinstance(stories, list) and len(stories) == len(by_event())
    for s in stories:
        assert SUMMARY_KEYS <= set(s), s
        assert isinstance(s["id"], int) and s["headline"] and s["summary"]
        assert s["first_seen"] <= s["last_seen"]
    assert sum(s["articles"] for s in stories) == len(STREAM)
    assert [s["last_seen"] for s in stories] == sorted((s["last_seen"] for s in stories), reverse=True)
    deploy = next(s for s in stories if s["id"] == story_of(stream_db, "dep-1"))
    records = by_event()["deploy"]
    assert deploy["articles"] == len(records) and deploy["outlets"] == len({r["source"] for r in records})
    assert deploy["first_seen"] == iso(min(r["published"] for r in records))
    assert deploy["last_seen"] == iso(max(r["published"] for r in records))
    assert deploy["headline"] in {r["title"] for r in records}


def test_stories_since_and_limit(run_cli, stream_db):
    everything = json.loads(run_cli("stories", "--db", stream_db, "--json").stdout)
    newest = max(r["published"] for r in STREAM)
    recent = json.loads(run_cli("stories", "--db", stream_db, "--json", "--since", "1h").stdout)
    expected = [s["id"] for s in everything if s["last_seen"] >= iso(newest - HOUR)]
    assert [s["id"] for s in recent] == expected
    assert 1 < len(expected) < len(everything)
    one = json.loads(run_cli("stories", "--since", "1h", "--limit", "1", "--db", stream_db, "--json").stdout)
    assert [s["id"] for s in one] == expected[:1] == [story_of(stream_db, "dep-5")]
    assert json.loads(run_cli("stories", "--db", stream_db, "--json", "--since", "30m").stdout) != recent


def test_stories_sorted_by_coverage(run_cli, stream_db):
    proc = run_cli("stories", "--db", stream_db, "--json", "--sort", "coverage")
    assert proc.returncode == 0, proc.stderr
    ranked = [(s["outlets"], s["articles"]) for s in json.loads(proc.stdout)]
    assert ranked == sorted(ranked, reverse=True)
    assert ranked[0] == max(ranked) and ranked[-1][0] == 1  # the singleton comes last
    assert run_cli("stories", "--db", stream_db, "--sort", "size").returncode == 2


def test_stories_text(run_cli, stream_db):
    proc = run_cli("stories", "--db", stream_db, "--limit", "2")
    assert proc.returncode == 0, proc.stderr
    everything = json.loads(run_cli("stories", "--db", stream_db, "--json").stdout)
    assert " 1. " in proc.stdout and " 2. " in proc.stdout and " 3. " not in proc.stdout
    assert everything[0]["headline"] in proc.stdout.replace("\n    ", " ")
    assert f"story {everything[0]['id']}" in proc.stdout


def test_stories_on_an_empty_store(tmp_path, run_cli):
    src = tmp_path / "bad.jsonl"
    src.write_text("{oops\n")
    db = tmp_path / "empty.db"
    run_cli("ingest", src, "--db", db)
    proc = run_cli("stories", "--db", db)
    assert proc.returncode == 0 and "No stories yet" in proc.stdout
    assert json.loads(run_cli("stories", "--db", db, "--json").stdout) == []


def test_commands_on_a_missing_store_say_how_to_start(tmp_path, run_cli):
    for args in (["stories"], ["show", "1"], ["why", "x"]):
        line = one_clear_error(run_cli(*args, "--db", tmp_path / "never.db"))
        assert "never.db" in line and "storyline ingest" in line
        assert not (tmp_path / "never.db").exists()


# -- show -----------------------------------------------------------------------------------------

def test_show_json(run_cli, stream_db):
    sid = story_of(stream_db, "trt-1")
    proc = run_cli("show", str(sid), "--db", stream_db, "--json")
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    records = by_event()["treaty"]
    assert SUMMARY_KEYS <= set(s) and s["id"] == sid
    assert s["articles"] == len(records)
    assert s["entities"] and all({"name", "type"} <= set(e) for e in s["entities"])
    assert any(e["name"] == "Geneva" and e["type"] == "place" for e in s["entities"])
    assert isinstance(s["keywords"], list) and s["keywords"]
    assert all(set(t) == {"time", "articles"} for t in s["timeline"])
    assert sum(t["articles"] for t in s["timeline"]) == len(records)
    outlets = [g["outlet"] for g in s["coverage"]]
    assert sorted(outlets) == sorted({r["source"] for r in records})
    ids = sorted(a["article_id"] for g in s["coverage"] for a in g["articles"])
    assert ids == sorted(r["id"] for r in records)
    assert all(a["id"] == a["article_id"] for g in s["coverage"] for a in g["articles"])  # the API's name
    for g in s["coverage"]:
        for a in g["articles"]:
            assert a["source"] == g["outlet"] and a["copies"] == []


def test_show_text(run_cli, stream_db):
    sid = story_of(stream_db, "fld-1")
    proc = run_cli("show", str(sid), "--db", stream_db)
    assert proc.returncode == 0, proc.stderr
    json.loads(run_cli("show", str(sid), "--db", stream_db, "--json").stdout)
    out = proc.stdout
    assert f"story {sid}" in out and "Coverage:" in out and "Timeline:" in out
    assert "River Times (2)" in out
    for r in by_event()["flood"]:
        assert r["id"] in out


def test_show_folds_quiet_hours_of_the_timeline(run_cli, tmp_path):
    """A two-day story printed dozens of rows of 0: a quiet run of three periods or more is one line,
    and every article and every quiet hour is still accounted for."""
    from serve_server import demo_store

    db = demo_store(tmp_path)
    stories = json.loads(run_cli("stories", "--db", db, "--json", "--limit", "5").stdout)
    folded = 0
    for s in stories:
        out = run_cli("show", str(s["id"]), "--db", db).stdout
        story = json.loads(run_cli("show", str(s["id"]), "--db", db, "--json").stdout)
        timeline = out.split("Timeline:\n", 1)[1].split("\n\n", 1)[0].splitlines()
        counts = [int(line.split()[-1]) for line in timeline if not line.strip().startswith("…")]
        assert sum(counts) == story["articles"] == sum(p["articles"] for p in story["timeline"])
        zeros = "".join("0" if c == 0 else "x" for c in counts)
        assert "000" not in zeros
        runs = [int(line.split()[1]) for line in timeline if line.strip().startswith("…")]
        assert all(n >= 3 for n in runs) and all(line.split()[2] in ("hours", "days") for line in timeline
                                                   if line.strip().startswith("…"))
        assert sum(runs) + zeros.count("0") == sum(1 for p in story["timeline"] if p["articles"] == 0)
        folded += len(runs)
    assert folded >= 3


def test_show_missing_story(run_cli, stream_db):
    line = one_clear_error(run_cli("show", "4242", "--db", stream_db))
    assert "4242" in line


# -- why ------------------------------------------------------------------------------------------

def test_why_json_and_text(run_cli, stream_db):
    proc = run_cli("why", "trt-3", "--db", stream_db, "--json")
    assert proc.returncode == 0, proc.stderr
    w = json.loads(proc.stdout)
    assert {"story", "kind", "score", "scores"} <= set(w)
    assert w["article"] == w["id"] == "trt-3" and w["story"] == story_of(stream_db, "trt-1")
    assert w["kind"] == "joined"
    assert w["score"] >= w["threshold"]
    assert isinstance(w["scores"], dict) and "title" in w["scores"]
    first = json.loads(run_cli("why", "trt-1", "--db", stream_db, "--json").stdout)
    assert first["kind"] == "new" and first["story"] == w["story"]

    text = run_cli("why", "trt-3", "--db", stream_db)
    assert text.returncode == 0
    assert "Marevia hails Ostrava River treaty signed with Tessaly" in text.stdout
    assert f"joined story {w['placed_in']}" in text.stdout and str(w["score"]) in text.stdout
    started = run_cli("why", "tax-1", "--db", stream_db)
    assert "started story" in started.stdout


def test_why_missing_article(run_cli, stream_db):
    line = one_clear_error(run_cli("why", "no-such-article", "--db", stream_db))
    assert "no-such-article" in line


def test_why_names_the_story_an_article_was_placed_in_before_a_merge(run_cli, tmp_path):
    """A merge moves an article's row to the story that absorbed its own: `placed_in` then named the
    absorbing story, and "story 1 has since merged into story 2" was never said."""
    from storyline import Article, Config, Engine

    db = tmp_path / "merged.db"
    with Engine(db, Config(embeddings="none", merge_threshold=0.0)) as engine:
        for i, title in enumerate(["Brannock dam cracks after storm", "Quillon ferry halted by storm",
                                   "Storm cracks Brannock dam and halts Quillon ferry"]):
            last = engine.add(Article(id=f"m{i + 1}", title=title, published=T0 + i * HOUR))
    assert last.merged == (1,) and last.story_id == 2
    w = json.loads(run_cli("why", "m1", "--db", db, "--json").stdout)
    assert (w["placed_in"], w["story"]) == (1, 2)
    text = run_cli("why", "m1", "--db", db).stdout
    assert "started story 1:" in text and "story 1 has since merged into story 2." in text
    from serve_server import Server

    srv = Server(db)
    try:
        api = srv.get("/api/articles/m1").json()
        assert (api["placed_in"], api["story"]) == (1, 2)
    finally:
        srv.stop()


# -- eval -----------------------------------------------------------------------------------------

def test_eval_json_and_predictions(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "gold.jsonl", STREAM)
    out = tmp_path / "pred.jsonl"
    proc = run_cli("eval", src, "--json", "--predictions", out)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("bcubed_precision", "bcubed_recall", "bcubed_f1", "ari", "articles", "stories", "seconds"):
        assert key in result, key
    assert result["articles"] == len(STREAM)
    predictions = [json.loads(line) for line in out.read_text().splitlines()]
    assert [set(p) for p in predictions] == [{"id", "story"}] * len(STREAM)
    assert [p["id"] for p in predictions] == [r["id"] for r in STREAM]
    assert result["stories"] == len({p["story"] for p in predictions})
    # The reported scores are the scores of the written predictions.
    mine = score([p["story"] for p in predictions], [r["story"] for r in STREAM])
    assert result["bcubed_precision"] == round(mine.bcubed_precision, 4)
    assert result["bcubed_recall"] == round(mine.bcubed_recall, 4)
    assert result["ari"] == round(mine.ari, 4)
    assert 0 <= result["seconds"] < 30
    assert (result["embeddings"], result["decision"]) == ("use", "rules")  # what made the numbers
    # Four clearly separate events: the engine should get them (nearly) right.
    assert result["bcubed_f1"] >= 0.9


def test_eval_is_deterministic(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "gold.jsonl", STREAM)
    outs = []
    for name in ("a.jsonl", "b.jsonl"):
        proc = run_cli("eval", src, "--predictions", tmp_path / name)
        assert proc.returncode == 0, proc.stderr
        outs.append((tmp_path / name).read_text())
    assert outs[0] == outs[1] and outs[0]


def test_eval_text(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "gold.jsonl", STREAM)
    proc = run_cli("eval", src)
    assert proc.returncode == 0, proc.stderr
    assert f"{len(STREAM)} articles" in proc.stdout and "BCubed" in proc.stdout and "ARI" in proc.stdout


def test_eval_without_labels_is_a_clear_error(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "plain.jsonl", STREAM, labels=False)
    line = one_clear_error(run_cli("eval", src, "--json"))
    assert "plain.jsonl" in line and "label" in line


def test_eval_skips_unlabelled_and_broken_lines(tmp_path, run_cli):
    records = [*STREAM[:6], {"id": "x", "title": "No label here"}, "{broken"]
    src = write_jsonl(tmp_path / "partial.jsonl", records)
    proc = run_cli("eval", src, "--json")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["articles"] == 6 and result["skipped"] == 2
    assert f"{src}:7: " in proc.stderr and f"{src}:8: " in proc.stderr


def test_eval_leaves_out_a_repeated_id_and_reads_stdin(tmp_path, run_cli):
    """A repeated id was scored as the first article's duplicate under its own gold label (F1 0.67 for
    a perfect clustering), and its prediction line could not be told from the first one's."""
    records = [*STREAM[:6], {**STREAM[7], "id": STREAM[0]["id"]}, *STREAM[8:12]]
    src = write_jsonl(tmp_path / "repeat.jsonl", records)
    out = tmp_path / "pred.jsonl"
    proc = run_cli("eval", src, "--json", "--predictions", out)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["articles"] == len(records) - 1 and result["skipped"] == 1
    assert f"{src}:7: id {STREAM[0]['id']!r} repeats line 1's" in proc.stderr
    ids = [json.loads(line)["id"] for line in out.read_text().splitlines()]
    assert len(ids) == len(set(ids)) == len(records) - 1
    piped = run_cli("eval", "-", "--json", input=src.read_text())
    assert piped.returncode == 0, piped.stderr
    again = json.loads(piped.stdout.strip().splitlines()[-1])
    assert again["bcubed_f1"] == result["bcubed_f1"] and again["file"] == "<stdin>"
    assert "<stdin>:7: id" in piped.stderr


def test_eval_says_why_no_line_was_labelled_and_how_many_more_were_skipped(tmp_path, run_cli):
    src = tmp_path / "array.json"
    src.write_text(json.dumps([{"title": "Storm floods Velden", "story": "a"}]) + "\n")
    line = one_clear_error(run_cli("eval", src))
    assert "one JSON object a line" in line and f"{src}:1: no gold 'story' label" in line
    many = write_jsonl(tmp_path / "many.jsonl", [*STREAM[:3], *({"id": f"u{i}", "title": "x"} for i in range(25))])
    proc = run_cli("eval", many)
    assert proc.returncode == 0 and proc.stderr.count("skipped ") == 20
    assert "… and 5 more lines skipped" in proc.stderr


def test_eval_never_writes_its_predictions_over_the_labelled_file(tmp_path):
    from storyline.evaluate.run import EvalError, evaluate

    src = write_jsonl(tmp_path / "gold.jsonl", STREAM[:4])
    before = src.read_text()
    with pytest.raises(EvalError, match="is the labelled file itself"):
        evaluate(str(src), predictions=str(tmp_path / "." / "gold.jsonl"))
    assert src.read_text() == before


def test_eval_text_counts_in_words(tmp_path, run_cli):
    quake = {"title": "Strong quake hits Qeshm island, homes damaged", "story": "quake"}
    records = [{**quake, "id": "a"}, {**quake, "id": "b", "url": "https://example.org/b"},
               {"id": "x", "title": "No label here"}]
    src = write_jsonl(tmp_path / "two.jsonl", records)
    proc = run_cli("eval", src)
    assert proc.returncode == 0, proc.stderr
    assert "2 articles → 1 story (gold: 1, 1 line skipped)" in proc.stdout


def test_eval_missing_file(tmp_path, run_cli):
    line = one_clear_error(run_cli("eval", tmp_path / "absent.jsonl"))
    assert "absent.jsonl" in line


def test_eval_does_not_touch_the_default_store(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "gold.jsonl", STREAM)
    assert run_cli("eval", src).returncode == 0
    assert not (tmp_path / "storyline.db").exists()


# -- demo -----------------------------------------------------------------------------------------

def test_demo_corpus_ships_with_the_package():
    from storyline.ingest import read_source
    from storyline.ingest.sources import Problem

    assert DEMO_CORPUS.is_file(), f"{DEMO_CORPUS} is missing: `storyline demo` cannot work"
    items = list(read_source(str(DEMO_CORPUS)))
    problems = [str(i) for i in items if isinstance(i, Problem)]
    assert problems == []
    assert len(items) >= 20 and len({i.id for i in items}) == len(items)


def test_demo_prints_stories_and_how_to_go_on(tmp_path, run_cli):
    db = tmp_path / "demo.db"
    proc = run_cli("demo", "--db", db, "--limit", "3", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    out = proc.stdout
    assert " 1. " in out and " 3. " in out and " 4. " not in out
    assert "storyline ingest" in out  # how to ingest your own news
    (articles,), = query(db, "SELECT count(*) FROM articles")
    assert articles > 0
    assert f"{articles:,} invented articles" in out
    listed = json.loads(run_cli("stories", "--db", db, "--json", "--limit", "3", "--sort", "coverage").stdout)
    for s in listed:  # the demo shows the most covered stories
        assert s["headline"][:40] in out.replace("\n    ", " ")
    again = run_cli("demo", "--db", db, "--limit", "3", timeout=120)
    assert again.returncode == 0
    assert query(db, "SELECT count(*) FROM articles") == [(articles,)]  # re-running adds nothing


def test_demo_default_store_is_in_the_working_folder(tmp_path, run_cli):
    proc = run_cli("demo", "--limit", "1", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "storyline-demo.db").exists()
    assert not (tmp_path / "storyline.db").exists()
    # The README's next step without --db: the error names the demo's store instead of "run demo first"
    line = one_clear_error(run_cli("brief", "--since", "72h"))
    assert "add `--db storyline-demo.db`" in line
    assert run_cli("brief", "--db", "storyline-demo.db", "--since", "72h").returncode == 0


# -- environment ----------------------------------------------------------------------------------

def test_storyline_db_environment_variable(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "s.jsonl", STREAM[:5], labels=False)
    target = tmp_path / "from-env.db"
    env = {"STORYLINE_DB": str(target)}
    assert run_cli("ingest", src, env=env).returncode == 0
    assert target.exists() and not (tmp_path / "storyline.db").exists()
    assert query(target, "SELECT count(*) FROM articles") == [(5,)]
    stories = json.loads(run_cli("stories", "--json", env=env).stdout)
    assert sum(s["articles"] for s in stories) == 5
    # --db wins over the environment.
    other = tmp_path / "explicit.db"
    assert run_cli("ingest", src, "--db", other, env=env).returncode == 0
    assert query(other, "SELECT count(*) FROM articles") == [(5,)]
    # Without either, ./storyline.db in the working folder.
    assert run_cli("ingest", src).returncode == 0
    assert query(tmp_path / "storyline.db", "SELECT count(*) FROM articles") == [(5,)]


def test_db_before_the_command(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "s.jsonl", STREAM[:5], labels=False)
    target = tmp_path / "before.db"
    assert run_cli("--db", target, "ingest", src).returncode == 0
    assert query(target, "SELECT count(*) FROM articles") == [(5,)]
    assert not (tmp_path / "storyline.db").exists()
    stories = json.loads(run_cli("--db", target, "stories", "--json").stdout)
    assert sum(s["articles"] for s in stories) == 5
    assert run_cli("--db", target, "stories", "--db", target).returncode == 0  # said twice, alike
    twice = run_cli("--db", target, "stories", "--db", tmp_path / "other.db")
    assert twice.returncode == 2 and "two stores given" in twice.stderr
    unused = run_cli("--db", target, "eval", src)
    assert unused.returncode == 2 and "eval does not use --db" in unused.stderr


def test_config_file_and_environment_change_the_clustering(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "gold.jsonl", STREAM)
    default = json.loads(run_cli("eval", src, "--json").stdout.strip().splitlines()[-1])
    strict = tmp_path / "strict.toml"
    strict.write_text("[storyline]\nthreshold = 5.0\n")
    split = json.loads(run_cli("eval", src, "--json", "--config", strict).stdout.strip().splitlines()[-1])
    assert split["stories"] == len(STREAM) > default["stories"]
    via_env = json.loads(run_cli("eval", src, "--json", env={"STORYLINE_THRESHOLD": "5.0"}
                                 ).stdout.strip().splitlines()[-1])
    assert via_env["stories"] == len(STREAM)
    bad = tmp_path / "bad.toml"
    bad.write_text("no_such_setting = 1\n")
    line = one_clear_error(run_cli("eval", src, "--config", bad))
    assert "no_such_setting" in line
    assert "no_such.toml" in one_clear_error(run_cli("eval", src, "--config", tmp_path / "no_such.toml"))


def test_an_output_file_never_overwrites_an_input_or_a_store(tmp_path, run_cli, stream_db):
    src = write_jsonl(tmp_path / "labelled.jsonl", STREAM)
    before = src.read_bytes()
    for args in (["eval", src, "--predictions", src, "--no-embeddings"],
                 ["backfill", src, "--db", tmp_path / "new.db", "--predictions", src, "-q"],
                 ["backfill", src, "--db", tmp_path / "new.db", "--predictions", tmp_path / "new.db", "-q"]):
        proc = run_cli(*args)
        assert proc.returncode == 1, args
        assert error_lines(proc.stderr) == [f"storyline: error: --predictions {args[args.index('--predictions') + 1]}: "
                                            "is also what this command reads or stores; name another file"]
    assert src.read_bytes() == before and not (tmp_path / "new.db").exists()
    store_copy = tmp_path / "copy.db"
    store_copy.write_bytes(stream_db.read_bytes())
    proc = run_cli("eval", src, "--predictions", store_copy, "--no-embeddings")
    assert proc.returncode == 1 and "an SQLite database (a store?)" in proc.stderr
    assert store_copy.read_bytes() == stream_db.read_bytes()


def test_reading_an_empty_file_leaves_it_empty(tmp_path, run_cli):
    empty = tmp_path / "empty.db"
    empty.write_bytes(b"")
    for args in (["stories"], ["show", "1"], ["brief"]):
        proc = run_cli(*args, "--db", empty)
        assert proc.returncode == 1 and "an empty file, not a storyline store" in proc.stderr, args
    proc = run_cli("migrate", "--from", empty, "--to", tmp_path / "to.db")
    assert proc.returncode == 1 and "an empty file" in proc.stderr
    assert empty.stat().st_size == 0 and not (tmp_path / "to.db").exists()

