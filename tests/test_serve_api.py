"""The JSON API and the pages of `storyline serve`, driven over HTTP and checked against the store."""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from urllib.parse import quote

import pytest
from markupsafe import escape

from conftest import query
from serve_server import Server, demo_store


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db = demo_store(tmp_path_factory.mktemp("serve-api"))
    srv = Server(db)
    srv.wait_described()
    yield srv
    srv.stop()


def live_stories(db) -> dict[int, tuple[int, int, float | None]]:
    return {i: (a, o, last) for i, a, o, last in query(
        db, "SELECT id, articles, outlets, last_seen FROM stories WHERE merged_into IS NULL AND articles > 0")}


def all_pages(server, path: str) -> list[dict]:
    out, url = [], path
    while url:
        body = server.get(url).json()
        out += body["stories"]
        url = body["next"]
    return out


def test_starts_fast_on_the_demo(server):
    # CPU time is the work done; the wall clock also counts whatever else this shared machine runs.
    assert server.startup_cpu_seconds < 2.0, f"start-up took {server.startup_cpu_seconds:.2f} s of CPU"
    assert server.startup_seconds < 10.0, f"start-up took {server.startup_seconds:.2f} s"


@pytest.mark.parametrize("sort", ["latest", "top", "coverage"])
def test_story_lists_page_through_every_live_story_once(server, sort):
    stories = all_pages(server, f"/api/stories?sort={sort}&limit=7")
    expected = live_stories(server.db)
    assert Counter(s["id"] for s in stories) == Counter(list(expected))
    for s in stories:
        articles, outlets, _ = expected[s["id"]]
        assert (s["articles"], s["outlets"]) == (articles, outlets)
        assert s["headline"] and s["page"] == f"/story/{s['id']}"
        assert len(s["activity"]) <= 24 and sum(s["activity"]) >= 1
    if sort == "latest":
        order = [(expected[s["id"]][2] or 0.0) for s in stories]
        assert order == sorted(order, reverse=True)
    if sort == "coverage":
        assert [s["outlets"] for s in stories] == sorted((s["outlets"] for s in stories), reverse=True)


def test_window_and_entity_filters(server):
    latest = max(last for _, _, last in live_stories(server.db).values() if last)
    day = server.get("/api/stories?window=24h&sort=latest&limit=100").json()["stories"]
    recent = {i for i, (_, _, last) in live_stories(server.db).items() if last and last >= latest - 86400}
    assert {s["id"] for s in day} == recent
    name, = query(server.db, "SELECT name FROM story_entities GROUP BY name ORDER BY count(*) DESC, name LIMIT 1")[0]
    with_name = {s for (s,) in query(server.db, "SELECT story FROM story_entities WHERE name = ?", (name,))}
    got = server.get("/api/stories", params={"entity": name, "limit": 100}).json()["stories"]
    assert {s["id"] for s in got} == with_name & set(live_stories(server.db))
    assert server.get("/api/stories?window=1y").status_code == 422


def test_story_matches_its_articles(server):
    story_id = max(live_stories(server.db).items(), key=lambda kv: kv[1][0])[0]
    story = server.get(f"/api/stories/{story_id}").json()
    rows = query(server.db, "SELECT id, kind, copy_of, source, published FROM articles WHERE story = ?", (story_id,))
    assert story["articles"] == len(rows)
    listed = []
    for group in story["coverage"]:
        for a in group["articles"]:
            listed.append(a["id"])
            assert a["source"] == group["outlet"] or (a["source"] is None and group["outlet"] == "unknown outlet")
            assert a["why"]["kind"] in ("new", "joined") and a["why"]["explanation"]
            for c in a["copies"]:
                listed.append(c["id"])
                assert c["why"]["kind"] == "copy"
    assert sorted(listed) == sorted(r[0] for r in rows)
    assert sum(p["articles"] for p in story["timeline"]) == sum(1 for r in rows if r[4] is not None)
    assert story["entities"] and all(e["url"].startswith("/api/entities/") for e in story["entities"])
    for rel in story["related"]:
        assert rel["id"] != story_id and rel["id"] in live_stories(server.db)


