"""Sparse TF-IDF features learned as the stream goes, for titles, bodies and names.

Document frequencies grow with every article, so the engine needs no training pass and no corpus
statistics up front: a word is as informative as it is rare *in what has been seen so far*. Each
article's vectors are weighted once, on arrival, and never recomputed: that keeps the cost per article
flat and makes a replay from the store give the same numbers.
"""

from __future__ import annotations

import heapq
import marshal
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter, mul
from typing import Any

from .aliases import ALIASES, with_aliases
from .entities import is_title_case
from .scan import scan

#: Prefix of name keys, so a name and an ordinary word spelled alike are counted apart.
NAME = "@"

#: Words of a title that only dates its page ("Last Updated: Tuesday, 20 December 2005, 10:39 GMT").
_STAMP_WORDS = frozenset("""updated posted published last at on article am pm gmt est et ist utc edt pst cst
    pdt cet bst monday tuesday wednesday thursday friday saturday sunday january february march april may june
    july august september october november december jan feb mar apr jun jul aug sep sept oct nov dec mon tue
    wed thu fri sat sun a p m""".split())
_STAMP_TOKEN = re.compile(r"[^\W_]+")
_LEDE_END = re.compile(r"(?<=[a-z0-9\"”’)])[.!?](?=\s+[A-Z\"“])|\n")


def is_timestamp(title: str) -> bool:
    """True when a title only dates its page: then it says nothing of the event.

    >>> is_timestamp("Posted 11 / 27 / 2005 7: 21 AM"), is_timestamp("8: 24am:"), is_timestamp("Quake hits Qeshm on Monday")
    (True, True, False)
    """
    ws = _STAMP_TOKEN.findall(title.lower())
    return bool(ws) and all(w in _STAMP_WORDS or w.rstrip("stndrhapm").isdigit() for w in ws)


def lede(body: str, words: int = 30) -> str:
    """The body's first sentence (at most ``words`` words), to stand in for a headline that is none.

    >>> lede("Quake strikes Qeshm island. Five are hurt.")
    'Quake strikes Qeshm island'
    """
    m = _LEDE_END.search(body)
    return " ".join((body[: m.start()] if m else body).split()[:words])


@dataclass(slots=True)
class Features:
    """The sparse, L2-normalised vectors of one article, and the keys to look it up by."""

    title: dict[str, float]
    body: dict[str, float]
    names: dict[str, float]
    #: Highest-weighted keys (words and ``@names``), strongest first: what candidate lookup uses.
    query: list[str] = field(default_factory=list)
    #: Lower-cased words of the body's opening, for near-duplicate sketches.
    body_words: list[str] = field(default_factory=list)
    #: The article's sentence embedding (unit vector, numpy), when embeddings are on.
    meaning: Any = None
    #: The article's language (ISO 639-1), when known.
    lang: str | None = None


_LOG: list[float] = [0.0, 0.0]


def _logs(n: int) -> list[float]:
    """Natural logs of 0..n-1 (index 0 unused), extended as the stream grows."""
    while len(_LOG) < n:
        _LOG.append(math.log(len(_LOG)))
    return _LOG


def _normalise(vec: dict[str, float]) -> dict[str, float]:
    weights = vec.values()
    norm = math.sqrt(sum(map(mul, weights, weights)))  # summed in C, in the same order as a loop
    if norm == 0.0:
        return {}
    return {k: v / norm for k, v in vec.items()}


