"""The ASGI application: pages, API and feeds over one store, with security headers and clean errors.

``create_app(Settings("news.db"))`` gives an ASGI app for any server; ``storyline serve`` runs it with
uvicorn (:mod:`.server`).
"""

from __future__ import annotations

import logging
import secrets
import time
from email.utils import formatdate
from contextlib import asynccontextmanager
from pathlib import Path
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match, Mount

from . import api, pages, queries
from .conditional import ConditionalGet
from .db import denied, first_line, unavailable
from .priority import Tracked
from .security import loopback_host, public_base
from .settings import Settings
from .state import ServerState

log = logging.getLogger("storyline.serve")
STATIC = Path(__file__).parent / "static"
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'self'")
_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY"),
            (b"cross-origin-opener-policy", b"same-origin")]


class Guard:
    """ASGI middleware around the whole app.

    * Security headers on every response.
    * On a loopback server, requests whose ``Host`` is not a loopback name are refused, so a web page
      cannot reach the server by DNS rebinding.
    * An unhandled error is logged with its traceback and answered with a clean error (``on_error``),
      without dropping the connection. An unreachable database server (a PostgreSQL store whose server
      is down) is one line in the log and a 503: there is nothing in the server to debug.
    * ``HEAD`` is answered as ``GET`` without the body (feed readers and link checkers ask so; the
      routes are declared for GET only).
    """

    def __init__(self, app: Any, loopback_only: bool,
                 on_error: Callable[[dict, str, BaseException], Response]) -> None:
        self.app = app
        self.loopback_only = loopback_only
        self.on_error = on_error

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        head = scope.get("method") == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}

        async def send_with_headers(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [h for h in _HEADERS if h[0] not in names]
                if b"date" not in names:  # the answer's own time: uvicorn's (off) lags up to a tick behind,
                    # and a Last-Modified made this second must not be later than the Date (RFC 9110)
                    message["headers"].append((b"date", formatdate(time.time(), usegmt=True).encode("ascii")))
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        if self.loopback_only:
            host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
            if not loopback_host(host, public_base()):
                await JSONResponse({"error": "this server answers only to a loopback Host"}, 421,
                                   headers={"Connection": "close"})(scope, receive, send_with_headers)
                return
        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:  # noqa: BLE001 - logged here, never shown to the client
            ref = secrets.token_hex(4)
            if unavailable(exc):
                log.error("error %s on %s %s: the database server is unreachable (%s)", ref, scope.get("method"),
                          scope.get("path"), first_line(exc))
            elif denied(exc):
                log.error("error %s on %s %s: the store refuses writes from this login (%s)", ref,
                          scope.get("method"), scope.get("path"), first_line(exc))
            else:
                log.error("error %s on %s %s", ref, scope.get("method"), scope.get("path"), exc_info=exc)
            if not started:
                await self.on_error(scope, ref, exc)(scope, receive, send_with_headers)


#: The methods an ``Allow`` header may name (no route here answers another).
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(routes: list[BaseRoute], scope: dict) -> str:
    """The ``Allow`` header of a 405: every method some route at this path answers, ``HEAD`` wherever
    ``GET`` is (:class:`Guard` answers it).

    Starlette names only the methods of the first route it found at the path, and ``/add`` has two
    routes (GET and POST); so each method is tried against every route. A mount (the static files)
    takes any method and answers GET.
    """
    # As the router first saw it: a mount has moved its own prefix into root_path.
    base = {"type": "http", "path": scope["path"], "root_path": scope.get("app_root_path", scope.get("root_path", ""))}
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, Mount):
            if route.matches({**base, "method": "GET"})[0] is not Match.NONE:
                methods.add("GET")
            continue
        methods.update(m for m in _METHODS if route.matches({**base, "method": m})[0] is Match.FULL)
    if "GET" in methods:
        methods.add("HEAD")
    return ", ".join(sorted(methods))


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith("/api/") and path != "/api/docs" or path.startswith("/feeds/")


def create_app(settings: Settings) -> FastAPI:
    """The application for one store. The background work starts with the server (lifespan)."""
    state = ServerState(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI):
        state.start()
        try:
            yield
        finally:
            state.stop()

    app = FastAPI(title="storyline", version=state.version, lifespan=lifespan,
                  description="Stories from a stream of news: the JSON twin of every storyline page.",
                  openapi_url="/api/openapi.json", docs_url=None, redoc_url=None)
    app.state.storyline = state
    app.include_router(api.router(state))
    app.include_router(pages.router(state))
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        # Browsers ask for it whatever the page says (the JSON API has no <link rel="icon">): a 404 each time.
        return Response((STATIC / "favicon.svg").read_bytes(), media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=86400"})

    def error(request: Request, status: int, title: str, message: str, ref: str | None = None,
              headers: dict[str, str] | None = None) -> Response:
        if _wants_json(request):
            body: dict[str, object] = {"error": message}
            if ref:
                body["reference"] = ref
            return JSONResponse(body, status, headers=headers)
        return state.render("error.html", status, headers, title=title, message=message,  # type: ignore[attr-defined]
                            ref=ref)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed"}
        message = exc.detail if isinstance(exc.detail, str) else "Request failed."
        if exc.status_code == 404 and message == "Not Found":
            message = "There is no page at this address."
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # RFC 9110 requires the methods that would have worked
            headers["Allow"] = allowed_methods(request.app.routes, request.scope)
            if message == "Method Not Allowed":
                message = f"This address answers {headers['Allow']}, not {request.method}."
        return error(request, exc.status_code, titles.get(exc.status_code, "Request failed"), message,
                     headers=headers or None)

    @app.exception_handler(pages.PageError)
    async def page_error(request: Request, exc: pages.PageError) -> Response:
        return error(request, exc.status, exc.title, exc.message)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        if _wants_json(request):
            details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
                       for e in exc.errors()]
            return JSONResponse({"error": "invalid request", "detail": details}, 422)
        problems = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ())[1:])}: {e.get('msg', '')}"
                             for e in exc.errors())
        return error(request, 400, "Bad request", problems or "The request is not valid.")

    @app.exception_handler(queries.BadQuery)
    async def bad_query(request: Request, exc: queries.BadQuery) -> Response:
        if _wants_json(request):  # as FastAPI's own checks answer (the API docs promise a 422)
            field, _, reason = str(exc).partition(": ")
            return JSONResponse({"error": str(exc), "detail": [{"loc": ["query", field], "msg": reason,
                                                                "type": "value_error"}]}, 422)
        return error(request, 400, "Bad request", str(exc))

    def crash(scope: dict, ref: str, exc: BaseException) -> Response:
        request = Request(scope)
        if unavailable(exc):
            return error(request, 503, "Store unavailable",
                         "The store's database server cannot be reached; try again in a moment.", ref)
        if denied(exc):  # the server's login may read the store only: a setting, said as such
            return error(request, 403, "Read-only store",
                         "This server may read its store but not write to it, so it takes no articles.", ref)
        return error(request, 500, "Something went wrong",
                     "The server could not answer this request. The error was logged.", ref)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            spec.setdefault("components", {}).setdefault("schemas", {})["ArticleIn"] = api.ARTICLE_IN_SCHEMA
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.add_middleware(ConditionalGet)  # innermost: it sees what the routes answer, HEAD as GET
    app.add_middleware(Tracked, foreground=state.foreground)
    app.add_middleware(Guard, loopback_only=settings.loopback, on_error=crash)
    return app
