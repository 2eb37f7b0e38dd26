"""Describe a story for a reader, from its stored articles.

The headline is the title closest to the story's centre (the most representative, not the first);
the summary is one to three sentences picked from the articles by the same measure, early sentences
preferred (news puts the event first), near-repeats skipped.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime, timezone

from ..model import CoverageItem, Entity, Story
from ..store.base import ArticleRow, StoryRow
from ..text.entities import CALENDAR, entity_type, is_event, is_title_case, person_core, spans, strip_dateline
from ..text.features import NAME, Vectorizer, unpack
from ..text.furniture import without
from ..text.titles import strip_outlet
from ..text.tokens import stem, terms, words

#: Where a text splits into sentences: after . ! ? before a capital, and between the blocks of a
#: page (a line break, or the run of spaces that joins them). A block without a full stop (a page's
#: "Please enable JavaScript to watch this video") is then a piece of its own, not the start of the lede.
_SENTENCE = re.compile(r"(?<=[.!?])[\"”’)]?\s+(?=[\"“‘(]?[A-Z0-9])|\n\s*|\s{2,}")
_SUMMARY_WORDS = 60
#: How a whole sentence ends (the split keeps a full stop, and may leave a closing quote or bracket).
_ENDS = (".", "!", "?", '"', "”", "’", ")")
_PLACE_PREPOSITION = re.compile(r"\b(?:in|near|at|outside|across|from|to)\s+")
#: Big stories are summarised and their names counted from this many articles, evenly spread.
_SAMPLE = 80


def story_title(row: ArticleRow) -> str:
    """The article's title without the tail its outlet puts on every title ("- KSLA News 12
    Shreveport, Louisiana News Weather & Sports"), or naming the outlet, as the engine read it;
    spaces tidied."""
    title = row.title
    if '"title_end"' in row.why:
        try:
            end = int(json.loads(row.why)["title_end"])
        except (ValueError, KeyError, TypeError):
            end = len(title)
        title = title[:end] if 0 < end < len(title) else title
    return " ".join(strip_outlet(title, row.source).split())


def story_text(row: ArticleRow) -> str:
    """The article's text without its page furniture (what the engine left out when it read it,
    stored with its decision: share buttons, copyright lines, the outlet's playlist)."""
    if '"furniture"' not in row.why:
        return row.text
    try:
        spans = [(int(a), int(b)) for a, b in json.loads(row.why)["furniture"]]
    except (ValueError, KeyError, TypeError):
        return row.text  # a decision written by hand or by another version: the text as it is
    return without(row.text, spans)


def _vectors(row: ArticleRow) -> dict[str, dict[str, float]]:
    f, _sketch = unpack(row.features)
    return {"t": f.title, "b": f.body, "n": f.names}


def _add(total: dict[str, float], vec: dict[str, float]) -> None:
    for k, w in vec.items():
        total[k] = total.get(k, 0.0) + w


def _dot(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(k, 0.0) for k, w in a.items())


def headline_and_centre(rows: Sequence[ArticleRow]) -> tuple[ArticleRow, dict[str, float]]:
    """The most representative article (its title nearest the centre) and the story's word centre."""
    originals = [r for r in rows if r.kind != "copy"] or list(rows)
    vecs = [_vectors(r) for r in originals]
    title_centre: dict[str, float] = {}
    centre: dict[str, float] = {}
    for v in vecs:
        _add(title_centre, v["t"])
        _add(centre, v["t"])
        _add(centre, v["b"])
    best = max(range(len(originals)), key=lambda i: (_dot(vecs[i]["t"], title_centre)
                                                     + 0.5 * _dot(vecs[i]["b"], centre), -i))
    return originals[best], centre


def _sample(rows: list[ArticleRow], size: int = _SAMPLE) -> list[ArticleRow]:
    """At most ``size`` rows, evenly spread over the story (deterministic)."""
    if len(rows) <= size:
        return rows
    step = len(rows) / size
    return [rows[int(i * step)] for i in range(size)]