def test_merged_and_missing_stories(server):
    merged = query(server.db, "SELECT id, merged_into FROM stories WHERE merged_into IS NOT NULL LIMIT 1")
    if merged:
        gone, _ = merged[0]
        body = server.get(f"/api/stories/{gone}").json()
        assert body["requested"] == gone and body["id"] in live_stories(server.db)
        page = server.get(f"/story/{gone}")
        assert page.status_code == 301 and page.headers["location"] == f"/story/{body['id']}"
    missing = server.get("/api/stories/999999")
    assert missing.status_code == 404 and missing.json() == {"error": "no story 999999"}
    page = server.get("/story/999999")
    assert page.status_code == 404 and "No such story" in page.text and "Traceback" not in page.text


def test_article_with_why(server):
    aid, title, story, kind, why = query(server.db, "SELECT id, title, story, kind, why FROM articles "
                                                    "WHERE kind = 'joined' LIMIT 1")[0]
    body = server.get(f"/api/articles/{quote(aid)}").json()
    assert (body["id"], body["title"], body["story"], body["why"]["kind"]) == (aid, title, story, kind)
    assert body["why"]["score"] == json.loads(why)["score"]
    assert set(body["why"]["features"]) <= {"title", "body", "names", "meaning"}
    assert server.get("/api/articles/no-such-article").status_code == 404
    page = server.get(f"/article/{quote(aid)}")
    assert page.status_code == 303 and page.headers["location"] == f"/story/{story}#a-{quote(aid)}"


def test_search_answers_with_stories_holding_the_word(server):
    body = server.get("/api/search", params={"q": "ceasefire"}).json()
    assert body["stories"] and body["articles_matched"] >= len(body["stories"])
    for s in body["stories"]:
        assert s["hits"]
        for h in s["hits"]:
            (story, title, text), = query(server.db, "SELECT story, title, text FROM articles WHERE id = ?", (h["id"],))
            assert story == s["id"] and "ceasefire" in (title + " " + text).lower()
            assert "<mark>" in h["title_html"] + h["snippet_html"]
    # FTS syntax errors fall back to plain words; an empty query is a 422
    assert server.get("/api/search", params={"q": 'ceasefire "unbalanced'}).status_code == 200
    assert server.get("/api/search", params={"q": ""}).status_code == 422


def test_api_search_pages_through_every_matching_story(server):
    """page and limit were ignored: page 2 answered page 1, and stories past the 20th were out of reach."""
    first = server.get("/api/search", params={"q": "ceasefire", "limit": 2}).json()
    assert len(first["stories"]) == 2 and first["page"] == 1 and first["stories_matched"] > 2
    seen, body = [], first
    while True:
        seen += [s["id"] for s in body["stories"]]
        if body["next"] is None:
            break
        body = server.get(body["next"]).json()
    assert len(seen) == len(set(seen)) == first["stories_matched"]
    assert seen[:20] == [s["id"] for s in server.get("/api/search", params={"q": "ceasefire"}).json()["stories"]]
    assert server.get("/api/search", params={"q": "ceasefire", "limit": 101}).status_code == 422


def test_search_leaves_out_minus_words_and_pages_on(server):
    """The page promised NOT, yet "ceasefire -kaldoria" ignored the minus; and it showed 20 stories
    of 41 with no way to the rest (page=2 gave the same 20)."""
    import re

    def ids(q: str) -> set[int]:
        return {s["id"] for s in server.get("/api/search", params={"q": q}).json()["stories"]}

    every, without = ids("ceasefire"), ids("ceasefire -kaldoria")
    assert without and without < every
    for story in without:
        (n,), = query(server.db, "SELECT count(*) FROM articles WHERE story = ? AND lower(title || ' ' || text) "
                                 "LIKE '%ceasefire%' AND lower(title || ' ' || text) NOT LIKE '%kaldoria%'", (story,))
        assert n >= 1
    first, second = server.get("/search", params={"q": "a"}).text, server.get("/search", params={"q": "a", "page": 2}).text

    def headlines(html: str) -> list[str]:
        return re.findall(r'<h2 class="headline"[^>]*><a href="(/story/\d+)"', html)

    assert len(headlines(first)) == 20 and headlines(second)
    assert not set(headlines(first)) & set(headlines(second))
    assert 'rel="next" href="/search?q=a&amp;page=2"' in first and 'rel="prev" href="/search?q=a"' in second
    assert server.get("/search", params={"q": "a", "page": 0}).status_code in (400, 422)


