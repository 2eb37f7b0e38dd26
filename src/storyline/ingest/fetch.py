"""A polite, bounded async HTTP client for feeds and article pages (built on httpx).

Polite: a clear User-Agent, conditional GET (``If-None-Match`` / ``If-Modified-Since``), at most
``per_host`` requests at a time to one host and ``concurrency`` in all, ``Retry-After`` read from
every error answer. Bounded: a connect timeout and one deadline for the whole answer (redirects and a
server that trickles bytes included), a cap on the bytes received and another on the bytes they
decompress to (gzip and deflate are decoded here, so a zip bomb stops at the cap), at most
``max_redirects`` redirects and no loops. Safe: every redirect target is checked, and every address a
connection is made to must be public unless ``allow_private`` (:mod:`storyline.ingest.netguard`).

Every failure is a :class:`FetchError` subclass with a one-line message naming the cause.

>>> import asyncio
>>> async def main():
...     async with Fetcher(FetchLimits()) as fetcher:
...         await fetcher.get("http://127.0.0.1:9/feed.xml")
>>> asyncio.run(main())
Traceback (most recent call last):
...
storyline.ingest.netguard.BlockedURL: refused 127.0.0.1: a loopback address; use --allow-private (or allow_private in the [watch] config) to fetch from it
"""

from __future__ import annotations

import asyncio
import socket
import time
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from .netguard import BlockedURL, check_address, check_url

if TYPE_CHECKING:  # httpx is imported lazily: only `watch` needs it
    import httpx

FEED_ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
               "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5")
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 65536


def default_user_agent() -> str:
    """``storyline/VERSION (news feed reader; ...)``: who is asking, and why."""
    from .. import __version__

    return f"storyline/{__version__} (news feed reader; +https://pypi.org/project/storyline/)"


@dataclass(frozen=True)
class FetchLimits:
    """How much one fetch may take, and how many may run at once."""

    #: Seconds for a whole answer, redirects included (a server that trickles bytes is cut off).
    timeout: float = 30.0
    #: Seconds to open a connection.
    connect_timeout: float = 10.0
    #: Bytes that may be received for one answer (as sent, before decompression).
    max_bytes: int = 5_000_000
    #: Bytes that an answer may decompress to (no zip bombs).
    max_decoded_bytes: int = 15_000_000
    #: Redirects followed before giving up.
    max_redirects: int = 5
    #: Requests in flight at once, in all.
    concurrency: int = 16
    #: Requests in flight at once to one host.
    per_host: int = 2
    #: Fetch from loopback, private and link-local addresses too (intranets, tests).
    allow_private: bool = False
    #: The User-Agent header; empty means :func:`default_user_agent`.
    user_agent: str = ""


# -- errors ------------------------------------------------------------------------------------------

