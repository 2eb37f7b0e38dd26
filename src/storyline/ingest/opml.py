"""OPML subscription lists, as RSS readers (Miniflux, FreshRSS, Feedly, NewsBlur...) export them.

:func:`read_opml` finds every outline with an ``xmlUrl`` (any letter case), at any depth; the titles
of the outlines around it become its category (``News/World``). :func:`write_opml` writes OPML 2.0
that those readers import, one folder per category, so a list survives a round trip.

>>> doc = b'''<opml version="2.0"><body><outline text="World">
...   <outline type="rss" text="Harbor Gazette" xmlUrl="https://harbor.example/rss" htmlUrl="https://harbor.example/"/>
... </outline></body></opml>'''
>>> read_opml(doc)
[OutlineFeed(url='https://harbor.example/rss', title='Harbor Gazette', site='https://harbor.example/', category='World')]
>>> read_opml(write_opml(read_opml(doc)).encode()) == read_opml(doc)
True
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime

MAX_OPML_BYTES = 20_000_000


class OPMLError(ValueError):
    """A document that is not a usable OPML subscription list."""


@dataclass(frozen=True)
class OutlineFeed:
    """One feed of an OPML list."""

    url: str
    title: str | None = None
    site: str | None = None
    category: str = ""


def _attr(element: ET.Element, name: str) -> str | None:
    for key, value in element.attrib.items():
        if key.lower() == name:
            value = " ".join(value.split())
            return value or None
    return None


def read_opml(data: bytes | str) -> list[OutlineFeed]:
    """The feeds of an OPML document, in document order, each URL once.

    Raises :class:`OPMLError` for a document that is not XML, not OPML, too large, or that declares
    entities (refused: entity tricks are how XML parsers are attacked).
    """
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_OPML_BYTES:
        raise OPMLError(f"larger than {MAX_OPML_BYTES // 1_000_000} MB; not a subscription list")
    if re.search(rb"<!ENTITY|<!DOCTYPE[^>\[]*\[", raw, re.IGNORECASE):  # a bare <!DOCTYPE opml> is harmless
        raise OPMLError("declares entities (a DOCTYPE with an internal subset), which are not allowed in OPML here")
    try:
        root = ET.fromstring(raw)
    except ET.ParseError as exc:
        raise OPMLError(f"not valid XML ({exc})") from None
    if root.tag.lower() != "opml":
        raise OPMLError(f"not OPML (the root element is <{root.tag}>, not <opml>)")
    body = next((child for child in root if child.tag.lower() == "body"), None)
    if body is None:
        raise OPMLError("OPML without a <body>")
    out: list[OutlineFeed] = []
    seen: set[str] = set()

    # Depth first, in document order, with a stack of its own: outlines nested a thousand deep are
    # still a list (Python's recursion stopped there with a traceback).
    stack: list[tuple[Iterator[ET.Element], tuple[str, ...]]] = [(iter(body), ())]
    while stack:
        children, path = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            continue
        if not isinstance(child.tag, str) or child.tag.lower() != "outline":
            continue
        url = _attr(child, "xmlurl")
        name = _attr(child, "title") or _attr(child, "text")
        if url:
            name = None if name == url else name
            if url not in seen:
                seen.add(url)
                out.append(OutlineFeed(url, name, _attr(child, "htmlurl"), "/".join(path)))
            stack.append((iter(child), path))
        else:
            stack.append((iter(child), path + ((name or "").replace("/", "-"),) if name else path))
    return out


def write_opml(feeds: Iterable[OutlineFeed], title: str = "storyline feeds",
               now: datetime | None = None) -> str:
    """An OPML 2.0 document listing ``feeds``, grouped in one outline per category."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now or datetime.now(timezone.utc), usegmt=True)
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        parent = body
        if feed.category:
            path = ""
            for part in feed.category.split("/"):
                path = f"{path}/{part}" if path else part
                if path not in folders:
                    folders[path] = ET.SubElement(parent, "outline", text=part, title=part)
                parent = folders[path]
        attrs = {"type": "rss", "text": feed.title or feed.url, "title": feed.title or feed.url,
                 "xmlUrl": feed.url}
        if feed.site:
            attrs["htmlUrl"] = feed.site
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