def summarise(rows: Sequence[ArticleRow], centre: dict[str, float], headline: str,
              vectorizer: Vectorizer) -> str:
    """One to three sentences that best cover the story's centre.

    Titles-only stories are summarised from their other headlines.
    """
    candidates: list[tuple[float, int, str, bool]] = []
    order = 0
    seen_text: set[str] = set()
    for row in _sample([r for r in rows if r.kind != "copy"]):
        text = story_text(row)  # a page of furniture only has no sentence for a summary
        sentences = _SENTENCE.split(strip_dateline(text))[:8] if text else []
        for position, sentence in enumerate(sentences):
            sentence = " ".join(sentence.split())
            if len(sentence.split()) < 6 or sentence in seen_text or _unbalanced(sentence):
                continue
            seen_text.add(sentence)
            counts = Counter(terms(sentence))
            vec = {t: c * vectorizer.idf(t) for t, c in counts.items()}
            norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
            relevance = _dot(vec, centre) / norm
            whole = sentence.endswith(_ENDS)
            candidates.append((relevance / (1.0 + 0.25 * position), order, sentence, whole))
            order += 1
    if not candidates:
        titles = []
        for row in rows:
            t = story_title(row)
            if t != headline and t not in titles:
                titles.append(t)
        scored = sorted(((_dot(_vectors(r)["t"], centre), -i, story_title(r))
                         for i, r in enumerate(rows) if story_title(r) in titles), reverse=True)
        picked: list[str] = []
        for _, _, t in scored:
            if t not in picked and not _similar(t, picked + [headline]):
                picked.append(t)
            if len(picked) == 2:
                break
        return " ".join(p if p.endswith((".", "!", "?")) else p + "." for p in picked)
    every = sorted(candidates, key=lambda c: (-c[0], c[1]))
    if any(c[3] for c in candidates):
        # Sentences, when there are any: a block without a full stop is a page's notice or menu
        # ("Please enable JavaScript to watch this video"), not a line of the story.
        candidates = [c for c in candidates if c[3]]
    candidates.sort(key=lambda c: (-c[0], c[1]))
    chosen = _pick(candidates, headline)
    if not chosen:
        # Every sentence repeats the headline: a line without a full stop says more than nothing, and
        # failing that the best sentence does, unless it is the headline itself.
        chosen = _pick(every, headline) or [c[2] for c in candidates[:1] if c[2].rstrip(".!?") != headline]
    return " ".join(chosen)


def _pick(candidates: Sequence[tuple[float, int, str, bool]], headline: str) -> list[str]:
    """Up to three of ``candidates`` (best first), none repeating another or the headline."""
    chosen: list[str] = []
    words = 0
    for _, _, sentence, _ in candidates:
        n = len(sentence.split())
        if chosen and words + n > _SUMMARY_WORDS:
            continue
        if _similar(sentence, chosen + [headline]):
            continue
        chosen.append(sentence)
        words += n
        if len(chosen) == 3 or words >= _SUMMARY_WORDS:
            break
    return chosen


def _unbalanced(sentence: str) -> bool:
    """A fragment of a quotation (an opening quote without its close, or the reverse)."""
    straight = sentence.count('"') % 2 == 1
    return straight or sentence.count("“") != sentence.count("”")


def _similar(text: str, others: Sequence[str], limit: float = 0.5) -> bool:
    a = set(terms(text))
    if not a:
        return True
    for other in others:
        b = set(terms(other))
        if b and len(a & b) / len(a | b) > limit:
            return True
    return False


#: A name of two words or more, "of", and another name.
_PERSON_OF = re.compile(r"^(\S+(?: \S+)+) of (\S.*)$")


