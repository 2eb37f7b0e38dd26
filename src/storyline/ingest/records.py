"""From a loose record (a JSON object, a CSV row, a feed entry) to a clean :class:`Article`.

Field names vary between tools, so the usual aliases are accepted; HTML is stripped; dates in ISO
8601, RFC 822 or Unix seconds are understood; a missing id is derived from the canonical URL, else from
the text, so the same article read twice gets the same id.

What no later stage could store or show is refused (or repaired) here, once, for every input: a date
outside 1900-2200 or not finite, a link that does not parse, a value nested where text belongs; lone
UTF-16 surrogates and NUL characters (which no database accepts) are replaced in every text field.
"""

from __future__ import annotations

import hashlib
import html
import numbers
import re
from collections.abc import Mapping
from datetime import date, datetime, timezone
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
#: HTML's elements (and any ``prefix:name`` of Word's or a feed's XML): only these are tags. Text that
#: merely holds angle brackets ("5 < 6 > 4", "x<y and y>z", a ticker "<AAPL.O>") is kept as written.
_ELEMENTS = ("a|abbr|address|area|article|aside|audio|b|base|bdi|bdo|blockquote|body|br|button|canvas|"
             "caption|center|cite|code|col|colgroup|data|dd|del|details|dfn|dialog|div|dl|dt|em|embed|"
             "fieldset|figcaption|figure|font|footer|form|frame|frameset|h[1-6]|head|header|hgroup|hr|html|"
             "i|iframe|img|input|ins|kbd|label|legend|li|link|main|map|mark|menu|meta|meter|nav|nobr|"
             "noscript|object|ol|optgroup|option|output|p|param|picture|pre|progress|q|rp|rt|ruby|s|samp|"
             "script|section|select|small|source|span|strike|strong|style|sub|summary|sup|svg|table|tbody|"
             "td|template|textarea|tfoot|th|thead|time|title|tr|track|tt|u|ul|var|video|wbr|"
             "[a-z][a-z0-9]*:[a-z][a-z0-9.-]*")
_TAG = re.compile(r"<!--.*?-->|<[!?][a-z][^<>]*>|</?(?:" + _ELEMENTS + r")(?:\s[^<>]*)?/?>",
                  re.IGNORECASE | re.DOTALL)
_BLANK_LINES = re.compile(r"\n\n+")
_MESSY = ("  ", "\t", "\r", "\xa0", " \n", "\n ", "\f", "\v", "\u2028", "\u2029", "\x1c", "\x1d", "\x1e", "\x85")

#: How far after the clock an article may be dated before it is called "in the future" (time zones
#: written wrong are hours off): one dated years ahead would top every page as "just now" and empty every
#: time window, which count back from the newest article. The server refuses it; `ingest` warns (a file
#: may be an archive, or a schedule).
FUTURE_SLACK = 24 * 3600.0

MAX_TITLE = 1_000
MAX_TEXT = 200_000

#: Publication dates are accepted from 1900-01-01T00:00Z up to, not including, 2201-01-01T00:00Z
#: (Unix seconds). Anything else is a mistake (a year-1 or year-9999 placeholder, milliseconds read as
#: seconds, an overflow), and these bounds are well inside what ``datetime.fromtimestamp``,
#: ``utcfromtimestamp`` and ``isoformat`` handle at any UTC offset, so every later stage can show them.
EARLIEST_PUBLISHED = -2_208_988_800.0
LATEST_PUBLISHED = 7_289_654_400.0

_PLAIN_URL = re.compile(r"https?://[a-z0-9.-]+(?:[/?#]|$)", re.IGNORECASE)


def clean_text(value: str) -> str:
    """``value`` with nothing an encoder or a database refuses: a lone surrogate (half of a UTF-16 pair,
    as ``"\\ud800"`` in JSON gives), which UTF-8 cannot encode, becomes U+FFFD; a NUL character, which
    PostgreSQL refuses and C strings end at, is dropped.

    >>> clean_text("a\\ud800b\\x00c") == "a\\ufffdbc"
    True
    """
    if "\x00" in value:
        value = value.replace("\x00", "")
    if value.isascii():  # the common case, at no cost: no surrogate possible
        return value
    try:
        value.encode("utf-8")  # in C: several times faster than a regular expression looking for them
    except UnicodeEncodeError:
        # Through UTF-16: a pair split in two code units is joined again, a lone half is replaced.
        return value.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return value


