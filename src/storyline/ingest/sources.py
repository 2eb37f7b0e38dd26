"""Readers for each input format, and the dispatch from a path (or ``-`` for stdin) to a reader.

Every reader yields articles and :class:`Problem` records in input order: a bad line or entry is
reported with where it was and why, and reading goes on, so nothing good is lost.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..model import Article
from .records import BadRecord, to_article


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


def read_jsonl(lines: Iterator[str], name: str) -> Iterator[Article | Problem]:
    """Articles from JSON Lines; a JSON array on one line or over the whole input works too."""
    for number, line in enumerate(lines, start=1):
        line = line.strip()
        if not line:
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Problem(f"{name}:{number}", f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        items = record if isinstance(record, list) else [record]
        for item in items:
            try:
                yield to_article(item)
            except BadRecord as exc:
                yield Problem(f"{name}:{number}", str(exc))


def read_csv(handle: io.TextIOBase, name: str, delimiter: str = ",") -> Iterator[Article | Problem]:
    """Articles from CSV (or TSV) with a header row; column names as in :data:`records.ALIASES`."""
    reader = csv.DictReader(handle, delimiter=delimiter)
    if not reader.fieldnames:
        return
    header = [f.strip() if f else f for f in reader.fieldnames]
    reader.fieldnames = header
    try:
        for row in reader:
            line = reader.line_num
            if None in row:
                yield Problem(f"{name}:{line}", f"{len(row[None])} more cells than the header has columns")  # type: ignore[index]
                continue
            try:
                yield to_article({k: v for k, v in row.items() if k})
            except BadRecord as exc:
                yield Problem(f"{name}:{line}", str(exc))
    except csv.Error as exc:
        yield Problem(f"{name}:{reader.line_num}", f"unreadable CSV ({exc}); the rest of the file was skipped")


def read_feed(data: bytes, name: str) -> Iterator[Article | Problem]:
    """Articles from an RSS or Atom document (parsed by feedparser, which tolerates broken XML)."""
    import feedparser  # imported here: only feeds need it, and it is slow to import

    parsed = feedparser.parse(data)
    if not parsed.entries:
        if parsed.get("bozo"):
            raise SourceError(f"{name}: not a readable RSS/Atom feed ({parsed.get('bozo_exception')})")
        return
    feed_title = parsed.feed.get("title")
    for number, entry in enumerate(parsed.entries, start=1):
        record = {
            "id": entry.get("id") or None,
            "title": entry.get("title"),
            "text": (entry.get("content") or [{}])[0].get("value") or entry.get("summary"),
            "url": entry.get("link"),
            "published": _entry_time(entry),
            "source": (entry.get("source") or {}).get("title") or feed_title,
            "lang": entry.get("language") or parsed.feed.get("language"),
        }
        try:
            yield to_article(record)
        except BadRecord as exc:
            yield Problem(f"{name}:entry {number}", str(exc))


def _entry_time(entry: dict) -> float | None:
    import calendar

    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return float(calendar.timegm(value))
    return None


def _sniff(head: bytes) -> str:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"<"):
        return "feed"
    if text.startswith((b"{", b"[")):
        return "jsonl"
    return "csv"


def read_source(path: str) -> Iterator[Article | Problem]:
    """Articles and problems from a file path, or from stdin when ``path`` is ``-``.

    The format comes from the suffix (.jsonl/.json, .csv/.tsv, .xml/.rss/.atom), else from the
    first bytes.
    """
    if path == "-":
        data = sys.stdin.buffer.read()
        name = "<stdin>"
        kind = _sniff(data[:512])
    else:
        p = Path(path)
        name = path
        if not p.exists():
            raise SourceError(f"{path}: no such file")
        if p.is_dir():
            raise SourceError(f"{path}: is a directory, not a file")
        suffix = p.suffix.lower()
        kind = ("jsonl" if suffix in JSON_SUFFIXES else "csv" if suffix in CSV_SUFFIXES
                else "feed" if suffix in FEED_SUFFIXES else "")
        if kind == "jsonl" or kind == "csv":
            yield from _read_text_file(p, name, kind, "\t" if suffix == ".tsv" else ",")
            return
        try:
            data = p.read_bytes()
        except OSError as exc:
            raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
        kind = kind or _sniff(data[:512])
    if kind == "feed":
        yield from read_feed(data, name)
        return
    text = data.decode("utf-8-sig", errors="replace")
    if kind == "jsonl":
        yield from read_jsonl(iter(text.splitlines()), name)
    else:
        yield from read_csv(io.StringIO(text, newline=""), name)


def _read_text_file(p: Path, name: str, kind: str, delimiter: str) -> Iterator[Article | Problem]:
    try:
        handle = open(p, encoding="utf-8-sig", errors="replace", newline="")
    except OSError as exc:
        raise SourceError(f"{name}: cannot read ({exc.strerror})") from None
    with handle:
        if kind == "jsonl":
            yield from read_jsonl(iter(handle), name)
        else:
            yield from read_csv(handle, name, delimiter)