def key_entities(rows: Sequence[ArticleRow], common: set[str] | frozenset[str] = frozenset(),
                 limit: int = 10) -> tuple[Entity, ...]:
    """Names mentioned by the most articles, typed; titles and partial names folded into one name.

    Stories of more than ``_SAMPLE`` articles are read from an evenly spread sample of them,
    so describing a story of thousands of articles costs no more than one of a hundred.
    """
    originals = _sample([r for r in rows if r.kind != "copy"])
    per_article: list[set[str]] = []
    kinds: dict[str, str] = {}
    for row in originals:
        found = set()
        if not is_title_case(row.title):
            found.update(spans(row.title, common))
        found.update(spans(strip_dateline(" ".join(story_text(row).split(" ")[:400])), common))
        names = set()
        for name in found:
            if len(name) < 2 or name.isdigit():
                continue
            of = _PERSON_OF.match(name)
            if of and entity_type(of.group(1), common) == "person":
                # "Ilse Varga of Norland" is a person and a place, not a third name beside them
                # ("Bank of England" keeps its "of": one word before it is no person's name).
                names.add(person_core(of.group(1)))
                kinds[person_core(of.group(1))] = "person"
                names.add(of.group(2))
                continue
            core = person_core(name)
            if core != name:
                kinds[core] = "person"
            names.add(core)
        per_article.append(names)
    # "Varkonen" alone is the same person as "Ilse Varkonen": fold short names into the fullest
    # person's name that ends with them, then count each name once per article.
    every = set().union(*per_article) if per_article else set()
    # A title in a language the cue lists do not know ("Bundeskanzlerin Helene Brandt") is folded into
    # the person's name that other articles give bare ("Helene Brandt").
    fuller: dict[str, str] = {}
    for name in every:
        parts = name.split()
        bare = " ".join(parts[1:])
        if len(parts) >= 3 and bare in every and (kinds.get(bare) == "person" or entity_type(bare, common) == "person"):
            fuller[name] = bare
            kinds[bare] = "person"
    for full in sorted((n for n in every if " " in n and n not in fuller), key=lambda n: (-len(n.split()), n)):
        last = full.split()[-1]
        if last in every and last not in fuller and (
                kinds.get(full) == "person" or entity_type(full, common) == "person"):
            fuller[last] = full
    counts: Counter[str] = Counter()
    for names in per_article:
        counts.update({fuller.get(n, n) for n in names})
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    minimum = 2 if len(rows) >= 3 else 1
    ranked = [(name, count) for name, count in ranked if count >= minimum][: limit * 2]
    texts = " ".join(r.title + " " + story_text(r)[:1500] for r in originals[:40])
    # What follows each place preposition, scanned once (a pattern per name cost a compile per name).
    after = [texts[m.end():m.end() + 80] for m in _PLACE_PREPOSITION.finditer(texts)]
    out = []
    for name, count in ranked:
        kind = kinds.get(name) or entity_type(name, common)
        if kind == "other" and not is_event(name) and any(_starts_word(a, name) for a in after):
            kind = "place"  # "fighting in Veszmark": unknown names after a place preposition are places
        out.append(Entity(name, kind, count))
    # An untyped single word the stream also writes in lower case ("Harbour", "Council", "Front") is a
    # sentence's first word or a headline's capital, not a name.
    return tuple(e for e in out if e.type != "other" or (e.count >= 2 and not (
        " " not in e.name and e.name.lower() in common)))[:limit]


#: Five characters of a script written without spaces (Chinese, Japanese, Thai): a "word" that long is
#: a whole clause ("中国成功发射嫦娥九号月球探测器" came out as a keyword), not a key word.
_UNSPACED = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff]{5}")
_CALENDAR_STEMS = frozenset(stem(w) for w in CALENDAR - {"march"})  # a protest's march is what happened


def keywords(centre: dict[str, float], rows: Sequence[ArticleRow] = (), limit: int = 8) -> tuple[str, ...]:
    """The heaviest words of the story's centre, each as its articles most often write it.

    The centre holds stems ("evacuat", "continu"): a reader is shown the word they stand for
    ("evacuated"), read from the titles and openings of up to :data:`_SAMPLE` of ``rows``.

    >>> keywords({"quake": 4.0, "sunday": 5.0, "yesterday": 3.0, "march": 2.5, "island": 2.0, "中国成功发射嫦娥": 9.0})
    ('quake', 'march', 'island')
    """
    # "sunday", "yesterday": every story has a when; a keyword says what.
    ranked = sorted(((w, k) for k, w in centre.items()
                     if not k.startswith(NAME) and not k.isdigit() and k not in _CALENDAR_STEMS
                     and not _UNSPACED.search(k)),
                    key=lambda x: (-x[0], x[1]))
    chosen = [k for _, k in ranked[:limit]]
    seen: dict[str, Counter[str]] = {k: Counter() for k in chosen}
    for row in _sample(list(rows)):
        for word in words(f"{story_title(row)} {story_text(row)[:2000]}".lower()):
            if word.endswith(("'s", "’s")):
                word = word[:-2]
            forms = seen.get(stem(word))
            if forms is not None:
                forms[word] += 1
    return tuple(min(seen[k].items(), key=lambda f: (-f[1], len(f[0]), f[0]))[0] if seen[k] else k
                 for k in chosen)


