"""From a fetched RSS/Atom document to articles, tolerant of what real feeds get wrong.

feedparser reads broken XML, wrong or missing encodings and relative links (resolved against the URL
the document came from); on top of that this module:

* strips HTML from titles and texts (through :func:`~storyline.ingest.records.to_article`);
* dates an entry without a date at the fetch time, and clamps a date in the future to the fetch time
  (a date no article can have, such as year 1, counts as no date: :func:`entry_time`);
* keeps an entry whose link is broken (``http://[::1``, a port of ``99999``), without the link, and
  says so in :attr:`ParsedFeed.warning`: the feed is not the reader's to fix (:func:`entry_link`);
* gives each entry an id that is stable across fetches and unique across feeds: from a GUID that is
  a URL, else the feed URL plus the GUID (GUIDs like ``1``, ``2``... repeat between feeds), else the
  link, else the text. A GUID used twice in one document for different entries is not trusted: those
  entries fall back to their link or text;
* turns a document that is not a feed into a :class:`FeedParseError` with a one-line reason (for a
  web page, with the feed it links to if it names one).

>>> doc = b'''<rss version="2.0"><channel><title>Harbor &lt;b&gt;Gazette&lt;/b&gt;</title><link>/</link>
... <item><title>Port &lt;i&gt;reopens&lt;/i&gt;</title><link>/news/1</link><guid>1</guid></item>
... </channel></rss>'''
>>> feed = parse_feed(doc, "https://harbor.example/rss.xml", fetched_at=1795160520.0)
>>> feed.title, feed.site, [(a.title, a.url, a.source, a.published) for a in feed.articles]
('Harbor Gazette', 'https://harbor.example/', [('Port reopens', 'https://harbor.example/news/1', 'Harbor Gazette', 1795160520.0)])
"""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

from ..model import Article
from .records import (BadRecord, clean_text, derived_id, outlet_of, published_ok, strip_html, to_article,
                      valid_url)

#: Entries read from one document at most (a feed of 50,000 entries is an archive, not a feed).
MAX_ENTRIES = 2000
#: A feed's ``<ttl>`` (minutes) is honoured up to this many seconds.
MAX_TTL = 86400.0


class FeedParseError(ValueError):
    """A fetched document that is not a readable RSS or Atom feed."""


@dataclass(frozen=True)
class ParsedFeed:
    """The articles of one feed document, and what the feed says about itself."""

    title: str | None
    site: str | None
    articles: list[Article]
    entries: int                          # entries in the document
    problems: list[str] = field(default_factory=list)  # entries skipped, with the reason
    ttl: float | None = None              # seconds the feed asks readers to wait between fetches
    warning: str | None = None            # e.g. partly malformed XML that was read anyway