class FetchError(Exception):
    """A fetch that gave no usable answer. ``status`` is the HTTP status if there was one, and
    ``retry_after`` the seconds the server asked us to wait (``Retry-After``), if it did."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class HTTPStatusError(FetchError):
    """The server answered with an error status (4xx or 5xx), or a status storyline cannot use."""


class FetchTimeout(FetchError):
    """No connection, or no complete answer, within the time allowed."""


class ConnectionFailed(FetchError):
    """The host could not be resolved or reached, or the connection broke."""


class TooLarge(FetchError):
    """The answer is bigger than ``max_bytes``."""


class DecompressionBomb(FetchError):
    """The answer decompresses to more than ``max_decoded_bytes``."""


class BadEncoding(FetchError):
    """An unknown ``Content-Encoding``, or compressed data that does not decompress."""


class TooManyRedirects(FetchError):
    """More redirects than ``max_redirects``, or a redirect loop."""


# -- results -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Fetched:
    """A usable answer: ``status`` 200 with the decoded ``body``, or 304 (not modified, empty body)."""

    url: str                      # where the answer came from, after redirects
    status: int
    body: bytes
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    #: The final URL when every redirect on the way was permanent (301/308): the new home of the resource.
    moved_to: str | None = None
    received: int = 0             # bytes on the wire
    headers: dict[str, str] = field(default_factory=dict)


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (seconds or an HTTP date), or ``None``.

    >>> parse_retry_after("120", 0.0), parse_retry_after("Thu, 01 Jan 1970 01:00:00 GMT", 0.0)
    (120.0, 3600.0)
    >>> parse_retry_after("soon", 0.0) is None
    True
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - now)


def _size(n: int) -> str:
    return f"{n / 1_000_000:g} MB" if n >= 1_000_000 else f"{n / 1000:g} kB" if n >= 1000 else f"{n} bytes"


class _Decoder:
    """Decodes a ``Content-Encoding`` (identity, gzip, deflate) chunk by chunk, never past ``cap`` bytes."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.encoding = encoding
        self.cap = cap
        self.out = bytearray()
        self._d: Any = None
        self._raw_deflate = False
        if encoding in ("gzip", "x-gzip"):
            self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._d = zlib.decompressobj()
        elif encoding not in ("", "identity"):
            raise BadEncoding(f"unsupported Content-Encoding: {encoding}")

    def feed(self, data: bytes) -> None:
        if self._d is None:
            self._append(data)
            return
        try:
            while data:
                room = self.cap - len(self.out) + 1
                chunk = self._d.decompress(data, room)
                self._append(chunk)
                data = self._d.unconsumed_tail
                if self._d.eof and self._d.unused_data:  # another gzip member follows
                    data = self._d.unused_data + data
                    self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    if not data.strip(b"\0"):
                        break
        except zlib.error as exc:
            if self.encoding == "deflate" and not self._raw_deflate and not self.out:
                # Some servers send raw deflate without the zlib header.
                self._raw_deflate = True
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
                self.feed(data)
                return
            raise BadEncoding(f"corrupt {self.encoding} data ({exc})") from None

    def _append(self, chunk: bytes) -> None:
        self.out += chunk
        if len(self.out) > self.cap:
            if self._d is None:
                raise TooLarge(f"answer larger than {_size(self.cap)}")
            raise DecompressionBomb(f"answer decompresses to more than {_size(self.cap)} "
                                    f"({self.encoding}); a zip bomb?")

    def finish(self) -> bytes:
        if self._d is not None:
            try:
                self._append(self._d.flush())
            except zlib.error as exc:
                raise BadEncoding(f"corrupt {self.encoding} data ({exc})") from None
        return bytes(self.out)


# -- transport: every connection goes through the address guard -------------------------------------

