"""One pass over a text that yields its terms, the words of its names and its lower-case words.

Tokenising is most of the engine's cost, so it happens once per text: every word is looked at once
and feeds the TF-IDF terms, the name keys and the lexicon of words seen in lower case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .tokens import STOPWORDS, stem

# Words, apostrophes inside kept.
_WORDS = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
# A capitalised word; after a break (text or line start, sentence end, quote mark) its capital says nothing.
_CAPITAL = re.compile(r"(?<![\w'’])[A-Z][^\W_]*(?:['’][^\W_]+)*")
_BREAKS = frozenset('.!?:;"“”()[]|\n')
# Words written in lower case: the stream's lexicon of ordinary words.
_LOWER = re.compile(r"(?<![\w'’])[a-z][a-z]+(?![\w'’])")

_term_cache: dict[str, str] = {}


def _term(word: str) -> str:
    """The term for a lower-case word, or '' for a stop word (cached: vocabularies are small)."""
    w = word[:-2] if word.endswith(("'s", "’s")) else word
    t = "" if len(w) < 2 or w in STOPWORDS else stem(w)
    if len(_term_cache) < 2_000_000:
        _term_cache[word] = t
    return t


@dataclass(slots=True)
class Scan:
    """What one pass over a text found."""

    terms: list[str]
    names: list[str]
    lower: list[str]
    words: list[str]


def scan(text: str, common: set[str] | frozenset[str] = frozenset(), title_case: bool = False,
         max_chars: int = 0) -> Scan:
    """Terms, name words and lower-case words of ``text`` (its first ``max_chars`` characters if set).

    A capitalised word is taken for a name unless case was forced on it (at a sentence start, or
    everywhere in a title-case headline) and the stream has seen it in lower case (``common``).
    The work is done by three regular-expression passes (in C) rather than a loop over every word.

    >>> s = scan("Police said Smith's troops fled to Riga.", common={"police"})
    >>> s.terms, s.names, s.lower
    (['police', 'smith', 'troop', 'fled', 'riga'], ['smith', 'riga'], ['said', 'troops', 'fled', 'to'])
    """
    if max_chars and len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars)
        text = text[: cut if cut > 0 else max_chars]
    words = _WORDS.findall(text.lower())
    cache = _term_cache
    terms = [t for t in [cache[w] if w in cache else _term(w) for w in words] if t]
    names = []
    for m in _CAPITAL.finditer(text):
        lw = m.group().lower()
        t = cache[lw] if lw in cache else _term(lw)
        if not t or (lw not in common and t not in common):
            if t:
                names.append(t)
            continue
        # An ordinary word: a name only where its capital is not forced by a break before it.
        if title_case:
            continue
        j = m.start() - 1
        while j >= 0 and text[j] in " \t\r":
            j -= 1
        if j >= 0 and text[j] not in _BREAKS:
            names.append(t)
    return Scan(terms, names, _LOWER.findall(text), words)
