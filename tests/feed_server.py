"""A real HTTP server on 127.0.0.1 for the feed tests and the watch benchmark, and invented feeds.

Routes map a path to a handler ``(request) -> Reply``. Static feeds answer 304 to a matching
``If-None-Match`` (their ETag is a hash of the body), as real servers do. Every request is counted and
its headers kept, so tests can assert what was asked and how often. All news text here is invented.
"""

from __future__ import annotations

import gzip
import hashlib
import random
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape


@dataclass
class Request:
    path: str
    headers: dict[str, str]


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: Pieces sent one by one with ``pause`` seconds between them, without a Content-Length.
    chunks: Iterable[bytes] | None = None
    pause: float = 0.0
    #: Seconds to wait before answering.
    delay: float = 0.0


Handler = Callable[[Request], Reply]


class FeedServer:
    """A threading HTTP server on 127.0.0.1 (a free port), running until :meth:`close`."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # else each reply waits ~40 ms for a delayed ACK

            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802
                request = Request(self.path, {k.lower(): v for k, v in self.headers.items()})
                with server._lock:
                    server.hits[self.path] += 1
                    server.requests.append(request)
                handler = server.routes.get(self.path)
                reply = handler(request) if handler else Reply(404, b"not found", {"Content-Type": "text/plain"})
                if reply.delay:
                    server.stopping.wait(reply.delay)
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    if reply.chunks is not None:
                        self.send_header("Connection", "close")
                        self.end_headers()
                        for piece in reply.chunks:
                            if server.stopping.is_set():
                                break
                            self.wfile.write(piece)
                            self.wfile.flush()
                            if reply.pause:
                                server.stopping.wait(reply.pause)
                        self.close_connection = True
                        return
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    self.close_connection = True

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> None:
        self.routes[path] = handler

    def reply(self, path: str, reply: Reply) -> None:
        self.routes[path] = lambda request: reply

    def feed(self, path: str, body: bytes, content_type: str = "application/rss+xml; charset=utf-8",
             etag: bool = True, last_modified: str | None = None, encoding: str = "") -> None:
        """Serve a feed document with validators (ETag from its bytes, and/or Last-Modified)."""
        tag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
        payload = body
        headers = {"Content-Type": content_type}
        if encoding == "gzip":
            payload = gzip.compress(body)
        elif encoding == "deflate":
            payload = zlib.compress(body)
        if encoding:
            headers["Content-Encoding"] = encoding
        if etag:
            headers["ETag"] = tag
        if last_modified:
            headers["Last-Modified"] = last_modified

        def handler(request: Request) -> Reply:
            if etag and request.headers.get("if-none-match") == tag:
                return Reply(304, b"", {"ETag": tag})
            if not etag and last_modified and request.headers.get("if-modified-since") == last_modified:
                return Reply(304, b"", {"Last-Modified": last_modified})
            return Reply(200, payload, headers)

        self.routes[path] = handler

    def close(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()


# -- invented feeds ----------------------------------------------------------------------------------

def rfc822(ts: float) -> str:
    return format_datetime(datetime.fromtimestamp(ts, timezone.utc), usegmt=True)


def rss(title: str, items: Iterable[dict], link: str = "/") -> bytes:
    """An RSS 2.0 document; an item has title, text, link, guid, published (Unix seconds) when given."""
    out = ['<?xml version="1.0" encoding="utf-8"?>', '<rss version="2.0"><channel>',
           f"<title>{escape(title)}</title><link>{escape(link)}</link><description>news</description>"]
    for item in items:
        out.append("<item>")
        if item.get("title") is not None:
            out.append(f"<title>{escape(item['title'])}</title>")
        if item.get("link"):
            out.append(f"<link>{escape(item['link'])}</link>")
        if item.get("guid"):
            out.append(f'<guid isPermaLink="false">{escape(item["guid"])}</guid>')
        if item.get("text"):
            out.append(f"<description>{escape(item['text'])}</description>")
        if item.get("published") is not None:
            out.append(f"<pubDate>{rfc822(item['published'])}</pubDate>")
        out.append("</item>")
    out.append("</channel></rss>")
    return "\n".join(out).encode("utf-8")


def opml(urls: Iterable[tuple[str, str]]) -> bytes:
    """An OPML list of ``(title, url)`` feeds in one folder."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<opml version="2.0"><head><title>t</title></head><body>',
             '<outline text="News" title="News">']
    for title, url in urls:
        lines.append(f'<outline type="rss" text="{escape(title)}" title="{escape(title)}" '
                     f'xmlUrl="{escape(url)}"/>')
    lines.append("</outline></body></opml>")
    return "\n".join(lines).encode("utf-8")


