"""Input that used to crash intake or poison the store: impossible dates, broken links, lone surrogates,
JSON too deep or with too long a number, year-1 feed dates, pretty-printed JSON, compressed files.

Each bad item is one clear line (``file:line: reason``), skipped and counted; everything good around it
is kept; and the store stays readable afterwards.
"""

from __future__ import annotations

import gzip
import json
import math
import subprocess
import sys
import time
import warnings
from datetime import datetime, timedelta, timezone

import pytest

from conftest import T0, clean_env, error_lines, query

from storyline.ingest import read_source, to_article
from storyline.ingest.entries import entry_time, parse_feed
from storyline.ingest.records import EARLIEST_PUBLISHED, LATEST_PUBLISHED, BadRecord, published_ok
from storyline.ingest.sources import Problem
from storyline.model import Article


def ingest(run_cli, *args, input: str | None = None):
    proc = run_cli("ingest", *args, "--no-embeddings", "--json", input=input)
    assert "Traceback" not in proc.stderr, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc


def skipped(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("storyline: skipped ")]


def titles(db) -> list[str]:
    return [t for (t,) in query(db, "SELECT title FROM articles ORDER BY seq")]


def items(path) -> list[Article | Problem]:
    return list(read_source(str(path)))


# -- 1. impossible dates --------------------------------------------------------------------------

IMPOSSIBLE = ["Infinity", "-Infinity", "NaN", "1e300", "-99999999999999", '"0001-01-01T00:00:00+05:00"',
              '"9999-12-31T23:59:59-05:00"', "1" + "0" * 400, '"1899-12-31T23:59:59Z"', '"2201-01-01T00:00:00Z"']


@pytest.mark.parametrize("literal", IMPOSSIBLE, ids=lambda literal: literal[:30])
def test_an_impossible_date_is_a_bad_record(literal):
    with pytest.raises(BadRecord, match=r"^published: out of range"):
        to_article({"title": "Olsk well runs dry", "published": json.loads(literal)})


def test_impossible_dates_are_skipped_and_the_store_stays_readable(tmp_path, run_cli):
    lines = [json.dumps({"title": "Olsk bakery opens", "published": "2026-01-01T00:00:00Z"})]
    lines += ['{"title": "Impossible %d", "published": %s}' % (i, v) for i, v in enumerate(IMPOSSIBLE)]
    lines += [json.dumps({"title": "Olsk bakery closes", "published": "1900-01-01T00:00:00Z"}),
              json.dumps({"title": "Olsk bakery reopens", "published": "2200-12-31T23:59:59+05:00"})]
    src = tmp_path / "dates.jsonl"
    src.write_text("\n".join(lines) + "\n")
    db = tmp_path / "dates.db"
    summary, proc = ingest(run_cli, src, "--db", db)
    assert summary["read"] == 3 and summary["skipped"] == len(IMPOSSIBLE)
    problems = skipped(proc.stderr)
    assert [p.split(": ")[1] for p in problems] == [f"skipped {src}:{n}" for n in range(2, 2 + len(IMPOSSIBLE))]
    assert all("published: out of range" in p for p in problems), problems
    assert titles(db) == ["Olsk bakery opens", "Olsk bakery closes", "Olsk bakery reopens"]
    for command in ("stories", "brief"):  # both show timelines and dates of every story
        shown = run_cli(command, "--db", db)
        assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr


@pytest.mark.parametrize("seconds", [EARLIEST_PUBLISHED, LATEST_PUBLISHED - 1])
def test_the_bounds_convert_to_dates_at_every_utc_offset(seconds):
    assert published_ok(seconds)
    assert not published_ok(EARLIEST_PUBLISHED - 1) and not published_ok(LATEST_PUBLISHED)
    with warnings.catch_warnings():  # utcfromtimestamp is deprecated from Python 3.12, still in use
        warnings.simplefilter("ignore", DeprecationWarning)
        assert 1900 <= datetime.utcfromtimestamp(seconds).year <= 2200
    datetime.fromtimestamp(seconds).isoformat()  # the local time zone
    for minutes in range(-24 * 60 + 1, 24 * 60, 15):
        moment = datetime.fromtimestamp(seconds, timezone(timedelta(minutes=minutes)))
        assert datetime.fromisoformat(moment.isoformat()).timestamp() == seconds


