"""The JSON API under ``/api/``: one endpoint for every page, and ``POST /api/articles`` to add news."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import AfterValidator

from ..cli.render import iso
from . import queries, watchlists
from .briefs import BriefError, request as brief_request
from .queries import Card, NotFound
from .schemas import (ArticleOut, BriefOut, EntitiesOut, EntityPageOut, ErrorOut, IngestOut, SearchOut, StatsOut,
                      StoryListOut, StoryOut, WatchlistPageOut, WatchlistsOut)
from .security import bearer, bounded_body, safe_url, token_ok
from .state import ServerState
from .writer import FIELD_LIMITS, MAX_BATCH

MAX_BODY = 20 * 1024 * 1024
Window = Literal["6h", "24h", "3d", "7d", "30d", "all"]
Sort = Literal["top", "latest", "coverage"]


def _cursor(text: str | None) -> str | None:
    """A ``cursor`` parameter as the ``next`` links write it; anything else is refused (422 from the
    API, 400 from a page) rather than read as "from the start", which looped a client paging on."""
    if text and queries.parse_cursor(text) is None:
        raise ValueError("not a cursor; use the one in a `next` link")
    return text or None


#: A keyset ``cursor`` parameter, checked (for the API and the pages alike).
Cursor = Annotated[str | None, AfterValidator(_cursor)]
_NEXT = "where the next page starts (from `next`)"
_NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"model": ErrorOut, "description": "no such item"}}


def entity_url(name: str) -> str:
    return "/api/entities/" + quote(name, safe="")


def card_json(card: Card) -> dict[str, object]:
    """A story card as JSON (the short form of a story)."""
    return {"id": card.id, "headline": card.headline, "summary": card.summary, "articles": card.articles,
            "outlets": card.outlets, "first_seen": iso(card.first_seen), "last_seen": iso(card.last_seen),
            "entities": [{"name": e.name, "type": e.type, "articles": e.count, "url": entity_url(e.name)}
                         for e in card.entities],
            "activity": list(card.spark), "activity_label": card.spark_label,
            "url": f"/api/stories/{card.id}", "page": f"/story/{card.id}"}


def why_json(w: queries.Why) -> dict[str, object]:
    return {"kind": w.kind, "explanation": w.sentence, "score": w.score, "threshold": w.threshold,
            "features": {b.key: b.value for b in w.bars}, "hours_apart": w.hours_apart, "copy_of": w.copy_of,
            "runner_up": w.runner_up, "runner_up_score": w.runner_up_score, "merged": list(w.merged),
            "reopened": w.reopened}


def coverage_json(c: queries.CoverageEntry) -> dict[str, object]:
    return {"id": c.id, "title": c.title, "url": safe_url(c.url), "source": c.source, "published": iso(c.published),
            "why": why_json(c.why), "copies": [coverage_json(k) for k in c.copies]}


def story_json(d: queries.StoryDetail, requested: int | None = None) -> dict[str, object]:
    """A story with everything its page shows."""
    desc, row = d.description, d.row
    return {"id": row.id, "headline": desc.headline, "summary": desc.summary, "articles": row.articles,
            "outlets": row.outlets, "first_seen": iso(row.first_seen), "last_seen": iso(row.last_seen),
            "entities": [{"name": e.name, "type": e.type, "articles": e.count, "url": entity_url(e.name)}
                         for e in desc.entities],
            "keywords": list(desc.keywords),
            "timeline": [{"time": t, "articles": n} for t, n in desc.timeline],
            "coverage": [{"outlet": o, "articles": [coverage_json(c) for c in items]} for o, items in d.coverage],
            "coverage_shown": d.coverage_shown,
            "languages": [{"lang": lang, "articles": n} for lang, n in d.languages],
            "storyline": None if d.storyline is None else {
                "id": d.storyline.id, "name": d.storyline.name, "total": d.storyline.total,
                "stories": [{"id": s.id, "headline": s.headline, "articles": s.articles,
                             "last_seen": iso(s.last_seen), "page": f"/story/{s.id}"} for s in d.storyline.stories]},
            "related": [card_json(c) for c in d.related], "requested": requested, "page": f"/story/{row.id}"}


def list_json(listing: queries.StoryList, path: str, extra: dict[str, str]) -> dict[str, object]:
    nxt = None
    if listing.next_page is not None:
        nxt = path + "?" + urlencode({**extra, "page": listing.next_page})
    elif listing.next_cursor is not None:
        nxt = path + "?" + urlencode({**extra, "cursor": listing.next_cursor})
    return {"stories": [card_json(c) for c in listing.cards], "window": listing.window, "sort": listing.sort,
            "entity": listing.entity, "page": listing.page, "next": nxt, "clock": iso(listing.clock.now),
            "archive": listing.clock.archive}


def watchlist_json(w: watchlists.WatchlistInfo) -> dict[str, object]:
    """A watchlist: what it follows and its counts; whether alerts go to a webhook or command, not where."""
    return {"name": w.name, "query": w.query, "entity": w.entity, "follows": w.follows, "webhook": w.webhook,
            "command": w.command, "created_at": iso(w.created_at), "stories": w.stories, "alerts": w.alerts,
            "pending": w.pending, "url": watchlists.api_url(w.name), "page": watchlists.page_url(w.name),
            "feed": watchlists.feed_url(w.name)}


def router(state: ServerState) -> APIRouter:
    """The API routes over one server state."""
    api = APIRouter(prefix="/api", tags=["api"])

    @api.get("/stories", response_model=StoryListOut, summary="Stories, ranked (the front page)")
    def stories(window: Window = "all", sort: Sort = "top",
                entity: str | None = Query(None, description="only stories that mention this name"),
                page: int = Query(1, ge=1, le=queries.MAX_PAGE, description="page number (top and coverage)"),
                cursor: Annotated[Cursor, Query(description="where the next page starts (latest; from `next`)")] = None,
                limit: int = Query(20, ge=1, le=100)) -> dict[str, object]:
        """Live stories. ``top`` ranks by coverage and recency, ``latest`` by last activity, ``coverage`` by
        outlets. ``window`` keeps stories active within that time of the clock; ``next`` links the next page."""
        listing = queries.story_list(state.readers.get(), state.cache, window, sort, entity, page, cursor, limit)
        extra = {k: v for k, v in {"window": window, "sort": sort, "entity": entity or "",
                                   "limit": str(limit)}.items() if v}
        return list_json(listing, "/api/stories", extra)

    @api.get("/stories/{story_id}", response_model=StoryOut, responses=_NOT_FOUND, summary="One story")
    def story(story_id: int = Path(..., ge=0, le=2**63 - 1), all: bool = Query(False, description="every article, not only the first 200")
              ) -> dict[str, object]:
        """A story: headline, summary, entities, keywords, timeline, coverage by outlet (copies folded,
        each article with why it is there) and related stories. A merged id answers with the story that
        absorbed it (``requested`` says which id was asked for)."""
        conn = state.readers.get()
        live = queries.live_story(conn, story_id)
        try:
            detail = queries.story_detail(conn, state.cache, live, show_all=all, storylines=state.storylines)
        except NotFound:
            raise HTTPException(404, f"no story {story_id}") from None
        return story_json(detail, story_id if live != story_id else None)

    @api.get("/articles/{article_id:path}", response_model=ArticleOut, responses=_NOT_FOUND,
             summary="One article, with why it is in its story")
    def article(article_id: str) -> dict[str, object]:
        try:
            v = queries.article(state.readers.get(), state.cache, article_id)
        except NotFound:
            raise HTTPException(404, f"no article {article_id!r}") from None
        r = v.row
        return {"id": r.id, "title": r.title, "text": r.text, "url": safe_url(r.url), "source": r.source,
                "published": iso(r.published), "lang": r.lang, "story": v.story,
                "placed_in": json.loads(r.why).get("placed_in", r.story),
                "headline": v.headline, "why": why_json(v.why)}

    @api.get("/search", response_model=SearchOut, summary="Full-text search, answered as stories")
    def search(q: str = Query(..., min_length=1, max_length=500, description="words, or an FTS5 query"),
               page: int = Query(1, ge=1, le=queries.MAX_PAGE, description="page of stories, from 1"),
               limit: int = Query(20, ge=1, le=100, description="stories a page")) -> dict[str, object]:
        """Stories whose articles match ``q`` in title or text, best first, with the matching articles
        (matches marked with ``<mark>`` in escaped HTML). The best 200 matching articles are grouped
        into stories (``articles_matched``, ``stories_matched``); ``next`` pages through them."""
        state.writer.sync_search()
        result = queries.search(state.readers.get(), state.cache, q, stories=limit, page=page)
        nxt = "/api/search?" + urlencode({"q": q, "page": page + 1, "limit": limit}) if result.more else None
        return {"query": result.query, "articles_matched": result.articles_matched,
                "stories_matched": result.stories_matched, "page": page, "limit": limit, "next": nxt,
                "stories": [{**card_json(c), "hits": [
                    {"id": h.id, "title": h.title, "title_html": h.title_html, "snippet_html": h.snippet_html,
                     "source": h.source, "published": iso(h.published)} for h in result.hits[c.id]]}
                    for c in result.cards]}

    @api.get("/entities", response_model=EntitiesOut, summary="Names in the news")
    def entities(limit: int = Query(50, ge=1, le=500)) -> dict[str, object]:
        """The names mentioned by the most of the 500 most recently active stories."""
        rows = queries.trending_entities(state.readers.get(), limit)
        return {"entities": [{"name": n, "type": t, "stories": c, "url": entity_url(n)} for n, t, c in rows],
                "basis": "the 500 most recently active stories"}

    @api.get("/entities/{name:path}", response_model=EntityPageOut, responses=_NOT_FOUND,
             summary="Every story that mentions a name")
    def entity(name: str, cursor: Annotated[Cursor, Query(description=_NEXT)] = None,
               limit: int = Query(20, ge=1, le=100)) -> dict[str, object]:
        try:
            page = queries.entity_page(state.readers.get(), state.cache, name, cursor, limit)
        except NotFound:
            raise HTTPException(404, f"no story mentions {name!r}") from None
        nxt = None
        if page.list.next_cursor:
            nxt = entity_url(name) + "?" + urlencode({"cursor": page.list.next_cursor, "limit": limit})
        return {"name": page.name, "type": page.type, "stories_total": page.stories,
                "stories": [card_json(c) for c in page.list.cards], "next": nxt,
                "complete": state.cache.status.swept}

    @api.get("/brief", response_model=BriefOut, responses=_NOT_FOUND,
             summary="A brief: the biggest developments of a period")
    def brief(since: str = Query("24h", max_length=20, description="the period, counted back from the newest "
                                 "article (30m, 24h, 3d, 2w), or last: since the last storyline brief"),
              topic: str | None = Query(None, max_length=500, description="only stories a full-text query finds"),
              limit: int = Query(10, ge=1, le=50, description="at most this many stories")) -> dict[str, object]:
        """The same JSON as ``storyline brief --format json``: an executive summary, then the stories of
        the period ranked by importance, new and developing ones told apart, with bursts explained and
        what is new in each. Read-only: unlike the CLI, it never moves the ``--since-last`` mark."""
        try:
            made = state.briefs.make(state.readers.get(), brief_request(since, topic, limit))
        except BriefError as exc:
            raise HTTPException(404, str(exc)) from None
        return made.to_json()

    @api.get("/watchlists", response_model=WatchlistsOut, summary="Watchlists (added with storyline watchlist add)")
    def watchlist_list() -> dict[str, object]:
        """Every watchlist: what it follows, how many stories it matched and how many alerts it fired."""
        return {"watchlists": [watchlist_json(w) for w in watchlists.all_watchlists(state.readers.get())]}

    @api.get("/watchlists/{name:path}", response_model=WatchlistPageOut, responses=_NOT_FOUND,
             summary="The stories a watchlist matched")
    def watchlist(name: str, cursor: Annotated[Cursor, Query(description=_NEXT)] = None,
                  limit: int = Query(20, ge=1, le=100),
                  named: str | None = Query(None, alias="name", description="the name, when it cannot be in the "
                                            "path (`.` and `..`: /api/watchlists/?name=..)")) -> dict[str, object]:
        """A watchlist's matching stories, most recently active first, and the alerts it fired last."""
        name = name or named or ""
        try:
            page = watchlists.watchlist_page(state.readers.get(), state.cache, name, cursor, limit)
        except NotFound:
            raise HTTPException(404, f"no watchlist {name!r}") from None
        nxt = None
        if page.list.next_cursor:
            nxt = watchlists.api_url(name, page.list.next_cursor, limit)
        return {"watchlist": watchlist_json(page.info), "stories": [card_json(c) for c in page.list.cards],
                "next": nxt, "alerts": [{"id": a.id, "story": a.story, "condition": a.condition, "reason": a.reason,
                                         "headline": a.headline, "fired_at": iso(a.fired_at),
                                         "page": f"/story/{a.story}"} for a in page.alerts]}

    @api.get("/stats", response_model=StatsOut, summary="Counts, clock and background progress")
    def stats() -> dict[str, object]:
        s = queries.stats(state.readers.get())
        st = state.cache.status
        return {"articles": s.articles, "stories": s.stories, "described": s.described, "latest": iso(s.latest),
                "archive": s.archive, "last_seq": s.last_seq, "version": state.version,
                "background": {"swept": st.swept, "described": st.described, "seconds": round(st.seconds, 2),
                               "followed_seq": st.followed_seq, "pending_writes": state.cache.pending(),
                               "errors": st.errors, "models_ready": state.models_ready.is_set()}}

    @api.post("/articles", response_model=IngestOut, summary="Add one article or a batch",
              responses={401: {"model": ErrorOut, "description": "a token is configured and was not given"},
                         413: {"model": ErrorOut}, 415: {"model": ErrorOut},
                         422: {"model": IngestOut, "description": "some items were rejected (the rest were kept)"}},
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": {
                  "oneOf": [{"$ref": "#/components/schemas/ArticleIn"},
                            {"type": "array", "items": {"$ref": "#/components/schemas/ArticleIn"}}]}}}}})
    async def post_articles(request: Request) -> JSONResponse:
        """Add articles, validated exactly as ``storyline ingest`` validates them (same field aliases:
        ``title``, ``text``/``body``, ``url``/``link``, ``published``, ``source``, ``lang``, ``id``).

        Send one JSON object or an array. Good items are stored even when others are rejected; the answer
        lists each item's fate, and is a 422 if any item was rejected (with the field and the reason). A
        field longer than the add form allows (each field's ``maxLength`` in ``ArticleIn``) is rejected.
        With ``$STORYLINE_TOKEN`` set on the server, send ``Authorization: Bearer TOKEN``."""
        if not token_ok(state.settings.token, bearer(request.headers.get("authorization"))):
            return JSONResponse({"error": "a valid token is required: Authorization: Bearer TOKEN"}, 401,
                                headers={"WWW-Authenticate": 'Bearer realm="storyline"'})
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            return JSONResponse({"error": "send the articles as JSON (Content-Type: application/json)"}, 415)
        body = await bounded_body(request, MAX_BODY)
        if body is None:
            return JSONResponse({"error": f"body too large (at most {MAX_BODY // 1024 // 1024} MB)"}, 413)
        try:
            data = json.loads(body)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError; nesting too deep
            from ..ingest.sources import json_reason

            return _rejected([], [{"index": 0, "field": None, "reason": f"not valid JSON ({json_reason(exc)})"}])
        items = data if isinstance(data, list) else [data]
        if len(items) > MAX_BATCH:
            return JSONResponse({"error": f"too many items in one request (at most {MAX_BATCH})"}, 413)
        from starlette.concurrency import run_in_threadpool

        report = await run_in_threadpool(state.writer.ingest, items)
        if report.accepted:
            state.alerts.notify()  # watchlists are checked, and webhooks sent, on the alert thread
        accepted = [{"index": a.index, "id": a.id, "status": a.status, "story": a.story} for a in report.accepted]
        rejected = [{"index": r.index, "field": r.field, "reason": r.reason} for r in report.rejected]
        if rejected:
            return _rejected(accepted, rejected)
        return JSONResponse({"accepted": accepted, "rejected": []})

    return api


