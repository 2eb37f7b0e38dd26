"""Writes through `storyline serve`: POST /api/articles, its token, the CSRF-protected form; and that
whatever an article carries (markup, script links) renders inert."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import feedparser
import httpx
import pytest

from conftest import clean_env, query
from serve_server import Server, copy_store, demo_store, free_port

TOKEN = "test-token-0123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return demo_store(tmp_path_factory.mktemp("serve-write-demo"))


@pytest.fixture
def server(demo, tmp_path):
    srv = Server(copy_store(demo, tmp_path / "store.db"), env={"STORYLINE_TOKEN": TOKEN})
    yield srv
    srv.stop()


def count(db) -> int:
    return query(db, "SELECT count(*) FROM articles")[0][0]


def test_writes_need_the_token(server):
    before = count(server.db)
    item = {"title": "Harbour cranes idle in Kessling as strike goes on", "source": "Test Wire"}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        r = server.post("/api/articles", json=item, headers=headers)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    assert count(server.db) == before
    r = server.post("/api/articles", json=item, headers=AUTH)
    assert r.status_code == 200, r.text
    (accepted,) = r.json()["accepted"]
    assert count(server.db) == before + 1
    (story,), = query(server.db, "SELECT story FROM articles WHERE id = ?", (accepted["id"],))
    assert accepted["story"] == story and accepted["status"] in ("new", "joined")
    again = server.post("/api/articles", json=item, headers=AUTH).json()["accepted"][0]
    assert again["status"] == "duplicate" and count(server.db) == before + 1


def test_a_batch_keeps_good_items_and_names_each_bad_one(server):
    before = count(server.db)
    batch = [
        {"id": "ok-1", "title": "Selva River ceasefire holds for a second night", "published": "2026-11-22T20:00:00Z",
         "source": "Test Wire"},
        {"url": "https://news.example/no-title"},
        {"id": "bad-date", "title": "Something happened", "published": "next Tuesday-ish"},
        "not an object",
        {"id": "bad-type", "title": {"nested": ["x"]}},
        {"id": "ok-2", "headline": "Kessling dockworkers vote on new offer", "body": "The union put the offer "
         "to a vote on Monday.", "link": "https://news.example/kessling-vote", "outlet": "Test Wire"},
    ]
    r = server.post("/api/articles", json=batch, headers=AUTH)
    assert r.status_code == 422
    body = r.json()
    assert [a["id"] for a in body["accepted"]] == ["ok-1", "ok-2"]
    rejected = {x["index"]: x for x in body["rejected"]}
    assert set(rejected) == {1, 2, 3, 4}
    assert rejected[1]["field"] == "title" and "missing" in rejected[1]["reason"]
    assert rejected[2]["field"] == "published" and "not a date" in rejected[2]["reason"]
    assert rejected[3]["field"] is None and "expected an object" in rejected[3]["reason"]
    assert rejected[4]["field"] == "title"
    assert body["detail"][0]["loc"] == ["body", 1, "title"]
    assert count(server.db) == before + 2
    stored = {i for (i,) in query(server.db, "SELECT id FROM articles WHERE id IN ('ok-1', 'ok-2', 'bad-date', 'bad-type')")}
    assert stored == {"ok-1", "ok-2"}
    # the new articles are readable at once, with the CLI's field aliases applied
    art = server.get("/api/articles/ok-2").json()
    assert art["source"] == "Test Wire" and art["url"] == "https://news.example/kessling-vote"


def test_malformed_requests_lose_nothing(server):
    before = count(server.db)
    r = server.post("/api/articles", content=b"{not json", headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 422 and "not valid JSON" in r.json()["rejected"][0]["reason"]
    r = server.post("/api/articles", content=b"[" * 100_000, headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["rejected"][0]["reason"] == "not valid JSON (nested too deeply)"
    # a form post or text/plain (what a cross-site page can send without asking) is refused
    r = server.post("/api/articles", content=b'{"title": "x"}', headers={**AUTH, "Content-Type": "text/plain"})
    assert r.status_code == 415
    r = server.post("/api/articles", json={"title": ""}, headers=AUTH)
    assert r.status_code == 422 and r.json()["rejected"][0]["field"] == "title"
    assert count(server.db) == before


def test_impossible_dates_broken_links_and_surrogates_are_per_item_errors_not_500s(server):
    """What crashed intake or poisoned the store: each bad item is a 422 naming its field; the good
    items of the batch, and every page of the store afterwards, still work."""
    before = count(server.db)
    deep = "[" * 900 + "]" * 900  # within what JSON parsing allows, but no text
    body = ('[{"id": "fine-1", "title": "Selva River ferry resumes", "published": "2026-11-22T20:00:00Z"},'
            ' {"id": "inf", "title": "x", "published": Infinity},'
            ' {"id": "nan", "title": "x", "published": NaN},'
            ' {"id": "year-1", "title": "x", "published": "0001-01-01T00:00:00+05:00"},'
            ' {"id": "year-9999", "title": "x", "published": "9999-12-31T23:59:59-05:00"},'
            ' {"id": "huge", "title": "x", "published": 1e300},'
            ' {"id": "ipv6", "title": "x", "url": "http://[::1"},'
            ' {"id": "port", "title": "x", "url": "http://news.example:99999/a"},'
            ' {"id": "deep", "title": %s},'
            ' {"id": "sur\\ud800", "title": "Selva \\ud800 River bridge reopens", "source": "Wire \\udfff"}]' % deep)
    r = server.post("/api/articles", content=body.encode(), headers={**AUTH, "Content-Type": "application/json"})
    assert r.status_code == 422, r.text
    result = r.json()
    assert [a["index"] for a in result["accepted"]] == [0, 9]
    rejected = {x["index"]: (x["field"], x["reason"]) for x in result["rejected"]}
    assert {i: f for i, (f, _) in rejected.items()} == {1: "published", 2: "published", 3: "published",
                                                       4: "published", 5: "published", 6: "url", 7: "url",
                                                       8: "title"}
    assert all(reason.startswith("out of range") for i, (_, reason) in rejected.items() if i <= 5)
    assert rejected[6][1] == "not a valid URL: 'http://[::1'"
    assert count(server.db) == before + 2
    kept = result["accepted"][1]["id"]
    assert kept == "sur\ufffd"
    art = server.get(f"/api/articles/{kept}")
    assert art.status_code == 200 and art.json()["title"] == "Selva \ufffd River bridge reopens"
    assert art.json()["source"] == "Wire \ufffd"
    for path in ("/api/stories", "/api/stories?sort=latest", f"/api/stories/{result['accepted'][0]['story']}",
                 "/", "/?sort=latest"):
        assert server.get(path).status_code == 200, path


def csrf_form(server) -> tuple[str, str]:
    page = server.get("/add")
    assert page.status_code == 200
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
    return page.cookies["storyline_csrf"], token


def post_form(server, data: dict, cookies: dict, headers: dict | None = None) -> httpx.Response:
    """POST the add form from a browser holding ``cookies``."""
    with httpx.Client(base_url=server.base, cookies=cookies, timeout=30) as client:
        return client.post("/add", data=data, headers=headers or {})


def test_the_add_form_is_protected_against_csrf(server):
    before = count(server.db)
    cookie, token = csrf_form(server)
    form = {"title": "Bushfire crews hold the line at Yarrowdale", "source": "Form Wire", "token": TOKEN}
    attempts = [
        ({}, {**form}),                                              # no cookie, no CSRF token
        ({"storyline_csrf": cookie}, {**form}),                      # cookie but no token
        ({"storyline_csrf": cookie}, {**form, "csrf_token": "0" * 64}),  # forged token
        ({"storyline_csrf": "another"}, {**form, "csrf_token": token}),  # token of another browser
    ]
    for cookies, data in attempts:
        r = post_form(server, data, cookies)
        assert r.status_code == 403 and "CSRF" in r.text
    r = post_form(server, {**form, "csrf_token": token}, {"storyline_csrf": cookie},
                  {"Origin": "https://evil.example"})
    assert r.status_code == 403
    r = post_form(server, {**form, "csrf_token": token, "token": "wrong"}, {"storyline_csrf": cookie})
    assert r.status_code == 401
    assert count(server.db) == before
    r = post_form(server, {**form, "csrf_token": token}, {"storyline_csrf": cookie}, {"Origin": server.base})
    assert r.status_code == 303 and r.headers["location"].startswith("/story/")
    assert count(server.db) == before + 1
    r = post_form(server, {"title": "", "csrf_token": token}, {"storyline_csrf": cookie})
    assert r.status_code in (401, 422) and count(server.db) == before + 1


def test_sent_news_is_not_dated_ahead_and_a_hand_added_article_is_news_of_now(server):
    """One article dated 2099 topped every page as "just now" and emptied every time window; the add
    form stored an article left undated, and dropped an ftp:// link without a word."""
    import time

    before = count(server.db)
    r = server.post("/api/articles", headers=AUTH, json=[
        {"id": "ahead", "title": "Kessling port plans a 2099 expansion", "published": "2099-01-01T00:00:00Z"},
        {"id": "soon", "title": "Kessling ferry timetable for tonight", "published": time.time() + 3 * 3600},
    ])
    assert r.status_code == 422
    assert [(x["field"], x["reason"].split(":")[0]) for x in r.json()["rejected"]] == [("published", "in the future")]
    assert [a["id"] for a in r.json()["accepted"]] == ["soon"]  # hours ahead: a time zone written wrong
    cookie, token = csrf_form(server)
    sent = time.time()
    r = post_form(server, {"title": "Kessling harbour master retires", "source": "Form Wire", "token": TOKEN,
                           "csrf_token": token}, {"storyline_csrf": cookie})
    assert r.status_code == 303, r.text[-500:]
    article_id = r.headers["location"].split("#a-", 1)[1]
    published = server.get(f"/api/articles/{article_id}").json()["published"]
    from datetime import datetime

    assert abs(datetime.fromisoformat(published.replace("Z", "+00:00")).timestamp() - sent) < 120
    r = post_form(server, {"title": "Kessling harbour timetable", "url": "ftp://files.example/t.pdf",
                           "token": TOKEN, "csrf_token": token}, {"storyline_csrf": cookie})
    assert r.status_code == 422 and "only http:// and https:// links" in r.text
    assert count(server.db) == before + 2