def strip_html(value: str) -> str:
    """Plain text from a fragment of HTML (tags dropped, entities decoded, spacing tidied, and
    :func:`clean_text` applied).

    >>> strip_html("<p>Troops <b>move</b> &amp; wait</p><script>alert(1)</script>")
    'Troops move & wait'
    >>> strip_html("If 5 < 6 > 4, <Acme> gains: x<y and y>z <!-- note -->")
    'If 5 < 6 > 4, <Acme> gains: x<y and y>z'
    """
    value = clean_text(value)
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


def valid_url(url: str) -> bool:
    """Whether ``url`` parses as a URL with a host (and a port, if any, from 0 to 65535).

    >>> valid_url("https://news.example:8443/a"), valid_url("http://[::1"), valid_url("http://a.example:99999/")
    (True, False, False)
    """
    if _PLAIN_URL.match(url):
        return True  # a plain host and no port: nothing urlsplit could object to (and it is slow)
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number from 0 to 65535
    except ValueError:
        return False
    return bool(parts.hostname)


def outlet_of(url: str) -> str | None:
    """The outlet a link names, for an article that names none: its host without ``www.``.

    ``www.example.com`` and ``example.com`` are one outlet, and counting them as two would inflate a
    story's outlet count.

    >>> outlet_of("https://www.Example-News.com/a/1"), outlet_of("https://news.example.org/b")
    ('example-news.com', 'news.example.org')
    """
    host = urlsplit(url).hostname
    return host[4:] if host and host.startswith("www.") and host.count(".") > 1 else host


def published_ok(seconds: object) -> bool:
    """Whether ``seconds`` can be a publication date: Unix seconds from 1900 through 2200
    (:data:`EARLIEST_PUBLISHED`, :data:`LATEST_PUBLISHED`), so not NaN nor infinite either.

    >>> published_ok(1795160520.0), published_ok(float("nan")), published_ok(-62135596800.0)
    (True, False, False)
    """
    if type(seconds) is not float and (isinstance(seconds, bool) or not isinstance(seconds, numbers.Real)):
        return False
    return EARLIEST_PUBLISHED <= seconds < LATEST_PUBLISHED  # type: ignore[operator]  # False for NaN


def _shown(value: object) -> str:
    """``value`` for a message: one short line, whatever it is (a long text, a nested list, a huge number)."""
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:80] + "…")  # repr escapes newlines, surrogates
    if isinstance(value, float) or isinstance(value, int) and value.bit_length() <= 200:
        return repr(value)
    if isinstance(value, int):
        return "a number of about {:,} digits".format(int(value.bit_length() * 0.30103))
    return f"a {type(value).__name__}"


def _out_of_range(value: object) -> BadRecord:
    return BadRecord(f"published: out of range: {_shown(value)} (dates from 1900 through 2200 are accepted)")


def _checked_time(seconds: float, value: object) -> float:
    if not published_ok(seconds):
        raise _out_of_range(value)
    return seconds


def _from_number(number: float | int, value: object) -> float:
    try:
        seconds = float(number)
    except OverflowError:  # an integer beyond any float
        raise _out_of_range(value) from None
    return _checked_time(seconds / 1000.0 if seconds > 1e11 else seconds, value)  # milliseconds


def parse_time(value: object) -> float | None:
    """Unix seconds (UTC) from ISO 8601, RFC 822, a number or a ``datetime``; naive times are taken as UTC.

    A date outside 1900-2200 (or NaN, or infinite) is refused: see :data:`EARLIEST_PUBLISHED`.

    >>> parse_time("2026-11-20T07:42:00Z"), parse_time("Fri, 20 Nov 2026 07:42:00 GMT")
    (1795160520.0, 1795160520.0)
    >>> parse_time("9999-12-31")
    Traceback (most recent call last):
    ...
    storyline.ingest.records.BadRecord: published: out of range: '9999-12-31' (dates from 1900 through 2200 are accepted)
    """
    if value is None or value == "":
        return None
    if isinstance(value, numbers.Real) and not isinstance(value, bool):  # numpy's int64 too (a DataFrame's)
        return _from_number(value, value)  # type: ignore[arg-type]
    if isinstance(value, datetime):  # a record built in Python rather than read from a file
        dt = value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
        try:
            return _checked_time(dt.timestamp(), value.isoformat())
        except (OverflowError, ValueError):
            raise _out_of_range(value.isoformat()) from None
    if isinstance(value, date):  # a day without a time: its midnight, UTC
        return _checked_time(datetime(value.year, value.month, value.day, tzinfo=timezone.utc).timestamp(),
                             value.isoformat())
    if not isinstance(value, str):
        raise BadRecord(f"published: not a date: {_shown(value)}")
    text = value.strip()
    try:
        if re.fullmatch(r"\d{9,13}(\.\d+)?", text):
            return _from_number(float(text), value)
        try:
            dt = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            # RFC 822 dates are rare in files (feeds parse their own); email.utils costs start-up time.
            from email.utils import parsedate_to_datetime

            dt = parsedate_to_datetime(text)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=timezone.utc)
        seconds = dt.timestamp()
    except BadRecord:
        raise
    except (ValueError, TypeError, IndexError, OverflowError):
        raise BadRecord(f"published: not a date: {_shown(value)}") from None
    return _checked_time(seconds, value)


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


