"""HTML rendering: the Jinja2 environment (autoescaping on), its filters, and small helpers for pages."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote, urlencode

import jinja2
from markupsafe import Markup

from ..cli.render import iso, plural
from . import charts, watchlists
from .security import safe_url

TEMPLATES = Path(__file__).parent / "templates"
TYPE_LABELS = {"person": "People", "place": "Places", "org": "Organisations", "other": "Other names"}
TYPE_SINGULAR = {"person": "Person", "place": "Place", "org": "Organisation", "other": "Name"}


def ago(ts: float | None, now: float) -> str:
    """How long before ``now``: ``just now``, ``12 min ago``, ``3 h ago``, ``2 d ago``, or a date.

    >>> ago(0, 30), ago(0, 720), ago(0, 3 * 3600 + 5), ago(0, 2 * 86400 + 5), ago(None, 0)
    ('just now', '12 min ago', '3 h ago', '2 d ago', 'undated')
    """
    if ts is None:
        return "undated"
    seconds = max(0.0, now - ts)
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    if seconds < 30 * 86400:
        return f"{int(seconds // 86400)} d ago"
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%d %b %Y")


def when(ts: float | None, with_year: bool = False) -> str:
    """A UTC time for people: ``Fri 20 Nov, 07:42 UTC``."""
    if ts is None:
        return "undated"
    fmt = "%a %d %b %Y, %H:%M UTC" if with_year else "%a %d %b, %H:%M UTC"
    return datetime.fromtimestamp(ts, timezone.utc).strftime(fmt)


def entity_href(name: str) -> str:
    return "/entity/" + quote(name, safe="")


def segment(value: str) -> str:
    """A value as one path segment of an address: Jinja's ``urlencode`` leaves ``/`` as it is.

    >>> segment("a/b c")
    'a%2Fb%20c'
    """
    return quote(value, safe="")


def query(base: str, **params: object) -> str:
    """``base?k=v`` with empty values left out.

    >>> query("/", window="all", entity=None, page=2)
    '/?window=all&page=2'
    """
    kept = {k: v for k, v in params.items() if v not in (None, "", False)}
    return base + ("?" + urlencode(kept) if kept else "")


def code_spans(text: str) -> Markup:
    """``text`` escaped, its `backticked` words set as code (messages shared with the JSON API use them).

    >>> code_spans("follow the `next` link <b>")
    Markup('follow the <code>next</code> link &lt;b&gt;')
    """
    parts = str(Markup.escape(text)).split("`")
    if len(parts) % 2 == 0:  # an odd backtick: not markup
        return Markup.escape(text)
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def environment() -> jinja2.Environment:
    """The template environment; every value is HTML-escaped unless marked safe here."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, auto_reload=False)
    env.filters.update(ago=ago, when=when, iso=iso, safe_url=safe_url, plural=plural, entity_href=entity_href,
                       segment=segment, watchlist_page=watchlists.page_url, watchlist_feed=watchlists.feed_url,
                       code_spans=code_spans)
    env.globals.update(query=query, type_labels=TYPE_LABELS, type_singular=TYPE_SINGULAR,
                       sparkline=lambda values, label: Markup(charts.sparkline(values, label)),
                       timeline=lambda points: Markup(charts.timeline(points)))
    # Compile every template now, at start-up: compiling on first use made the first page slow.
    for name in env.list_templates(extensions=["html"]):
        env.get_template(name)
    return env