def test_the_api_takes_no_longer_fields_than_the_form(server):
    """A field longer than the add form's maxlength is a 422 naming it, from the API (whatever spelling
    of the field) and from the form alike; the form's limits are the ones the server checks."""
    from storyline.serve.writer import FIELD_LIMITS

    before = count(server.db)
    title = FIELD_LIMITS["title"]
    cookie, token = csrf_form(server)
    form = server.get("/add").text
    assert f'name="title" required maxlength="{title}"' in form
    for field in ("text", "source", "published", "url"):
        assert f'maxlength="{FIELD_LIMITS[field]}"' in re.search(rf'<(?:input|textarea) name="{field}"[^>]*>', form).group(0)
    r = server.post("/api/articles", headers=AUTH, json=[
        {"id": "long-title", "title": "x" * 100_000},
        {"id": "long-headline", "Headline": "y" * (title + 1)},
        {"id": "long-source", "title": "Kessling ferry runs again", "outlet": "z" * (FIELD_LIMITS["source"] + 1)},
        {"id": "long-link", "title": "Kessling ferry timetable", "url": "https://a.example/" + "p" * FIELD_LIMITS["url"]},
        {"id": "at-the-limit", "title": "Kessling ferry back " + "w" * (title - 20)},
    ])
    assert r.status_code == 422
    rejected = {x["index"]: (x["field"], x["reason"]) for x in r.json()["rejected"]}

    def too_long(field: str, length: int) -> tuple[str, str]:
        return field, f"too long: {length:,} characters (at most {FIELD_LIMITS[field]:,})"

    assert rejected == {0: too_long("title", 100_000), 1: too_long("title", title + 1),
                        2: too_long("source", FIELD_LIMITS["source"] + 1),
                        3: too_long("url", len("https://a.example/") + FIELD_LIMITS["url"])}
    assert [a["id"] for a in r.json()["accepted"]] == ["at-the-limit"]
    assert count(server.db) == before + 1
    r = post_form(server, {"title": "t" * (title + 1), "csrf_token": token, "token": TOKEN},
                  {"storyline_csrf": cookie})
    assert r.status_code == 422 and "<strong>Title</strong></a>: too long" in r.text
    # a browser sends a textarea's line breaks as CRLF but counts each as one character
    text = "line\n" * (FIELD_LIMITS["text"] // 5)
    r = post_form(server, {"title": "Kessling ferry: the full timetable", "text": text.replace("\n", "\r\n"),
                           "csrf_token": token, "token": TOKEN}, {"storyline_csrf": cookie})
    assert r.status_code == 303, r.text[-500:]
    assert count(server.db) == before + 2


def test_markup_and_script_links_render_inert(server):
    evil = "&lt;script&gt;alert('xss')&lt;/script&gt; Kessling port &lt;img src=x onerror=alert(2)&gt; reopens"
    r = server.post("/api/articles", headers=AUTH, json=[
        {"id": "xss-1", "title": evil, "text": "Kessling port reopened after the strike ended on Monday.",
         "url": "javascript:alert(1)", "source": "<b>Evil</b> Wire", "published": "2026-11-22T21:00:00Z"},
    ])
    assert r.status_code == 200, r.text
    story = r.json()["accepted"][0]["story"]
    art = server.get("/api/articles/xss-1").json()
    assert art["title"].startswith("<script>alert('xss')</script>")  # stored as text, as given
    assert art["url"] is None                                        # the javascript: link was dropped
    # a store written by other means (an older version, SQL) may still hold a script link: pages never
    # link it (Engine.add refuses any link but http(s) now)
    import sqlite3

    from storyline import Article, Engine

    server.stop()
    with Engine(str(server.db)) as engine:
        engine.add(Article(id="xss-2", title="<script>alert(3)</script> Kessling strike talks resume",
                           text="Talks to end the Kessling port strike resumed.", url="https://other.example/x",
                           source="Other Wire", published=1795384800.0))
    with sqlite3.connect(server.db) as con:
        con.execute("UPDATE articles SET url = 'javascript:alert(4)' WHERE id = 'xss-2'")
    con.close()
    restarted = Server(server.db, env={"STORYLINE_TOKEN": TOKEN})
    try:
        pages = [restarted.get(f"/story/{story}").text, restarted.get("/search?q=Kessling").text,
                 restarted.get("/").text, restarted.get("/?sort=latest").text]
        for html in pages:
            assert "<script>alert" not in html and "<img src=x" not in html
            assert "javascript:" not in html.lower()
            assert not re.search(r"<script(?![^>]*src=\"/static/)", html)
        assert "&lt;script&gt;alert(&#39;xss&#39;)&lt;/script&gt;" in pages[0]
        feed = restarted.get("/feeds/search.atom", params={"q": "Kessling"})
        parsed = feedparser.parse(feed.content)
        assert not parsed.bozo
        assert "<script>" not in feed.text
    finally:
        restarted.stop()


def test_errors_are_logged_not_shown(server):
    story_id = server.get("/api/stories?limit=1").json()["stories"][0]["id"]
    server.wait_described()
    # break the cached description of a story behind the server's back; it keeps its current-version
    # ending, or the server's background pass would rightly describe the story again between requests
    import sqlite3

    con = sqlite3.connect(server.db)
    con.execute("UPDATE story_cache SET description = '{broken,' || description WHERE story = ?", (story_id,))
    con.commit()
    con.close()
    server.stop()
    broken = Server(server.db)
    try:
        api = broken.get(f"/api/stories/{story_id}")
        assert api.status_code == 500 and set(api.json()) == {"error", "reference"}
        page = broken.get(f"/story/{story_id}")
        assert page.status_code == 500 and "Something went wrong" in page.text
        for r in (api, page):
            assert "Traceback" not in r.text and "JSONDecodeError" not in r.text and ".py" not in r.text
        assert broken.get("/api/stats").status_code == 200  # and the server goes on
    finally:
        log = broken.stop()
    assert "Traceback" in log and api.json()["reference"] in log


def test_descriptions_an_older_version_cached_are_made_again(server):
    """A story's cached description was valid while its articles were unchanged, so a store served by
    an older version kept showing that version's keywords (stems such as "evacuat") and summaries."""
    import json
    import sqlite3

    story_id = server.get("/api/stories?limit=1").json()["stories"][0]["id"]
    server.wait_described()
    fresh = server.get(f"/api/stories/{story_id}").json()
    with sqlite3.connect(server.db) as con:
        (text,), = con.execute("SELECT description FROM story_cache WHERE story = ?", (story_id,))
        old = {k: v for k, v in json.loads(text).items() if k != "v"}  # as versions before this one wrote it
        old["keywords"], old["summary"] = ["stale"], "A summary of an older version."
        con.execute("UPDATE story_cache SET description = ? WHERE story = ?", (json.dumps(old), story_id))
    con.close()
    server.stop()
    again = Server(server.db)
    try:
        shown = again.get(f"/api/stories/{story_id}").json()  # the older one may be shown meanwhile
        assert shown["headline"] == fresh["headline"]
        again.wait_described()
        now = again.get(f"/api/stories/{story_id}").json()
        assert now["keywords"] == fresh["keywords"] and now["summary"] == fresh["summary"]
    finally:
        again.stop()
    with sqlite3.connect(server.db) as con:
        (text,), = con.execute("SELECT description FROM story_cache WHERE story = ?", (story_id,))
    con.close()
    assert json.loads(text)["keywords"] == fresh["keywords"]


def test_non_loopback_without_token_warns(demo, tmp_path):
    db = copy_store(demo, tmp_path / "store.db")
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "storyline", "serve", "--db", str(db), "--host", "0.0.0.0",
                             "--port", str(port)], env=clean_env(), stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        deadline = time.time() + 20
        while time.time() < deadline:
            line = proc.stderr.readline()
            lines.append(line)
            if "serving" in line or not line:
                break
        text = "".join(lines)
        assert "warning: serving on 0.0.0.0" in text and "STORYLINE_TOKEN" in text
    finally:
        proc.terminate()
        proc.wait(10)
    from storyline.serve.server import warnings_for
    from storyline.serve.settings import Settings

    assert warnings_for(Settings(str(db), host="0.0.0.0", token="t")) == []