def test_the_engine_refuses_an_impossible_date_from_python(tmp_path):
    from storyline.engine import Engine

    engine = Engine(str(tmp_path / "py.db"))
    try:
        for published in (math.nan, math.inf, -62135596800.0, 1e300):
            with pytest.raises(ValueError, match="published"):
                engine.add(Article(id=f"bad-{published}", title="Olsk well runs dry", published=published))
        good = engine.add(Article(id="good", title="Olsk well refilled", published=float(T0)))
        assert good.kind == "new"
        engine.flush()
    finally:
        engine.close()
    assert query(tmp_path / "py.db", "SELECT id FROM articles") == [("good",)]


# -- 2. malformed links ---------------------------------------------------------------------------

BROKEN_URLS = ["http://[::1", "http://a.example:99999/x", "https://a.example:abc/", "http://", "https:///path"]


@pytest.mark.parametrize("url", BROKEN_URLS)
def test_a_record_with_a_broken_link_is_a_bad_record(url):
    with pytest.raises(BadRecord, match=r"^url: not a valid URL"):
        to_article({"title": "Olsk ferry delayed", "url": url})


def test_broken_links_in_jsonl_and_csv_are_skipped_lines(tmp_path, run_cli):
    jsonl = tmp_path / "links.jsonl"
    jsonl.write_text("\n".join([json.dumps({"title": "Good one", "url": "https://a.example/1"})]
                               + [json.dumps({"title": f"Broken {i}", "url": u}) for i, u in enumerate(BROKEN_URLS)]
                               + [json.dumps({"title": "Good two", "url": "http://[2001:db8::1]:8080/a"})]) + "\n")
    csv = tmp_path / "links.csv"
    csv.write_text("title,url\nGood three,https://b.example/3\nBroken,http://[::1\nGood four,ftp://b.example/4\n")
    db = tmp_path / "links.db"
    summary, proc = ingest(run_cli, jsonl, csv, "--db", db)
    assert summary["read"] == 4 and summary["skipped"] == len(BROKEN_URLS) + 1, proc.stderr
    problems = skipped(proc.stderr)
    assert all("url: not a valid URL" in p for p in problems), problems
    assert f"{csv}:3: url: not a valid URL: 'http://[::1'" in proc.stderr
    assert titles(db) == ["Good one", "Good two", "Good three", "Good four"]
    urls = dict(query(db, "SELECT title, url FROM articles"))
    assert urls["Good two"] == "http://[2001:db8::1]:8080/a" and urls["Good four"] is None  # ftp: dropped


