"""The main text of an article page (trafilatura), for feeds that carry only a snippet.

>>> page = b"<html><body><nav>Home | World</nav><article><h1>Port reopens</h1><p>" + \\
...     b"The port of Dunmere reopened on Monday after the flood waters fell. " * 4 + b"</p></article></body></html>"
>>> text = extract_text(page, "https://harbor.example/news/1")
>>> "The port of Dunmere reopened" in text, "Home | World" in text
(True, False)
"""

from __future__ import annotations

import logging

from .records import MAX_TEXT


class FullTextUnavailable(RuntimeError):
    """Full-text extraction needs the trafilatura package."""


def extract_text(html: bytes, url: str | None = None, title: str | None = None) -> str | None:
    """The main text of an HTML page (paragraphs separated by newlines), or ``None`` if none is found.

    A first line that repeats ``title`` (the page's headline) is dropped: the article has its title.
    """
    try:
        import trafilatura
    except ImportError as exc:  # installed with storyline; a broken environment says so plainly
        raise FullTextUnavailable(f"--fetch-articles needs trafilatura ({exc}); pip install trafilatura") from None
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    text = trafilatura.extract(html, url=url, include_comments=False, include_tables=False,
                               favor_precision=True, deduplicate=True)
    if not text or not text.strip():
        return None
    text = text.strip()
    if title:
        first, _, rest = text.partition("\n")
        if " ".join(first.split()).casefold() == " ".join(title.split()).casefold() and rest.strip():
            text = rest.strip()
    return text[:MAX_TEXT]
