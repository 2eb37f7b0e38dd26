"""A brief rendered for people and programs: Markdown (email, Slack), HTML (prints well) and JSON.

>>> from storyline.stories.brief import Brief
>>> print(markdown(Brief(start=0.0, end=86400.0, fresh_from=0.0, topic=None, previous=None, articles=0, outlets=0,
...                      executive=())).splitlines()[0])
# Brief: 1970-01-01 00:00 – 1970-01-02 00:00 UTC
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from datetime import datetime, timezone

from .brief import Brief, BriefStory
from .importance import explain_burst

FORMATS = ("md", "html", "json")


def _when(ts: float | None) -> str:
    if ts is None:
        return "undated"
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M")


def _title(brief: Brief) -> str:
    topic = f" on “{brief.topic}”" if brief.topic else ""
    return f"Brief{topic}: {_when(brief.start)} – {_when(brief.end)} UTC"


def _of(articles: int, outlets: int) -> str:
    """Counts of articles and outlets, in the singular where it is one.

    >>> _of(3, 1), _of(1, 1)
    ('3 articles from 1 outlet', '1 article from 1 outlet')
    """
    return (f"{articles} {'article' if articles == 1 else 'articles'} from "
            f"{outlets} {'outlet' if outlets == 1 else 'outlets'}")


def _overview(brief: Brief) -> str:
    since = f" since the last brief ({_when(brief.previous.clock)})" if brief.previous else ""
    new = max(brief.new_stories, len(brief.new))  # a Brief built by hand may leave the totals at 0
    developing = max(brief.developing_stories, len(brief.developing))
    shown = len(brief.stories)
    top = "" if shown >= new + developing else (" The most important follows." if shown == 1 else
                                                 f" The {shown} most important follow.")
    return (f"{_of(brief.articles, brief.outlets)}{since}: "
            f"{new} new {'story' if new == 1 else 'stories'}, {developing} developing.{top}")


def _what_is_new(s: BriefStory) -> list[str]:
    parts = []
    if s.status == "developing":
        if s.new_outlets:
            parts.append("New outlets: " + ", ".join(s.new_outlets))
        if s.new_entities:
            parts.append("New names: " + ", ".join(s.new_entities))
    return parts


_MD_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>#|"})


def _md(text: str) -> str:
    r"""News text as Markdown shows it as written: no stray emphasis, links or HTML from a headline.

    >>> print(_md("Kellco *shares* soar [update] <b>"))
    Kellco \*shares\* soar \[update\] \<b\>
    """
    return text.translate(_MD_SPECIAL)


def _md_url(url: str) -> str:
    """A link target that cannot end the Markdown link early."""
    return url.replace("(", "%28").replace(")", "%29").replace(" ", "%20")


def markdown(brief: Brief) -> str:
    """The brief as Markdown: title, overview, executive summary, then new and developing stories."""
    out = [f"# {_md(_title(brief))}", ""]
    if brief.note:
        out += [f"_{_md(brief.note)}_", ""]
    out += [_overview(brief), ""]
    if not brief.stories:
        out += ["Nothing new in this period."]
        return "\n".join(out) + "\n"
    out += ["## Executive summary", ""]
    out += [f"{i}. {_md(line)}" for i, line in enumerate(brief.executive, start=1)]
    for label, stories in (("New stories", brief.new), ("Developing stories", brief.developing)):
        if not stories:
            continue
        out += ["", f"## {label}", ""]
        for s in stories:
            out += [f"### {_md(s.headline)}", "",
                    f"*{_md(s.why)}. {_of(s.articles, s.outlets)} in all, "
                    f"{_when(s.first_seen)} – {_when(s.last_seen)} UTC (story {s.id}).*", ""]
            if s.latest:
                out += [f"**Latest:** {_md(s.latest)}", ""]
            if s.summary:
                out += [_md(s.summary), ""]
            new = _what_is_new(s)
            if new:
                out += [_md(". ".join(new)) + ".", ""]
            if s.entities:
                out += ["Names: " + _md(", ".join(s.entities)) + ".", ""]
            for link in s.links:
                label_ = _md(f"{link.title} ({link.source or 'unknown outlet'})")
                url = _safe_link(link.url)
                out.append(f"- [{label_}]({_md_url(url)})" if url else f"- {label_}")
            if s.links:
                out.append("")
    return "\n".join(out).rstrip() + "\n"


_CSS = """
body{font:16px/1.5 Georgia,serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:2px solid #1b1b1b;margin-top:2rem}
h3{margin:1.4rem 0 .2rem;font-size:1.15rem}.meta{color:#555;font-size:.9rem;margin:.1rem 0 .5rem}
.tag{font:600 .7rem/1 sans-serif;text-transform:uppercase;letter-spacing:.05em;padding:.15rem .35rem;
border-radius:3px;background:#e8eef8;color:#123f7a;margin-right:.4rem;vertical-align:middle}
.tag.new{background:#e6f4ea;color:#11632a}.burst{color:#9a3412;font-weight:600}
ol.exec li{margin:.3rem 0}ul.links{padding-left:1.2rem;font-size:.92rem}article{break-inside:avoid}
a{color:#123f7a}@media print{body{margin:0;max-width:none;font-size:11pt}a{color:inherit}
h2{break-after:avoid}}
"""


def _safe_link(url: str | None) -> str | None:
    """Only absolute http(s) links go into a page (never ``javascript:`` or ``data:`` from a feed).

    >>> _safe_link("https://news.example/a"), _safe_link("javascript:alert(1)"), _safe_link(None)
    ('https://news.example/a', None, None)
    """
    if url and url.strip().lower().startswith(("http://", "https://")) and not any(c.isspace() for c in url):
        return url
    return None


def html_fragment(brief: Brief, story_href: Callable[[int], str] | None = None) -> str:
    """The brief's HTML without the page around it: a heading, the overview, the executive summary and
    the sections of stories. Every text is escaped. ``story_href`` links each headline to a story page
    (the web app's ``/story/ID``); without it headlines are plain text, as in a self-contained file.
    """
    e = html.escape
    parts = [f"<h1>{e(_title(brief))}</h1>"]
    if brief.note:
        parts.append(f'<p class="meta"><em>{e(brief.note)}</em></p>')
    parts.append(f'<p class="meta" id="overview">{e(_overview(brief))}</p>')
    if not brief.stories:
        parts.append("<p>Nothing new in this period.</p>")
        return "\n".join(parts) + "\n"
    parts.append('<section id="executive"><h2>Executive summary</h2><ol class="exec">')
    parts += [f"<li>{e(line)}</li>" for line in brief.executive]
    parts.append("</ol></section>")
    for key, label, stories in (("new", "New stories", brief.new),
                                ("developing", "Developing stories", brief.developing)):
        if not stories:
            continue
        parts.append(f'<section id="{key}"><h2>{label}</h2>')
        for s in stories:
            burst = ""
            if s.importance.burst is not None:
                burst = f' <span class="burst">▲ {e(explain_burst(s.importance.burst))}.</span>'
            headline = e(s.headline)
            if story_href is not None:
                headline = f'<a href="{e(story_href(s.id))}">{headline}</a>'
            parts.append(f'<article class="story" data-id="{s.id}"><h3><span class="tag {s.status}">'
                         f'{s.status}</span> <span class="headline">{headline}</span></h3>')
            parts.append(f'<p class="meta">{e(s.why.split("; coverage ")[0])}.{burst} {_of(s.articles, s.outlets)} '
                         f'in all, {_when(s.first_seen)} – {_when(s.last_seen)} UTC.</p>')
            if s.latest:
                parts.append(f'<p class="latest" dir="auto"><strong>Latest:</strong> {e(s.latest)}</p>')
            if s.summary:
                parts.append(f"<p>{e(s.summary)}</p>")
            new = _what_is_new(s)
            if new:
                parts.append(f'<p class="meta new-since">{e(". ".join(new))}.</p>')
            if s.entities:
                parts.append(f'<p class="meta">Names: {e(", ".join(s.entities))}.</p>')
            if s.links:
                parts.append('<ul class="links">')
                for link in s.links:
                    text = f"{e(link.title)} <span class=\"meta\">({e(link.source or 'unknown outlet')})</span>"
                    url = _safe_link(link.url)
                    parts.append(f'<li><a href="{e(url)}">{text}</a></li>' if url else f"<li>{text}</li>")
                parts.append("</ul>")
            parts.append("</article>")
        parts.append("</section>")
    return "\n".join(parts) + "\n"


def html_page(brief: Brief) -> str:
    """The brief as one self-contained HTML page (inline CSS, no scripts) that prints well."""
    e = html.escape
    return "\n".join(["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
                      '<meta name="viewport" content="width=device-width, initial-scale=1">',
                      f"<title>{e(_title(brief))}</title><style>{_CSS}</style></head><body>",
                      html_fragment(brief).rstrip("\n"), "</body></html>"]) + "\n"


def title(brief: Brief) -> str:
    """The brief's title, e.g. ``Brief on “port strike”: 2026-11-21 22:40 – 2026-11-22 22:40 UTC``."""
    return _title(brief)


def render(brief: Brief, fmt: str) -> str:
    """The brief in ``md``, ``html`` or ``json``."""
    if fmt == "md":
        return markdown(brief)
    if fmt == "html":
        return html_page(brief)
    if fmt == "json":
        return json.dumps(brief.to_json(), ensure_ascii=False, indent=1) + "\n"
    raise ValueError(f"unknown brief format: {fmt!r} (md, html or json)")
