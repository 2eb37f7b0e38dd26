"""Readers for each input format, and the dispatch from a path (or ``-`` for stdin) to a reader.

Every reader yields articles and :class:`Problem` records in input order: a bad line or entry is
reported with where it was and why, and reading goes on, so nothing good is lost. An input that is
not text at all (gzip, zip, other binary data) is refused as a whole with one :class:`SourceError`.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

from ..model import Article
from .decoding import REPLACE, not_utf8, replaced_bytes
from .entries import FeedParseError, entry_link, entry_time, guid_id, parse_document
from .records import ALIASES, BadRecord, to_article

log = logging.getLogger("storyline.ingest")

#: Where a reader says what it kept but had to change (a link dropped, bytes that were not UTF-8
#: replaced): one line each, ``file...: what``. Without one, these go to the ``storyline.ingest`` logger.
Notice = Callable[[str], None]


def _warn(message: str) -> None:
    log.warning("%s", message)


@dataclass(frozen=True, slots=True)
class Problem:
    """An input item that was skipped: ``where`` is ``file:line`` (or ``file:entry N``)."""

    where: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


class SourceError(OSError):
    """A whole input could not be read (missing file, unknown format, unreadable feed)."""


FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".feed")
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonlines")
CSV_SUFFIXES = (".csv", ".tsv")
_URL = re.compile(r"(https?|feed)://", re.IGNORECASE)


def read_jsonl(lines: Iterable[str], name: str) -> Iterator[Article | Problem]:
    """Articles from JSON Lines: a record (an object) per line, or an array of records on a line.

    A pretty-printed JSON document is read too, as one array of records (or one record, or several
    documents one after another): that is what the input is when its first line is a lone ``[`` or
    ``{``, or when its first two lines are both pieces of a value rather than values. Such a document
    is held in memory at once (fine for a file of a few hundred MB; JSON Lines, read line by line, has
    no limit) and read record by record: a record that is not valid JSON ends the reading there, with
    one problem, and every record before it is kept.

    >>> doc = '[\\n  {"title": "Port reopens"},\\n  {"title": "Ferry fares rise"}\\n]'
    >>> [a.title for a in read_jsonl(doc.splitlines(), "news.json")]
    ['Port reopens', 'Ferry fares rise']
    """
    lines = iter(lines)
    head: list[str] = []  # lines read ahead to tell JSON Lines from one document
    starts: list[str] = []
    for line in lines:
        head.append(line)
        if line.strip():
            starts.append(line.strip())
            if len(starts) == 2 or not _ambiguous(starts[0]):
                break  # decided: a stream's first record is read as soon as it arrives
    if not _one_document(starts):
        yield from _read_json_lines(chain(head, lines), name)
        return
    text = "\n".join(line.rstrip("\r\n") for line in chain(head, lines))
    items = read_json_document(text, name)
    first = next(items, None)
    if isinstance(first, Problem) and first.reason.startswith("not valid JSON") and starts[0] not in ("[", "{"):
        # Not one document after all, but JSON Lines whose first two lines are broken: read the rest.
        yield from _read_json_lines(text.split("\n"), name)
        return
    if first is not None:
        yield first
        yield from items


def _piece(line: str) -> bool:
    """Whether a line is only a piece of a JSON value (``{``, ``"title": "x",``, ``{...},``).

    A line that is a value is no piece, and neither is one too deep or with too long a number: that
    is a bad value, not part of a bigger one.
    """
    try:
        json.loads(line)
    except json.JSONDecodeError:
        return True
    except (ValueError, RecursionError):
        return False
    return False


def _ambiguous(first: str) -> bool:
    """Whether the first line of a JSON input leaves open if it is JSON Lines or one document."""
    return first[0] in "[{" and first not in ("[", "{") and _piece(first)


def _one_document(starts: list[str]) -> bool:
    """Whether the first two non-blank lines of a JSON input begin one pretty-printed document."""
    if not starts or starts[0][0] not in "[{":
        return False
    if starts[0] in ("[", "{"):
        return True
    # A broken first line with a good line after it is JSON Lines with a bad line, not a document.
    return len(starts) == 2 and _piece(starts[1]) and _piece(starts[0])


def json_reason(exc: ValueError | RecursionError) -> str:
    """Why a text is not valid JSON, in a few words (the line is said by the caller).

    >>> try:
    ...     json.loads('{"title": "unfinished')
    ... except ValueError as exc:
    ...     json_reason(exc)
    'Unterminated string starting at column 11'
    """
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    if isinstance(exc, json.JSONDecodeError):
        # Some messages end in "at" ("Unterminated string starting at"): no second "at" then.
        return f"{exc.msg}{'' if exc.msg.endswith(' at') else ' at'} column {exc.colno}"
    if "digits" in str(exc):  # Python's guard against quadratic int parsing (sys.set_int_max_str_digits)
        return f"a number longer than {sys.get_int_max_str_digits():,} digits"
    return str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__


def _record(item: object, where: str) -> Article | Problem:
    try:
        return to_article(item)  # type: ignore[arg-type]  # to_article says when it is no object
    except BadRecord as exc:
        return Problem(where, str(exc))


def _read_json_lines(lines: Iterable[str], name: str) -> Iterator[Article | Problem]:
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, too long a number, too deep
            yield Problem(f"{name}:{number}", f"not valid JSON ({json_reason(exc)})")
            continue
        if isinstance(record, list) and record and not any(isinstance(item, dict) for item in record):
            # One bad line, one problem: `[1, 2, 3]` was three "expected an object" lines and items.
            yield Problem(f"{name}:{number}", "expected an object (a record), or an array of them; got an array "
                                              "of " + ", ".join(sorted({type(i).__name__ for i in record})))
            continue
        for item in record if isinstance(record, list) else [record]:
            yield _record(item, f"{name}:{number}")


_SPACE = re.compile(r"[ \t\n\r]*")


def read_json_document(text: str, name: str) -> Iterator[Article | Problem]:
    """Articles from one JSON document: an array of records, a record, or several of these in a row.

    An array is read item by item, each with the line it starts on, so a bad record is a problem of
    its own; a break in the JSON itself ends the reading (with one problem saying where).
    """
    decoder = json.JSONDecoder()
    counted = [0, 1]  # a position in text, and its line: positions only grow, so lines are counted once

    def where(pos: int) -> str:
        counted[1] += text.count("\n", counted[0], pos)
        counted[0] = pos
        return f"{name}:{counted[1]}"

    def broken(pos: int, exc: ValueError | RecursionError) -> Problem:
        line = f"{name}:{exc.lineno}" if isinstance(exc, json.JSONDecodeError) else where(pos)
        return Problem(line, f"not valid JSON ({json_reason(exc)}); the rest of the document was skipped")

    pos = _SPACE.match(text).end()  # type: ignore[union-attr]
    while pos < len(text):
        in_array = text[pos] == "["
        if in_array:
            pos = _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
        while not (in_array and text.startswith("]", pos)):
            start = pos
            try:
                item, pos = decoder.raw_decode(text, pos)
            except (ValueError, RecursionError) as exc:
                yield broken(start, exc)
                return
            yield _record(item, where(start))
            pos = _SPACE.match(text, pos).end()  # type: ignore[union-attr]
            if not in_array:
                break
            if text.startswith(",", pos):
                pos = _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]
            elif not text.startswith("]", pos):
                reason = "the array is not closed" if pos >= len(text) else "expected , or ] after an item"
                yield Problem(where(pos), f"not valid JSON ({reason}); the rest of the document was skipped")
                return
        if in_array:
            pos = _SPACE.match(text, pos + 1).end()  # type: ignore[union-attr]


#: Columns whose values are one line each: a line break in one means a quote that never closed.
_ONE_LINE = frozenset(name for field in ("id", "title", "url", "published", "source", "lang")
                      for name in ALIASES[field])
#: Columns of which a table of articles has at least one.
_ARTICLE_COLUMNS = frozenset(ALIASES["title"] + ALIASES["text"])
_TEXT_COLUMNS = frozenset(ALIASES["text"])
_URL_COLUMNS = frozenset(ALIASES["url"])
_A_LINK = re.compile(r"^https?://\S+$", re.IGNORECASE)
#: The longest CSV cell read (a text is cut to records.MAX_TEXT later, as in JSONL; Python's default,
#: 131,072, ended the file at the first long article).
_CSV_CELL = 8 * 1024 * 1024


class _Lines:
    """The lines of a CSV input, remembering those of the row being read (to read them again)."""

    def __init__(self, lines: Iterable[str]) -> None:
        self.source = iter(lines)
        self.again: list[str] = []
        self.row: list[str] = []

    def __iter__(self) -> "_Lines":
        return self

    def __next__(self) -> str:
        line = self.again.pop() if self.again else next(self.source)
        self.row.append(line)
        return line


def read_csv(handle: Iterable[str], name: str, delimiter: str = ",") -> Iterator[Article | Problem]:
    """Articles from CSV (or TSV) with a header row; column names as in :data:`records.ALIASES`.

    A quote that opens in a title, a link or a date and never closes (``"Crane collapses, 2 hurt``)
    would swallow the rows after it into that cell: such a row, told by lines inside the cell that
    read as rows of their own, is reported and skipped, and reading goes on at its next line. (A
    title quoted over two lines, as spreadsheets export a cell with a line break, is kept.) A body
    spans lines and has commas of its own, so a quote left open in a body is told by a line inside it
    that reads as a whole row with a link in the link column; without a link column it cannot be told
    from a long body, and it still takes the rows after it.
    """
    csv.field_size_limit(max(csv.field_size_limit(), _CSV_CELL))
    lines = _Lines(handle)
    reader = csv.reader(lines, delimiter=delimiter)
    first: list[str] | None = []
    try:
        while first == []:  # blank lines before the header say nothing
            first = next(reader, None)
    except csv.Error as exc:
        yield Problem(f"{name}:{len(lines.row)}", f"unreadable CSV header ({exc})")
        return
    if not first:
        return
    header = [f.strip() for f in first]
    if not {f.lower() for f in header} & _ARTICLE_COLUMNS:  # an error page, a table of something else
        shown = ", ".join(repr(f) for f in header[:5]) + (", ..." if len(header) > 5 else "")
        raise SourceError(f"{name}: not a table of articles: its first line ({shown}) names no title or text "
                          "column")
    one_line = [i for i, f in enumerate(header) if f.lower() in _ONE_LINE]
    delimiters = len(header) - 1  # in a line that reads as a row of its own
    texts = [i for i, f in enumerate(header) if f.lower() in _TEXT_COLUMNS]
    links = [i for i, f in enumerate(header) if f.lower() in _URL_COLUMNS]

    def a_row(part: str) -> bool:
        """Whether a line inside a body cell is a whole row of this table with a link where links go:
        prose has commas, but hardly a line of exactly this many cells with a URL in the right one."""
        if part.count(delimiter) < delimiters:
            return False
        try:
            cells = next(csv.reader([part], delimiter=delimiter), [])
        except csv.Error:
            return False
        return len(cells) == len(header) and any(_A_LINK.match(cells[i].strip()) for i in links)

    line = len(lines.row)  # the physical line the header ended on
    while True:
        lines.row = []
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            yield Problem(f"{name}:{line + 1}", f"unreadable CSV ({exc}); the rest of the file was skipped")
            return
        if cells is None:
            return
        start, taken = line + 1, lines.row
        line += len(taken)
        if not cells:
            continue
        if len(taken) > 1 and delimiters and (any(
                part.count(delimiter) >= delimiters
                for i in one_line if i < len(cells) for part in cells[i].splitlines()[1:]) or any(
                a_row(part) for i in texts if i < len(cells) for part in cells[i].splitlines()[1:])):
            yield Problem(f"{name}:{start}", "a quote opened in this row does not close on its line; the row "
                                             "was skipped")
            lines.again = taken[:0:-1]  # its other lines are read again, as rows of their own
            line = start
            continue
        if len(cells) > len(header):
            yield Problem(f"{name}:{start}", f"{len(cells) - len(header)} more cells than the header has columns")
            continue
        row = dict(zip(header, cells))
        try:
            yield to_article({k: v for k, v in row.items() if k})
        except BadRecord as exc:
            yield Problem(f"{name}:{start}", str(exc))


def _feed_scope(feed: Any, name: str) -> str:
    """What a feed file's GUIDs are unique within: the feed's own address (its ``rel="self"`` link),
    else its site and title together (a site's world and sports feeds share the site's link), else
    the file's name."""
    for link in feed.get("links") or []:
        href = link.get("href") if isinstance(link, dict) else None
        if link.get("rel") == "self" and isinstance(href, str) and re.match(r"^https?://", href, re.IGNORECASE):
            return href
    site = feed.get("link")
    site = site if isinstance(site, str) and re.match(r"^https?://", site, re.IGNORECASE) else ""
    title = str(feed.get("title") or "").strip()
    return f"{site}\n{title}" if site or title else f"file:{name}"


#: GUIDs that are globally unique by design: URLs, URNs and tag URIs.
_GLOBAL_ID = re.compile(r"^(?:https?://|urn:|tag:)\S", re.IGNORECASE)


def read_feed(data: bytes, name: str, notice: Notice | None = None) -> Iterator[Article | Problem]:
    """Articles from an RSS or Atom document (parsed by feedparser, which tolerates broken XML).

    Dates and links are read as ``storyline watch`` reads them (:func:`~storyline.ingest.entries.entry_time`,
    :func:`~storyline.ingest.entries.entry_link`): an impossible date (year 1) counts as no date, and an
    entry whose link does not parse is kept without it, which is said to ``notice`` (it is no skipped
    item; without a ``notice``, it is logged as a warning on the ``storyline.ingest`` logger).
    An XML document that is no feed (an OPML subscription list, say) is a :class:`SourceError`.
    """
    notice = notice or _warn
    try:
        parsed = parse_document(data)
    except FeedParseError as exc:
        raise SourceError(f"{name}: {exc}") from None
    if not parsed.entries:
        if parsed.get("bozo"):
            raise SourceError(f"{name}: not a readable RSS/Atom feed ({parsed.get('bozo_exception')})")
        if parsed.get("version") == "" and data.strip():  # XML, but neither RSS nor Atom
            if re.search(rb"<opml[\s>]", data[:4096], re.IGNORECASE):
                raise SourceError(f"{name}: an OPML subscription list, not a feed; follow its feeds with "
                                  f"`storyline feeds import {name}` and `storyline watch`")
            raise SourceError(f"{name}: XML, but not an RSS or Atom feed")
        return
    feed_title = parsed.feed.get("title")
    # A GUID is unique within its feed only ("1", "2"...): it is read in the feed's scope, its site
    # (or its title, or this file), as `storyline watch` reads it in its URL's. Two outlets' files
    # both numbering their entries from 1 lost the second outlet's articles as "already stored".
    scope = _feed_scope(parsed.feed, name)
    seen: dict[str, tuple[object, object]] = {}
    for number, entry in enumerate(parsed.entries, start=1):
        link, dropped = entry_link(entry)
        if dropped is not None:
            notice(f"{name}:entry {number}: link {dropped[:100]!r} is not a valid URL; the entry is kept "
                   "without it")
        guid = entry.get("id")
        guid = guid.strip() if isinstance(guid, str) else ""
        # A GUID that is a URL or a URN (Atom's ids are) is unique by design: it stays the id it was.
        entry_id = (guid if _GLOBAL_ID.match(guid) else guid_id(scope, guid)) if guid else None
        fingerprint = (entry.get("title"), link or entry.get("summary"))
        if entry_id is not None and seen.setdefault(entry_id, fingerprint) != fingerprint:
            entry_id = None  # the GUID was used for another entry of this document: not trusted
        record = {
            "id": entry_id,
            "title": entry.get("title"),
            "text": (entry.get("content") or [{}])[0].get("value") or entry.get("summary"),
            "url": link,
            "published": entry_time(entry),
            "source": (entry.get("source") or {}).get("title") or feed_title,
            "lang": entry.get("language") or parsed.feed.get("language"),
        }
        try:
            yield to_article(record)
        except BadRecord as exc:
            yield Problem(f"{name}:entry {number}", str(exc))


#: First bytes of compressed files (bzip2's is followed by a block size digit, then 1AY&SY).
_COMPRESSED = ((b"\x1f\x8b", "gzip"), (b"PK\x03\x04", "zip"), (b"\xfd7zXZ\x00", "xz"),
               (b"\x28\xb5\x2f\xfd", "zstd"), (b"BZh", "bzip2"))
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
HEAD_BYTES = 8192


def not_text(head: bytes) -> str | None:
    """Why an input whose first bytes are ``head`` is not text, or ``None`` when it may be.

    Without this, a gzip file would be read as CSV: dozens of baffling problems, one per "line".

    >>> not_text(b"\\x1f\\x8b\\x08\\x00"), not_text(b'{"title": "x"}')
    ('not a text file (gzip? decompress it first)', None)
    """
    for magic, kind in _COMPRESSED:
        if head.startswith(magic) and (kind != "bzip2" or head[4:10] == b"1AY&SY"):
            return f"not a text file ({kind}? decompress it first)"
    if head.startswith(_UTF16_BOMS):
        return None  # UTF-16 text (as some spreadsheets save it): its NULs are half characters
    if b"\x00" in head:
        return "not a text file (it holds NUL bytes: binary data, or compressed? decompress it first)"
    return None


def text_encoding(head: bytes) -> str:
    """The codec of a text whose first bytes are ``head``: UTF-16 after its byte-order mark, else UTF-8
    (a UTF-8 byte-order mark is skipped)."""
    return "utf-16" if head.startswith(_UTF16_BOMS) else "utf-8-sig"


def _sniff(head: bytes) -> str:
    text = head[:512].decode(text_encoding(head), errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith("<"):
        return "feed"
    if text.startswith(("{", "[")):
        return "jsonl"
    return "csv"


def looks_like_url(name: str) -> bool:
    """Whether a name given for a file is a feed URL (then the user wants another command).

    >>> looks_like_url("HTTPS://example.org/rss"), looks_like_url("feed://x"), looks_like_url("news.jsonl")
    (True, True, False)
    """
    return _URL.match(name) is not None


def _own_stdin() -> Any:
    """A reader of stdin's descriptor of its own: a thread may still wait on it (:mod:`.pauses`) when
    the interpreter exits, and exiting flushes ``sys.stdin``, which must not be busy then (a fatal
    error, not an exit status, after ^C)."""
    try:
        return open(os.dup(sys.stdin.fileno()), "rb")
    except (AttributeError, OSError, ValueError):  # no descriptor (an in-memory stdin): use it as it is
        return sys.stdin.buffer


def read_source(path: str, notice: Notice | None = None) -> Iterator[Article | Problem]:
    """Articles and problems from a file path, or from stdin when ``path`` is ``-``.

    The format comes from the suffix (.jsonl/.json, .csv/.tsv, .xml/.rss/.atom), else from the
    first bytes. Text is UTF-8 (or UTF-16 with a byte-order mark); bytes that are not are read as
    U+FFFD, so the good lines of a file saved in another encoding are kept, and ``notice`` is told
    (as it is told of feed entries kept without a broken link; without a ``notice`` these go to the
    ``storyline.ingest`` logger). An input that is compressed or binary, or a URL, is a
    :class:`SourceError`, so the other inputs of a command are still read.
    """
    notice = notice or _warn
    if path == "-":
        name = "<stdin>"
        stdin = _own_stdin()
        try:
            blank = 0
            if hasattr(stdin, "peek"):
                head = stdin.peek(HEAD_BYTES)[:HEAD_BYTES]  # what has arrived: a pipe may bring more later
                while head and not head.startswith(_UTF16_BOMS) and not head.lstrip(b"\xef\xbb\xbf \t\r\n"):
                    stdin.readline()  # blank lines before the first record say nothing of the format
                    blank += 1
                    head = stdin.peek(HEAD_BYTES)[:HEAD_BYTES]
                if not head:
                    # A producer with nothing new is no mistake, but `curl -s URL | storyline ingest -`
                    # with the server down looks the same: said, so that a cron job's mail shows it.
                    notice(f"{name}: no input (it was empty); if the command before the | failed, "
                           "curl -sS says why")
                    return
                _check_text(head, name)
                kind = _sniff(head)
                if kind != "feed" and not head.startswith(_UTF16_BOMS):
                    # JSON Lines and CSV are read as they arrive: `producer | storyline ingest -` stores
                    # each article without waiting for the end of the input, and holds no more than a line.
                    yield from _read_stream(stdin, name, kind, ",", notice, skipped_lines=blank)
                    return
            data = stdin.read()
        finally:
            if stdin is not sys.stdin.buffer:
                stdin.close()
        _check_text(data[:HEAD_BYTES], name)
        kind = _sniff(data)
    else:
        p = Path(path)
        name = path
        if not p.exists():
            if looks_like_url(path):
                raise SourceError(f"{path}: a URL, not a file; ingest reads files (or - for stdin): follow the feed "
                                  f"with `storyline feeds add {path}` and `storyline watch`, or pipe it in "
                                  "with `curl -s URL | storyline ingest -`")
            raise SourceError(f"{path}: no such file")
        if p.is_dir():
            raise SourceError(f"{path}: is a directory, not a file")
        suffix = p.suffix.lower()
        kind = ("jsonl" if suffix in JSON_SUFFIXES else "csv" if suffix in CSV_SUFFIXES
                else "feed" if suffix in FEED_SUFFIXES else "")
        if kind == "jsonl" or kind == "csv":
            yield from _read_text_file(p, name, kind, "\t" if suffix == ".tsv" else ",", notice)
            return
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
        _check_text(data[:HEAD_BYTES], name)
        kind = kind or _sniff(data)
    if kind == "feed":
        yield from read_feed(data, name, notice)
        return
    # newline="": lines end at \n, \r or \r\n only, as in files (str.splitlines would also break a
    # JSON line at a U+2028 inside a string, which JSON allows unescaped).
    before = replaced_bytes()
    handle = io.StringIO(data.decode(text_encoding(data), errors=REPLACE), newline="")
    _say_replaced(notice, name, data[:2], replaced_bytes() - before)
    if kind == "jsonl":
        yield from read_jsonl(handle, name)
    else:
        yield from read_csv(handle, name)


def _check_text(head: bytes, name: str) -> None:
    reason = not_text(head)
    if reason:
        raise SourceError(f"{name}: {reason}")


def _say_replaced(notice: Notice, name: str, head: bytes, replaced: int) -> None:
    if replaced:
        notice(not_utf8(name, replaced, "UTF-16" if head.startswith(_UTF16_BOMS) else "UTF-8"))


def _read_text_file(p: Path, name: str, kind: str, delimiter: str,
                    notice: Notice) -> Iterator[Article | Problem]:
    try:
        raw: Any = open(p, "rb")
    except OSError as exc:
        raise SourceError(f"{name}: cannot read ({exc.strerror})") from None
    with raw:
        try:
            head = raw.peek(HEAD_BYTES)[:HEAD_BYTES]  # peek, not read and seek: a named pipe cannot seek
        except OSError as exc:
            raise SourceError(f"{name}: cannot read ({exc.strerror})") from None
        _check_text(head, name)
        yield from _read_stream(raw, name, kind, delimiter, notice)


def _read_stream(raw: Any, name: str, kind: str, delimiter: str, notice: Notice,
                 skipped_lines: int = 0) -> Iterator[Article | Problem]:
    """JSON Lines or CSV from a binary stream, line by line; ``skipped_lines`` blank lines were read
    off it already (so that problems still name the right line)."""
    head = raw.peek(HEAD_BYTES)[:HEAD_BYTES]
    handle = io.TextIOWrapper(raw, encoding=text_encoding(head), errors=REPLACE, newline="")
    lines: Iterable[str] = chain(["\n"] * skipped_lines, handle) if skipped_lines else handle
    before = replaced_bytes()  # counted in this thread while the stream is read (once, at its end)
    try:
        if kind == "jsonl":
            yield from read_jsonl(lines, name)
        else:
            yield from read_csv(lines, name, delimiter)
        _say_replaced(notice, name, head, replaced_bytes() - before)
    finally:
        handle.detach()  # the caller closes ``raw`` (never stdin itself)
