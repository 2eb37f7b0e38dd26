"""``storyline search QUERY``: stories whose articles match words (the store's full-text search) or,
with ``--meaning``, whose articles are nearest in meaning to the query, in any language the embedding
model knows (``Erdbeben in Japan`` finds an English earthquake story).

Results are stories, best match first, each with its headline and the article that matched best.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass

#: Cosine similarity below which a nearest article is no match: with the default model, reports of one
#: event score about 0.4 to 0.8 across languages, and unrelated news below 0.15.
MIN_SIMILARITY = 0.2

#: Articles asked for per story shown: several articles of one story usually rank side by side.
_PER_STORY = 8


def _articles_for(limit: int) -> int:
    """Articles to ask the store for, to show ``limit`` stories; never more than SQLite's integers hold.

    >>> _articles_for(10), _articles_for(2**63 - 1) == 2**63 - 1
    (80, True)
    """
    from ..config import MAX_INT

    return min(limit * _PER_STORY, MAX_INT)


@dataclass(frozen=True, slots=True)
class Match:
    """One story found: its id, the best matching article and its score (a similarity for
    ``--meaning``, else ``None``: text-search ranks differ between backends and mean nothing alone)."""

    story: int
    article_id: str
    score: float | None


def _similarity(text: str) -> float:
    """A cosine similarity, -1 to 1 (beyond, or ``nan``, no article could ever match).

    >>> _similarity("0.35"), _similarity("-1")
    (0.35, -1.0)
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not -1.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"a similarity goes from -1 to 1, not {text}")
    return value


def add_parser(sub: argparse._SubParsersAction, db_help: Callable[[], str],
               positive: Callable[[str], int]) -> None:
    """The ``search`` subcommand."""
    p = sub.add_parser("search", help="find stories by words, or by meaning in any language (--meaning)",
                       description="Find stories whose articles match QUERY: by words through the store's "
                                   "full-text search (quotes, OR and -word work), or with --meaning by what "
                                   "the query means, across languages (needs embeddings, on by default when "
                                   "ingesting).")
    p.add_argument("query", metavar="QUERY",
                   help="the words to find; a query that starts with - goes after -- and the options "
                        "before it (search --db news.db -- \"-Kessling strike\")")
    p.add_argument("--meaning", action="store_true",
                   help="nearest articles in meaning (sentence embeddings), not matching words")
    p.add_argument("--limit", type=positive, default=10, metavar="N", help="at most N stories (default 10)")
    p.add_argument("--min-similarity", type=_similarity, default=MIN_SIMILARITY, metavar="S",
                   help=f"with --meaning: only articles at least this similar, -1 to 1 (default {MIN_SIMILARITY})")
    p.add_argument("--db", help=db_help())
    p.add_argument("--json", action="store_true", help="print a JSON array")


def best_per_story(hits: list[tuple[int, str, float | None]], limit: int) -> list[Match]:
    """The first (best) hit of each story, in order, at most ``limit`` stories.

    >>> best_per_story([(3, "a", 0.9), (3, "b", 0.8), (5, "c", 0.7)], 5)
    [Match(story=3, article_id='a', score=0.9), Match(story=5, article_id='c', score=0.7)]
    """
    out: dict[int, Match] = {}
    for story, article_id, score in hits:
        if story not in out:
            out[story] = Match(story, article_id, score)
            if len(out) >= limit:
                break
    return list(out.values())


