"""The web page in a real browser: headless Chromium (Debian's package) driven by Playwright.

Chromium comes from Debian, never from `playwright install`: if /usr/bin/chromium is missing and we are
root with apt-get (as on CI), it is installed once; otherwise the tests fail saying how to install it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from serve_server import Server, copy_store, demo_store

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def ensure_chromium() -> str:
    """The path of Debian's chromium, installing it with apt-get when we can."""
    if os.path.exists(CHROMIUM):
        return CHROMIUM
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("\nnotice: /usr/bin/chromium is missing; installing Debian's chromium for the browser tests "
              "(apt-get update && apt-get install -y chromium, once, ~1 minute)...", file=sys.__stderr__, flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "--no-install-recommends", "chromium"]):
            done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if done.returncode != 0:
                pytest.fail(f"`{' '.join(cmd)}` failed: {done.stderr.strip()[-500:]}", pytrace=False)
        if os.path.exists(CHROMIUM):
            return CHROMIUM
    pytest.fail("the browser tests need Debian's chromium at /usr/bin/chromium: install it with "
                "`sudo apt-get install chromium` (never `playwright install`)", pytrace=False)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    srv = Server(demo_store(tmp_path_factory.mktemp("browser")))
    srv.wait_described()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    path = ensure_chromium()
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    p = browser.new_page(viewport={"width": 1280, "height": 900})
    p.set_default_timeout(15000)
    yield p
    p.close()


def test_front_page_lists_the_demo_stories(server, page):
    page.goto(server.base + "/")
    expected = [s["headline"] for s in server.get("/api/stories?limit=20").json()["stories"]]
    headlines = page.locator("article.card h2 a").all_inner_texts()
    assert headlines == expected
    assert page.locator("article.card svg.spark").count() == len(expected)
    assert page.locator("a[rel=next]").count() == 1  # more than one page of demo stories


def test_clicking_a_story_opens_its_timeline_and_coverage(server, page):
    page.goto(server.base + "/")
    first = page.locator("article.card h2 a").first
    headline = first.inner_text()
    first.click()
    page.wait_for_url("**/story/*")
    assert page.locator("h1").inner_text() == headline
    assert page.locator("svg.timeline rect.bar").count() >= 1
    story_id = int(page.url.rsplit("/", 1)[1])
    story = server.get(f"/api/stories/{story_id}").json()
    originals = sum(len(g["articles"]) for g in story["coverage"])
    assert page.locator(".coverage ol.articles > li").count() == originals
    assert page.locator(".coverage .outlet h3").count() == len(story["coverage"])
    why = page.locator("details.why").first
    why.locator("summary").click()
    assert why.locator(".why-body p").first.is_visible()
    assert "story" in why.locator(".why-body p").first.inner_text()


def test_search_finds_a_story(server, page):
    page.goto(server.base + "/")
    page.fill("#q", "ceasefire")
    page.press("#q", "Enter")
    page.wait_for_url("**/search?q=ceasefire")
    expected = server.get("/api/search", params={"q": "ceasefire"}).json()["stories"]
    assert page.locator("article.card h2 a").all_inner_texts() == [s["headline"] for s in expected]
    assert page.locator("article.card mark").count() >= 1


def test_an_entity_link_lists_its_stories(server, page):
    page.goto(server.base + "/")
    page.locator("article.card h2 a").first.click()
    page.wait_for_url("**/story/*")
    story_headline = page.locator("h1").inner_text()
    chip = page.locator(".story-side a.chip").first
    name = chip.inner_text()
    chip.click()
    page.wait_for_url("**/entity/*")
    assert page.locator("h1").inner_text() == name
    assert story_headline in page.locator("article.card h2 a").all_inner_texts()


def test_theme_toggle_and_phone_layout(server, browser):
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, color_scheme="light")
    try:
        phone.goto(server.base + "/")
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        light = phone.evaluate("getComputedStyle(document.body).backgroundColor")
        phone.click("#theme")  # automatic -> dark: the first click shows a change on a light system
        assert phone.evaluate("document.documentElement.dataset.theme") == "dark"
        assert phone.evaluate("getComputedStyle(document.body).backgroundColor") != light
        phone.reload()
        assert phone.evaluate("document.documentElement.dataset.theme") == "dark"  # remembered
        phone.click("#theme")  # dark -> light, then back to automatic
        assert phone.evaluate("document.documentElement.dataset.theme") == "light"
        phone.click("#theme")
        assert phone.evaluate("document.documentElement.dataset.theme") is None
    finally:
        phone.close()


