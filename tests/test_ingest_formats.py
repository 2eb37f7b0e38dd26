"""Every input format, through the real CLI into a real SQLite file, including malformed input."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import T0, error_lines, query, write_jsonl

from storyline.ingest import canonical_url, read_source, to_article
from storyline.ingest.records import derived_id


def stored(db: Path) -> dict[str, dict]:
    cols = ("id", "title", "text", "url", "canonical_url", "published", "source", "lang")
    return {r[0]: dict(zip(cols, r)) for r in query(db, f"SELECT {', '.join(cols)} FROM articles ORDER BY seq")}


def ingest_json(run_cli, *args) -> tuple[dict, object]:
    proc = run_cli("ingest", *args, "--json")
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1]), proc


# -- JSONL ----------------------------------------------------------------------------------------

def test_jsonl_field_aliases_and_html(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "aliases.jsonl", [
        {"id": "a1", "headline": "<b>Brannock</b> &amp; Quillon open a new rail bridge",
         "link": "https://gazette.example/rail-bridge", "date": "2026-11-20T07:42:00Z",
         "publisher": "Harbor Gazette", "body": "<p>The bridge opened <i>on time</i>.</p><script>x()</script>"},
        {"id": "a2", "title": "Quillon ferry fares to rise in spring", "summary": "Fares rise by a tenth.",
         "url": "https://ledger.example/ferry", "published": "Fri, 20 Nov 2026 08:42:00 GMT",
         "outlet": "Northern Ledger", "language": "EN"},
        {"id": "a3", "title": "Harrowgate library extends opening hours",
         "description": "Readers get two more evenings.", "pub_date": T0 + 7200, "site": "Evening Herald"},
        {"id": 44, "title": "Selby market moves indoors for winter", "published_at": (T0 + 10800) * 1000},
    ], labels=False)
    db = tmp_path / "a.db"
    summary, proc = ingest_json(run_cli, src, "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert summary["read"] == 4 and summary["skipped"] == 0 and summary["stored_articles"] == 4
    rows = stored(db)
    a1 = rows["a1"]
    assert a1["title"] == "Brannock & Quillon open a new rail bridge"
    assert a1["text"].startswith("The bridge opened on time") and "<" not in a1["text"]
    assert "x()" not in a1["text"]  # script content is dropped, not shown as text
    assert a1["url"] == "https://gazette.example/rail-bridge"
    assert a1["source"] == "Harbor Gazette"
    assert a1["published"] == T0
    a2 = rows["a2"]
    assert a2["text"] == "Fares rise by a tenth." and a2["source"] == "Northern Ledger"
    assert a2["published"] == T0 + 3600 and a2["lang"] == "en"
    a3 = rows["a3"]
    assert a3["text"] == "Readers get two more evenings." and a3["source"] == "Evening Herald"
    assert a3["published"] == T0 + 7200
    a44 = rows["44"]  # a numeric id is kept as text; milliseconds become seconds
    assert a44["published"] == T0 + 10800 and a44["source"] is None


def test_source_falls_back_to_the_url_host_and_unsafe_links_are_dropped():
    a = to_article({"title": "Olsk council meets", "url": "https://news.olsk.example/council"})
    assert a.source == "news.olsk.example"
    b = to_article({"title": "Olsk council meets", "url": "https://www.olsk.example/council"})
    c = to_article({"title": "Olsk council meets", "url": "https://olsk.example/council?page=2"})
    assert b.source == c.source == "olsk.example"  # with or without www., one outlet
    d = to_article({"title": "Olsk council meets", "url": "javascript:alert(1)"})
    assert d.url is None and d.source is None


def test_missing_id_comes_from_the_canonical_url():
    base = {"title": "Quillon harbour dredging begins"}
    plain = to_article({**base, "url": "https://courier.example/harbour?page=2"})
    tracked = to_article({**base, "title": "Another headline entirely",
                          "url": "https://Courier.example/harbour?utm_source=rss&page=2&utm_campaign=x#comments"})
    other_page = to_article({**base, "url": "https://courier.example/harbour?page=3"})
    assert plain.id == tracked.id
    assert plain.id != other_page.id
    assert plain.id == derived_id(canonical_url("https://courier.example/harbour?page=2"), "", "")
    assert canonical_url("https://courier.example/harbour?utm_medium=x&page=2#top") == \
        "https://courier.example/harbour?page=2"


def test_missing_id_and_url_comes_from_the_text():
    a = to_article({"title": "Selby bus strike ends", "text": "Drivers accepted the offer."})
    same = to_article({"title": "  selby BUS strike   ends ", "text": "drivers accepted the offer."})
    other = to_article({"title": "Selby bus strike ends", "text": "Drivers rejected the offer."})
    assert a.id == same.id
    assert a.id != other.id
    assert re.fullmatch(r"[0-9a-f]{20}", a.id)


def test_derived_ids_are_stable_across_processes(tmp_path, run_cli):
    records = [{"title": "Quillon ferry strike called off", "url": "https://a.example/ferry?utm_source=feed#x"},
               {"title": "Olsk mill reopens after fire", "text": "Workers returned on Monday."}]
    src = write_jsonl(tmp_path / "noid.jsonl", records)
    db = tmp_path / "noid.db"
    assert run_cli("ingest", src, "--db", db).returncode == 0
    ids = [r[0] for r in query(db, "SELECT id FROM articles ORDER BY seq")]
    assert ids == [to_article(r).id for r in records]
    assert ids[0] == to_article({"title": "x", "url": "https://a.example/ferry"}).id


def test_an_id_of_only_spaces_or_nuls_is_derived_and_the_file_goes_on(tmp_path, run_cli):
    """A blank id cell crashed ingest with a traceback, and every article after it was lost."""
    src = tmp_path / "blank.csv"
    src.write_text("id,title,published\n1,Velden storm floods harbour,2026-01-01\n"
                   " ,Velden storm batters harbour,2026-01-01\n3,Velden storm leaves harbour,2026-01-02\n")
    jsonl = write_jsonl(tmp_path / "nul.jsonl", [{"id": "\u0000", "title": "Olsk mill reopens"},
                                                 {"id": "n2", "title": "Olsk mill hires again"}])
    db = tmp_path / "blank.db"
    for path in (src, jsonl):
        summary, proc = ingest_json(run_cli, path, "--db", db)
        assert proc.returncode == 0 and summary["skipped"] == 0 and "Traceback" not in proc.stderr, proc.stderr
    ids = stored(db)
    assert {"1", "3", "n2"} <= set(ids) and len(ids) == 5
    assert to_article({"id": " ", "title": "Velden storm batters harbour"}).id == \
        derived_id(None, "Velden storm batters harbour", "")


def test_a_json_array_line_is_read_as_several_articles(tmp_path, run_cli):
    src = tmp_path / "array.json"
    src.write_text(json.dumps([{"id": "r1", "title": "Olsk bakery wins prize"},
                               {"id": "r2", "title": "Dunmere choir tours abroad"}]) + "\n")
    db = tmp_path / "array.db"
    summary, proc = ingest_json(run_cli, src, "--db", db)
    assert proc.returncode == 0 and summary["read"] == 2
    assert set(stored(db)) == {"r1", "r2"}


# -- malformed input ------------------------------------------------------------------------------

def test_broken_jsonl_line_is_reported_skipped_and_counted(tmp_path, run_cli):
    lines = [
        json.dumps({"id": "ok-1", "title": "Brannock mayor opens new clinic"}),
        json.dumps({"id": "ok-2", "title": "Quillon orchestra plays harbour concert"}),
        "",
        '{"id": "broken", "title": "unterminated',
        json.dumps({"id": "no-title", "url": "https://x.example/a"}),
        json.dumps({"id": "ok-3", "title": "Dunmere school gets solar roof"}),
        json.dumps({"id": "ok-4", "title": "Selby festival draws record crowd"}),
    ]
    src = tmp_path / "mixed.jsonl"
    src.write_text("\n".join(lines) + "\n")
    db = tmp_path / "m.db"
    proc = run_cli("ingest", src, "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    skipped = [l for l in proc.stderr.splitlines() if "skipped" in l and str(src) in l]
    assert len(skipped) == 2, proc.stderr
    assert f"{src}:4: " in skipped[0] and "JSON" in skipped[0]
    assert f"{src}:5: " in skipped[1] and "title" in skipped[1]
    assert re.search(r"\b2 bad items? skipped", proc.stderr), proc.stderr
    assert list(stored(db)) == ["ok-1", "ok-2", "ok-3", "ok-4"]

    db2 = tmp_path / "m2.db"
    summary, proc = ingest_json(run_cli, src, "--db", db2)
    assert proc.returncode == 0
    assert summary["read"] == 4 and summary["skipped"] == 2 and summary["stored_articles"] == 4


def test_bad_dates_and_bad_field_types_are_problems_not_crashes(tmp_path, run_cli):
    src = write_jsonl(tmp_path / "types.jsonl", [
        {"id": "d1", "title": "Olsk well runs dry", "published": "the day after tomorrow"},
        {"id": "d2", "title": {"nested": ["not", "text"]}},
        {"id": "d3", "title": "Olsk well refilled by tanker", "published": "2026-11-21"},
        "42",
    ])
    db = tmp_path / "types.db"
    proc = run_cli("ingest", src, "--db", db)
    assert "Traceback" not in proc.stderr
    assert proc.returncode == 0
    assert f"{src}:1: " in proc.stderr and "published" in proc.stderr
    assert f"{src}:4: " in proc.stderr
    assert "d3" in stored(db) and "d1" not in stored(db)


def test_missing_file_is_one_clear_error(tmp_path, run_cli):
    proc = run_cli("ingest", tmp_path / "nope.jsonl", "--db", tmp_path / "x.db")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    errors = error_lines(proc.stderr)
    assert len(errors) == 1, proc.stderr
    assert "nope.jsonl" in errors[0] and "no such file" in errors[0]
    assert not (tmp_path / "x.db").exists()  # an empty new store would hide the mistake from `stories`


def test_a_directory_is_one_clear_error(tmp_path, run_cli):
    (tmp_path / "folder.jsonl").mkdir()
    proc = run_cli("ingest", tmp_path / "folder.jsonl", "--db", tmp_path / "x.db")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    assert len(error_lines(proc.stderr)) == 1


def test_missing_file_among_good_ones_still_stores_the_good_ones(tmp_path, run_cli):
    good = write_jsonl(tmp_path / "good.jsonl", [{"id": "g1", "title": "Quillon lighthouse restored"}])
    db = tmp_path / "x.db"
    proc = run_cli("ingest", good, tmp_path / "gone.jsonl", "--db", db)
    assert proc.returncode != 0  # something asked for was not read
    assert len(error_lines(proc.stderr)) == 1 and "gone.jsonl" in proc.stderr
    assert list(stored(db)) == ["g1"]


def test_a_file_of_only_bad_lines_fails(tmp_path, run_cli):
    src = tmp_path / "bad.jsonl"
    src.write_text('{"title": \nnot json at all\n{"url": "https://x.example/only-url"}\n')
    proc = run_cli("ingest", src, "--db", tmp_path / "bad.db")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert f"{src}:1: " in proc.stderr and f"{src}:2: " in proc.stderr and f"{src}:3: " in proc.stderr


@pytest.mark.parametrize("body", ["", "\n\n  \n"])
def test_an_empty_file_fails_and_the_good_ones_are_kept(tmp_path, run_cli, body):
    """An empty file read as "read 0 articles" with exit 0, though it is likely not the file meant."""
    empty = tmp_path / "empty.jsonl"
    empty.write_text(body)
    good = write_jsonl(tmp_path / "good.jsonl", [{"id": "g1", "title": "Quillon lighthouse restored"}])
    db = tmp_path / "x.db"
    proc = run_cli("ingest", empty, good, "--db", db)
    assert proc.returncode == 1
    assert error_lines(proc.stderr) == [f"storyline: error: {empty}: no articles in it (it is empty)"]
    assert list(stored(db)) == ["g1"]
    # a producer that had nothing to say is no mistake, nor a feed without entries (tested below),
    # but a dead server behind `curl -s URL |` looks the same: it is said
    quiet = run_cli("ingest", "-", "--db", db, input=body)
    assert quiet.returncode == 0 and "storyline: warning: <stdin>: no input (it was empty)" in quiet.stderr


def test_a_line_holding_an_array_of_no_records_is_one_problem(tmp_path, run_cli):
    src = tmp_path / "arrays.jsonl"
    src.write_text('[1, 2, 3]\n[]\n[{"title": "Olsk ferry back"}, {"title": "Selby bridge reopens"}]\n')
    summary, proc = ingest_json(run_cli, src, "--db", tmp_path / "a.db")
    assert (summary["read"], summary["skipped"]) == (2, 1), proc.stderr
    assert f"{src}:1: expected an object (a record), or an array of them; got an array of int" in proc.stderr


def test_an_error_page_is_no_table_of_articles(tmp_path, run_cli):
    db = tmp_path / "e.db"
    proc = run_cli("ingest", "-", "--db", db, input="nope\n")  # `curl -s` of a 404 that says "nope"
    assert proc.returncode == 1
    assert error_lines(proc.stderr) == ["storyline: error: <stdin>: not a table of articles: its first line "
                                        "('nope') names no title or text column"]
    header_only = tmp_path / "header.csv"
    header_only.write_text("headline,link\n")  # a table of articles with no rows yet: no mistake
    assert run_cli("ingest", header_only, "--db", db).returncode == 0


def test_many_problems_are_capped_but_all_counted(tmp_path, run_cli):
    lines = ["{oops"] * 70 + [json.dumps({"id": "last", "title": "Harrowgate tram line approved"})]
    src = tmp_path / "noisy.jsonl"
    src.write_text("\n".join(lines) + "\n")
    proc = run_cli("ingest", src, "--db", tmp_path / "n.db")
    assert proc.returncode == 0
    shown = [l for l in proc.stderr.splitlines() if l.startswith(f"storyline: skipped {src}:")]
    assert len(shown) == 50
    assert "20 more" in proc.stderr
    assert re.search(r"\b70 bad items skipped", proc.stderr)


def test_quiet_ingest_prints_nothing(tmp_path, run_cli):
    src = tmp_path / "q.jsonl"
    src.write_text('{"id": "q1", "title": "Dunmere pier reopens"}\n{broken\n')
    proc = run_cli("ingest", src, "--db", tmp_path / "q.db", "--quiet")
    assert proc.returncode == 0 and proc.stderr == "" and proc.stdout == ""


# -- CSV ------------------------------------------------------------------------------------------

def test_csv_with_header_aliases_and_a_row_with_too_many_cells(tmp_path, run_cli):
    src = tmp_path / "news.csv"
    src.write_text(
        "headline, link ,date,publisher,body\n"
        'Selby council approves new park,https://post.example/park,2026-11-20T07:42:00Z,Valley Post,'
        '"The park, near the river, opens in May."\n'
        "Olsk water plant upgrade finished,https://post.example/water,2026-11-20T08:42:00Z,Valley Post,"
        "Engineers finished the upgrade,EXTRA,CELLS\n"
        "Dunmere ferry gets new engines,https://post.example/ferry,,Harbor Gazette,\n",
        encoding="utf-8")
    db = tmp_path / "csv.db"
    proc = run_cli("ingest", src, "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert f"{src}:3: " in proc.stderr and "more cells" in proc.stderr
    rows = stored(db)
    assert len(rows) == 2
    park = next(r for r in rows.values() if r["title"] == "Selby council approves new park")
    assert park["text"] == "The park, near the river, opens in May."
    assert park["url"] == "https://post.example/park" and park["source"] == "Valley Post"
    assert park["published"] == T0
    assert park["id"] == to_article({"title": "?", "url": "https://post.example/park"}).id
    ferry = next(r for r in rows.values() if r["title"] == "Dunmere ferry gets new engines")
    assert ferry["published"] is None and ferry["text"] == ""


def test_a_csv_quote_that_never_closes_costs_its_row_only(tmp_path, run_cli):
    src = tmp_path / "stray.csv"
    rows = [f"Olsk harbour report number {n},Valley Post,Crews worked at pier {n}." for n in range(1, 41)]
    rows[2] = '"Crane collapses at Seline harbour, two hurt,Valley Post,Cranes fell.'  # never closed
    body = "A long one. " * 20_000  # 240,000 characters in one cell: Python's CSV stops at 131,072
    rows[5] = f'Seline ferry terminal approved,Valley Post,"{body}"'
    rows[7] = '"Storm hits Olsk coast:\nthousands evacuated",Valley Post,Crews worked all night.'  # a cell with a break
    src.write_text("title,source,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "stray.db"
    summary, proc = ingest_json(run_cli, src, "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert f"{src}:4: a quote opened in this row does not close on its line" in proc.stderr
    assert summary["read"] == 39 and summary["skipped"] == 1  # every other row, not 2 of 40
    titles = {r["title"] for r in stored(db).values()}
    assert "Olsk harbour report number 40" in titles
    assert "Storm hits Olsk coast:\nthousands evacuated" in titles  # a quoted title over two lines is kept
    assert not any("Valley Post" in t for t in titles)  # and no row swallowed another
    long = next(r for r in stored(db).values() if r["title"] == "Seline ferry terminal approved")
    assert len(long["text"]) == 200_000  # cut as a JSONL text is


def test_a_csv_body_whose_quote_never_closes_costs_its_row_only(tmp_path, run_cli):
    src = tmp_path / "body.csv"
    rows = [f'Olsk harbour report number {n},https://post.example/{n},"Crews worked at pier {n}, all day."'
            for n in range(1, 21)]
    rows[3] = 'Crane collapses at Seline harbour,https://post.example/crane,"Two hurt, one badly.'  # never closed
    # A body over lines, with commas and even a line of two commas, is still one body:
    rows[9] = ('Seline ferry terminal approved,https://post.example/ferry,"The vote, held late, passed.\n'
               'Yes, no, abstain: 5, 2, 1.\nWork starts in May."')
    src.write_text("title,url,text\n" + "\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "body.db"
    summary, proc = ingest_json(run_cli, src, "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert f"{src}:5: a quote opened in this row does not close on its line" in proc.stderr
    assert summary["read"] == 19 and summary["skipped"] == 1
    texts = {r["title"]: r["text"] for r in stored(db).values()}
    assert texts["Olsk harbour report number 20"] == "Crews worked at pier 20, all day."
    assert texts["Seline ferry terminal approved"].count("\n") == 2


def test_field_names_match_whatever_their_case(tmp_path, run_cli):
    """Spreadsheets and feeds capitalise column names ("Title", "URL", "pubDate"): same fields."""
    src = tmp_path / "caps.csv"
    src.write_text("Title,URL,Date,Source\n"
                   "Harrowgate zoo welcomes twin lions,https://post.example/lions,2026-11-20T07:42:00Z,Valley Post\n")
    db = tmp_path / "caps.db"
    proc = run_cli("ingest", src, "--db", db)
    assert proc.returncode == 0, proc.stderr
    (row,) = stored(db).values()
    assert row["title"] == "Harrowgate zoo welcomes twin lions"
    assert row["url"] == "https://post.example/lions" and row["published"] == T0
    assert row["source"] == "Valley Post"
    a = to_article({"title": "Olsk fair opens", "pubDate": "Fri, 20 Nov 2026 07:42:00 GMT"})
    assert a.published == T0


def test_tsv_is_read_by_suffix(tmp_path, run_cli):
    src = tmp_path / "news.tsv"
    src.write_text("id\ttitle\tsource\nt1\tQuillon tunnel, phase two, approved\tRiver Times\n")
    db = tmp_path / "tsv.db"
    assert run_cli("ingest", src, "--db", db).returncode == 0
    assert stored(db)["t1"]["title"] == "Quillon tunnel, phase two, approved"


# -- feeds ----------------------------------------------------------------------------------------

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
 <channel>
  <title>Valley Post</title>
  <link>https://post.example/</link>
  <description>Local news</description>
  <language>en</language>
  <item>
   <title>Brannock dam inspection finds cracks</title>
   <link>https://post.example/dam?utm_source=rss</link>
   <guid isPermaLink="false">vp-1001</guid>
   <pubDate>Fri, 20 Nov 2026 07:42:00 GMT</pubDate>
   <description>&lt;p&gt;Inspectors found &lt;b&gt;cracks&lt;/b&gt; in the Brannock dam wall.&lt;/p&gt;</description>
  </item>
  <item>
   <title>Quillon market hall to be rebuilt</title>
   <link>https://post.example/market</link>
   <pubDate>Fri, 20 Nov 2026 09:42:00 GMT</pubDate>
   <description>The council voted to rebuild the hall.</description>
  </item>
 </channel>
</rss>
"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
 <title>Northern Ledger</title>
 <id>urn:uuid:ledger-feed</id>
 <updated>2026-11-20T10:00:00Z</updated>
 <entry>
  <title>Harrowgate tram line gets go-ahead</title>
  <id>urn:ledger:2001</id>
  <link href="https://ledger.example/tram"/>
  <published>2026-11-20T07:42:00Z</published>
  <updated>2026-11-20T08:00:00Z</updated>
  <summary>Short summary.</summary>
  <content type="html">&lt;p&gt;The tram line will link Harrowgate with the coast.&lt;/p&gt;</content>
 </entry>
 <entry>
  <title type="html">Selby &lt;em&gt;bridge&lt;/em&gt; closes for repairs</title>
  <id>urn:ledger:2002</id>
  <link href="https://ledger.example/bridge"/>
  <updated>2026-11-20T09:42:00Z</updated>
  <summary>Repairs take a month.</summary>
 </entry>
</feed>
"""