def timeline(rows: Sequence[ArticleRow]) -> tuple[tuple[str, int], ...]:
    """Articles per hour (stories up to three days long) or per day, gaps included."""
    times = sorted(r.published for r in rows if r.published is not None)
    if not times:
        return ()
    hourly = times[-1] - times[0] <= 3 * 86400
    step = 3600 if hourly else 86400
    start = int(times[0] // step) * step
    counts: Counter[int] = Counter(int(t // step) * step for t in times)
    end = max(counts)
    if (end - start) // step > 400:
        keys = sorted(counts)
    else:
        keys = list(range(start, end + step, step))
    fmt = "%Y-%m-%dT%H:00Z" if hourly else "%Y-%m-%d"
    return tuple((datetime.fromtimestamp(k, timezone.utc).strftime(fmt), counts.get(k, 0)) for k in keys)


def coverage(rows: Sequence[ArticleRow]) -> tuple[tuple[str, tuple[CoverageItem, ...]], ...]:
    """Articles grouped by outlet, each near-identical copy folded under its original."""
    by_id = {r.id: r for r in rows}

    def root(row: ArticleRow) -> ArticleRow:
        seen = set()
        while row.copy_of and row.copy_of in by_id and row.id not in seen:
            seen.add(row.id)
            row = by_id[row.copy_of]
        return row

    copies: dict[str, list[ArticleRow]] = defaultdict(list)
    groups: dict[str, list[ArticleRow]] = defaultdict(list)
    for row in rows:
        original = root(row) if row.kind == "copy" else row
        if original is not row:
            copies[original.id].append(row)
        else:
            groups[row.source or "unknown outlet"].append(row)

    def item(row: ArticleRow, nested: bool = True) -> CoverageItem:
        kids = tuple(item(c, False) for c in copies.get(row.id, ())) if nested else ()
        # Listed under its outlet's name: the tail naming the outlet again is left off.
        return CoverageItem(row.id, story_title(row), row.url, row.source, row.published, kids)

    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0].lower()))
    return tuple((outlet, tuple(item(r) for r in items)) for outlet, items in ordered)


def describe(row: StoryRow, rows: Sequence[ArticleRow], vectorizer: Vectorizer) -> Story:
    """The full :class:`Story` for a stored story and its articles."""
    if not rows:
        return Story(row.id, "", "", 0, 0, row.first_seen, row.last_seen)
    lead, centre = headline_and_centre(rows)
    headline = story_title(lead)
    return Story(
        id=row.id,
        headline=headline,
        summary=summarise(rows, centre, headline, vectorizer),
        articles=row.articles,
        outlets=row.outlets,
        first_seen=row.first_seen,
        last_seen=row.last_seen,
        entities=key_entities(rows, vectorizer.common),
        keywords=keywords(centre, rows),
        timeline=timeline(rows),
        coverage=coverage(rows),
        languages=languages(rows),
    )


def languages(rows: Sequence[ArticleRow]) -> tuple[tuple[str, int], ...]:
    """The languages of a story's articles with their counts, most articles first.

    >>> from storyline.store.base import ArticleRow as R
    >>> languages([R(i, str(i), "t", "", None, None, None, None, lang, 1, "new", None, "", 0, "{}", b"")
    ...            for i, lang in enumerate(["de", "en", "en", None])])
    (('en', 2), ('de', 1))
    """
    counts = Counter(r.lang for r in rows if r.lang)
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _starts_word(text: str, word: str) -> bool:
    """``text`` begins with ``word`` as a whole word.

    >>> _starts_word("Veszmark on Sunday", "Veszmark"), _starts_word("Veszmarkers", "Veszmark")
    (True, False)
    """
    return text.startswith(word) and (len(text) == len(word) or not (text[len(word)].isalnum() or text[len(word)] == "_"))
