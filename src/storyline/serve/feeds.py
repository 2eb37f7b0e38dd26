"""Atom feeds of stories, so any feed reader can follow stories instead of articles.

Built with :mod:`xml.etree.ElementTree` (which escapes everything) after dropping the characters XML 1.0
forbids, so the output is well-formed whatever the articles contain.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

ATOM = "http://www.w3.org/2005/Atom"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class Entry:
    """One story in a feed."""

    id: str
    title: str
    link: str
    updated: float | None
    published: float | None
    summary: str
    content_html: str = ""
    categories: Sequence[str] = field(default_factory=tuple)


def rfc3339(ts: float | None) -> str:
    """An Atom date (UTC).

    >>> rfc3339(1795160520.0), rfc3339(None)
    ('2026-11-20T07:42:00Z', '1970-01-01T00:00:00Z')
    """
    return datetime.fromtimestamp(ts or 0.0, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def clean(text: str) -> str:
    """Text without the control characters XML 1.0 cannot carry.

    >>> clean("a\\x00b\\x0bc\\n")
    'abc\\n'
    """
    return _INVALID_XML.sub("", text)


def atom(feed_id: str, title: str, self_url: str, page_url: str, entries: Sequence[Entry],
         subtitle: str = "", updated: float | None = None) -> bytes:
    """An Atom 1.0 document (UTF-8 bytes); ``updated`` dates a feed without entries (else 1970).

    >>> doc = atom("urn:x", "T <&>", "http://h/f.atom", "http://h/", [Entry("urn:x:1", "<b>", "http://h/s/1",
    ...            0.0, 0.0, "s")])
    >>> b"<title>T &lt;&amp;&gt;</title>" in doc and b"<title>&lt;b&gt;</title>" in doc
    True
    """
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: clean(v) for k, v in attrs.items()})
        if text is not None:
            el.text = clean(text)
        return el

    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    if subtitle:
        sub(feed, "subtitle", subtitle)
    sub(feed, "updated", rfc3339(max((e.updated or 0.0 for e in entries), default=updated)))
    sub(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    sub(feed, "link", rel="alternate", type="text/html", href=page_url)
    author = sub(feed, "author")
    sub(author, "name", "storyline")
    sub(feed, "generator", "storyline")
    for e in entries:
        entry = sub(feed, "entry")
        sub(entry, "id", e.id)
        sub(entry, "title", e.title or "(untitled story)")
        sub(entry, "link", rel="alternate", type="text/html", href=e.link)
        sub(entry, "updated", rfc3339(e.updated))
        if e.published is not None:
            sub(entry, "published", rfc3339(e.published))
        for term in e.categories:
            sub(entry, "category", term=term)
        if e.summary:
            sub(entry, "summary", e.summary, type="text")
        if e.content_html:
            sub(entry, "content", e.content_html, type="html")
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="utf-8", xml_declaration=False)