def test_rss_feed(tmp_path, run_cli):
    src = tmp_path / "valley.rss"
    src.write_text(RSS, encoding="utf-8")
    db = tmp_path / "rss.db"
    summary, proc = ingest_json(run_cli, src, "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert summary["read"] == 2
    rows = stored(db)
    dam = next(r for r in rows.values() if r["title"] == "Brannock dam inspection finds cracks")
    assert dam["id"] != "vp-1001"  # a GUID counts within its feed (see below)
    assert dam["title"] == "Brannock dam inspection finds cracks"
    assert dam["text"] == "Inspectors found cracks in the Brannock dam wall."
    assert dam["source"] == "Valley Post" and dam["published"] == T0 and dam["lang"] == "en"
    assert dam["canonical_url"] == "https://post.example/dam"
    market = next(r for r in rows.values() if r["title"] == "Quillon market hall to be rebuilt")
    assert market["published"] == T0 + 7200 and market["text"] == "The council voted to rebuild the hall."


def numbered_feed(outlet: str, titles: list[str], guids: list[str]) -> str:
    items = "".join(f"<item><title>{t}</title><guid isPermaLink=\"false\">{g}</guid>"
                    f"<description>{t}, officials said on Friday.</description></item>"
                    for t, g in zip(titles, guids))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>{outlet}</title>'
            f"<description>news</description>{items}</channel></rss>")


