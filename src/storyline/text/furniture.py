"""Page furniture: the sentences an outlet prints around every article, learned from its own pages.

A scraped page carries more than its story: "Join the conversation on our Facebook page", a
copyright line, the headlines of the outlet's video playlist. Those words are rare in the stream as
a whole, so TF-IDF weights them highly, and two different events reported by one outlet look alike
through them (on gva-incidents, most of the wrongly joined pairs came from one outlet). An outlet's
furniture repeats, word for word, on its other pages. So a sentence that the same outlet printed in
one of its last few articles is left out of the body before it is weighed, unless it shares two
words with the article's title: an outlet's follow-ups repeat the story's background line ("The
bridge at Tarvik collapsed on Friday, the mayor said"), and that line is the story's, not the
page's. Nothing is configured per site: each outlet's furniture is learned from the stream itself.

Titles carry furniture too: many sites end every title with their name and slogan ("Man shot on
Elm St - KSLA News 12 Shreveport, Louisiana News Weather & Sports"). A title's tail after a
separator that the outlet's other recent titles ended with is cut off.

Only sentences and tails are compared, never words, and only within one outlet: a wire story that
many outlets print keeps every sentence (those copies are the near-duplicate detector's work). An
outlet's very first page keeps its furniture: nothing tells it apart yet. What was left out is
stored with each article's decision, so story pages skip it too.
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict, deque
from typing import NamedTuple

from .tokens import terms

#: Where a body splits into sentences or lines: spaces after . ! ? (or a closing quote), line breaks,
#: and runs of spaces (scraped pages join their blocks with them). Written to start on one white-space
#: character, so that the search only tries where there is one: three times faster than the plain
#: ``(?<=[.!?"'”’])\s+|\s*\n\s*|\s{2,}``, which splits the same way.
_BREAKS = re.compile(r"\s(?:(?<=[.!?\"'”’]\s)|(?=\s)|(?<=\n))\s*")

#: Shorter pieces ("Advertisement", "Pause") weigh little and may be a story's own words.
_MIN_CHARS = 16

#: What separates a title's segments: sites put their name and slogan in the last ones.
_TITLE_SEPARATOR = re.compile(r"\s+(?:[-–—•:]|::)\s+|\s*\|\s*")
#: A title keeps at least this much before a tail it loses.
_MIN_TITLE = 12

#: Title words a sentence printed before must share to be the story's own (a recap), not furniture.
_RECAP_WORDS = 2


class Furniture:
    """Finds in an article what its outlet printed on one of its recent pages too: sentences of the
    body, the tail of the title.

    ``find`` (and ``clean``) both answer and learn: they compare the article with the outlet's last
    ``per_outlet`` articles, then remember this one. Memory is bounded: the outlets seen least recently are
    forgotten beyond ``outlets``. The same articles in the same order give the same answers.

    >>> f = Furniture()
    >>> f.clean("kdka", "Two men were shot on Main Street. Follow KDKA on Twitter for updates.")
    'Two men were shot on Main Street. Follow KDKA on Twitter for updates.'
    >>> f.clean("kdka", "A fire closed the bridge overnight. Follow KDKA on Twitter for updates.")
    'A fire closed the bridge overnight.'
    >>> f.clean("another outlet", "A fire closed the bridge overnight. Follow KDKA on Twitter for updates.")
    'A fire closed the bridge overnight. Follow KDKA on Twitter for updates.'
    """

    def __init__(self, per_outlet: int = 10, outlets: int = 5000, max_chars: int = 6000) -> None:
        self.per_outlet = per_outlet
        self.outlets = outlets
        #: Only this much of a body is compared (the clusterer reads less than that by default).
        self.max_chars = max_chars
        self._memory: OrderedDict[str, _Outlet] = OrderedDict()

    def clean(self, source: str | None, text: str, title: str = "") -> str:
        """``text`` without the sentences ``source`` printed in one of its last articles, except those
        that share two words with ``title`` (the story's own background line); learns the article.

        A word-for-word reprint is a duplicate before it comes here (by its whole text).
        """
        return without(text, self.find(source, title, text).spans)

    def find(self, source: str | None, title: str, text: str) -> "Found":
        """Where the article's furniture is: where its title's furniture begins, and the start and end
        of each sentence of ``text`` that :meth:`clean` leaves out; learns the article. Stored with
        it, they let a reader skip the furniture too.

        >>> f = Furniture()
        >>> f.find("kdka", "Ferry runs aground - KDKA News", "Follow KDKA on Twitter now. A ferry ran aground.")
        Found(title_end=30, spans=[])
        >>> f.find("kdka", "Bridge reopens after repairs - KDKA News", "A bridge reopened.  Follow KDKA on Twitter now.")
        Found(title_end=28, spans=[(20, 47)])
        """
        outlet = self._outlet(source)
        if outlet is None:
            return Found(len(title), [])
        title_end = self._title_end(outlet, title)
        if not text:
            return Found(title_end, [])
        if outlet.pending:
            self._digest(outlet)
        seen = outlet.seen
        pieces = _BREAKS.split(text[: self.max_chars])
        # Hashes, not the sentences, are remembered: a fifth of the memory. They differ between
        # processes, which is no matter: the memory is rebuilt from the store, never saved.
        keys = list(map(hash, pieces))
        sentences = frozenset(k for p, k in zip(pieces, keys) if len(p) >= _MIN_CHARS)
        spans: list[tuple[int, int]] = []
        if seen and not sentences.isdisjoint(seen):
            drop = {k for k in sentences if k in seen}
            if title:  # an outlet's follow-ups repeat its background line: that is no furniture
                about = set(terms(title[:title_end]))
                drop = {k for p, k in zip(pieces, keys)
                        if k in drop and len(about.intersection(terms(p))) < _RECAP_WORDS}
            if drop:
                start = 0
                for piece, key, gap in zip(pieces, keys, [*_BREAKS.finditer(text, 0, self.max_chars), None]):
                    if key in drop:
                        spans.append((start, start + len(piece)))
                    if gap is not None:
                        start = gap.end()
        self._learn(outlet, sentences)
        return Found(title_end, spans)

    def remember(self, source: str | None, title: str, text: str) -> None:
        """Learn an article as :meth:`find` would, without an answer (rebuilding memory from a store).

        Cheap: the text is only kept aside, and read when its outlet's next article is read or at
        :meth:`settle`; texts that later ones of their outlet push out are never read.

        >>> f = Furniture(per_outlet=1)
        >>> f.remember("kdka", "Ferry runs aground", "Follow KDKA on Twitter for updates.")
        >>> f.clean("kdka", "A fire closed the bridge. Follow KDKA on Twitter for updates.")
        'A fire closed the bridge.'
        """
        outlet = self._outlet(source)
        if outlet is not None:
            self._title_end(outlet, title)
            if text:
                outlet.pending.append(text[: self.max_chars])

    def settle(self) -> None:
        """Read every text that :meth:`remember` kept aside (so that memory holds hashes only)."""
        for outlet in self._memory.values():
            if outlet.pending:
                self._digest(outlet)

    def _outlet(self, source: str | None) -> "_Outlet | None":
        """The memory of ``source``'s outlet, now the most recently seen (None: nothing to learn)."""
        if not source or self.per_outlet <= 0:
            return None
        key = _outlet_key(source)
        outlet = self._memory.get(key)
        if outlet is None:
            outlet = self._memory[key] = _Outlet(self.per_outlet)
            if len(self._memory) > self.outlets:
                self._memory.popitem(last=False)
        else:
            self._memory.move_to_end(key)
        return outlet

    @staticmethod
    def _title_end(outlet: "_Outlet", title: str) -> int:
        """Where ``title``'s furniture begins: the longest tail after a separator (`` - ``, `` | ``...)
        that one of the outlet's last titles ended with too; learns the title's tails."""
        tails = [(m.start(), title[m.end():].strip()) for m in _TITLE_SEPARATOR.finditer(title)]
        if not tails:
            return len(title)
        end = len(title)
        for start, tail in tails:  # the earliest separator first: the longest tail
            if start >= _MIN_TITLE and tail and any(tail in earlier for earlier in outlet.tails):
                end = start
                break
        outlet.tails.append(frozenset(tail for _, tail in tails))
        return end

    def _digest(self, outlet: "_Outlet") -> None:
        while outlet.pending:
            pieces = _BREAKS.split(outlet.pending.popleft())
            self._learn(outlet, frozenset(hash(p) for p in pieces if len(p) >= _MIN_CHARS))

    def _learn(self, outlet: "_Outlet", sentences: frozenset[int]) -> None:
        seen, recent = outlet.seen, outlet.recent
        recent.append(sentences)
        seen.update(sentences)
        if len(recent) > self.per_outlet:
            for key in recent.popleft():
                if seen[key] <= 1:
                    del seen[key]  # no zeros kept: ``in seen`` means "printed lately"
                else:
                    seen[key] -= 1


class _Outlet:
    """One outlet's memory: its last articles' sentences (hashed), how many of them hold each, the
    texts :meth:`Furniture.remember` kept aside (no more than the memory's length: older ones would
    be forgotten before they were read), and the tails of its last titles."""

    __slots__ = ("seen", "recent", "pending", "tails")

    def __init__(self, per_outlet: int) -> None:
        self.seen: Counter[int] = Counter()
        self.recent: deque[frozenset[int]] = deque()
        self.pending: deque[str] = deque(maxlen=per_outlet)
        #: The tails of its last titles, after each separator ("KSLA News 12 Shreveport, Louisiana
        #: News Weather & Sports").
        self.tails: deque[frozenset[str]] = deque(maxlen=per_outlet)


class Found(NamedTuple):
    """An article's furniture (:meth:`Furniture.find`)."""

    #: Where the title's furniture begins (its length when it has none).
    title_end: int
    #: Start and end of each sentence of the text that is furniture, in order.
    spans: list[tuple[int, int]]


def without(text: str, spans: list[tuple[int, int]]) -> str:
    """``text`` with the ``spans`` of :meth:`Furniture.find` cut out.

    A line break takes each cut's place, so that what follows a dropped piece does not read as the
    middle of a sentence.

    >>> without("Follow KDKA on Twitter now.  A bridge reopened. Share this.", [(0, 27), (48, 59)])
    'A bridge reopened.'
    >>> without("Tuesday  Follow KDKA on Twitter now.  A bridge reopened", [(9, 36)])
    'Tuesday\\nA bridge reopened'
    """
    if not spans:
        return text
    parts, start = [], 0
    for begin, end in spans:
        parts.append(text[start:begin])
        start = end
    parts.append(text[start:])
    return "\n".join(part.strip() for part in parts if part.strip())


def _outlet_key(source: str) -> str:
    """One key per outlet: ``Example.com:80`` and ``example.com`` are the same site."""
    source = source.strip().lower()
    host, colon, port = source.rpartition(":")
    return host if colon and port.isdigit() and host else source