_ALTERNATE = re.compile(rb"<link\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(rb"""([a-zA-Z-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")


def discover_feed(html: bytes, base: str) -> str | None:
    """The RSS/Atom feed a web page names in ``<link rel="alternate">``, as an absolute URL.

    >>> discover_feed(b'<head><link rel="alternate" type="application/rss+xml" href="/rss"></head>',
    ...               "https://harbor.example/news/")
    'https://harbor.example/rss'
    """
    for tag in _ALTERNATE.findall(html[:200_000]):
        attrs = {k.lower(): v.strip(b"\"'") for k, v in _ATTR.findall(tag)}
        if b"alternate" in attrs.get(b"rel", b"").lower() and attrs.get(b"href") and \
                attrs.get(b"type", b"").lower() in (b"application/rss+xml", b"application/atom+xml"):
            return urljoin(base, attrs[b"href"].decode("utf-8", "replace").strip())
    return None


def _bozo_reason(exc: object) -> str:
    text = (str(exc).strip() or type(exc).__name__).splitlines()[0]
    m = re.match(r"<unknown>:(\d+):(\d+): (.*)", text)
    if m:
        text = f"line {m.group(1)}, column {m.group(2)}: {m.group(3)}"
    return text[:200]


def entry_time(entry: Mapping[str, Any]) -> float | None:
    """Unix seconds of a feedparser entry's date (published, else updated, else created), or ``None``
    when it has none that an article can have: feedparser passes on year 1 or 9999 as written, and a
    year-1 date with a positive UTC offset falls in year 0, which no ``datetime`` can hold.

    >>> import time
    >>> entry_time({"updated_parsed": time.struct_time((0, 12, 31, 12, 0, 0, 6, 366, 0))}) is None
    True
    >>> entry_time({"published_parsed": time.struct_time((1, 1, 1, 0, 0, 0, 0, 1, 0)),
    ...             "updated_parsed": time.struct_time((2026, 11, 20, 7, 42, 0, 4, 324, 0))})
    1795160520.0
    """
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                seconds = float(calendar.timegm(value))
            except (TypeError, ValueError, OverflowError):
                continue
            if published_ok(seconds):
                return seconds
    return None


def entry_link(entry: Mapping[str, Any], base: str | None = None) -> tuple[str | None, str | None]:
    """An entry's link (made absolute against ``base``, the document's URL, when there is one), and the
    link as written when it had to be dropped because it does not parse: a broken link costs the link,
    not the entry. Links that are not http(s) are left to :func:`~storyline.ingest.records.to_article`.

    >>> entry_link({"link": "/news/1"}, "https://harbor.example/rss")
    ('https://harbor.example/news/1', None)
    >>> entry_link({"link": "http://[::1"}, "https://harbor.example/rss")
    (None, 'http://[::1')
    """
    link = entry.get("link")
    if not isinstance(link, str) or not link.strip():
        return None, None
    link = clean_text(link.strip())
    try:
        absolute = urljoin(base, link) if base else link
    except ValueError:  # urljoin parses the link: an unclosed [ of an IPv6 host, for one
        return None, link
    if re.match(r"^https?://", absolute, re.IGNORECASE) and not valid_url(absolute):
        return None, link
    return absolute, None


_CHAR_REF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+))")


def _char_ref(m: re.Match[bytes]) -> bytes:
    digits = m.group(1) or m.group(2)
    if len(digits.lstrip(b"0")) <= 7:
        number = int(digits, 16 if m.group(1) else 10)
        if not 0xD800 <= number <= 0xDFFF and number <= 0x10FFFF:
            return m.group(0)
    return b"&#xFFFD"


def parse_document(data: bytes, **options: Any) -> Any:
    """feedparser's reading of ``data`` (``options`` are passed on), or :class:`FeedParseError`.

    A numeric character reference to no character (``&#xD800;``, a lone surrogate; ``&#x110000;``) is
    read as U+FFFD: feedparser's fallback parser, used for any malformed document, crashes on those
    (``UnicodeEncodeError``, ``ValueError``), and any other crash of the parser on one document is a
    :class:`FeedParseError` too, so that it never stops the reading of other documents.
    """
    import feedparser  # imported here: only feeds need it, and it is slow to import

    if b"&#" in data:
        data = _CHAR_REF.sub(_char_ref, data)
    try:
        return feedparser.parse(data, **options)
    except Exception as exc:  # noqa: BLE001 - a parser bug, on one document only
        raise FeedParseError(f"not a readable RSS or Atom feed (the parser failed: "
                             f"{type(exc).__name__}: {str(exc)[:200]})") from None


def guid_id(feed_url: str, guid: str) -> str:
    """An article id for an entry's GUID: a URL stands for itself; anything else counts only within
    its feed (``feed_url``, or another name for the feed)."""
    if re.match(r"^https?://", guid, re.IGNORECASE):
        return derived_id(guid, "", "")
    return hashlib.blake2b(f"guid:{feed_url}\n{guid}".encode("utf-8"), digest_size=10).hexdigest()


def parse_feed(data: bytes, url: str, fetched_at: float, content_type: str = "",
               source: str | None = None, future_tolerance: float = 900.0) -> ParsedFeed:
    """The articles of a feed document fetched from ``url`` at ``fetched_at`` (Unix seconds).

    ``content_type`` is the HTTP header (its charset is a hint, not the truth); ``source`` names the
    outlet (the name the feed was followed under; without it, the feed's title, else its host). Dates more than ``future_tolerance`` seconds ahead of the fetch
    are clamped to the fetch time.
    """
    if not data.strip():
        raise FeedParseError("an empty answer, not a feed")
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # HTML in entries is stripped to plain text later, so feedparser need not sanitise it or resolve
    # the links inside it (links of entries themselves are still resolved): a third less parse time.
    parsed = parse_document(data, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)
    entries = parsed.entries
    if not entries:
        head = data[:2048].lstrip().lower()
        if not parsed.get("version") and (head.startswith(b"<!doctype html") or b"<html" in head):
            found = discover_feed(data, url)
            hint = f"; its feed is at {found} (`storyline feeds add {found}`)" if found else ""
            raise FeedParseError(f"a web page, not an RSS or Atom feed{hint}")
        if parsed.get("bozo"):
            raise FeedParseError(f"not a readable RSS or Atom feed: malformed XML "
                                 f"({_bozo_reason(parsed.get('bozo_exception'))})")
        if not parsed.get("version"):
            raise FeedParseError("not an RSS or Atom feed")
    warning = None
    if parsed.get("bozo") and entries:
        exc = parsed.get("bozo_exception")
        if type(exc).__name__ not in ("CharacterEncodingOverride", "NonXMLContentType"):
            warning = f"partly malformed XML, {len(entries)} {'entry' if len(entries) == 1 else 'entries'} recovered ({_bozo_reason(exc)})"
    meta = parsed.feed
    title = strip_html(str(meta.get("title") or "")).replace("\n", " ").strip() or None
    site = meta.get("link")
    site = site if isinstance(site, str) and re.match(r"^https?://", site, re.IGNORECASE) else None
    ttl = None
    ttl_text = str(meta.get("ttl") or "").strip()
    if ttl_text.isdigit() and int(ttl_text) > 0:
        ttl = min(MAX_TTL, int(ttl_text) * 60.0)
    # The name the feed was followed under (`feeds add --title`, an OPML outline's title) wins over the
    # channel's own title: many channels are titled just "News" or "Latest", and one outlet name for
    # several sites made their articles copies of each other (or, printed alike, one article).
    outlet = source or title or outlet_of(url)
    articles: list[Article] = []
    problems: list[str] = []
    seen: dict[str, tuple[str, str]] = {}
    broken: list[str] = []  # links dropped from entries that were kept
    for number, entry in enumerate(entries[:MAX_ENTRIES], start=1):
        link, dropped = entry_link(entry, url)
        if dropped is not None:
            broken.append(dropped)
        published = entry_time(entry)
        if published is None or published > fetched_at + future_tolerance:
            published = fetched_at
        content = entry.get("content") or []
        text = (content[0].get("value") if content and isinstance(content[0], dict) else None) or entry.get("summary")
        record = {
            "title": entry.get("title"),
            "text": text,
            "url": link,
            "published": published,
            "source": (entry.get("source") or {}).get("title") or outlet,
            "lang": entry.get("language") or meta.get("language"),
        }
        try:
            article = to_article(record)
        except BadRecord as exc:
            problems.append(f"entry {number}: {exc}")
            continue
        guid = entry.get("id")
        guid = guid.strip() if isinstance(guid, str) else ""
        # A GUID names an entry together with its link: feeds that give every entry the site's address
        # as GUID, or number their entries by position, reuse GUIDs from one fetch to the next, and a
        # new entry with an old GUID was taken for the stored one. (An entry whose link is unchanged is
        # still recognised: the store knows its canonical URL.)
        if not guid:
            article_id = article.id  # from the link, else the text
        elif article.url and guid != article.url:
            article_id = guid_id(url, f"guid {guid}\nlink {article.url}")
        else:
            article_id = guid_id(url, guid)
        fingerprint = (article.title, article.url or article.text[:200])
        if seen.get(article_id, fingerprint) != fingerprint:
            # The GUID was already used for another entry in this document: do not trust it.
            article_id = derived_id(article.url, article.title, article.text)
            if seen.get(article_id, fingerprint) != fingerprint:
                article_id = derived_id(None, article.title, article.text)
        if article_id in seen:
            continue  # the same entry twice in one document
        seen[article_id] = fingerprint
        articles.append(Article(id=article_id, title=article.title, text=article.text, url=article.url,
                                published=article.published, source=article.source, lang=article.lang))
    if len(entries) > MAX_ENTRIES:
        note = (f"{len(entries):,} entries, of which the first {MAX_ENTRIES:,} were read (a feed lists its "
                "newest first)")
        warning = f"{warning}; {note}" if warning else note
    if broken:
        note = (f"{len(broken)} {'entry' if len(broken) == 1 else 'entries'} kept without a link that is "
                f"not a valid URL ({broken[0][:100]!r}{', ...' if len(broken) > 1 else ''})")
        warning = f"{warning}; {note}" if warning else note
    return ParsedFeed(title, site, articles, len(entries), problems, ttl, warning)
