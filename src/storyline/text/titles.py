"""Headline cleaning: an outlet's own name in a headline is not news.

Many sites append their name to every title ("Man shot on Elm St - KSLA News 12 Shreveport"). Such
a tail matches every other article of that outlet and none of the other outlets' articles about the
same event, so it is dropped before the title is compared.
"""

from __future__ import annotations

import re

_TAIL = re.compile(r"\s+(?:[-|–—•:]|::)\s+(?=[^-|–—•]*$)")
_GENERIC = frozenset("www com net org co uk us news the online tv de fr es it info".split())
_WORD = re.compile(r"[a-z0-9]+")


def strip_outlet(title: str, source: str | None) -> str:
    """The title without a trailing segment that names its own outlet.

    >>> strip_outlet("Man shot on Elm Street - KSLA News 12 Shreveport", "ksla.com")
    'Man shot on Elm Street'
    >>> strip_outlet("Kaldoria and Veszmark sign truce - analysis", "Harbor Gazette")
    'Kaldoria and Veszmark sign truce - analysis'
    """
    if not source:
        return title
    m = _TAIL.search(title)
    if m is None or m.start() < 12:
        return title
    tail = set(_WORD.findall(title[m.end():].lower()))
    outlet = {w for w in _WORD.findall(source.lower()) if len(w) > 2 and w not in _GENERIC}
    return title[: m.start()] if tail & outlet else title