RSS_BROKEN_LINKS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Valley Post</title>
<item><title>Olsk ferry delayed</title><link>https://post.example/ferry</link><guid>vp-1</guid></item>
<item><title>Olsk ferry cancelled</title><link>http://post.example:99999/cancel</link><guid>vp-2</guid></item>
<item><title>Olsk ferry back</title><link>https://post.example/back</link><guid>vp-3</guid></item>
</channel></rss>
"""


def test_a_feed_entry_with_a_broken_link_is_kept_without_it(tmp_path, run_cli):
    src = tmp_path / "post.rss"
    src.write_bytes(RSS_BROKEN_LINKS)
    db = tmp_path / "rss.db"
    summary, proc = ingest(run_cli, src, "--db", db)
    assert proc.returncode == 0 and summary["read"] == 3 and summary["skipped"] == 0, proc.stderr
    assert f"{src}:entry 2: link 'http://post.example:99999/cancel' is not a valid URL" in proc.stderr
    assert dict(query(db, "SELECT title, url FROM articles")) == {
        "Olsk ferry delayed": "https://post.example/ferry", "Olsk ferry cancelled": None,
        "Olsk ferry back": "https://post.example/back"}
    # storyline watch reads feeds the same way, and says so in the feed's warning
    feed = parse_feed(RSS_BROKEN_LINKS, "https://post.example/rss", fetched_at=float(T0))
    assert [a.url for a in feed.articles] == ["https://post.example/ferry", None, "https://post.example/back"]
    assert "1 entry kept without a link that is not a valid URL" in feed.warning


def test_quiet_silences_the_broken_link_warning_and_the_summary_counts_it(tmp_path, run_cli):
    src = tmp_path / "post.rss"
    src.write_bytes(RSS_BROKEN_LINKS)
    db = tmp_path / "quiet.db"
    proc = run_cli("ingest", src, "--db", db, "--no-embeddings", "--quiet")
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == ""  # it went to a logger before
    assert len(query(db, "SELECT id FROM articles")) == 3
    summary, proc = ingest(run_cli, src, "--db", tmp_path / "json.db", "--quiet")
    assert proc.stderr == "" and summary["warnings"] == 1 and summary["read"] == 3
    proc = run_cli("ingest", src, "--db", tmp_path / "loud.db", "--no-embeddings")
    assert f"storyline: warning: {src}:entry 2: link 'http://post.example:99999/cancel'" in proc.stderr
    assert "0 bad items skipped, 1 warning." in proc.stderr


def test_read_source_tells_its_notice_what_it_kept_without(tmp_path):
    src = tmp_path / "post.rss"
    src.write_bytes(RSS_BROKEN_LINKS)
    said: list[str] = []
    got = list(read_source(str(src), said.append))
    ids = [a.id for a in got]  # the feed's GUIDs, read within the feed
    assert len(set(ids)) == 3 and not {"vp-1", "vp-2", "vp-3"} & set(ids)
    assert said == [(f"{src}:entry 2: link 'http://post.example:99999/cancel' is not a valid URL; "
                     "the entry is kept without it")]


def test_a_file_that_is_not_utf8_keeps_its_lines_with_one_warning_naming_it(tmp_path, run_cli):
    jsonl = tmp_path / "latin1.jsonl"
    jsonl.write_bytes('{"title": "Café opens in Köln"}\n{"title": "Olsk ferry back"}\n'.encode("latin-1"))
    csv = tmp_path / "cp1252.csv"
    csv.write_bytes("title,source\nStraße closed at Olsk,Valley Post\n".encode("cp1252"))
    db = tmp_path / "enc.db"
    summary, proc = ingest(run_cli, jsonl, csv, "--db", db)
    assert proc.returncode == 0 and summary["read"] == 3 and summary["skipped"] == 0, proc.stderr
    warned = [line for line in proc.stderr.splitlines() if line.startswith("storyline: warning: ")]
    assert warned == [(f"storyline: warning: {jsonl}: not valid UTF-8 text: 2 undecodable bytes were replaced "
                       "with U+FFFD (save the file as UTF-8 to keep its characters)"),
                      (f"storyline: warning: {csv}: not valid UTF-8 text: 1 undecodable byte was replaced "
                       "with U+FFFD (save the file as UTF-8 to keep its characters)")]
    assert summary["warnings"] == 2
    assert titles(db) == ["Caf\ufffd opens in K\ufffdln", "Olsk ferry back", "Stra\ufffde closed at Olsk"]
    utf8 = tmp_path / "fine.jsonl"
    utf8.write_text('{"title": "Café opens in Köln"}\n', encoding="utf-8")
    summary, proc = ingest(run_cli, utf8, "--db", tmp_path / "fine.db")
    assert summary["warnings"] == 0 and "warning" not in proc.stderr


# -- 3. lone surrogates ---------------------------------------------------------------------------

def test_lone_surrogates_are_replaced_and_the_article_kept(tmp_path, run_cli):
    src = tmp_path / "surrogates.jsonl"
    src.write_text('{"title": "Olsk \\ud800 fair", "text": "Stalls \\udfff open", "source": "Post \\ud800",'
                   ' "id": "s\\ud800", "url": "https://a.example/\\ud800", "lang": "en\\udc00"}\n'
                   '{"title": "A pair \\ud83d\\ude00 stays whole, a NUL \\u0000 goes"}\n'
                   '{"title": "Olsk fair closes"}\n', encoding="ascii")
    db = tmp_path / "s.db"
    summary, proc = ingest(run_cli, src, "--db", db)
    assert proc.returncode == 0 and summary["read"] == 3 and summary["skipped"] == 0, proc.stderr
    rows = query(db, "SELECT id, title, text, source, url FROM articles ORDER BY seq")
    assert rows[0] == ("s\ufffd", "Olsk \ufffd fair", "Stalls \ufffd open", "Post \ufffd", "https://a.example/\ufffd")
    assert rows[1][1] == "A pair \U0001F600 stays whole, a NUL goes"
    assert run_cli("stories", "--db", db).returncode == 0


def test_character_references_to_no_character_in_a_feed_are_replaced(tmp_path):
    doc = (b'<rss version="2.0"><channel><title>Post &#xD800;</title>'
           b'<item><title>Olsk &#55296; fair</title><link>https://post.example/f</link>'
           b'<description>a &#x110000; b &#99999999999999999999; c &#8217;</description></item></channel></rss>')
    src = tmp_path / "refs.xml"
    src.write_bytes(doc)
    (article,) = items(src)
    assert article.title == "Olsk \ufffd fair" and article.text == "a \ufffd b \ufffd c \u2019"
    assert article.source == "Post \ufffd"
    (watched,) = parse_feed(doc, "https://post.example/rss", fetched_at=float(T0)).articles
    assert watched.title == "Olsk \ufffd fair"


# -- 4. JSON too deep, numbers too long -----------------------------------------------------------

def test_json_too_deep_or_with_too_long_a_number_is_a_skipped_line(tmp_path, run_cli):
    src = tmp_path / "deep.jsonl"
    src.write_text("\n".join([
        json.dumps({"title": "Olsk choir sings"}),
        "[" * 100_000,
        '{"title": "x", "n": ' + "1" * 5000 + "}",
        '{"title": ' + "[" * 900 + "]" * 900 + "}",  # deep, but within what JSON parsing allows
        '{"title": "y", "published": ' + "[" * 900 + "]" * 900 + "}",
        json.dumps({"title": "Olsk choir tours"}),
    ]) + "\n")
    db = tmp_path / "deep.db"
    summary, proc = ingest(run_cli, src, "--db", db)
    assert summary["read"] == 2 and summary["skipped"] == 4
    problems = skipped(proc.stderr)
    assert problems[0] == f"storyline: skipped {src}:2: not valid JSON (nested too deeply)"
    assert problems[1] == f"storyline: skipped {src}:3: not valid JSON (a number longer than 4,300 digits)"
    assert problems[2].startswith(f"storyline: skipped {src}:4: title: expected text")
    assert problems[3].startswith(f"storyline: skipped {src}:5: published: not a date: a list")
    assert titles(db) == ["Olsk choir sings", "Olsk choir tours"]


def test_eval_skips_json_too_deep_or_with_too_long_a_number(tmp_path, run_cli):
    src = tmp_path / "deep-labelled.jsonl"
    src.write_text("\n".join([
        json.dumps({"title": "Olsk choir sings", "story": "a"}),
        "[" * 100_000,
        '{"title": "x", "story": "b", "n": ' + "1" * 5000 + "}",
        json.dumps({"title": "Olsk choir tours", "story": "a"}),
    ]) + "\n")
    proc = run_cli("eval", src, "--no-embeddings", "--json")
    assert proc.returncode == 0, proc.stderr
    assert f"{src}:2: not valid JSON (nested too deeply)" in proc.stderr
    assert f"{src}:3: not valid JSON (a number longer than 4,300 digits)" in proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1])["articles"] == 2


# -- 5. year-1 dates in feeds ---------------------------------------------------------------------

ATOM_YEAR_ONE = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Old Ledger</title>
<entry><title>Olsk founded</title><id>urn:old:1</id><updated>0001-01-01T00:00:00+12:00</updated></entry>
<entry><title>Olsk charter</title><id>urn:old:2</id><updated>0001-01-01T00:00:00Z</updated></entry>
<entry><title>Olsk today</title><id>urn:old:3</id><updated>2026-11-20T07:42:00Z</updated></entry>
</feed>
"""