def test_the_api_and_an_ingest_process_write_one_sqlite_store_at_once(server, tmp_path):
    """The server's writer and `storyline ingest` take turns on the file: every article is stored once,
    and an event reported through both is one story."""
    import json

    from test_resume import generate

    records = generate(1_500, seed=9)
    src = tmp_path / "side.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in records[1::2]), encoding="utf-8")
    before = count(server.db)
    proc = subprocess.Popen([sys.executable, "-m", "storyline", "ingest", str(src), "--db", str(server.db),
                             "--no-embeddings"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env=clean_env(), cwd=tmp_path)
    api = records[0::2]
    for start in range(0, len(api), 25):
        r = server.post("/api/articles", json=api[start:start + 25], headers=AUTH)
        assert r.status_code == 200, r.text
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    from test_resume import unique_ids

    stored = {i for (i,) in query(server.db, "SELECT id FROM articles")}
    assert unique_ids(records) <= stored and len(stored) == before + len(unique_ids(records))
    seqs = [s for (s,) in query(server.db, "SELECT seq FROM articles ORDER BY seq")]
    assert seqs == list(range(1, len(seqs) + 1))
    # Events the two writers both reported did not get a story from each (the generator reports each
    # event about eight times in a row, split here between the writers): about as many stories as one
    # engine reading everything makes, where writers blind to each other would make twice as many.
    from storyline import Engine
    from storyline.config import Config
    from storyline.ingest import to_article

    with Engine(config=Config(embeddings="none")) as alone:
        single = len({a.story_id for a in alone.add_many(map(to_article, records))})
    stories = query(server.db, "SELECT count(DISTINCT story) FROM articles WHERE seq > ?", (before,))[0][0]
    assert stories <= single * 1.3, (stories, single)


def test_a_store_that_refuses_writes_answers_403_not_500(demo, tmp_path, monkeypatch):
    import sqlite3

    from fastapi.testclient import TestClient

    from storyline.serve.app import create_app
    from storyline.serve.settings import Settings
    from storyline.serve.writer import Writer

    def refused(self, items):  # what a SELECT-only login or a read-only file answers
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(Writer, "ingest", refused)
    db = copy_store(demo, tmp_path / "refusing.db")
    app = create_app(Settings(db=str(db), token="t0ken", warm=False))
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        reply = client.post("/api/articles", json={"title": "Olsk ferry back"},
                            headers={"Authorization": "Bearer t0ken"})
    assert reply.status_code == 403, reply.text
    assert "may read its store but not write to it" in reply.text


def test_a_body_over_the_limit_is_refused_before_it_is_read(server):
    """A 300 MB body was read into memory whole before the 413."""
    import socket

    before = count(server.db)
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        # Headers only: an answer that waited for the body would never come.
        sock.sendall(b"POST /api/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     + f"Authorization: Bearer {TOKEN}\r\nContent-Length: 300000000\r\n\r\n".encode())
        answer = sock.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]

    def chunks():  # no Content-Length: read until the limit is passed, then refused
        for _ in range(30):
            yield b" " * (1024 * 1024)

    streamed = server.post("/api/articles", content=chunks(), headers={**AUTH, "Content-Type": "application/json"})
    assert streamed.status_code == 413 and "at most 20 MB" in streamed.json()["error"]
    form = server.post("/add", content=b"title=" + b"x" * 1_100_000,
                       headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status_code == 413
    assert count(server.db) == before


def test_a_live_stores_story_list_answers_304_to_a_client_polling_it(server):
    """Its body named the clock to the second, so its ETag changed every second."""
    r = server.post("/api/articles", json={"title": "Velden harbour reopens after storm repairs",
                                           "published": time.time()}, headers=AUTH)
    assert r.status_code == 200, r.text
    for _ in range(3):  # a minute's turn between the two requests changes the answer: try again then
        first = server.get("/api/stories")
        time.sleep(1.2)
        again = server.get("/api/stories", headers={"If-None-Match": first.headers["etag"]})
        if again.status_code == 304:
            break
        assert again.json()["clock"] != first.json()["clock"]
    else:
        raise AssertionError("no 304 in three tries")
    assert first.json()["clock"].endswith(":00Z")


def test_a_form_error_names_the_field_as_labelled_and_marks_it(server):
    """The error said '**published**: not a date', and no field said it was the one at fault."""
    cookie, token = csrf_form(server)
    r = post_form(server, {"title": "Bushfire crews hold the line at Yarrowdale", "published": "yesterday-ish",
                           "csrf_token": token, "token": TOKEN}, {"storyline_csrf": cookie}, {"Origin": server.base})
    assert r.status_code == 422, r.text
    assert '<a href="#f-published"><strong>Published</strong></a>' in r.text
    assert re.search(r'name="published"[^>]*id="f-published" aria-invalid="true" aria-describedby="e-published"',
                     r.text)
    assert 'id="e-published"' in r.text and 'id="problems" tabindex="-1" autofocus' in r.text
    assert 'id="f-title"' in r.text and not re.search(r'id="f-title"[^>]*aria-invalid', r.text)