_CONTRAST = """(pair) => {
    const lum = (css) => { const [r, g, b] = css.match(/[\\d.]+/g).slice(0, 3).map(Number).map(v => v / 255)
        .map(c => c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4));
        return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
    const [a, b] = pair.map(lum);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_tags_and_the_search_field_have_the_contrast_wcag_asks(server, browser, scheme):
    """The "first report" tag was 4.38:1 and the search field's edge 1.47:1 against the page."""
    context = browser.new_context(color_scheme=scheme)
    try:
        p = context.new_page()
        story = server.get("/api/stories?limit=1").json()["stories"][0]
        p.goto(server.base + f"/story/{story['id']}")
        tag = p.locator(".tag").first
        colours = tag.evaluate("t => [getComputedStyle(t).color, getComputedStyle(t).backgroundColor]")
        assert p.evaluate(_CONTRAST, colours) >= 4.5, colours
        edge = p.evaluate("[getComputedStyle(document.querySelector('.search input')).borderTopColor,"
                          " getComputedStyle(document.body).backgroundColor]")
        assert p.evaluate(_CONTRAST, edge) >= 3.0, edge
    finally:
        context.close()


def test_a_brief_printed_from_the_dark_theme_prints_dark_on_light(server, browser):
    context = browser.new_context(color_scheme="dark")
    try:
        p = context.new_page()
        p.goto(server.base + "/brief?since=72h")
        p.emulate_media(media="print", color_scheme="dark")
        colours = p.evaluate("[...document.querySelectorAll('.brief .tag, .brief .burst, .brief p')].slice(0, 40)"
                             ".map(e => getComputedStyle(e).color)")
        assert colours and all(p.evaluate(_CONTRAST, [c, "rgb(255, 255, 255)"]) >= 4.5 for c in colours), colours
    finally:
        context.close()


def test_without_scripts_the_theme_button_is_not_shown(server, browser):
    """It showed and did nothing; the page itself reads the same without scripts."""
    context = browser.new_context(java_script_enabled=False)
    try:
        p = context.new_page()
        p.goto(server.base + "/")
        assert not p.locator("#theme").is_visible()
        assert p.locator("article.card").count() >= 5
    finally:
        context.close()
    p = browser.new_page()
    try:
        p.goto(server.base + "/")
        assert p.locator("#theme").is_visible()
    finally:
        p.close()


@pytest.mark.parametrize("width, height", [(1280, 900), (390, 844), (768, 1024), (683, 450)])
def test_a_linked_article_shows_below_the_header_and_is_marked(server, browser, width, height):
    """/article/ID (and a search hit) jumps to the article in its story: it landed under the sticky
    header, which showed the article above it instead; on a tablet (or at 200% zoom) the header took
    two rows, and the article still landed under it."""
    story = server.get("/api/stories?limit=1").json()["stories"][0]
    full = server.get(f"/api/stories/{story['id']}").json()
    target = full["coverage"][-1]["articles"][-1]["id"]  # far down the page, so the jump must scroll
    p = browser.new_page(viewport={"width": width, "height": height})
    try:
        p.goto(server.base + f"/article/{target}")
        p.wait_for_url(f"**/story/{story['id']}#a-*")
        top = p.evaluate(f"document.getElementById({('a-' + target)!r}).getBoundingClientRect().top")
        header = p.evaluate("document.querySelector('header.site').getBoundingClientRect().bottom")
        assert top >= header - 1, (top, header)
        assert p.evaluate("window.scrollY") > 0
        marked = p.evaluate(f"getComputedStyle(document.getElementById({('a-' + target)!r})).backgroundColor")
        assert marked not in ("rgba(0, 0, 0, 0)", "transparent")
    finally:
        p.close()


def test_a_story_page_fits_a_phone(server, browser):
    """The timeline chart scrolls within its frame; the page itself never scrolls sideways."""
    story = server.get("/api/stories?limit=1").json()["stories"][0]
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        phone.goto(server.base + f"/story/{story['id']}")
        assert phone.locator("svg.timeline").count() == 1
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 391, width
        chart = phone.evaluate("(() => { const c = document.querySelector('.chart');"
                               " return [c.scrollWidth, c.clientWidth]; })()")
        assert chart[0] > chart[1]  # the chart keeps its readable width, scrolled within its frame
        # and opens at its newest hours (at its oldest, the story seemed to stop a day early)
        scrolled = phone.evaluate("(() => { const c = document.querySelector('.chart');"
                                  " return c.scrollLeft + c.clientWidth - c.scrollWidth; })()")
        assert abs(scrolled) <= 1, scrolled
        caption = phone.evaluate("(() => { const c = document.querySelector('.chart');"
                                 " const f = c.querySelector('figcaption');"
                                 " return f.getBoundingClientRect().left - c.getBoundingClientRect().left; })()")
        assert caption >= -1, caption  # scrolled to the end, the caption stays in view (it read "…opies included")
    finally:
        phone.close()


