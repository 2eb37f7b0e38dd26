"""`/brief` and `/api/brief` in the real server: the same brief as `storyline brief`, read-only."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from brief_fixtures import LATER, STREAM, write
from conftest import query
from serve_server import Server


def _cli_json(run_cli, db, *args: str) -> dict:
    proc = run_cli("brief", "--db", db, "--format", "json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _mark(db) -> list[tuple]:
    return query(db, "SELECT value FROM meta WHERE key = 'brief_mark'")


@pytest.fixture
def served(run_cli, tmp_path):
    db = tmp_path / "brief.db"
    proc = run_cli("ingest", write(tmp_path / "stream.jsonl", STREAM), "--db", db)
    assert proc.returncode == 0, proc.stderr
    server = Server(db)
    yield db, server
    server.stop()


def test_api_brief_is_the_cli_brief(run_cli, served):
    db, server = served
    for args, params in ((("--since", "48h"), {"since": "48h"}),
                         (("--since", "3h"), {"since": "3h"}),
                         (("--since", "48h", "--topic", "lanterns"), {"since": "48h", "topic": "lanterns"}),
                         (("--since", "2d", "--limit", "2"), {"since": "2d", "limit": 2})):
        cli = _cli_json(run_cli, db, *args)
        web = server.get("/api/brief", params=params)
        assert web.status_code == 200, web.text
        assert web.json() == cli, args
    # the schema says so (it declared nothing: client generators read the brief as "any")
    spec = server.get("/api/openapi.json").json()
    ok = spec["paths"]["/api/brief"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/BriefOut"}
    assert "burst" in spec["components"]["schemas"]["ImportanceOut"]["properties"]
    assert [s["status"] for s in server.get("/api/brief", params={"since": "48h"}).json()["stories"]] == \
        ["developing", "new", "developing"]  # bridge (burst), festival, vote: as tests/test_brief.py ranks them
    # mistakes are clean 422s naming the parameter (as the API docs say), never a traceback
    bad = server.get("/api/brief", params={"since": "soon"})
    assert bad.status_code == 422 and "since" in bad.json()["error"]
    assert bad.json()["detail"][0]["loc"] == ["query", "since"]
    assert server.get("/api/brief", params={"limit": 0}).status_code == 422


def test_brief_page_shows_the_cli_brief_in_the_site(run_cli, served):
    db, server = served
    cli = _cli_json(run_cli, db, "--since", "48h")
    page = server.get("/brief", params={"since": "48h"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert '<a href="/brief" aria-current="page">Brief</a>' in html  # in the site's nav
    heads = [unescape(h) for h in re.findall(r'<span class="headline"><a href="/story/\d+">(.*?)</a></span>', html)]
    by_section = [s["headline"] for s in cli["stories"] if s["status"] == "new"] + \
                 [s["headline"] for s in cli["stories"] if s["status"] == "developing"]
    assert heads == by_section  # new stories, then developing, each in the CLI's order
    executive = [unescape(x) for x in re.findall(r"<li>(.*?)</li>", html.split('id="executive"')[1].split("</ol>")[0])]
    assert executive == cli["executive"]
    for s in cli["stories"]:
        assert f'<a href="/story/{s["id"]}">' in html
    assert 'href="/api/brief?since=48h"' in html  # the JSON twin
    # what a reader types is escaped
    evil = server.get("/brief", params={"topic": '<script>alert(1)</script>"'})
    assert evil.status_code == 200 and "<script>alert(1)" not in evil.text and "&lt;script&gt;" in evil.text
    assert server.get("/brief", params={"since": "soon"}).status_code == 400


def test_web_brief_since_last_never_moves_the_cli_mark(run_cli, served):
    db, server = served
    first = server.get("/api/brief", params={"since": "last"}).json()
    assert first["note"] == "no earlier brief: showing the last 24 h" and first["previous"] is None
    assert _mark(db) == []  # reading a brief in the web leaves no mark
    _cli_json(run_cli, db, "--since-last")  # the CLI's --since-last brief marks the store
    mark = _mark(db)
    assert len(mark) == 1
    reply = server.post("/api/articles", json=LATER)
    assert reply.status_code == 200, reply.text
    web = server.get("/api/brief", params={"since": "last"}).json()
    page = server.get("/brief", params={"since": "last"})
    assert page.status_code == 200 and "since the last brief" in page.text
    assert _mark(db) == mark  # still where the CLI left it
    assert [s["headline"] for s in web["stories"]] and all("Tarvik" in s["headline"] or "Lindqvist" in s["headline"]
                                                          for s in web["stories"])
    assert web == _cli_json(run_cli, db, "--since-last")  # the CLI sees exactly what the web showed
    assert _mark(db) != mark  # and the CLI moved it
