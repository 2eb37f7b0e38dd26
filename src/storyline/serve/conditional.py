"""Conditional GET for the Atom feeds and the JSON API: validators, and 304 Not Modified.

Feed readers poll; with an ``ETag`` and a ``Last-Modified`` they ask ``If-None-Match`` /
``If-Modified-Since`` and an unchanged feed costs a 304 with no body. The ETag is strong: a hash of the
body, so it changes exactly when a byte does (a new article, or a story's summary refined by the
background pass).

``Last-Modified`` (feeds only) is when this server first sent the body it now sends, not the newest
entry's date: entries are dated by when the news was *published*, which can be in the future (the demo)
or earlier than what a reader already has (an archive added late, a summary rewritten), so a reader
asking ``If-Modified-Since`` alone would be told "not modified" about a feed that changed. The times
are kept in memory, per address; after a restart (or once an address is forgotten) a reader gets the
feed in full once, never a 304 it should not. The JSON API changes too often (``/api/stats`` at every
poll) for a one-second date to mean anything; it gets the ETag only.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import OrderedDict
from email.utils import formatdate, parsedate_to_datetime
from typing import Any

#: Headers about the body, which a 304 has not got (RFC 9110, section 15.4.5).
_BODY_HEADERS = {b"content-length", b"content-type", b"content-encoding"}
_TAG = re.compile(r'(?:W/)?("[^"]*")')


def etag(body: bytes) -> str:
    """A strong entity tag for a body.

    >>> etag(b"x") == etag(b"x") != etag(b"y")
    True
    """
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def http_date(seconds: float) -> str:
    """An HTTP date (IMF-fixdate), as ``Last-Modified`` carries it.

    >>> http_date(1795160520)
    'Fri, 20 Nov 2026 07:42:00 GMT'
    """
    return formatdate(seconds, usegmt=True)


def not_modified(if_none_match: str | None, if_modified_since: str | None, tag: str,
                 last_modified: float | None) -> bool:
    """Whether a GET with these conditions is answered 304 (RFC 9110, section 13.2.2).

    ``If-None-Match`` decides when present (compared weakly, as the RFC asks for GET);
    ``If-Modified-Since`` only counts without it, and a date that does not parse is ignored.

    >>> not_modified('"a", W/"b"', None, '"b"', None), not_modified('"a"', None, '"b"', None)
    (True, False)
    >>> not_modified('"a"', "Fri, 20 Nov 2026 07:42:00 GMT", '"b"', 0.0)  # the tag decides
    False
    >>> not_modified(None, "Fri, 20 Nov 2026 07:42:00 GMT", '"b"', 1795160520)
    True
    >>> not_modified(None, "Fri, 20 Nov 2026 07:41:59 GMT", '"b"', 1795160520), not_modified(None, "soon", '"b"', 0)
    (False, False)
    """
    if if_none_match is not None:
        if if_none_match.strip() == "*":
            return True
        return tag in _TAG.findall(if_none_match)
    if if_modified_since is None or last_modified is None:
        return False
    try:
        since = parsedate_to_datetime(if_modified_since)
    except (TypeError, ValueError, IndexError):
        return False
    return int(last_modified) <= since.timestamp()  # naive dates are UTC (the RFC's GMT)


class Changes:
    """When each address's body was first sent (whole seconds), for ``Last-Modified``.

    A new body is dated now, never later: RFC 9110 forbids a ``Last-Modified`` after the answer's
    ``Date`` (dating a second body of the same second one second ahead did that). A reader holding
    the old date must still not match the new body, so such a body is compared as if one second
    newer than its date: :meth:`since` gives the date to send and the one to compare with.

    >>> changes = Changes(size=2, clock=lambda: 100.5)
    >>> changes.since("/a", '"1"'), changes.since("/a", '"1"'), changes.since("/a", '"2"')
    ((100, 100), (100, 100), (100, 101))
    >>> _ = changes.since("/b", '"1"'), changes.since("/c", '"1"'); "/a" in changes.seen
    False
    """

    def __init__(self, size: int = 2048, clock: Any = time.time) -> None:
        self.size = size
        self.clock = clock
        #: address -> (the body's tag, its date, whether another body was sent in that second before it)
        self.seen: OrderedDict[str, tuple[str, int, bool]] = OrderedDict()

    def since(self, address: str, tag: str) -> tuple[int, int]:
        """The ``Last-Modified`` of the body tagged ``tag`` at ``address``, and the date to compare an
        ``If-Modified-Since`` with."""
        known = self.seen.get(address)
        if known is not None and known[0] == tag:
            self.seen.move_to_end(address)
            return known[1], known[1] + known[2]
        now = int(self.clock())
        stamp = max(now, known[1]) if known is not None else now
        newer = known is not None and stamp == known[1]
        self.seen[address] = (tag, stamp, newer)
        self.seen.move_to_end(address)
        while len(self.seen) > self.size:
            self.seen.popitem(last=False)
        return stamp, stamp + newer


class ConditionalGet:
    """ASGI middleware: ``ETag`` on every successful GET under ``tagged``, ``Last-Modified`` too under
    ``dated``, ``Cache-Control: no-cache`` (use it, but ask first), and 304 Not Modified for a request
    whose conditions hold.

    The body is held until it is complete (it is hashed), so it wraps only routes with small, finished
    answers: the feeds and the JSON API. ``HEAD`` reaches it as ``GET`` (see ``app.Guard``).
    """

    def __init__(self, app: Any, tagged: tuple[str, ...] = ("/api/", "/feeds/"),
                 dated: tuple[str, ...] = ("/feeds/",)) -> None:
        self.app = app
        self.tagged = tagged
        self.dated = dated
        self.changes = Changes()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or not scope["path"].startswith(self.tagged):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] | None = None
        chunks: list[bytes] = []

        async def hold(message: Any) -> None:
            nonlocal start
            if message["type"] == "http.response.start" and message["status"] == 200:
                start = message
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    await self._answer(scope, start, b"".join(chunks), send)
            else:  # another status, or whatever else the server is told: as it comes
                await send(message)

        await self.app(scope, receive, hold)

    async def _answer(self, scope: dict, start: dict[str, Any], body: bytes, send: Any) -> None:
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"etag", b"last-modified")]
        tag = etag(body)
        headers.append((b"etag", tag.encode("ascii")))
        last_modified = None
        if scope["path"].startswith(self.dated):
            query = scope.get("query_string", b"").decode("latin-1")
            last_modified, compared = self.changes.since(scope["path"] + ("?" + query if query else ""), tag)
            headers.append((b"last-modified", http_date(last_modified).encode("ascii")))
            last_modified = compared
        if not any(k.lower() == b"cache-control" for k, _ in headers):
            headers.append((b"cache-control", b"no-cache"))
        asked = {}
        for k, v in scope["headers"]:
            if k in (b"if-none-match", b"if-modified-since"):  # repeated headers are one list
                asked[k] = asked[k] + ", " + v.decode("latin-1") if k in asked else v.decode("latin-1")
        if not_modified(asked.get(b"if-none-match"), asked.get(b"if-modified-since"), tag, last_modified):
            await send({**start, "status": 304, "headers": [(k, v) for k, v in headers
                                                            if k.lower() not in _BODY_HEADERS]})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})
