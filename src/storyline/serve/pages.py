"""The HTML pages and Atom feeds (each page's JSON twin is in :mod:`.api`)."""

from __future__ import annotations

import hashlib
import time
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from . import docs, feeds, queries, watchlists
from .api import Cursor, Sort, Window, entity_url
from .briefs import BriefError, request as brief_request
from .queries import NotFound
from .security import CSRF_COOKIE, CSRF_FIELD, bounded_body, public_base, same_origin, token_ok
from .state import ServerState
from .views import environment, query
from .writer import FIELD_LIMITS

_FEED_SIZE = 50
_FORM_FIELDS = ("title", "text", "url", "source", "published")


class PageError(Exception):
    """A page that cannot be shown: rendered as the error page with ``status``."""

    def __init__(self, status: int, title: str, message: str) -> None:
        super().__init__(message)
        self.status, self.title, self.message = status, title, message


def router(state: ServerState) -> APIRouter:
    """The page and feed routes over one server state."""
    env = environment()
    pages = APIRouter(include_in_schema=False)

    def render(template: str, status: int = 200, headers: dict[str, str] | None = None, **ctx: Any) -> HTMLResponse:
        ctx.setdefault("version", state.version)
        ctx.setdefault("clock", None)
        return HTMLResponse(env.get_template(template).render(**ctx), status, headers=headers)

    state.render = render  # type: ignore[attr-defined]  # the error handlers render with it too

    # Parameters are checked as the API checks them: a window, order, page or cursor that does not exist
    # is a 400 page saying which, not the first page or an empty one passed off as the answer.
    @pages.get("/", response_class=HTMLResponse)
    def front(window: Window = "all", sort: Sort = "top", entity: str | None = None,
              page: int = Query(1, ge=1, le=queries.MAX_PAGE), cursor: Cursor = None) -> HTMLResponse:
        conn = state.readers.get()
        listing = queries.story_list(conn, state.cache, window, sort, entity or None, page, cursor,
                                     state.settings.page_size)
        common = {"window": window if window != "all" else None, "sort": sort if sort != "top" else None,
                  "entity": entity or None}
        next_url = None
        if listing.next_page:
            next_url = query("/", **common, page=listing.next_page)
        elif listing.next_cursor:
            next_url = query("/", **common, cursor=listing.next_cursor)
        # A ranked list goes back a page; the latest go on by cursor, and go back to their start. Past
        # the end there is no previous page to offer (the empty page links to the first).
        prev_label = "← Previous page"
        if sort != "latest":
            prev_url = query("/", **common, page=page - 1 if page > 2 else None) if page > 1 and listing.cards else None
        else:
            prev_url, prev_label = (query("/", **common), "← Back to the latest") if cursor else (None, prev_label)
        stats = state.stats()
        return render("front.html", listing=listing, clock=listing.clock, stats=stats,
                      trending=queries.trending_entities(conn, 24, since=None if queries.WINDOWS[window] is None
                                                         or listing.clock.latest is None  # as the list above
                                                         else listing.clock.now - queries.WINDOWS[window]),
                      windows=list(queries.WINDOWS),
                      next_url=next_url, prev_url=prev_url, prev_label=prev_label, last_seq=stats.last_seq,
                      nav="latest" if sort == "latest" else "top",
                      api_url=query("/api/stories", window=window, sort=sort, entity=entity or None,
                                    page=page if page > 1 else None, cursor=cursor))

    @pages.get("/story/{story_id}", response_class=HTMLResponse)
    def story(story_id: int = Path(..., ge=0, le=2**63 - 1), all: bool = False) -> Response:
        conn = state.readers.get()
        live = queries.live_story(conn, story_id)
        if live != story_id:
            return RedirectResponse(f"/story/{live}", 301)
        try:
            detail = queries.story_detail(conn, state.cache, live, show_all=all, storylines=state.storylines)
        except NotFound:
            raise PageError(404, "No such story", f"There is no story {story_id} in this store.") from None
        return render("story.html", d=detail, clock=detail.clock)

    @pages.get("/search", response_class=HTMLResponse)
    def search(q: str = "", page: int = Query(1, ge=1, le=queries.MAX_PAGE)) -> HTMLResponse:
        q = q.strip()
        cut = 0
        if len(q) > 500:  # as /api/search's limit; said on the page, at a word's end where there is one
            cut = 500
            q = q[:500].rsplit(" ", 1)[0] if " " in q[:500] else q[:500]
        if q:
            state.writer.sync_search()
        result = queries.search(state.readers.get(), state.cache, q, page=page)
        next_url = query("/search", q=q, page=page + 1) if result.more else None
        prev_url = query("/search", q=q, page=page - 1 if page > 2 else None) if page > 1 and result.cards else None
        return render("search.html", result=result, clock=result.clock, q=q, next_url=next_url, prev_url=prev_url,
                      cut=cut)

    @pages.get("/entities", response_class=HTMLResponse)
    def entities() -> HTMLResponse:
        return render("entities.html", entities=queries.trending_entities(state.readers.get(), 200),
                      basis="500 most recently active stories", nav="entities")

    @pages.get("/entity/{name:path}", response_class=HTMLResponse)
    def entity(name: str, cursor: Cursor = None) -> HTMLResponse:
        try:
            page = queries.entity_page(state.readers.get(), state.cache, name, cursor, state.settings.page_size)
        except NotFound:
            raise PageError(404, "No such name", f"No story mentions “{name}”"
                            + ("" if state.cache.status.swept else " yet (older stories are still being described)")
                            + ".") from None
        next_url = query("/entity/" + quote(name, safe=""), cursor=page.list.next_cursor)
        return render("entity.html", e=page, clock=page.list.clock, complete=state.cache.status.swept,
                      next_url=next_url if page.list.next_cursor else None, api_url=entity_url(name))

    @pages.get("/article/{article_id:path}")
    def article(article_id: str) -> RedirectResponse:
        try:
            view = queries.article(state.readers.get(), state.cache, article_id)
        except NotFound:
            raise PageError(404, "No such article", "There is no article with that id in this store.") from None
        return RedirectResponse(f"/story/{view.story}#a-{quote(view.row.id, safe='')}", 303)

    # -- the brief and watchlists -------------------------------------------------------------------

    @pages.get("/brief", response_class=HTMLResponse)
    def brief(since: str = Query("24h", max_length=20), topic: str | None = Query(None, max_length=500),
              limit: int = Query(10, ge=1, le=50)) -> HTMLResponse:
        from ..stories.render_brief import html_fragment, title

        ask = brief_request(since, topic, limit)
        try:
            made = state.briefs.make(state.readers.get(), ask)
        except BriefError as exc:
            raise PageError(404, "No brief yet", f"No brief: {exc}.") from None
        # The fragment escapes every text itself (it is the CLI's HTML brief, without its page).
        body = Markup(html_fragment(made, story_href=lambda story_id: f"/story/{story_id}"))
        since_value = "last" if ask.since_last else (since or "24h").strip().lower()
        return render("brief.html", body=body, title=title(made), since=since_value, topic=ask.topic or "",
                      nav="brief", api_url=query("/api/brief", since=since_value, topic=ask.topic,
                                                 limit=limit if limit != 10 else None),
                      choices=_BRIEF_PERIODS)

    @pages.get("/watchlists", response_class=HTMLResponse)
    def watchlist_list() -> HTMLResponse:
        return render("watchlists.html", lists=watchlists.all_watchlists(state.readers.get()), nav="watchlists")

    @pages.get("/watchlists/{name:path}", response_class=HTMLResponse)
    def watchlist(name: str, cursor: Cursor = None, named: str | None = Query(None, alias="name")) -> HTMLResponse:
        name = name or named or ""  # `.` and `..` come as /watchlists/?name=.. (see watchlists.page_url)
        try:
            page = watchlists.watchlist_page(state.readers.get(), state.cache, name, cursor, state.settings.page_size)
        except NotFound:
            raise PageError(404, "No such watchlist", f"There is no watchlist “{name}”. "
                            "Add one with `storyline watchlist add`.") from None
        next_url = watchlists.page_url(name, page.list.next_cursor) if page.list.next_cursor else None
        return render("watchlist.html", w=page, clock=page.list.clock, next_url=next_url, nav="watchlists",
                      api_url=watchlists.api_url(name), feed_url=watchlists.feed_url(name))

    # -- the add form (the one form that writes) ----------------------------------------------------

    def add_page(request: Request, status: int = 200, errors: list[tuple[str | None, str]] | None = None,
                 values: dict[str, str] | None = None) -> HTMLResponse:
        cookie = request.cookies.get(CSRF_COOKIE)
        headers = {"Cache-Control": "no-store"}
        fresh = None
        if not cookie or len(cookie) > 100:
            cookie = fresh = state.csrf.new_cookie()
        response = render("add.html", status, headers, csrf=state.csrf.token(cookie), errors=errors or [],
                          values=values or {}, limits=FIELD_LIMITS, token_required=state.settings.token is not None,
                          nav="add")
        if fresh:
            response.set_cookie(CSRF_COOKIE, fresh, httponly=True, samesite="strict", path="/add")
        return response

    @pages.get("/add", response_class=HTMLResponse)
    def add_form(request: Request) -> HTMLResponse:
        return add_page(request)

    @pages.post("/add")
    async def add(request: Request) -> Response:
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/x-www-form-urlencoded":
            raise PageError(415, "Unsupported form", "The form must be sent as application/x-www-form-urlencoded.")
        body = await bounded_body(request, 1_000_000)
        if body is None:
            raise PageError(413, "Too large", "The article is too large for this form; use the API.")
        form = parse_form(body)
        if not same_origin(request.headers.get("origin"), request.headers.get("host")) or \
                not state.csrf.check(request.cookies.get(CSRF_COOKIE), form.get(CSRF_FIELD)):
            raise PageError(403, "Form expired", "This form could not be verified (CSRF check). Reload the page "
                                                 "and send it again.")
        # A browser sends a textarea's line breaks as CRLF but counts them as one character for its
        # maxlength: counted as the browser counts, what the form let through passes the server's limits.
        values = {k: form.get(k, "").replace("\r\n", "\n").strip() for k in _FORM_FIELDS}
        if not token_ok(state.settings.token, form.get("token")):
            return add_page(request, 401, [("token", "a valid token is required to add articles")], values)
        from starlette.concurrency import run_in_threadpool

        if values["url"] and not values["url"].lower().startswith(("http://", "https://")):
            # storyline ingest drops such a link and keeps the article; a person at a form can fix it
            return add_page(request, 422, [("url", "only http:// and https:// links can be kept")], values)
        record: dict[str, object] = {k: v for k, v in values.items() if v}
        record.setdefault("published", time.time())  # an article added by hand is news of now
        report = await run_in_threadpool(state.writer.ingest, [record])
        if report.accepted:
            state.alerts.notify()
        if report.rejected:
            return add_page(request, 422, [(r.field, r.reason) for r in report.rejected], values)
        done = report.accepted[0]
        return RedirectResponse(f"/story/{done.story}#a-{quote(done.id, safe='')}", 303)

    # -- API docs (HTML) ------------------------------------------------------------------------------

    @pages.get("/api/docs", response_class=HTMLResponse)
    def api_docs(request: Request) -> HTMLResponse:
        spec = request.app.openapi()
        return render("api_docs.html", ops=docs.operations(spec), schemas=docs.schemas(spec), nav="api",
                      token_required=state.settings.token is not None)

    # -- Atom feeds -----------------------------------------------------------------------------------

    def feed_response(request: Request, key: str, title: str, page: str, cards: list[queries.Card],
                      subtitle: str) -> Response:
        # Behind a reverse proxy the request's own address is the proxy's loopback one: links are
        # written with the address users reach the server at, when it is set.
        base = public_base() or str(request.base_url).rstrip("/")
        conn = state.readers.get()
        first = conn.execute("SELECT id FROM articles ORDER BY seq LIMIT 1").fetchone()
        store = hashlib.blake2b((first[0] if first else "").encode("utf-8"), digest_size=6).hexdigest()
        now = queries.Clock.of(conn).now
        entries = [feeds.Entry(
            id=f"urn:storyline:{store}:story:{c.id}", title=c.headline, link=f"{base}/story/{c.id}",
            # An undated story (its articles gave no date) is as new as the store's clock: dated 1970,
            # it sorted last and never reached a reader.
            updated=c.last_seen if c.last_seen is not None else now, published=c.first_seen, summary=c.summary,
            content_html=env.get_template("_feed_entry.html").render(c=c, base=base),
            categories=[e.name for e in c.entities]) for c in cards]
        # The key (a search, a watchlist's name) and the path are percent-encoded: a URN and a link
        # must not carry spaces, quotes or "<" (the decoded path gave a self link a reader could not open).
        kind, _, value = key.partition(":")
        feed_id = f"urn:storyline:{store}:{kind}" + (f":{quote(value, safe='')}" if value else "")
        self_url = base + quote(request.url.path) + (("?" + request.url.query) if request.url.query else "")
        body = feeds.atom(feed_id, title, self_url, base + page, entries, subtitle, updated=now)
        return Response(body, media_type="application/atom+xml; charset=utf-8")

    @pages.get("/feeds/stories.atom")
    def stories_feed(request: Request) -> Response:
        listing = queries.story_list(state.readers.get(), state.cache, "all", "latest", None, 1, None, _FEED_SIZE)
        return feed_response(request, "stories", "storyline: new and updated stories", "/?sort=latest",
                             listing.cards, "Stories with new articles, most recent first.")

    @pages.get("/feeds/search.atom")
    def search_feed(request: Request, q: str = Query(..., min_length=1, max_length=500)) -> Response:
        state.writer.sync_search()
        # The newest matches, not the best: on a store of any size a topic passes 200 matching
        # articles, and a new story that ranked lower never reached the feed's readers.
        result = queries.search(state.readers.get(), state.cache, q, stories=_FEED_SIZE, newest=True)
        cards = sorted(result.cards, key=lambda c: (c.last_seen or 0.0, c.id), reverse=True)
        return feed_response(request, "search:" + q, f"storyline: {q}", query("/search", q=q), cards,
                             f"Stories matching “{q}”, most recently active first.")

    @pages.get("/feeds/watchlists/{name:path}.atom")
    def watchlist_feed(request: Request, name: str) -> Response:
        try:
            page = watchlists.watchlist_page(state.readers.get(), state.cache, name, None, _FEED_SIZE)
        except NotFound:
            raise PageError(404, "No such watchlist", f"There is no watchlist “{name}”.") from None
        return feed_response(request, "watchlist:" + name, f"storyline: watchlist {name}",
                             watchlists.page_url(name), page.list.cards,
                             f"Stories matching {page.info.follows}, most recently active first.")

    return pages


#: The periods the brief page offers (any duration works in the address).
_BRIEF_PERIODS = [("6h", "6 hours"), ("24h", "24 hours"), ("3d", "3 days"), ("7d", "7 days"),
                  ("last", "since the last CLI brief")]


def parse_form(body: bytes) -> dict[str, str]:
    """The first value of each field of an urlencoded form.

    >>> parse_form(b"title=Quake+hits&csrf_token=ab&x=")
    {'title': 'Quake hits', 'csrf_token': 'ab', 'x': ''}
    """
    return {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True).items()}