def _guarded_transport(limits: FetchLimits) -> "httpx.AsyncBaseTransport":
    """An httpx transport whose connections are made only to addresses the guard allows."""
    import httpcore
    import httpx

    class GuardedBackend(httpcore.AsyncNetworkBackend):
        """Resolves the host itself, checks every address, and connects to a checked address."""

        def __init__(self) -> None:
            self.inner = httpcore.AnyIOBackend()

        async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                              local_address: str | None = None,
                              socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
            loop = asyncio.get_running_loop()
            try:
                infos = await asyncio.wait_for(
                    loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), timeout)
            except (TimeoutError, asyncio.TimeoutError):
                raise FetchTimeout(f"cannot resolve {host}: no answer within {timeout:g} s") from None
            except OSError as exc:
                raise ConnectionFailed(f"cannot resolve {host} ({exc.strerror or exc})") from None
            addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
            for address in addresses:  # all of them: a name must not mix public and private answers
                check_address(host, address, limits.allow_private)
            error: Exception | None = None
            for address in addresses:
                try:
                    return await self.inner.connect_tcp(address, port, timeout=timeout,
                                                        local_address=local_address,
                                                        socket_options=socket_options)
                except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                    error = exc
            assert error is not None
            raise error

        async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                      socket_options: Iterable[Any] | None = None
                                      ) -> httpcore.AsyncNetworkStream:
            raise BlockedURL("unix sockets are never fetched from")

        async def sleep(self, seconds: float) -> None:
            await self.inner.sleep(seconds)

    class Stream(httpx.AsyncByteStream):
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def __aiter__(self):  # type: ignore[override]
            async for part in self.inner:
                yield part

        async def aclose(self) -> None:
            if hasattr(self.inner, "aclose"):
                await self.inner.aclose()

    class GuardedTransport(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.pool = httpcore.AsyncConnectionPool(
                ssl_context=httpx.create_ssl_context(), max_connections=limits.concurrency,
                max_keepalive_connections=limits.concurrency, keepalive_expiry=30.0, retries=0,
                network_backend=GuardedBackend())

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            req = httpcore.Request(
                method=request.method,
                url=httpcore.URL(scheme=request.url.raw_scheme, host=request.url.raw_host,
                                 port=request.url.port, target=request.url.raw_path),
                headers=request.headers.raw, content=request.stream, extensions=request.extensions)
            resp = await self.pool.handle_async_request(req)
            return httpx.Response(status_code=resp.status, headers=resp.headers, stream=Stream(resp.stream),
                                  extensions=resp.extensions)

        async def aclose(self) -> None:
            await self.pool.aclose()

    return GuardedTransport()


# -- the client ------------------------------------------------------------------------------------

class Fetcher:
    """Fetches URLs within :class:`FetchLimits`; use as ``async with Fetcher(limits) as f``.

    ``clock`` gives the time used to turn a ``Retry-After`` date into seconds.
    """

    def __init__(self, limits: FetchLimits | None = None, clock=time.time) -> None:
        self.limits = limits or FetchLimits()
        self.clock = clock
        self._client: httpx.AsyncClient | None = None
        self._global: asyncio.Semaphore | None = None
        self._hosts: dict[str, asyncio.Semaphore] = {}
        #: Hosts that let two requests time out and answered none (in this Fetcher: one round): their
        #: other requests fail at once, so a dead server costs one timeout, not one per feed queued
        #: behind its slots. A host that answers others keeps its slow feed's neighbours.
        self._timeouts: dict[str, int] = {}
        self._answered: set[str] = set()
        self.requests = 0

    async def __aenter__(self) -> "Fetcher":
        import httpx

        lim = self.limits
        self._client = httpx.AsyncClient(
            transport=_guarded_transport(lim), follow_redirects=False, trust_env=False,
            timeout=httpx.Timeout(lim.timeout, connect=lim.connect_timeout),
            headers={"User-Agent": lim.user_agent or default_user_agent(),
                     "Accept-Encoding": "gzip, deflate"})
        self._global = asyncio.Semaphore(lim.concurrency)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _host_slot(self, host: str) -> asyncio.Semaphore:
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = asyncio.Semaphore(self.limits.per_host)
        return slot

    async def get(self, url: str, etag: str | None = None, last_modified: str | None = None,
                  accept: str = FEED_ACCEPT) -> Fetched:
        """GET ``url`` within the limits; a 304 when ``etag``/``last_modified`` still hold.

        Raises a :class:`FetchError` subclass (or :class:`BlockedURL`) with a one-line message.
        """
        if self._client is None or self._global is None:
            raise RuntimeError("use the Fetcher inside `async with`")
        lim = self.limits
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen = {url}
        permanent = True
        deadline: float | None = None
        current = url
        for _hop in range(lim.max_redirects + 1):
            host = check_url(current, lim.allow_private)
            async with self._host_slot(host), self._global:
                if self._timeouts.get(host, 0) >= 2 and host not in self._answered:
                    raise FetchTimeout(f"{host} answered none of this round's requests in time; "
                                       "tried again next round")
                loop = asyncio.get_running_loop()
                if deadline is None:  # waiting for a slot does not count against the timeout
                    deadline = loop.time() + lim.timeout
                try:
                    async with asyncio.timeout_at(deadline):
                        answer = await self._once(current, headers)
                except (TimeoutError, FetchTimeout) as exc:
                    self._timeouts[host] = self._timeouts.get(host, 0) + 1
                    if isinstance(exc, FetchTimeout):
                        raise
                    raise FetchTimeout(f"no complete answer within {lim.timeout:g} s") from None
                except FetchError:
                    self._answered.add(host)  # an HTTP error is an answer: the host is up
                    raise
                self._answered.add(host)
            if isinstance(answer, Fetched):
                moved = current if permanent and current != url else None  # only after redirects
                return Fetched(answer.url, answer.status, answer.body, answer.content_type, answer.etag,
                               answer.last_modified, moved, answer.received, answer.headers)
            status, location = answer
            target = urljoin(current, location)
            if urlsplit(target).fragment:
                target = target.split("#", 1)[0]
            if status not in (301, 308):
                permanent = False
            if target in seen:
                raise TooManyRedirects(f"redirect loop: {current} redirects back to {target}", status)
            seen.add(target)
            current = target
        raise TooManyRedirects(f"more than {lim.max_redirects} redirects (last to {current})")

    async def _once(self, url: str, headers: dict[str, str]) -> Fetched | tuple[int, str]:
        """One request: a final answer, or ``(status, location)`` for a redirect."""
        import httpcore
        import httpx

        assert self._client is not None
        lim = self.limits
        self.requests += 1
        try:
            response = await self._client.send(self._client.build_request("GET", url, headers=headers),
                                               stream=True)
        except (httpx.TimeoutException, httpcore.TimeoutException):
            raise FetchTimeout(f"no answer within {lim.timeout:g} s") from None
        except (httpx.TransportError, httpcore.NetworkError, httpcore.ProtocolError,
                httpcore.UnsupportedProtocol) as exc:
            raise ConnectionFailed(f"cannot fetch: {_reason(exc)}") from None
        except httpx.InvalidURL as exc:
            raise ConnectionFailed(f"not a valid URL ({exc})") from None
        try:
            status = response.status_code
            if status not in (200, 203):
                await _drain(response)  # a short body read to its end keeps the connection reusable
            if status in REDIRECTS:
                location = response.headers.get("location")
                if not location:
                    raise HTTPStatusError(f"HTTP {status} redirect without a Location", status)
                return status, location
            if status >= 400 or status not in (200, 203, 304):
                retry = parse_retry_after(response.headers.get("retry-after"), self.clock())
                raise HTTPStatusError(_status_message(status, response.reason_phrase, retry), status, retry)
            length = response.headers.get("content-length", "")
            if length.isdigit() and int(length) > lim.max_bytes:
                raise TooLarge(f"answer of {_size(int(length))} is over the {_size(lim.max_bytes)} limit", status)
            decoder = _Decoder(response.headers.get("content-encoding", "").strip().lower(),
                               lim.max_decoded_bytes)
            received = 0
            if status != 304:
                try:
                    async for chunk in response.aiter_raw(_CHUNK):
                        received += len(chunk)
                        if received > lim.max_bytes:
                            raise TooLarge(f"answer over the {_size(lim.max_bytes)} limit; stopped reading",
                                           status)
                        decoder.feed(chunk)
                except (httpx.TimeoutException, httpcore.TimeoutException):
                    raise FetchTimeout(f"answer not complete within {lim.timeout:g} s") from None
                except (httpx.TransportError, httpcore.NetworkError, httpcore.ProtocolError) as exc:
                    raise ConnectionFailed(f"connection broke while reading: {_reason(exc)}") from None
            h = response.headers
            return Fetched(str(response.url), 304 if status == 304 else 200,
                           decoder.finish() if status != 304 else b"",
                           h.get("content-type", ""), h.get("etag"), h.get("last-modified"), None, received,
                           {k.lower(): v for k, v in h.items() if k.lower() in ("content-type", "content-location",
                                                                                 "cache-control", "expires")})
        finally:
            await response.aclose()


async def _drain(response: "httpx.Response", limit: int = 65536) -> None:
    """Read and drop up to ``limit`` bytes of a body nobody needs (an error page, a redirect's)."""
    import httpcore
    import httpx

    seen = 0
    try:
        async for chunk in response.aiter_raw(_CHUNK):
            seen += len(chunk)
            if seen > limit:
                break
    except (httpx.HTTPError, httpcore.NetworkError, httpcore.ProtocolError, httpcore.TimeoutException):
        pass  # the status is what matters; the connection is simply not reused


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _status_message(status: int, reason: str, retry_after: float | None) -> str:
    message = f"HTTP {status} {reason}".strip()
    if status == 404:
        message += " (is the feed URL right?)"
    elif status == 410:
        message += " (the feed was removed; `storyline feeds remove` it)"
    if retry_after is not None:
        message += f"; the server asks to wait {format_wait(retry_after)}"
    return message


def format_wait(seconds: float) -> str:
    """``90 s``, ``15m``, ``2h``, ``3d``: a short duration for messages.

    >>> format_wait(45), format_wait(900), format_wait(7200), format_wait(3 * 86400)
    ('45 s', '15m', '2h', '3d')
    """
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f}m"
    if seconds < 172800:
        return f"{seconds / 3600:.0f}h"
    return f"{seconds / 86400:.0f}d"