def _rejected(accepted: list[dict[str, Any]], rejected: list[dict[str, Any]]) -> JSONResponse:
    """A 422 naming each bad item's field and reason (also in FastAPI's ``detail`` shape)."""
    detail = [{"loc": ["body", r["index"]] + ([r["field"]] if r["field"] else []), "msg": r["reason"],
               "type": "value_error"} for r in rejected]
    return JSONResponse({"accepted": accepted, "rejected": rejected, "detail": detail}, 422)


ARTICLE_IN_SCHEMA = {
    "title": "ArticleIn", "type": "object",
    "description": "A news article. Only a title (or some text) is required; other spellings of each field "
                   "are accepted as in `storyline ingest` (e.g. headline, body, link, date, outlet). A value "
                   "longer than its maxLength (characters, as sent) is rejected, as the add form rejects it.",
    "properties": {
        "id": {"type": "string", "maxLength": FIELD_LIMITS["id"],
               "description": "stable id; derived from the canonical URL or text if absent"},
        "title": {"type": "string", "maxLength": FIELD_LIMITS["title"]},
        "text": {"type": "string", "maxLength": FIELD_LIMITS["text"], "description": "body; HTML is stripped"},
        "url": {"type": "string", "maxLength": FIELD_LIMITS["url"], "description": "kept only when http(s)"},
        "published": {"description": "ISO 8601, RFC 822 or Unix seconds",
                      "oneOf": [{"type": "string", "maxLength": FIELD_LIMITS["published"]}, {"type": "number"}]},
        "source": {"type": "string", "maxLength": FIELD_LIMITS["source"], "description": "the outlet"},
        "lang": {"type": "string", "maxLength": FIELD_LIMITS["lang"]}},
    "example": {"title": "Quake strikes Qeshm island", "text": "A magnitude 5.6 quake ...",
                "url": "https://news.example/quake", "published": "2026-11-20T07:42:00Z",
                "source": "Harbor Gazette"},
}