def test_the_api_docs_read_as_written_for_clients(server):
    """Defaults showed as Python's False; descriptions showed Markdown's backticks; /favicon.ico, which
    browsers ask for on any page (the JSON ones too), was a 404."""
    import re

    html = server.get("/api/docs").text
    text = re.sub(r"<[^>]+>", " ", html)
    assert "`" not in text
    defaults = re.findall(r"<td><code>([^<]*)</code></td><td>", html)
    assert "false" in defaults and "False" not in defaults and "True" not in defaults
    icon = server.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")


def test_a_story_page_lists_a_related_story_once(server):
    """"Related stories" repeated the storyline's stories just above it, and the storyline's own entry
    for this story looked like its links."""
    import re

    seen_storyline = 0
    for story in server.get("/api/stories?limit=50").json()["stories"]:
        html = server.get(f"/story/{story['id']}").text
        if 'class="panel storyline"' not in html:
            continue
        seen_storyline += 1
        line = html.split('class="panel storyline"', 1)[1].split("</section>", 1)[0]
        assert '<span class="tag">this story</span>' in line
        in_line = set(re.findall(r'href="/story/(\d+)"', line))
        if 'class="panel related"' in html:
            related = html.split('class="panel related"', 1)[1].split("</section>", 1)[0]
            assert not in_line & set(re.findall(r'href="/story/(\d+)"', related))
    assert seen_storyline >= 2


@pytest.mark.parametrize("window", ["6h", "24h"])
def test_the_names_beside_a_windowed_front_page_each_lead_to_stories(server, window):
    """The names came from all time while their links kept the window: "No stories mention Lumora in
    the last 6h"."""
    from html import unescape

    html = server.get(f"/?window={window}").text
    side = html.split('aria-label="Names in the news"', 1)[1].split("</aside>", 1)[0]
    links = [unescape(h) for h in re.findall(r'class="chip [a-z]+" href="([^"]+)"', side)]
    assert links and all(f"window={window}" in h for h in links)
    for href in links:
        page = server.get(href).text
        assert "No stories mention" not in page, href
        assert 'class="card"' in page, href


def test_a_search_page_past_the_end_leads_back_and_a_cut_query_says_so(server):
    """Page 9 said "No more of the 3 stories" and then "No story matches", with no way back; a query
    over 500 characters was cut mid-word without a word on the page."""
    past = server.get("/search", params={"q": "Kessling", "page": 9}).text
    assert "No story matches" not in past and "past the last one" in past
    assert 'href="/search?q=Kessling"' in past
    long = server.get("/search", params={"q": "Kessling " * 100}).text
    assert "Only the first 500 characters of the search were used" in long
    assert 'class="card"' in long  # a word's end, not "… Ke": it still finds the stories
    assert "Only the first" not in server.get("/search", params={"q": "Kessling"}).text


def test_related_stories_share_a_name_or_two_key_words_not_one_common_word(server):
    """A bridge's reopening listed a storm, two quakes and a chess final as related: without a shared
    name, any article using any one of its key words ("old", "month") counted."""
    stories = {s["headline"]: s["id"] for s in server.get("/api/stories?limit=50").json()["stories"]}
    bridge = next(i for h, i in stories.items() if "Old Quay Bridge" in h)
    related = [r["headline"] for r in server.get(f"/api/stories/{bridge}").json()["related"]]
    assert not [h for h in related if re.search(r"Storm|quake|chess|ceasefire", h)], related
    quake = next(i for h, i in stories.items() if "Atacama" in h)  # names still tie the Chilean quakes
    assert any("earthquake" in r["headline"] for r in server.get(f"/api/stories/{quake}").json()["related"])