def test_a_feed_entry_dated_year_one_is_kept_without_a_date(tmp_path, run_cli):
    src = tmp_path / "weird.atom"
    src.write_bytes(ATOM_YEAR_ONE)
    db = tmp_path / "old.db"
    summary, proc = ingest(run_cli, src, "--db", db)
    assert proc.returncode == 0 and summary["read"] == 3 and summary["skipped"] == 0, proc.stderr
    assert query(db, "SELECT id, published FROM articles ORDER BY seq") == [
        ("urn:old:1", None), ("urn:old:2", None), ("urn:old:3", T0)]
    # storyline watch: no usable date, so dated at the fetch time (as an entry without a date)
    feed = parse_feed(ATOM_YEAR_ONE, "https://old.example/atom", fetched_at=float(T0 + 60))
    assert [a.published for a in feed.articles] == [T0 + 60, T0 + 60, T0]


def test_entry_time_skips_a_date_no_article_can_have():
    year_zero = time.struct_time((0, 12, 31, 12, 0, 0, 6, 366, 0))
    assert entry_time({"published_parsed": year_zero}) is None
    assert entry_time({"published_parsed": year_zero, "updated_parsed": time.gmtime(T0)}) == T0


# -- 6. JSON messages -----------------------------------------------------------------------------

def test_json_messages_say_at_once(tmp_path):
    src = tmp_path / "at.jsonl"
    src.write_text('{"title": "ok"}\n{"title": "unterminated\n')
    problem = items(src)[1]
    assert str(problem) == f"{src}:2: not valid JSON (Unterminated string starting at column 11)"


