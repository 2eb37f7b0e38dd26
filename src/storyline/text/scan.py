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
_BREAK = frozenset('.!?:;"“”()[]|\n')

# Per written form: (lower-case form, term or '', capitalised?, a lower-case content word?).
_token_cache: dict[str, tuple[str, str, bool, bool]] = {}


def _token(tok: str) -> tuple[str, str, bool, bool]:
    """What a written word is, cached: vocabularies are small next to the streams they come from."""
    info = _token_cache.get(tok)
    if info is None:
        lw = tok.lower()
        w = lw[:-2] if lw.endswith(("'s", "’s")) else lw
        t = "" if len(w) < 2 or w in STOPWORDS else stem(w)
        info = (lw, t, tok[0].isupper() and not lw.isdigit(), tok[0].isalpha() and tok[0].islower() and bool(t))
        if len(_token_cache) < 2_000_000:
            _token_cache[tok] = info
    return info


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
    toks = _TOKEN.findall(text)
    if max_words and len(toks) > max_words * 1.2:
        toks = toks[: int(max_words * 1.2)]
    cache = _token_cache
    for tok in toks:
        info = cache.get(tok) or _token(tok)
        lw = info[0]
        if lw in _BREAK:
            forced = True
            continue
        words.append(lw)
        t = info[1]
        if t:
            terms.append(t)
            if info[2]:
                if not ((forced or title_case) and (lw in common or t in common)):
                    names.append(t)
            elif info[3]:
                lower.append(lw)
        forced = False
    return Scan(terms, names, lower, words)