def test_feeds_that_number_their_entries_alike_lose_nothing(tmp_path, run_cli):
    # Two outlets' files both use GUIDs 1 and 2: the second outlet's articles were "already stored".
    gazette = tmp_path / "gazette.xml"
    gazette.write_text(numbered_feed("Harbor Gazette", ["Crane collapses at Seline harbour",
                                                        "Seline council approves ferry terminal"], ["1", "2"]))
    courier = tmp_path / "courier.xml"
    courier.write_text(numbered_feed("Mountain Courier", ["Wildfire forces evacuation of Porto Alto",
                                                          "Avalanche closes pass road near Lindau"], ["1", "2"]))
    # And one document that gives two different entries one GUID.
    reused = tmp_path / "reused.xml"
    reused.write_text(numbered_feed("River Times", ["Quillon tunnel opens to traffic",
                                                    "Olsk school gets a new roof"], ["7", "7"]))
    db = tmp_path / "guids.db"
    summary, proc = ingest_json(run_cli, gazette, courier, reused, "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert summary["read"] == 6 and summary["duplicate"] == 0
    assert sorted(r["source"] for r in stored(db).values()) == ["Harbor Gazette"] * 2 + ["Mountain Courier"] * 2 \
        + ["River Times"] * 2
    again, _ = ingest_json(run_cli, gazette, courier, reused, "--db", db)  # and a re-read changes nothing
    assert again["duplicate"] == 6 and len(stored(db)) == 6
    # Two feeds of one site share its link, and number their entries alike too.
    world = tmp_path / "world.xml"
    world.write_text(numbered_feed("Harbor Gazette - World", ["Quake strikes off Qeshm island"], ["1"])
                     .replace("<description>news", "<link>https://gazette.example/</link><description>news"))
    sports = tmp_path / "sports.xml"
    sports.write_text(numbered_feed("Harbor Gazette - Sports", ["Olsk rowing club wins cup"], ["1"])
                      .replace("<description>news", "<link>https://gazette.example/</link><description>news"))
    both, proc = ingest_json(run_cli, world, sports, "--db", db)
    assert (both["read"], both["duplicate"]) == (2, 0), proc.stderr


def test_atom_feed_sniffed_without_a_known_suffix(tmp_path, run_cli):
    src = tmp_path / "ledger.txt"  # no feed suffix: recognised by content
    src.write_text(ATOM, encoding="utf-8")
    db = tmp_path / "atom.db"
    summary, proc = ingest_json(run_cli, src, "--db", db)
    assert proc.returncode == 0, proc.stderr
    assert summary["read"] == 2
    rows = stored(db)
    tram = rows["urn:ledger:2001"]
    assert tram["title"] == "Harrowgate tram line gets go-ahead"
    assert tram["text"] == "The tram line will link Harrowgate with the coast."  # content over summary
    assert tram["url"] == "https://ledger.example/tram"
    assert tram["source"] == "Northern Ledger" and tram["published"] == T0
    bridge = rows["urn:ledger:2002"]
    assert bridge["title"] == "Selby bridge closes for repairs"
    assert bridge["published"] == T0 + 7200  # only <updated>: used as the date


def test_unreadable_feed_is_one_clear_error(tmp_path, run_cli):
    src = tmp_path / "broken.xml"
    src.write_text("<rss><channel><title>x</title>\x00<<<<", encoding="utf-8")
    proc = run_cli("ingest", src, "--db", tmp_path / "f.db")
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert len(error_lines(proc.stderr)) == 1 and "broken.xml" in proc.stderr


@pytest.mark.parametrize("url", ["https://news.example/rss.xml", "feed://news.example/rss"])
def test_a_url_is_one_clear_error_that_says_how_to_follow_the_feed(tmp_path, run_cli, url):
    proc = run_cli("ingest", url, "--db", tmp_path / "u.db")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    (line,) = error_lines(proc.stderr)
    assert line.startswith(f"storyline: error: {url}: a URL, not a file") and "no such file" not in line
    assert f"storyline feeds add {url}" in line and "storyline ingest -" in line


OPML = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0"><head><title>subs</title></head><body>
<outline text="News"><outline type="rss" text="Valley Post" xmlUrl="https://post.example/rss"/></outline>
</body></opml>
"""


@pytest.mark.parametrize("name, body, words", [
    ("subs.opml", OPML, "an OPML subscription list, not a feed; follow its feeds with `storyline feeds import"),
    ("subs.xml", OPML, "an OPML subscription list"),
    ("sitemap.xml", b'<?xml version="1.0"?><urlset><url><loc>https://a.example/</loc></url></urlset>',
     "XML, but not an RSS or Atom feed"),
], ids=["opml", "opml-named-xml", "sitemap"])
def test_xml_that_is_no_feed_is_one_clear_error_not_an_empty_success(tmp_path, run_cli, name, body, words):
    src = tmp_path / name
    src.write_bytes(body)
    good = write_jsonl(tmp_path / "good.jsonl", [{"id": "g1", "title": "Quillon lighthouse restored"}])
    db = tmp_path / "x.db"
    proc = run_cli("ingest", src, "--db", db)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr  # it was 0, with 0 articles read
    (line,) = error_lines(proc.stderr)
    assert line.startswith(f"storyline: error: {src}: ") and words in line
    proc = run_cli("ingest", src, good, "--db", db)  # the other inputs are still read
    assert proc.returncode == 1 and list(stored(db)) == ["g1"]
    empty = tmp_path / "empty.rss"  # a feed with no entries yet is no error
    empty.write_bytes(b'<rss version="2.0"><channel><title>Quiet Desk</title></channel></rss>')
    assert run_cli("ingest", empty, "--db", db).returncode == 0


# -- stdin ----------------------------------------------------------------------------------------

def test_jsonl_from_stdin(tmp_path, run_cli):
    lines = [json.dumps({"id": "s1", "headline": "Olsk bridge reopens to traffic", "publisher": "Valley Post"}),
             "{not json",
             json.dumps({"id": "s2", "title": "Olsk bridge traffic returns to normal"})]
    db = tmp_path / "stdin.db"
    proc = run_cli("ingest", "-", "--db", db, input="\n".join(lines) + "\n")
    assert proc.returncode == 0, proc.stderr
    assert "<stdin>:2: " in proc.stderr
    rows = stored(db)
    assert list(rows) == ["s1", "s2"] and rows["s1"]["source"] == "Valley Post"


def test_csv_from_stdin(tmp_path, run_cli):
    db = tmp_path / "stdin-csv.db"
    proc = run_cli("ingest", "-", "--db", db, input="id,title\nc1,Dunmere gallery opens new wing\n")
    assert proc.returncode == 0, proc.stderr
    assert stored(db)["c1"]["title"] == "Dunmere gallery opens new wing"


def test_read_source_yields_in_input_order(tmp_path):
    src = tmp_path / "order.jsonl"
    src.write_text('{"id": "1", "title": "one"}\n{x\n{"id": "2", "title": "two"}\n')
    items = list(read_source(str(src)))
    assert [type(i).__name__ for i in items] == ["Article", "Problem", "Article"]
    assert str(items[1]).startswith(f"{src}:2: ")


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson", ".json"])
def test_json_suffixes(tmp_path, suffix):
    src = tmp_path / f"x{suffix}"
    src.write_text('{"id": "1", "title": "Olsk fair"}\n')
    assert [a.id for a in read_source(str(src))] == ["1"]


def test_dates_from_numpy_and_plain_days_are_read():
    """A DataFrame's int64 seconds were refused ("not a date: a int64") though its float64 were read."""
    import datetime as dt

    import numpy as np

    day = T0 - T0 % 86400
    assert to_article({"title": "x", "published": np.int64(T0)}).published == float(T0)
    assert to_article({"title": "x", "published": np.float32(1.5e9)}).published == 1.5e9
    assert to_article({"title": "x", "published": dt.datetime.fromtimestamp(day, dt.timezone.utc).date()}
                      ).published == float(day)
    with pytest.raises(Exception, match="not a date"):
        to_article({"title": "x", "published": True})


def test_a_field_given_as_an_object_is_read_by_its_value_or_refused_by_name():
    """{"a": "b"} for a text was stored as an empty text without a word (the API answered 200)."""
    from storyline.ingest.records import BadRecord

    assert to_article({"title": "x", "source": {"name": "Valley Post"}}).source == "Valley Post"
    assert to_article({"title": "x", "text": [{"value": "Ferry runs late."}]}).text == "Ferry runs late."
    with pytest.raises(BadRecord, match="text: expected text, got an object without a 'value'"):
        to_article({"title": "x", "text": {"a": "b"}})