def test_control_characters_and_cursors_beyond_sqlite_integers_are_no_500s(server):
    # A NUL ends SQLite's reading of a query's text: it is a space now, on every path that searches.
    plain = server.get("/api/search", params={"q": "ceasefire"}).json()
    nul = server.get("/api/search", params={"q": "ceasefire\x00"})
    assert nul.status_code == 200 and nul.json()["stories"] == plain["stories"]
    for path, params in [("/api/search", {"q": "\x00"}), ("/search", {"q": "\x00abc"}),
                         ("/feeds/search.atom", {"q": "\x00"}), ("/api/search", {"q": '"a\x00'}),
                         ("/api/brief", {"topic": "\x00"}), ("/brief", {"topic": "\x00"})]:
        r = server.get(path, params=params)
        assert r.status_code in (200, 422), (path, params, r.status_code)
    # A cursor naming an id beyond SQLite's integers is a malformed cursor: refused, naming it.
    for cursor in ("1_" + "9" * 20, "-_9223372036854775808"):
        r = server.get("/api/stories", params={"sort": "latest", "cursor": cursor})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", "cursor"]
        assert server.get("/", params={"sort": "latest", "cursor": cursor}).status_code == 400


def test_malformed_parameters_are_refused_alike_by_the_api_and_the_pages(server):
    """A cursor, window, order or page that does not exist is a 422 naming it (API) or a 400 page saying
    which (HTML), never page 1 or an empty page passed off as the answer."""
    name = server.get("/api/entities?limit=1").json()["entities"][0]["name"]
    for path in ("/api/stories?sort=latest", "/api/entities/" + quote(name, safe=""), "/api/watchlists/nope"):
        for cursor in ("bogus", "1795160520.0", "_17", "1795160520.0_17_3"):
            r = server.get(path, params={"cursor": cursor})
            assert r.status_code == 422, (path, cursor, r.status_code)
            assert [d["loc"] for d in r.json()["detail"]] == [["query", "cursor"]], r.text
    for path, params, named in [("/", {"cursor": "bogus", "sort": "latest"}, "cursor"),
                                ("/entity/" + quote(name, safe=""), {"cursor": "bogus"}, "cursor"),
                                ("/", {"page": "99999999999999999999"}, "page"), ("/", {"page": "0"}, "page"),
                                ("/", {"page": "501"}, "page"), ("/", {"window": "bogus"}, "window"),
                                ("/", {"sort": "bogus"}, "sort"), ("/", {"window": "1y"}, "window")]:
        r = server.get(path, params=params)
        assert r.status_code == 400 and "text/html" in r.headers["content-type"], (path, params, r.status_code)
        assert "Bad request" in r.text and f"{named}:" in r.text, (path, params)
        if path == "/":  # its JSON twin refuses the same
            assert server.get("/api/stories", params=params).status_code == 422, params
    # A message the API shares keeps its `next` as code on the page, not as raw backticks.
    latest = server.get("/", params={"sort": "latest", "page": 2})
    assert latest.status_code == 400 and "<code>next</code>" in latest.text and "`" not in latest.text
    # Every cursor the API writes is taken back, to the last page (also undated and pre-1970 stories).
    assert len(all_pages(server, "/api/stories?sort=latest&limit=3")) == len(live_stories(server.db))
    # A page in range but past the end of the list says so and links the first page.
    beyond = server.get("/", params={"page": 500, "window": "24h"})
    assert beyond.status_code == 200 and "No stories on page 500" in beyond.text
    assert 'href="/?window=24h">Back to the first page' in beyond.text


