"""One pass over a text that yields its terms, the words of its names and its lower-case words.

Tokenising is most of the engine's cost, so it happens once per text: every word is looked at once
and feeds the TF-IDF terms, the name keys and the lexicon of words seen in lower case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .tokens import STOPWORDS, stem

# Words (apostrophes inside kept) and the punctuation after which a capital letter says nothing.
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|[.!?:;\"“”()\[\]|\n]")

_term_cache: dict[str, str] = {}


def _term(word: str) -> str:
    """The term for a lower-case word, or '' for a stop word (cached: vocabularies are small)."""
    t = _term_cache.get(word)
    if t is None:
        w = word[:-2] if word.endswith(("'s", "’s")) else word
        t = "" if len(w) < 2 or w in STOPWORDS else stem(w)
        if len(_term_cache) < 1_000_000:
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
         max_words: int = 0) -> Scan:
    """Terms, name words and lower-case words of ``text`` (its first ``max_words`` words if set).

    A capitalised word is taken for a name unless case was forced on it (at a sentence start, or
    everywhere in a title-case headline) and the stream has seen it in lower case (``common``).

    >>> s = scan("Police said Smith's troops fled to Riga.", common={"police"})
    >>> s.terms, s.names, s.lower
    (['police', 'smith', 'troop', 'fled', 'riga'], ['smith', 'riga'], ['troops', 'fled'])
    """
    terms: list[str] = []
    names: list[str] = []
    lower: list[str] = []
    words: list[str] = []
    forced = True
    for tok in _TOKEN.findall(text):
        first = tok[0]
        if not first.isalnum():
            forced = True
            continue
        lw = tok.lower()
        words.append(lw)
        t = _term(lw)
        if t:
            terms.append(t)
            if first.isupper():
                if not ((forced or title_case) and (lw in common or t in common)) and not lw.isdigit():
                    names.append(t)
            elif first.isalpha() and lw not in STOPWORDS:
                lower.append(lw)
        forced = False
        if max_words and len(words) >= max_words:
            break
    return Scan(terms, names, lower, words)