_SYL = ["Al", "Bran", "Cor", "Dun", "El", "Fen", "Gor", "Hal", "Is", "Jor", "Kel", "Lor", "Mar", "Nor", "Os",
        "Pel", "Quin", "Ros", "Sel", "Tor", "Ul", "Var", "Wen", "Yar", "Zel"]
_END = ["holm", "mere", "vik", "stad", "ford", "wick", "by", "ton", "dal", "gard", "more", "ness"]
_FIRST = ["Tomas", "Anya", "Jonas", "Mirela", "Osei", "Ilse", "Rafael", "Dagny", "Kofi", "Sanna", "Piet", "Lena",
          "Arvid", "Nadia", "Emil", "Greta", "Ivo", "Maren", "Tariq", "Odile"]
_SURNAME = ["sen", "ova", "ek", "ani", "berg", "ski", "ard", "elli"]
#: Per kind: title templates and fact sentences; {place} {person} {org} {n} {m} {river} fill them.
_KINDS = {
    "flood": (["Flood closes river ports in {place}", "{river} bursts its banks at {place}",
               "{place} evacuates {n} homes as {river} floods"],
              ["Floodwater from the {river} closed the river ports of {place} after days of rain.",
               "Mayor {person} ordered {n} homes near the {river} evacuated.",
               "Barges of the {org} were stranded at the {place} quays.",
               "Forecasters expect the {river} to crest at {place} on Sunday.",
               "{person} said flood barriers along the {river} were holding."]),
    "quake": (["Earthquake of magnitude {m} shakes {place}", "{place} quake damages {n} homes",
               "Rescuers search {place} after magnitude {m} earthquake"],
              ["An earthquake of magnitude {m} shook {place} early on Tuesday.",
               "The quake damaged {n} homes in the old town of {place}.",
               "Emergency chief {person} said rescue teams from {org} were searching the rubble.",
               "Aftershocks were felt as far as the {river} valley.",
               "{person} asked residents of {place} to stay outdoors overnight."]),
    "strike": (["{place} rail workers strike over pay", "{org} trains halted as {place} strike begins",
                "Strike at {org} strands {n} commuters in {place}"],
               ["Rail workers of the {org} in {place} walked out over pay.",
                "The strike halted {n} trains a day on lines along the {river}.",
                "Union leader {person} said the strike would last until {org} improved its offer.",
                "Commuters in {place} queued for buses as the strike began.",
                "{org} said talks with {person} would resume on Friday."]),
    "election": (["{person} wins {place} mayoral election", "{place} elects {person} as mayor",
                  "{person} takes {place} town hall with {n} votes"],
                 ["{person} won the mayoral election in {place} with {n} votes.",
                  "{person} promised new bus lanes along the {river} and cheaper housing.",
                  "The {org} candidate conceded defeat in {place} late on Sunday.",
                  "Turnout in {place} was the highest in two decades.",
                  "{person} will be sworn in at the {place} town hall next month."]),
    "fire": (["Fire destroys warehouse district in {place}", "{n} firefighters battle {place} warehouse blaze",
              "Blaze at {org} warehouses lights up {place} sky"],
             ["A fire destroyed much of the warehouse district of {place} overnight.",
              "Fire chief {person} said {n} firefighters fought the blaze until dawn.",
              "The warehouses belonged to the {org}, which stores grain along the {river}.",
              "Smoke from the {place} fire drifted across the {river}.",
              "{person} said the cause of the fire at the {org} site was not yet known."]),
    "bridge": (["{place} opens new bridge across the {river}", "New {river} bridge opens at {place}",
                "{person} opens {river} crossing in {place}"],
               ["A new bridge across the {river} opened in {place} on Saturday.",
                "Transport minister {person} said {n} vehicles a day would use the crossing.",
                "The bridge was built by the {org} over four years.",
                "Ferries across the {river} at {place} will stop running next month.",
                "{person} cut the ribbon at the {place} end of the bridge."]),
}


