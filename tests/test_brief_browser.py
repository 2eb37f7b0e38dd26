"""The HTML brief of the demo news in headless Chromium: it renders, reads in order, and prints."""

from __future__ import annotations

import os
from pathlib import Path

from serve_server import demo_store
from test_browser import ARGS, ensure_chromium

#: Where the screenshots go: the test's own folder, unless $STORYLINE_SCREENSHOTS names one (as
#: docs/screenshots when the README's pictures are retaken): a test run never changes tracked files.
SHOTS = Path(os.environ["STORYLINE_SCREENSHOTS"]) if os.environ.get("STORYLINE_SCREENSHOTS") else None


def test_html_brief_in_chromium(run_cli, tmp_path):
    from playwright.sync_api import sync_playwright

    db = demo_store(tmp_path)
    out = tmp_path / "brief.html"
    proc = run_cli("brief", "--since", "72h", "--format", "html", "--out", out, "--db", db)
    assert proc.returncode == 0, proc.stderr
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=ensure_chromium(), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.goto(out.as_uri())
            assert page.title().startswith("Brief: ")
            executive = page.locator("#executive li")
            assert 3 <= executive.count() <= 5
            stories = page.locator("article.story")
            assert stories.count() == 10
            headlines = page.locator("article.story .headline").all_inner_texts()
            top = executive.first.inner_text().split(" — ")[0]
            assert top in headlines  # the executive summary leads with a story told below
            assert page.locator("#new h2").inner_text() == "New stories"
            assert page.locator("#developing h2").inner_text() == "Developing stories"
            assert page.locator(".burst").count() >= 1
            box = stories.first.bounding_box()
            assert box is not None and box["width"] <= 800  # a readable column
            shots = SHOTS or tmp_path
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "brief.png"), clip={"x": 0, "y": 0, "width": 1000, "height": 1400})
            pdf = page.pdf(format="A4")  # prints: a real PDF with more than one page of news
            assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 2
        finally:
            browser.close()


def test_web_brief_in_chromium(tmp_path):
    """`/brief` in the site: the CLI's brief with the site's nav, linked stories, and a print view without
    the site around it."""
    from playwright.sync_api import sync_playwright

    from serve_server import Server

    server = Server(demo_store(tmp_path))
    try:
        expected = server.get("/api/brief", params={"since": "72h"}).json()
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=ensure_chromium(), args=ARGS)
            try:
                page = browser.new_page(viewport={"width": 1100, "height": 1400}, color_scheme="light")
                page.set_default_timeout(15000)
                page.goto(server.base + "/")
                page.locator("nav.nav a", has_text="Brief").click()
                page.wait_for_url("**/brief")
                page.locator(".brief-filters a", has_text="3d").click()
                page.wait_for_url("**/brief?since=3d")
                assert page.locator("#executive li").all_inner_texts() == expected["executive"]
                headlines = page.locator("article.story .headline").all_inner_texts()
                assert sorted(headlines) == sorted(s["headline"] for s in expected["stories"])
                assert page.locator("header.site").is_visible()
                shots = SHOTS or tmp_path
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shots / "brief-web.png"), clip={"x": 0, "y": 0, "width": 1100, "height": 1400})
                page.emulate_media(media="print")
                assert not page.locator("header.site").is_visible() and not page.locator(".brief-filters").is_visible()
                assert page.locator("article.story").first.is_visible()
                pdf = page.pdf(format="A4")
                assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") >= 2
                page.emulate_media(media="screen")
                first = page.locator("article.story .headline a").first
                title = first.inner_text()
                first.click()
                page.wait_for_url("**/story/*")
                assert page.locator("h1").inner_text() == title
            finally:
                browser.close()
    finally:
        server.stop()