def test_a_wrong_method_is_a_405_with_allow(server):
    cases = [("POST", "/", "GET, HEAD"), ("PUT", "/add", "GET, HEAD, POST"), ("DELETE", "/add", "GET, HEAD, POST"),
             ("GET", "/api/articles", "POST"), ("DELETE", "/feeds/stories.atom", "GET, HEAD"),
             ("POST", "/api/stories/1", "GET, HEAD"), ("PATCH", "/watchlists/x", "GET, HEAD"),
             ("POST", "/static/style.css", "GET, HEAD")]
    for method, path, allow in cases:
        r = server.client.request(method, path)
        assert r.status_code == 405 and r.headers.get("allow") == allow, (method, path, r.headers.get("allow"))
        if path.startswith(("/api/", "/feeds/")):  # answered in JSON, as their other errors
            assert r.json()["error"] == f"This address answers {allow}, not {method}."
        else:
            assert "Method not allowed" in r.text and "text/html" in r.headers["content-type"]


def test_entities_and_entity_pages(server):
    names = server.get("/api/entities?limit=5").json()["entities"]
    assert names and names == sorted(names, key=lambda e: (-e["stories"], e["name"]))
    name = names[0]["name"]
    page = server.get(names[0]["url"]).json()
    expected = {s for (s,) in query(server.db, "SELECT e.story FROM story_entities e JOIN stories s ON s.id = e.story "
                                               "WHERE e.name = ? AND s.merged_into IS NULL", (name,))}
    assert {s["id"] for s in page["stories"]} == expected and page["complete"] is True
    for s in page["stories"]:
        story = server.get(s["url"]).json()
        assert name in {e["name"] for e in story["entities"]}
    assert server.get("/api/entities/" + quote("Nobody At All")).status_code == 404
    html = server.get("/entity/" + quote(name, safe=""))
    assert html.status_code == 200 and f"<h1>{name}</h1>" in html.text


def test_stats_match_the_store(server):
    stats = server.get("/api/stats").json()
    (articles,), = query(server.db, "SELECT count(*) FROM articles")
    assert stats["articles"] == articles and stats["stories"] == len(live_stories(server.db))
    assert stats["described"] >= stats["stories"] and stats["background"]["errors"] == 0


def test_openapi_and_docs(server):
    spec = server.get("/api/openapi.json").json()
    for path in ("/api/stories", "/api/stories/{story_id}", "/api/articles/{article_id}", "/api/search",
                 "/api/entities", "/api/entities/{name}", "/api/stats"):
        assert path in spec["paths"], path
    assert "post" in spec["paths"]["/api/articles"]
    assert "ArticleIn" in spec["components"]["schemas"]
    docs = server.get("/api/docs")
    assert docs.status_code == 200 and "/api/openapi.json" in docs.text and "POST" in docs.text


def test_pages_render_the_api_data_quickly(server):
    first = server.get("/api/stories?limit=20").json()["stories"]
    story_id = first[0]["id"]
    pages = ["/", "/?sort=latest", "/?window=24h", f"/story/{story_id}", "/search?q=port", "/entities",
             "/api/stories", f"/api/stories/{story_id}", "/add", "/api/docs"]
    for path in pages:
        started = time.perf_counter()
        r = server.get(path)
        elapsed = time.perf_counter() - started
        assert r.status_code == 200, path
        assert elapsed < 0.3, f"{path} took {elapsed * 1000:.0f} ms"
        assert "content-security-policy" in r.headers and r.headers["x-content-type-options"] == "nosniff"
    front = server.get("/").text
    for s in first:
        assert str(escape(s["headline"])) in front
    story_page = server.get(f"/story/{story_id}").text
    assert 'class="timeline"' in story_page and "Full coverage" in story_page and "Why here" in story_page


def test_unknown_pages_are_clean_errors(server):
    r = server.get("/no/such/page")
    assert r.status_code == 404 and "text/html" in r.headers["content-type"] and "Traceback" not in r.text
    r = server.get("/api/no-such-endpoint")
    assert r.status_code == 404 and r.json()["error"]
    r = server.get("/api/stories/99999999999999999999999")  # too large for SQLite
    assert r.status_code == 422 and r.json()["error"] == "invalid request"
    r = server.get("/story/99999999999999999999999")
    assert r.status_code == 400 and "Bad request" in r.text


