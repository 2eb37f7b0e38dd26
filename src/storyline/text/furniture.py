"""Page furniture: the sentences an outlet prints around every article, learned from its own pages.

A scraped page carries more than its story: "Join the conversation on our Facebook page", a
copyright line, the headlines of the outlet's video playlist. Those words are rare in the stream as
a whole, so TF-IDF weights them highly, and two different events reported by one outlet look alike
through them (on gva-incidents, most of the wrongly joined pairs came from one outlet). An outlet's
furniture repeats, word for word, on its other pages; a story's sentences do not (a sentence the
outlet reuses in a follow-up is a recap, which the title and names carry as well). So a sentence
that the same outlet printed in one of its last few articles is left out of the body before it is
weighed. Nothing is configured per site: each outlet's furniture is learned from the stream itself.

Only sentences are compared, never words, and only within one outlet: a wire story that many
outlets print keeps every sentence (those copies are the near-duplicate detector's work).
"""

from __future__ import annotations

import re
from collections import Counter, OrderedDict, deque

#: Where a body splits into sentences or lines: spaces after . ! ? (or a closing quote), line breaks,
#: and runs of spaces (scraped pages join their blocks with them). Written to start on one white-space
#: character, so that the search only tries where there is one: three times faster than the plain
#: ``(?<=[.!?"'”’])\s+|\s*\n\s*|\s{2,}``, which splits the same way.
_BREAKS = re.compile(r"\s(?:(?<=[.!?\"'”’]\s)|(?=\s)|(?<=\n))\s*")

#: Shorter pieces ("Advertisement", "Pause") weigh little and may be a story's own words.
_MIN_CHARS = 16


class Furniture:
    """Removes from a body the sentences its outlet printed in one of its recent articles.

    ``clean`` both answers and learns: it compares the body with the outlet's last ``per_outlet``
    articles, then remembers this one. Memory is bounded: the outlets seen least recently are
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

    def clean(self, source: str | None, text: str) -> str:
        """``text`` without the sentences ``source`` printed in one of its last articles; learns ``text``.

        An outlet printing one of its articles again (an update under a new address) keeps only
        what is new in it: a word-for-word reprint is still a duplicate (by its whole text), and
        the new sentences, the title and the names place the update.
        """
        outlet = self._outlet(source, text)
        if outlet is None:
            return text
        if outlet.pending:
            self._digest(outlet)
        seen = outlet.seen
        pieces = _BREAKS.split(text[: self.max_chars])
        # Hashes, not the sentences, are remembered: a fifth of the memory. They differ between
        # processes, which is no matter: the memory is rebuilt from the store, never saved.
        keys = list(map(hash, pieces))
        sentences = frozenset(k for p, k in zip(pieces, keys) if len(p) >= _MIN_CHARS)
        kept = text
        if seen and not sentences.isdisjoint(seen):
            # A line break keeps what follows a dropped piece from reading as the middle of a sentence.
            kept = "\n".join(p for p, k in zip(pieces, keys) if k not in seen) + text[self.max_chars:]
        self._learn(outlet, sentences)
        return kept

    def remember(self, source: str | None, text: str) -> None:
        """Learn ``text`` as :meth:`clean` would, without an answer (rebuilding memory from a store).

        Cheap: the text is only kept aside, and read when its outlet's next article is cleaned or at
        :meth:`settle`; texts that later ones of their outlet push out are never read.

        >>> f = Furniture(per_outlet=1)
        >>> f.remember("kdka", "Follow KDKA on Twitter for updates.")
        >>> f.clean("kdka", "A fire closed the bridge. Follow KDKA on Twitter for updates.")
        'A fire closed the bridge.'
        """
        outlet = self._outlet(source, text)
        if outlet is not None:
            outlet.pending.append(text[: self.max_chars])

    def settle(self) -> None:
        """Read every text that :meth:`remember` kept aside (so that memory holds hashes only)."""
        for outlet in self._memory.values():
            if outlet.pending:
                self._digest(outlet)

    def _outlet(self, source: str | None, text: str) -> "_Outlet | None":
        """The memory of ``source``'s outlet, now the most recently seen (None: nothing to learn)."""
        if not source or not text or self.per_outlet <= 0:
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
    """One outlet's memory: its last articles' sentences (hashed), how many of them hold each, and
    the texts :meth:`Furniture.remember` kept aside (no more than the memory's length: older ones
    would be forgotten before they were read)."""

    __slots__ = ("seen", "recent", "pending")

    def __init__(self, per_outlet: int) -> None:
        self.seen: Counter[int] = Counter()
        self.recent: deque[frozenset[int]] = deque()
        self.pending: deque[str] = deque(maxlen=per_outlet)


def _outlet_key(source: str) -> str:
    """One key per outlet: ``Example.com:80`` and ``example.com`` are the same site."""
    source = source.strip().lower()
    host, colon, port = source.rpartition(":")
    return host if colon and port.isdigit() and host else source
