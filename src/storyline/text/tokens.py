"""Words and stems: the cheap, language-light tokenisation every feature is built on."""

from __future__ import annotations

import re

# A compact English stop list: function words carry no evidence of which event a text reports.
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are aren't as at be because been before
    being below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't
    down during each few for from further had hadn't has hasn't have haven't having he he'd he'll he's her
    here here's hers herself him himself his how how's i i'd i'll i'm i've if in into is isn't it it's its
    itself let's me more most mustn't my myself no nor not of off on once only or other ought our ours
    ourselves out over own same shan't she she'd she'll she's should shouldn't so some such than that
    that's the their theirs them themselves then there there's these they they'd they'll they're they've
    this those through to too under until up very was wasn't we we'd we'll we're we've were weren't what
    what's when when's where where's which while who who's whom why why's will with won't would wouldn't
    you you'd you'll you're you've your yours yourself yourselves said says say says told new just one two
    three year years day days week last first according mr mrs ms dr via per amid among like get gets got
    may might must us since still yet back now well even many much another around made make makes""".split()
)

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

_stem_cache: dict[str, str] = {}


def stem(word: str) -> str:
    """A light suffix stripper, enough to meet plural and tense variants of the same word.

    >>> [stem(w) for w in ["troops", "cities", "killed", "shooting", "news", "glass"]]
    ['troop', 'city', 'kill', 'shoot', 'news', 'glass']
    """
    cached = _stem_cache.get(word)
    if cached is not None:
        return cached
    s = word
    if len(s) > 4:
        if s.endswith("ies"):
            s = s[:-3] + "y"
        elif s.endswith("ing") and len(s) > 6:
            s = s[:-3]
        elif s.endswith("ed") and len(s) > 5 and not s.endswith("eed"):
            s = s[:-2]
        elif s.endswith("es") and s[-3] in "sxz":
            s = s[:-2]
        elif s.endswith("s") and not s.endswith(("ss", "us", "is", "ws")):
            s = s[:-1]
    elif len(s) == 4 and s.endswith("s") and not s.endswith(("ss", "us", "is", "as", "ws")):
        s = s[:-1]
    if len(_stem_cache) < 500_000:
        _stem_cache[word] = s
    return s


def words(text: str) -> list[str]:
    """Words of ``text`` as they are written (case kept), apostrophes inside words kept.

    >>> words("North Korea's troops -- 1,500 of them")
    ['North', "Korea's", 'troops', '1', '500', 'of', 'them']
    """
    return _WORD.findall(text)


def terms(text: str) -> list[str]:
    """Lower-cased, stemmed content words of ``text`` (stop words and one-letter words dropped).

    >>> terms("North Korea prepares to send more troops to Russia")
    ['north', 'korea', 'prepare', 'send', 'troop', 'russia']
    """
    out = []
    for w in _WORD.findall(text.lower()):
        if w.endswith(("'s", "’s")):
            w = w[:-2]
        if len(w) < 2 or w in STOPWORDS:
            continue
        out.append(stem(w))
    return out