def _name(rnd: random.Random, used: set[str], make) -> str:
    for _ in range(1000):
        name = make()
        if name not in used:
            used.add(name)
            return name
    raise RuntimeError("out of invented names")


def invented_events(count: int, seed: int = 7) -> list[dict]:
    """``count`` invented events, each with its own place, person, organisation and river."""
    rnd = random.Random(seed)
    used: set[str] = set()
    kinds = sorted(_KINDS)
    events = []
    for k in range(count):
        facts = {
            "place": _name(rnd, used, lambda: rnd.choice(_SYL) + rnd.choice(_END)),
            "person": _name(rnd, used, lambda: f"{rnd.choice(_FIRST)} {rnd.choice(_SYL)}{rnd.choice(_SURNAME)}"),
            "org": _name(rnd, used, lambda: f"{rnd.choice(_SYL)}{rnd.choice(_END)} {rnd.choice(['Holdings', 'Transit', 'Union', 'Group', 'Works'])}"),
            "river": _name(rnd, used, lambda: f"{rnd.choice(_SYL)}{rnd.choice(_SYL).lower()}a River"),
            "aide": _name(rnd, used, lambda: f"{rnd.choice(_FIRST)} {rnd.choice(_SYL)}{rnd.choice(_SURNAME)}"),
            "hall": _name(rnd, used, lambda: f"{rnd.choice(_SYL)}{rnd.choice(_END)} {rnd.choice(['Hall', 'Square', 'Market', 'Tower'])}"),
            "n": rnd.randint(12, 900), "m": f"{rnd.uniform(4.5, 7.5):.1f}",
        }
        events.append({"id": k, "kind": kinds[k % len(kinds)], **facts})
    return events


def news_feeds(base: str, feeds: int = 200, items: int = 10, events: int = 150, t0: float = 1795160520.0,
               seed: int = 7) -> Iterator[tuple[str, str, bytes]]:
    """``(path, outlet name, RSS bytes)`` for ``feeds`` invented outlets of ``items`` entries each.

    Every entry reports one of ``events`` invented events in the outlet's own words (its own title and
    choice and order of facts); some events are covered by many outlets and most by few, as in real
    news, and some outlets print the same text (copies).
    """
    rnd = random.Random(seed)
    evs = invented_events(events, seed)
    weights = [1.0 / (1 + i) ** 0.8 for i in range(len(evs))]
    for f in range(feeds):
        outlet = f"{rnd.choice(_SYL)}{rnd.choice(_END)} {rnd.choice(['Gazette', 'Ledger', 'Courier', 'Herald', 'Times', 'Post'])}"
        path = f"/feeds/{f}.xml"
        chosen: list[dict] = []
        while len(chosen) < min(items, len(evs)):
            ev = rnd.choices(evs, weights)[0]
            if ev not in chosen:
                chosen.append(ev)
        entries = []
        for i, ev in enumerate(chosen):
            titles, facts = _KINDS[ev["kind"]]
            title = rnd.choice(titles).format(**ev)
            local = [f"{ev['aide']} spoke to reporters outside {ev['hall']} in {ev['place']}.",
                     f"Officials from {ev['org']} and {ev['aide']} met at {ev['hall']}."]
            body = " ".join(s.format(**ev) for s in rnd.sample(facts, 3) + local[: rnd.randint(1, 2)])
            entries.append({"title": title, "text": body, "link": f"{base}/news/{f}/{i}",
                            "guid": f"{f}-{i}", "published": t0 + ev["id"] * 1200 + rnd.randint(0, 7200)})
        yield path, outlet, rss(outlet, entries, link=f"{base}/")


def slow_chunks(total: int, piece: int = 64) -> Iterator[bytes]:
    """``total`` bytes in pieces (with the reply's pause between them): a server that trickles."""
    for _ in range(0, total, piece):
        yield b" " * piece


def gzip_bomb(size: int) -> bytes:
    """Gzip of ``size`` zero bytes: a few kB that decompress to ``size``."""
    out = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b"\0" * 1_000_000
    parts = [out.compress(block) for _ in range(size // len(block))]
    parts.append(out.flush())
    return b"".join(parts)


def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


class Clock:
    """A clock the tests move by hand: ``clock()`` is the time, ``clock.advance(s)`` moves it."""

    def __init__(self, now: float = 1795160520.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now