def cmd_search(args: argparse.Namespace) -> int:
    from .main import UsageError, _config, _open_reader

    query = args.query.strip()
    if not query:
        raise UsageError("search needs words to look for, e.g. storyline search \"flood\"")
    from ..store.reads import only_excludes

    if only_excludes(query) and not args.meaning:
        raise UsageError(f"{query!r} only leaves words out (-word): add a word to look for, as in "
                         f"storyline search \"WORD {query}\"")
    config = _config(None)
    if args.meaning and config.embeddings.strip().lower() in ("", "none", "off", "false", "0"):
        raise UsageError("--meaning needs embeddings, and they are off (STORYLINE_EMBEDDINGS="
                         f"{config.embeddings or 'none'}); unset it, or search by words without --meaning")
    with _open_reader(args.db) as reader:
        store = reader.store
        if store.counts()["articles"] == 0:
            raise UsageError(f"{store.path}: no articles yet; add some with `storyline ingest FILE`")
        if args.meaning:
            matches = _by_meaning(store, config.embeddings, query, args.limit, args.min_similarity)
        else:
            matches = _by_words(store, query, args.limit)
        shown = []
        for m in matches:
            story = reader.story(m.story)
            article = store.article(m.article_id)
            if story is not None and article is not None:
                shown.append((m, story, article))
    if args.json:
        print(json.dumps([_as_json(m, story, article) for m, story, article in shown], ensure_ascii=False, indent=1))
        return 0
    if not shown:
        print(f"No stories match {query!r}." + ("" if args.meaning else " Try --meaning to search by meaning."))
        return 0
    from .render import plural, when

    for rank, (m, story, article) in enumerate(shown, start=1):
        score = "" if m.score is None else f"  [similarity {m.score:.2f}]"
        print(f"{rank}. {story.headline}  (story {story.id}: {plural(story.articles, 'article')}, "
              f"{plural(story.outlets, 'outlet')}){score}")
        print(f"   best match: {article.title}  [{article.source or 'unknown outlet'}, {when(article.published)}]")
    return 0


#: A search index backlog (articles) large enough to say, on stderr, why the first search waits.
_BACKLOG_NOTICE = 20_000


def _by_words(store, query: str, limit: int) -> list[Match]:
    say_plain_words(store, query)
    backlog = store.search_backlog()
    if backlog >= _BACKLOG_NOTICE:  # about 2 s per 100,000 articles, once
        print(f"storyline: indexing {backlog:,} articles for search (once; later searches start at once)",
              file=sys.stderr, flush=True)
    hits = store.search(query, limit=_articles_for(limit))
    if not hits:
        return []
    seqs = [seq for seq, _, _ in hits]
    ids = dict(store.db.execute(f"SELECT seq, id FROM articles WHERE seq IN ({','.join('?' * len(seqs))})",
                                seqs).fetchall())
    return best_per_story([(store.resolve(story), ids[seq], None) for seq, story, _ in hits if seq in ids], limit)


def say_plain_words(store, query: str) -> None:
    """Warn, on stderr, that a query in FTS5's syntax that SQLite cannot read is searched as plain words."""
    from ..store.sqlite import SQLiteStore, fts5_problem

    problem = fts5_problem(query) if isinstance(store, SQLiteStore) else None
    if problem:
        print(f"storyline: warning: {query!r} is not a full-text query SQLite can read ({problem}); "
              "searching for its words as written", file=sys.stderr)


def _by_meaning(store, model: str, query: str, limit: int, floor: float) -> list[Match]:
    from ..text.embeddings import EmbeddingError, embedder_for
    from .main import UsageError

    try:
        embedder = embedder_for(model)  # the configured model (STORYLINE_EMBEDDINGS), as ingest used
        assert embedder is not None  # "none" was refused above
        vector = embedder.encode([query])[0]
    except EmbeddingError as exc:
        raise UsageError(str(exc)) from None
    found = store.nearest(vector, k=_articles_for(limit))
    if not found:
        raise UsageError(f"{store.path}: no article here has a meaning vector from the model {model!r}: "
                         f"if they were embedded by another one (embeddings = \"minilm\" in a --config "
                         f"file, or STORYLINE_EMBEDDINGS), search with STORYLINE_EMBEDDINGS set to it; if "
                         f"they were ingested with --no-embeddings, ingest them again into a new store with "
                         f"embeddings on, or search by words")
    return best_per_story([(n.story_id, n.article_id, round(n.similarity, 4)) for n in found
                           if n.similarity >= floor], limit)


def _as_json(m: Match, story, article) -> dict[str, object]:
    from .render import iso

    # "id", as /api/search names the story ("story" kept for programs that read it)
    out: dict[str, object] = {"id": story.id, "story": story.id, "headline": story.headline, "articles": story.articles,
                              "outlets": story.outlets, "last_seen": iso(story.last_seen)}
    if m.score is not None:
        out["similarity"] = m.score
    out["best_match"] = {"id": article.id, "title": article.title, "source": article.source, "url": article.url,
                         "published": iso(article.published), "lang": article.lang}
    return out

