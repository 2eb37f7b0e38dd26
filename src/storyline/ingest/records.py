"""From a loose record (a JSON object, a CSV row, a feed entry) to a clean :class:`Article`.

Field names vary between tools, so the usual aliases are accepted; HTML is stripped; dates in ISO
8601, RFC 822 or Unix seconds are understood; a missing id is derived from the canonical URL, else from
the text, so the same article read twice gets the same id.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..model import Article


class BadRecord(ValueError):
    """A record that cannot become an article; the message says which field and why."""


ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "guid", "article_id", "uid", "uuid", "_id"),
    "title": ("title", "headline", "name"),
    "text": ("text", "body", "content", "summary", "description", "snippet", "abstract", "lead"),
    "url": ("url", "link", "href", "uri", "permalink"),
    "published": ("published", "date", "published_at", "pubdate", "pub_date", "timestamp", "time",
                  "updated", "created_at", "datetime", "publishedat", "datepublished"),
    "source": ("source", "outlet", "publisher", "site", "domain", "feed", "author"),
    "lang": ("lang", "language", "locale"),
}

_TRACKING = re.compile(r"^(utm_.*|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|igshid|ref|ref_src|cmpid|ito|"
                       r"ncid|soc_src|soc_trk|smid|share|s_cid|_ga|yclid|spm|rss|track)$", re.IGNORECASE)
_DROP_BLOCKS = re.compile(r"<(script|style|noscript)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAKS = re.compile(r"<\s*(br|/p|/div|/h\d|/li)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_BLANK_LINES = re.compile(r"\n\n+")
_MESSY = ("  ", "\t", "\r", "\xa0", " \n", "\n ", "\f", "\v", "\u2028", "\u2029", "\x1c", "\x1d", "\x1e", "\x85")

MAX_TITLE = 1_000
MAX_TEXT = 200_000


def strip_html(value: str) -> str:
    """Plain text from a fragment of HTML (tags dropped, entities decoded, spacing tidied).

    >>> strip_html("<p>Troops <b>move</b> &amp; wait</p><script>alert(1)</script>")
    'Troops move & wait'
    """
    if "<" in value:
        value = _DROP_BLOCKS.sub(" ", value)
        value = _BREAKS.sub("\n", value)
        value = _TAG.sub(" ", value)
    if "&" in value:
        value = html.unescape(value)
    if any(mark in value for mark in _MESSY):
        return "\n".join(" ".join(line.split()) for line in value.splitlines() if line and not line.isspace())
    return _BLANK_LINES.sub("\n", value).strip()  # already tidy but for paragraph gaps: the common case


def canonical_url(url: str) -> str:
    """The URL with tracking parameters, fragment, default port and case noise removed.

    >>> canonical_url("HTTPS://News.Example:443/a/b?utm_source=rss&id=7#top")
    'https://news.example/a/b?id=7'
    """
    url = url.strip()
    if "?" not in url and "#" not in url and ":" not in url[8:].split("/", 1)[0] and url[:8].islower() \
            and "/" in url[8:] and url.split("/", 3)[2].islower():
        return url  # already canonical: the common case, skip the parse
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port if parts.port not in (None, 80, 443) else None
    netloc = f"{host}:{port}" if port else host
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not _TRACKING.match(k)))
    path = parts.path or "/"
    return urlunsplit((scheme, netloc, path, query, ""))


def parse_time(value: object) -> float | None:
    """Unix seconds (UTC) from ISO 8601, RFC 822 or a number; naive times are taken as UTC.

    >>> parse_time("2026-11-20T07:42:00Z"), parse_time("Fri, 20 Nov 2026 07:42:00 GMT")
    (1795160520.0, 1795160520.0)
    """
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
        return seconds / 1000.0 if seconds > 1e11 else seconds  # milliseconds
    if not isinstance(value, str):
        raise BadRecord(f"published: not a date: {value!r}")
    text = value.strip()
    try:
        if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
            return parse_time(float(text))
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            # RFC 822 dates are rare in files (feeds parse their own); email.utils costs start-up time.
            from email.utils import parsedate_to_datetime

            dt = parsedate_to_datetime(text)
    except (ValueError, TypeError, IndexError, OverflowError):
        raise BadRecord(f"published: not a date: {value!r}") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.timestamp()


def _pick(record: Mapping[str, object], field: str) -> object:
    for name in ALIASES[field]:
        value = record.get(name)
        if value not in (None, ""):
            return value
    return None


def _lower_keys(record: Mapping[str, object]) -> Mapping[str, object]:
    """The record with lower-cased keys ("Title", "pubDate"), the first spelling of a key winning."""
    if all(not isinstance(k, str) or k.islower() or not k for k in record):
        return record
    out: dict[str, object] = {}
    for k, v in record.items():
        out.setdefault(k.lower() if isinstance(k, str) else k, v)
    return out


def _text(value: object, field: str) -> str:
    if value is None:
        return ""
    if type(value) is str:  # the usual case, without the slower checks against abstract types below
        return strip_html(value)
    if isinstance(value, Mapping):  # e.g. {"name": "..."} sources, {"value": "..."} contents
        value = value.get("name") or value.get("value") or value.get("title") or ""
    if isinstance(value, list):
        value = " ".join(str(v.get("value", "")) if isinstance(v, Mapping) else str(v) for v in value)
    if not isinstance(value, (str, int, float)):
        raise BadRecord(f"{field}: expected text, got {type(value).__name__}")
    return strip_html(str(value))


def derived_id(url: str | None, title: str, text: str) -> str:
    """A stable id: from the canonical URL if there is one, else from the normalised text.

    >>> derived_id("https://a.example/x?utm_source=rss", "T", "") == derived_id("https://a.example/x", "", "")
    True
    """
    basis = "url:" + canonical_url(url) if url else "text:" + " ".join(f"{title} {text}".lower().split())
    return hashlib.blake2b(basis.encode("utf-8"), digest_size=10).hexdigest()


def to_article(record: Mapping[str, object]) -> Article:
    """An :class:`Article` from a loose record, or :class:`BadRecord` saying what is wrong.

    >>> a = to_article({"headline": "<b>Quake</b> hits coast", "link": "https://x.example/q?utm_medium=rss",
    ...                 "date": "2026-11-20T07:42:00Z", "publisher": "Harbor Gazette"})
    >>> a.title, a.url, a.source, a.published
    ('Quake hits coast', 'https://x.example/q?utm_medium=rss', 'Harbor Gazette', 1795160520.0)
    >>> to_article({"url": "https://x.example/empty"})
    Traceback (most recent call last):
    ...
    storyline.ingest.records.BadRecord: title: missing (and no text to take one from)
    """
    if type(record) is not dict and not isinstance(record, Mapping):
        raise BadRecord(f"expected an object, got {type(record).__name__}")
    record = _lower_keys(record)
    title = _text(_pick(record, "title"), "title")
    text = _text(_pick(record, "text"), "text")
    if not title:
        if not text:
            raise BadRecord("title: missing (and no text to take one from)")
        title = text.split("\n", 1)[0][:200]
    if len(title) > MAX_TITLE:
        title = title[:MAX_TITLE]
    if len(text) > MAX_TEXT:
        text = text[:MAX_TEXT]
    url_value = _pick(record, "url")
    url = str(url_value).strip() if url_value is not None else None
    if url and not re.match(r"^https?://", url, re.IGNORECASE):
        url = None  # only http(s) links are kept: anything else is unsafe to show or fetch
    published = parse_time(_pick(record, "published"))
    source = _text(_pick(record, "source"), "source") or None
    if source is None and url:
        source = urlsplit(url).hostname
    lang_value = _pick(record, "lang")
    lang = str(lang_value).strip().lower()[:16] if lang_value is not None else None
    raw_id = _pick(record, "id")
    article_id = str(raw_id).strip() if raw_id is not None else derived_id(url, title, text)
    return Article(id=article_id, title=title, text=text, url=url, published=published, source=source,
                   lang=lang)