# -- 7. pretty-printed JSON documents -------------------------------------------------------------

def test_a_pretty_printed_json_array_is_read(tmp_path, run_cli):
    records = [{"id": f"p{i}", "title": f"Olsk harbour news {i}", "url": f"https://a.example/{i}"} for i in range(3)]
    records.insert(2, {"id": "no-title", "url": "https://a.example/none"})
    src = tmp_path / "pretty.json"
    src.write_text(json.dumps(records, indent=2))
    db = tmp_path / "pretty.db"
    summary, proc = ingest(run_cli, src, "--db", db)
    assert summary["read"] == 3 and summary["skipped"] == 1, proc.stderr
    (problem,) = skipped(proc.stderr)
    assert problem.startswith(f"storyline: skipped {src}:12: title: missing")  # the line its record starts on
    assert [i for (i,) in query(db, "SELECT id FROM articles ORDER BY seq")] == ["p0", "p1", "p2"]
    # from stdin too
    summary, proc = ingest(run_cli, "-", "--db", tmp_path / "stdin.db", input=src.read_text())
    assert summary["read"] == 3 and summary["skipped"] == 1


def test_a_pretty_printed_json_object_and_a_broken_document(tmp_path):
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"title": "Olsk mayor resigns", "published": "2026-11-20T07:42:00Z"}, indent=4))
    assert [(a.title, a.published) for a in items(one)] == [("Olsk mayor resigns", T0)]
    broken = tmp_path / "broken.json"
    broken.write_text('[\n  {"title": "First"},\n  {"title": "Second" "oops"},\n  {"title": "Third"}\n]\n')
    first, problem = items(broken)
    assert first.title == "First"
    assert str(problem) == (f"{broken}:3: not valid JSON (Expecting ',' delimiter at column 22); "
                            "the rest of the document was skipped")


def test_json_lines_with_broken_first_lines_are_still_json_lines(tmp_path):
    src = tmp_path / "lines.json"
    src.write_text('{"title": "cut off\n{"title": "also cut",\n{"title": "Olsk fair"}\n[{"title": "Olsk fête"}]\n')
    got = items(src)
    assert [type(i).__name__ for i in got] == ["Problem", "Problem", "Article", "Article"]
    assert str(got[0]).startswith(f"{src}:1: not valid JSON") and str(got[1]).startswith(f"{src}:2: ")


def test_a_json_line_is_not_split_at_a_unicode_line_separator_from_stdin(tmp_path, run_cli):
    text = json.dumps({"title": "Olsk\u2028fair", "text": "x\u2029y"}, ensure_ascii=False) + "\n"
    summary, proc = ingest(run_cli, "-", "--db", tmp_path / "ls.db", input=text)
    assert summary["read"] == 1 and summary["skipped"] == 0, proc.stderr


# -- 8. compressed and binary input ---------------------------------------------------------------