def _scalar(value: object) -> str | None:
    """A text, a number or a boolean as text; ``None`` for anything else (a list, an object, ...)."""
    if isinstance(value, str):
        return value
    if isinstance(value, float) or isinstance(value, int) and value.bit_length() <= 10_000:
        return str(value)
    return None


def _text(value: object, field: str) -> str:
    if value is None:
        return ""
    if type(value) is str:  # the usual case, without the slower checks against abstract types below
        return strip_html(value)
    if isinstance(value, Mapping):  # e.g. {"name": "..."} sources, {"value": "..."} contents
        if not any(k in value for k in ("name", "value", "title")):
            # {"a": "b"} is not a text storyline can read: it was stored as "" without a word
            raise BadRecord(f"{field}: expected text, got an object without a 'value', 'name' or 'title'")
        value = value.get("name") or value.get("value") or value.get("title") or ""
    if isinstance(value, list):  # e.g. [{"value": "..."}, ...] contents, or a list of strings
        parts = [_scalar(v.get("value") or "" if isinstance(v, Mapping) else v) for v in value]
        if None in parts:  # nested deeper than that: not text (and str() of it could recurse too far)
            raise BadRecord(f"{field}: expected text, got a list holding a "
                            f"{type(value[parts.index(None)]).__name__}")
        value = " ".join(parts)  # type: ignore[arg-type]
    text = _scalar(value)
    if text is None:
        raise BadRecord(f"{field}: expected text, got {type(value).__name__}")
    return strip_html(text)


def _plain(value: object, field: str) -> str:
    """An id, a link or a language tag as one clean string (no HTML to strip in those)."""
    text = _scalar(value)
    if text is None:
        raise BadRecord(f"{field}: expected text, got {type(value).__name__}")
    return clean_text(text).strip()


def derived_id(url: str | None, title: str, text: str) -> str:
    """A stable id: from the canonical URL if there is one, else from the normalised text.

    >>> derived_id("https://a.example/x?utm_source=rss", "T", "") == derived_id("https://a.example/x", "", "")
    True
    """
    basis = "url:" + canonical_url(url) if url else "text:" + " ".join(f"{title} {text}".lower().split())
    return hashlib.blake2b(basis.encode("utf-8"), digest_size=10).hexdigest()


def to_article(record: Mapping[str, object]) -> Article:
    """An :class:`Article` from a loose record, or :class:`BadRecord` saying what is wrong.

    A link that is not http(s) (``javascript:``, ``ftp:``) is dropped, the article kept. An http(s)
    link that does not parse (``http://[::1``, a port of ``99999``) makes the record bad
    (``url: not a valid URL``): records are their writer's to fix, and an article stored without its
    link would get another id than the same article once its link is fixed. (Feed entries, which the
    reader cannot fix, drop such a link before they get here: see :mod:`storyline.ingest.entries`.)

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
    url = (_plain(url_value, "url") or None) if url_value is not None else None
    if url and not re.match(r"^https?://", url, re.IGNORECASE):
        url = None  # only http(s) links are kept: anything else is unsafe to show or fetch
    if url and not valid_url(url):
        raise BadRecord(f"url: not a valid URL: {_shown(url)}")
    published = parse_time(_pick(record, "published"))
    source = _text(_pick(record, "source"), "source") or None
    if source is None and url:
        source = outlet_of(url)
    lang_value = _pick(record, "lang")
    lang = _plain(lang_value, "lang").lower()[:16] if lang_value is not None else None
    raw_id = _pick(record, "id")
    # An id of nothing but spaces or NULs (a blank CSV cell) is no id: derived, as for a missing one.
    article_id = (_plain(raw_id, "id") if raw_id is not None else "") or derived_id(url, title, text)
    return Article(id=article_id, title=title, text=text, url=url, published=published, source=source,
                   lang=lang)
