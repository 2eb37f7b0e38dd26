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
# Where a capital letter stops saying anything: sentence ends, quote marks, brackets, line breaks.
_BREAK = re.compile(r"[.!?:;\"“”()\[\]|\n]")


_LEXICON_WORDS = 120


class _Terms(dict[str, str]):
    """Lower-case word -> its term, or '' for a stop word; a word is stemmed once, on first sight.

    A lookup of a known word runs in C (``map(terms.__getitem__, words)``): most of a text's words
    are known after the first few thousand articles, and a Python test per word cost more than
    the lookup.
    """

    def __missing__(self, word: str) -> str:
        w = word[:-2] if word.endswith(("'s", "’s")) else word
        t = "" if len(w) < 2 or w in STOPWORDS else stem(w)
        if len(self) < 2_000_000:  # vocabularies are small; this bounds a stream of junk
            self[word] = t
        return t


_terms = _Terms()


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

    A capitalised word is taken for a name unless case was forced on it (first in a sentence or
    after a quote mark, or everywhere in a title-case headline) and the stream has seen it in lower
    case (``common``). Splitting and word-finding run in C; Python only looks at each word once.

    >>> s = scan("Police said Smith's troops fled to Riga.", common={"police"})
    >>> s.terms, s.names, s.lower
    (['police', 'smith', 'troop', 'fled', 'riga'], ['smith', 'riga'], ['said', 'troops', 'fled', 'to'])
    """
    if max_chars and len(text) > max_chars:
        cut = text.rfind(" ", 0, max_chars)
        text = text[: cut if cut > 0 else max_chars]
    raw: list[str] = []
    capitals: list[str] = []
    find = _WORDS.findall
    for segment in _BREAK.split(text):
        ws = find(segment)
        if not ws:
            continue
        raw += ws
        first = ws[0]
        if first[0].isupper():
            lw = first.lower()
            if lw not in common:
                capitals.append(lw)
        if title_case:
            capitals += [w.lower() for w in ws[1:] if w[0].isupper() and w.lower() not in common]
        else:
            capitals += [w.lower() for w in ws[1:] if w[0].isupper()]
    words = list(map(str.lower, raw))
    term = _terms.__getitem__
    terms = list(filter(None, map(term, words)))
    names = [t for t in map(term, capitals) if t and not t.isdigit() and (t not in common or not title_case)]
    # The lexicon of ordinary words settles fast: a text's opening words are enough to feed it.
    return Scan(terms, names, [w for w in raw[:_LEXICON_WORDS] if w.islower()], words)
