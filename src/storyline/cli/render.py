"""Plain-text and JSON renderings of stories for the terminal."""

from __future__ import annotations

import shutil
import textwrap
from dataclasses import asdict
from datetime import datetime, timezone

from ..model import Story, iso
from ..stories.storylines import Storyline


def when(ts: float | None, with_date: bool = True) -> str:
    """A UTC time for people: ``2026-11-20 07:42 UTC``."""
    if ts is None:
        return "undated"
    fmt = "%Y-%m-%d %H:%M UTC" if with_date else "%H:%M UTC"
    return datetime.fromtimestamp(ts, timezone.utc).strftime(fmt)


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 outlet``, ``3 outlets``, ``1,204 articles``.

    >>> plural(1, "outlet"), plural(1204, "article"), plural(2, "story", "stories")
    ('1 outlet', '1,204 articles', '2 stories')
    """
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def _width() -> int:
    return max(40, min(100, shutil.get_terminal_size((88, 24)).columns) - 2)


def story_summary_json(story: Story) -> dict[str, object]:
    """The short form of a story, as ``storyline stories --json`` prints it."""
    return {
        "id": story.id,
        "headline": story.headline,
        "summary": story.summary,
        "articles": story.articles,
        "outlets": story.outlets,
        "first_seen": iso(story.first_seen),
        "last_seen": iso(story.last_seen),
        "entities": [{"name": e.name, "type": e.type} for e in story.entities[:5]],
    }


def story_json(story: Story) -> dict[str, object]:
    """The full form of a story, as ``storyline show --json`` prints it."""
    out = story_summary_json(story)
    out["entities"] = [{"name": e.name, "type": e.type, "articles": e.count} for e in story.entities]
    out["keywords"] = list(story.keywords)
    out["timeline"] = [{"time": t, "articles": n} for t, n in story.timeline]
    out["languages"] = [{"lang": lang, "articles": n} for lang, n in story.languages]

    def item(c) -> dict[str, object]:
        d = {"id": c.article_id, **asdict(c)}  # "id", as the HTTP API names it ("article_id" kept)
        d["published"] = iso(c.published)
        d["copies"] = [item(k) for k in c.copies]
        return d

    out["coverage"] = [{"outlet": outlet, "articles": [item(c) for c in items]} for outlet, items in story.coverage]
    return out


def _count(n: int, noun: str) -> str:
    """``n`` and its noun, singular for one.

    >>> _count(1, "article"), _count(2, "outlet")
    ('1 article', '2 outlets')
    """
    return f"{n} {noun if n == 1 else noun + 's'}"


def story_lines(rank: int, story: Story) -> list[str]:
    """A story as a few readable lines for a list."""
    width = _width()
    span = when(story.first_seen)
    if story.last_seen and story.first_seen and story.last_seen - story.first_seen >= 60:
        same_day = when(story.first_seen)[:10] == when(story.last_seen)[:10]
        span += " → " + when(story.last_seen, with_date=not same_day)
    lines = textwrap.wrap(f"{rank:>2}. {story.headline}", width, subsequent_indent="    ")
    lines.append(f"    {_count(story.articles, 'article')} · {_count(story.outlets, 'outlet')} · {span} · "
                 f"story {story.id}")
    if story.summary:
        lines += textwrap.wrap(story.summary, width, initial_indent="    ", subsequent_indent="    ")
    if story.entities:
        lines.append("    " + ", ".join(e.name for e in story.entities[:5]))
    return lines


def story_page(story: Story) -> list[str]:
    """Everything about one story, for ``storyline show``."""
    width = _width()
    lines = textwrap.wrap(story.headline, width)
    lines.append("=" * min(width, max(len(l) for l in lines)))
    lines.append(f"story {story.id} · {_count(story.articles, 'article')} · {_count(story.outlets, 'outlet')} · "
                 f"first seen {when(story.first_seen)} · last seen {when(story.last_seen)}")
    if len(story.languages) > 1:
        lines.append("in " + ", ".join(f"{lang} ({n})" for lang, n in story.languages))
    if story.summary:
        lines.append("")
        lines += textwrap.wrap(story.summary, width)
    if story.entities:
        lines += ["", "Key entities:"]
        for kind in ("person", "place", "org", "other"):
            names = [e.name for e in story.entities if e.type == kind]
            if names:
                label = {"person": "people", "place": "places", "org": "organisations", "other": "other"}[kind]
                lines += textwrap.wrap(f"  {label}: " + ", ".join(names), width, subsequent_indent="    ")
    if story.keywords:
        lines.append("Keywords: " + ", ".join(story.keywords))
    if story.timeline:
        lines += ["", "Timeline:"]
        peak = max(n for _, n in story.timeline) or 1
        unit = "hour" if "T" in story.timeline[0][0] else "day"
        quiet: list[str] = []  # a run of periods without articles: three or more are one line

        def close_quiet() -> None:
            if len(quiet) >= 3:
                lines.append(f"  {'…':<17} {plural(len(quiet), unit)} without articles")
            else:
                lines.extend(f"  {t:<17} {'':<20} 0" for t in quiet)
            quiet.clear()

        for t, n in story.timeline:
            if not n:
                quiet.append(t)
                continue
            close_quiet()
            lines.append(f"  {t:<17} {'█' * max(1, round(20 * n / peak)):<20} {n}")
        close_quiet()
    lines += ["", "Coverage:"]
    for outlet, items in story.coverage:
        lines.append(f"  {outlet} ({len(items)})")
        for c in items:
            lines += textwrap.wrap(f"- {c.title}  [{c.article_id}, {when(c.published)}]", width,
                                   initial_indent="    ", subsequent_indent="      ")
            for k in c.copies:
                lines += textwrap.wrap(f"↳ copy: {k.source or 'unknown outlet'}: {k.title}  [{k.article_id}]",
                                       width, initial_indent="      ", subsequent_indent="        ")
    return lines


def storyline_json(line: Storyline) -> dict[str, object]:
    """A storyline as ``storyline stories --storylines --json`` prints it."""
    return {"id": line.id, "name": line.name, "stories": [story_summary_json(s) for s in line.stories]}


def storyline_lines(rank: int, line: Storyline) -> list[str]:
    """A storyline for the terminal: its name, then its stories, newest activity first."""
    articles = sum(s.articles for s in line.stories)
    out = [f"{rank:>2}. {line.name}",
           f"    {len(line.stories)} stories · {_count(articles, 'article')} · storyline {line.id}"]
    for story in line.stories:
        out.append(f"    - {story.headline} ({_count(story.articles, 'article')}, story {story.id}, "
                   f"last seen {when(story.last_seen, with_date=False)})")
    return out