def test_other_hosts_are_refused_on_a_loopback_server(server):
    r = server.get("/", headers={"Host": "rebound.example"})
    assert r.status_code == 421
    assert re.search(r"storyline", server.get("/", headers={"Host": "localhost"}).text)


def test_head_is_answered_like_get_without_a_body(server):
    for path in ("/", "/feeds/stories.atom", "/api/stories", "/static/style.css"):
        got = server.get(path)
        head = server.client.head(path)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"" and head.headers["content-type"] == got.headers["content-type"]
        assert head.headers.get("content-security-policy")
    assert server.client.head("/story/999999999").status_code == 404


def test_a_store_that_refuses_writes_is_one_log_line_not_a_traceback(caplog):
    import logging
    import sqlite3

    from storyline.serve.db import log_failure

    log = logging.getLogger("storyline.test")
    with caplog.at_level(logging.ERROR, logger="storyline.test"):
        log_failure(log, "description cache: stopped", sqlite3.OperationalError("attempt to write a readonly database"))
    (record,) = caplog.records
    assert record.exc_info is None  # no traceback for a setting
    assert record.getMessage() == ("description cache: stopped: the store refuses writes from this login "
                                   "(attempt to write a readonly database); pages are still served")


def test_a_page_the_listing_cannot_give_is_refused_not_answered_with_page_one(server):
    latest = server.get("/api/stories", params={"sort": "latest", "page": 2})
    assert latest.status_code == 422 and "cursor" in latest.json()["error"]
    cursor = server.get("/api/stories", params={"sort": "latest", "limit": 1}).json()["next"]
    top = server.get(cursor.replace("sort=latest", "sort=top"))
    assert top.status_code == 422 and "by number" in top.json()["error"]
    assert server.get("/api/stories", params={"sort": "top", "page": 2}).json()["page"] == 2


def test_a_store_without_dates_shows_its_stories_under_any_window(tmp_path, run_cli):
    """`stories --since 6h` listed every story of a store whose articles have no dates, while the web
    and the API listed none for ?window=6h: an empty page read as "nothing happened"."""
    src = tmp_path / "undated.jsonl"
    src.write_text("".join(json.dumps({"id": f"u{i}", "title": t, "source": f"Outlet {i}"}) + "\n" for i, t in
                           enumerate(["Velden harbour floods after storm", "Storm floods Velden harbour",
                                      "Olsk mill reopens after fire"])))
    db = tmp_path / "undated.db"
    assert run_cli("ingest", src, "--db", db, "--no-embeddings").returncode == 0
    cli = json.loads(run_cli("stories", "--since", "6h", "--json", "--db", db).stdout)
    srv = Server(db)
    try:
        api = srv.get("/api/stories", params={"window": "6h"}).json()["stories"]
        assert sorted(s["id"] for s in api) == sorted(s["id"] for s in cli) and len(api) == 2
        page = srv.get("/", params={"window": "6h"}).text
        assert page.count('class="card"') == 2 and "No article in this store has a date" in page
        assert "No article in this store has a date" not in srv.get("/").text
    finally:
        srv.stop()


def test_port_0_serves_on_a_free_port_and_says_which(server):
    """It said "serving ... at http://127.0.0.1:0/" while it listened on another port."""
    import subprocess
    import sys

    import httpx

    from conftest import clean_env

    proc = subprocess.Popen([sys.executable, "-m", "storyline", "serve", "--db", str(server.db), "--port", "0"],
                            env=clean_env(), stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stderr.readline()
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)/", line).group(1))
        assert port > 0, line
        deadline = time.time() + 20
        while True:
            try:
                assert httpx.get(f"http://127.0.0.1:{port}/api/stats", timeout=5).status_code == 200
                break
            except httpx.TransportError:
                assert time.time() < deadline, line
                time.sleep(0.1)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