class Vectorizer:
    """Turns articles into TF-IDF vectors with document frequencies learned from the stream.

    >>> v = Vectorizer()
    >>> f = v.learn_transform("A quake hits Qeshm island", "An earthquake struck Qeshm island near Dargahan.")
    >>> sorted(f.title), sorted(f.names)
    (['hit', 'island', 'qeshm', 'quake'], ['@dargahan', '@qeshm'])
    >>> v.documents
    1
    """

    def __init__(self, body_terms: int = 100, query_terms: int = 12, max_body_words: int = 400) -> None:
        self.body_terms = body_terms
        self.query_terms = query_terms
        self.max_body_words = max_body_words
        self.df: Counter[str] = Counter()
        self.documents = 0
        #: Words seen written in lower case: a capitalised one of these at a sentence start is no name.
        self.common: set[str] = set()

    def idf(self, key: str) -> float:
        """Smoothed inverse document frequency of ``key`` in the stream so far."""
        return math.log((self.documents + 1) / (self.df.get(key, 0) + 1)) + 1.0

    def learn_transform(self, title: str, body: str) -> Features:
        """Count the article in the document frequencies, then weight its vectors with them."""
        common = self.common
        if body and is_timestamp(title):  # a dateline for a headline: the body's first sentence says more
            title = lede(body)
        title_case = is_title_case(title)
        head = scan(title, common, title_case)
        main = scan(body, common, False, self.max_body_words * 7) if body else None
        title_counts = Counter(head.terms)
        body_counts = Counter(main.terms) if main else Counter()
        if title_counts and body_counts and title_counts.keys().isdisjoint(body_counts):
            # A body that never uses a word of its headline is not the article's text: a scraped page's
            # furniture (a video playlist, a sign-in box, a paywall) or a tweet's chrome. Its words are
            # left out (the article is scored as a headline); its names are kept.
            body_counts = Counter()
        # A title-case headline's capitals say nothing when a body can speak for the names.
        name_list = (main.names if main else []) + ([] if title_case and main else head.names)
        if not ALIASES.keys().isdisjoint(name_list):
            name_list = with_aliases(name_list)
        names = {NAME + n: None for n in name_list}
        if not title_case:
            common.update(head.lower)
        if main:
            common.update(main.lower)

        df = self.df
        self.documents += 1
        df.update(title_counts.keys() | body_counts.keys() | names.keys())  # Counter.update counts in C
        # Logs of every count and document frequency this article can need: no term is counted more
        # often than its text has terms (a junk title of one word repeated must not overrun the table).
        logs = _logs(max(self.documents + 2, len(head.terms) + 1, len(main.terms) + 1 if main else 0))
        base = logs[self.documents + 1] + 1.0
        title_vec = {t: (1.0 + logs[c]) * (base - logs[df[t] + 1]) for t, c in title_counts.items()}
        body_vec = {t: (1.0 + logs[c]) * (base - logs[df[t] + 1]) for t, c in body_counts.items()}
        if len(body_vec) > self.body_terms:
            # sorted() is stable and the dict is in text order, so ties break the same way every run.
            body_vec = dict(sorted(body_vec.items(), key=itemgetter(1), reverse=True)[: self.body_terms])
        name_vec = {k: base - logs[df[k] + 1] for k in names}
        # Lookup keys: title words and names first (they say what the event is), then body words.
        ranked = dict(body_vec)
        for vec, boost in ((name_vec, 1.5), (title_vec, 2.0)):
            for k, w in vec.items():
                score = w * boost
                if score > ranked.get(k, 0.0):
                    ranked[k] = score
        query = [k for k, _ in heapq.nlargest(self.query_terms, ranked.items(), key=itemgetter(1))]
        return Features(_normalise(title_vec), _normalise(body_vec), _normalise(name_vec), query,
                        main.words if main else [])


def cosine(vec: dict[str, float], centroid: dict[str, float], centroid_norm: float) -> float:
    """Cosine of a unit vector with an un-normalised centroid of known norm.

    >>> cosine({"a": 1.0}, {"a": 2.0, "b": 2.0}, 8 ** 0.5)
    0.7071067811865475
    """
    if not vec or centroid_norm == 0.0:
        return 0.0
    get = centroid.get
    dot = 0.0
    for k, w in vec.items():  # a loop, not sum() over a generator: twice as fast on a headline's few words
        dot += w * get(k, 0.0)
    return dot / centroid_norm


def pack(f: Features, sketch: tuple[int, ...] = ()) -> bytes:
    """An article's vectors (and near-duplicate sketch) as bytes, for the store; see :func:`unpack`.

    >>> f, sk = unpack(pack(Features({"quake": 1.0}, {}, {}, ["quake"], lang="en"), (7,)))
    >>> f.title, f.lang, sk
    ({'quake': 1.0}, 'en', (7,))
    """
    # marshal: an order of magnitude faster than JSON for these dicts of floats, and exact.
    if f.meaning is None and f.lang is None:
        return marshal.dumps((f.title, f.body, f.names, f.query, sketch))
    # Embeddings as float16: half the bytes, and cosines move by less than 1e-3.
    meaning = None if f.meaning is None else f.meaning.astype("float16").tobytes()
    return marshal.dumps((f.title, f.body, f.names, f.query, sketch, f.lang, meaning))


def unpack(data: bytes) -> tuple[Features, tuple[int, ...]]:
    """The vectors and sketch that :func:`pack` stored (rows written before embeddings included)."""
    fields = marshal.loads(data)
    title, body, names, query, sketch = fields[:5]
    f = Features(title, body, names, query)
    if len(fields) > 5:
        f.lang = fields[5]
        if fields[6] is not None:
            import numpy as np

            f.meaning = np.frombuffer(fields[6], dtype=np.float16).astype(np.float32)
    return f, tuple(sketch)