def test_compressed_or_binary_input_is_one_error_and_the_other_inputs_are_read(tmp_path, run_cli):
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps({"title": "Olsk market reopens"}) + "\n")
    gz = tmp_path / "news.jsonl.gz"
    gz.write_bytes(gzip.compress(b'{"title": "x"}\n' * 500))
    renamed = tmp_path / "news.csv"  # gzip behind a text suffix
    renamed.write_bytes(gz.read_bytes())
    binary = tmp_path / "blob.jsonl"
    binary.write_bytes(b'{"title": "x"}\n' + bytes(range(256)) * 20)
    db = tmp_path / "bin.db"
    summary, proc = ingest(run_cli, gz, good, renamed, binary, "--db", db)
    assert proc.returncode == 1
    assert summary["read"] == 1 and summary["skipped"] == 0 and len(summary["failed_inputs"]) == 3
    errors = error_lines(proc.stderr)
    assert errors == [f"storyline: error: {gz}: not a text file (gzip? decompress it first)",
                      f"storyline: error: {renamed}: not a text file (gzip? decompress it first)",
                      f"storyline: error: {binary}: not a text file (it holds NUL bytes: binary data, or "
                      "compressed? decompress it first)"]
    assert not skipped(proc.stderr)
    assert titles(db) == ["Olsk market reopens"]
    # from stdin (bytes: run_cli sends text)
    piped = subprocess.run([sys.executable, "-m", "storyline", "ingest", "-", "--db", str(db), "--no-embeddings"],
                           input=gz.read_bytes(), capture_output=True, env=clean_env(), cwd=tmp_path, timeout=60)
    assert piped.returncode == 1 and b"Traceback" not in piped.stderr
    assert b"storyline: error: <stdin>: not a text file (gzip? decompress it first)" in piped.stderr


def test_utf16_text_with_a_byte_order_mark_is_read(tmp_path):
    src = tmp_path / "excel.csv"
    src.write_bytes("title,url\nOlsk café opens,https://a.example/c\n".encode("utf-16"))
    (article,) = items(src)
    assert article.title == "Olsk café opens" and article.url == "https://a.example/c"


def test_an_article_dated_in_the_future_is_kept_with_a_warning(tmp_path, run_cli):
    # One such date moves the end of every window (they count back from the newest article), so a
    # user must hear of it; the file may be a schedule, so nothing is dropped.
    src = tmp_path / "ahead.jsonl"
    src.write_text(json.dumps({"title": "Olsk council minutes", "published": "2099-11-22T10:00:00Z"}) + "\n"
                   + json.dumps({"title": "Seline harbour opens", "published": T0}) + "\n", encoding="utf-8")
    db = tmp_path / "ahead.db"
    proc = run_cli("ingest", src, "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert (f"storyline: warning: {src}: 1 article dated in the future (the latest 2099-11-22 10:00 UTC)"
            in proc.stderr)
    assert query(db, "SELECT count(*) FROM articles")[0][0] == 2
    now = tmp_path / "now.jsonl"
    now.write_text(json.dumps({"title": "Dunmere ferry runs", "published": T0}) + "\n", encoding="utf-8")
    quiet = run_cli("ingest", now, "--db", db)
    assert "dated in the future" not in quiet.stderr


def test_a_field_cut_at_its_limit_is_said(tmp_path, run_cli):
    src = tmp_path / "long.jsonl"
    src.write_text(json.dumps({"title": "Olsk " * 1500, "text": "Harbour news."}) + "\n"
                   + json.dumps({"title": "Seline harbour opens", "text": "Ships. " * 40_000}) + "\n"
                   + json.dumps({"title": "Dunmere ferry runs"}) + "\n", encoding="utf-8")
    db = tmp_path / "long.db"
    proc = run_cli("ingest", src, "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert (f"storyline: warning: {src}: 2 articles reached the limit of 1,000 characters for a title or "
            "200,000 for a text; longer ones were cut there") in proc.stderr
    lengths = sorted(query(db, "SELECT length(title), length(text) FROM articles"))
    assert lengths[-1][0] == 1000 and max(t for _, t in lengths) == 200_000  # kept, cut
