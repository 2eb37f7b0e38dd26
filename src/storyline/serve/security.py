"""Tokens for writes, CSRF for forms, and which links may be shown.

* Writes (``POST /api/articles`` and the add form) need the token when one is configured
  (``$STORYLINE_TOKEN``), sent as ``Authorization: Bearer TOKEN`` (or the form's token field).
* Forms that write carry a CSRF token: an HMAC of a random per-browser cookie value under a per-process
  secret (the double-submit pattern), checked together with the ``Origin`` header when a browser sends one.
* Only ``http``/``https`` links from feeds are ever put in a page.
* A request body is read up to its limit and no further (:func:`bounded_body`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from starlette.requests import Request

CSRF_COOKIE = "storyline_csrf"
CSRF_FIELD = "csrf_token"
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) link without spaces or control characters, else ``None``.

    >>> safe_url("https://news.example/a?b=1"), safe_url("javascript:alert(1)"), safe_url(" JaVaScRiPt:x")
    ('https://news.example/a?b=1', None, None)
    >>> safe_url("http://x.example/a b"), safe_url("//evil.example/"), safe_url("data:text/html,hi")
    (None, None, None)
    """
    if not url or _CONTROL.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def token_ok(configured: str | None, given: str | None) -> bool:
    """Whether a write may go ahead: no token configured, or ``given`` equals it (constant time).

    >>> token_ok(None, None), token_ok("s3cret", "s3cret"), token_ok("s3cret", "guess"), token_ok("s3cret", None)
    (True, True, False, False)
    """
    if configured is None:
        return True
    if not given:
        return False
    return hmac.compare_digest(configured.encode("utf-8"), given.encode("utf-8"))


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header.

    >>> bearer("Bearer abc"), bearer("Basic abc"), bearer(None)
    ('abc', None, None)
    """
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


class Csrf:
    """Double-submit CSRF tokens bound to a per-browser cookie.

    >>> csrf = Csrf("k")
    >>> cookie = csrf.new_cookie()
    >>> csrf.check(cookie, csrf.token(cookie)), csrf.check(cookie, "forged"), csrf.check(None, "x")
    (True, False, False)
    """

    def __init__(self, secret: str | None = None) -> None:
        self._key = (secret or secrets.token_hex(32)).encode("utf-8")

    @staticmethod
    def new_cookie() -> str:
        return secrets.token_urlsafe(24)

    def token(self, cookie: str) -> str:
        """The form token that goes with a cookie value."""
        return hmac.new(self._key, cookie.encode("utf-8"), hashlib.sha256).hexdigest()

    def check(self, cookie: str | None, token: str | None) -> bool:
        if not cookie or not token:
            return False
        return hmac.compare_digest(self.token(cookie), token)


def same_origin(origin: str | None, host: str | None) -> bool:
    """Whether a request's ``Origin`` (when a browser sent one) names this server's host.

    >>> same_origin(None, "127.0.0.1:8080"), same_origin("http://127.0.0.1:8080", "127.0.0.1:8080")
    (True, True)
    >>> same_origin("https://evil.example", "127.0.0.1:8080"), same_origin("null", "127.0.0.1:8080")
    (False, False)
    """
    if origin is None:
        return True
    public = public_base()  # behind a reverse proxy: the page was served from that address
    if public is not None and origin.rstrip("/").lower() == public.lower():
        return True
    try:
        return host is not None and urlsplit(origin).netloc.lower() == host.lower()
    except ValueError:
        return False


def public_base() -> str | None:
    """``$STORYLINE_PUBLIC_URL`` without its trailing slash: the address users reach the server at
    (behind a reverse proxy), if it is an http(s) URL.

    >>> import os; os.environ["STORYLINE_PUBLIC_URL"] = "https://news.example/"; public_base()
    'https://news.example'
    >>> del os.environ["STORYLINE_PUBLIC_URL"]; public_base() is None
    True
    """
    import os

    url = os.environ.get("STORYLINE_PUBLIC_URL", "").strip().rstrip("/")
    return url if safe_url(url) and urlsplit(url).hostname else None


def loopback_host(host_header: str | None, public: str | None = None) -> bool:
    """Whether a ``Host`` header names a loopback address (against DNS rebinding of a local server),
    or the host of ``public``, the address a reverse proxy forwards from.

    >>> loopback_host("127.0.0.1:8080"), loopback_host("localhost"), loopback_host("[::1]:80"), loopback_host("evil.example")
    (True, True, True, False)
    >>> loopback_host("news.example", "https://news.example"), loopback_host("evil.example", "https://news.example")
    (True, False)
    """
    from .settings import is_loopback

    if not host_header:
        return False
    if public is not None and host_header.strip().lower() == urlsplit(public).netloc.lower():
        return True
    host = host_header.strip()
    if host.startswith("["):
        host = host[1:].split("]", 1)[0]
    elif host.count(":") == 1:
        host = host.split(":", 1)[0]
    return is_loopback(host)


async def bounded_body(request: "Request", limit: int) -> bytes | None:
    """The request's body, or ``None`` as soon as it is known to exceed ``limit`` bytes.

    A declared ``Content-Length`` over the limit is refused before a byte is read, and a body sent
    without one is read only until it passes the limit: 300 MB used to be read into memory for a 413.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)