def test_long_words_do_not_widen_a_phone_page(server, browser):
    """A 300-letter query or name made the page 2,000-6,000 px wide on a phone."""
    word = "Kessling" * 40
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        for path in (f"/search?q={word}", f"/?entity={word}", f"/entity/{word}", f"/brief?topic={word}"):
            phone.goto(server.base + path)
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 391, (path, width)
    finally:
        phone.close()


def test_a_long_name_filter_keeps_its_label_whole_on_a_phone(server, browser):
    """"Mentioning" broke as "Mentionin / g" beside a name of over 33 characters."""
    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        phone.goto(server.base + "/?entity=Fourteen-year-old%20Maya%20Okonkwo-Bell%20of%20Redport")
        lines = phone.evaluate("""(() => {
            const p = document.querySelector('.active-filter'), r = document.createRange();
            r.selectNodeContents(p.firstChild);  // the text "Mentioning "
            const rows = new Set([...r.getClientRects()].map(x => Math.round(x.top)));
            return [rows.size, document.querySelector('.active-filter .clear').getClientRects().length];
        })()""")
        assert lines == [1, 1], lines
        assert phone.evaluate("document.documentElement.scrollWidth") <= 391
    finally:
        phone.close()


def test_links_to_watchlists_with_odd_old_names_open_their_pages(server, browser, tmp_path):
    """Names an older version stored (`..`, `../x`, `a/b`): each link of /watchlists opens that watchlist."""
    import sqlite3

    names = ["..", ".", "../x", "a/b", "50% off?#top"]
    db = copy_store(server.db, tmp_path / "odd.db")
    con = sqlite3.connect(db)
    with con:
        con.executemany("INSERT INTO watchlists (name, query, created_at) VALUES (?, 'ceasefire', 0)",
                        [(n,) for n in names])
    con.close()
    odd = Server(db)
    page = browser.new_page()
    try:
        for i, name in enumerate(sorted(names)):
            page.goto(odd.base + "/watchlists")
            link = page.locator("article.watchlist h2 a").nth(i)
            assert link.inner_text() == name
            link.click()
            page.wait_for_load_state()
            assert page.locator("h1").inner_text() == name, (name, page.url)
            page.locator("a", has_text="Atom feed").first.click()
            page.wait_for_load_state()
            assert f"storyline: watchlist {name}" in page.content(), (name, page.url)
    finally:
        page.close()
        odd.stop()


def test_right_to_left_headlines_and_summaries_read_right_to_left(browser, tmp_path):
    """An Arabic story's headline and summary were laid out left to right: the full stop on the wrong
    side, numbers out of place."""
    from storyline import Article, Config, Engine

    db = tmp_path / "ar.db"
    text = ("قال البنك المركزي المصري يوم الخميس إنه خفض سعر الفائدة بمقدار 200 نقطة أساس. "
            "وجاء القرار بعد اجتماع في القاهرة.")
    with Engine(db, Config(embeddings="none")) as engine:
        for i, source in enumerate(["Al Nahar", "Cairo Daily"]):
            engine.add(Article(id=f"ar{i}", title="البنك المركزي المصري يخفض سعر الفائدة",
                               text=text, source=source, lang="ar", published=1.8e9 + i * 3600))
        engine.add(Article(id="en1", title="Ferry runs aground off Kessa", text="A ferry ran aground off Kessa.",
                           source="Harbor Gazette", lang="en", published=1.8e9))
    srv = Server(db)
    p = browser.new_page()
    try:
        stories = srv.get("/api/stories").json()["stories"]
        arabic = next(s["id"] for s in stories if s["headline"].startswith("البنك"))
        p.goto(srv.base + f"/story/{arabic}")
        assert p.evaluate("getComputedStyle(document.querySelector('h1')).direction") == "rtl"
        assert p.evaluate("getComputedStyle(document.querySelector('.lead')).direction") == "rtl"
        p.goto(srv.base + "/")
        directions = p.evaluate("[...document.querySelectorAll('.card .headline')]"
                                ".map(h => [h.innerText, getComputedStyle(h).direction])")
        assert {d for t, d in directions if t.startswith("البنك")} == {"rtl"}
        assert {d for t, d in directions if t.startswith("Ferry")} == {"ltr"}
    finally:
        p.close()
        srv.stop()
