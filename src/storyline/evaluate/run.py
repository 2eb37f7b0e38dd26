"""Cluster a labelled file from scratch and score the result against its gold ``story`` labels.

Articles go through the engine exactly as in ``ingest`` (a fresh store in a temporary folder, file
order); the gold labels are read separately and never reach the engine.
"""

from __future__ import annotations

import io
import json
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict
from pathlib import Path

from ..config import Config
from ..ingest.records import BadRecord, to_article
from ..model import Article
from .metrics import score


class EvalError(ValueError):
    """The labelled file cannot be evaluated (unreadable, or lines without a ``story`` label)."""


def read_labelled(path: str, notice: Callable[[str], None] | None = None
                  ) -> tuple[list[Article], list[str], list[str]]:
    """Articles, their gold labels, and problems (``file:line: reason``) of a labelled JSONL file.

    The file is read as ``storyline ingest`` reads it: UTF-8 (or UTF-16 with a byte-order mark), bytes
    that are not read as U+FFFD so its good lines are kept, which ``notice`` is told in one line; a
    compressed or binary file is refused.
    """
    from ..ingest.decoding import REPLACE, not_utf8, replaced_bytes
    from ..ingest.sources import HEAD_BYTES, not_text, text_encoding

    articles: list[Article] = []
    gold: list[str] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}  # article id -> the line that gave it
    shown = "<stdin>" if path == "-" else path  # as ingest names it in its messages
    try:
        raw = open(path, "rb") if path != "-" else _stdin()
        head = raw.peek(HEAD_BYTES)[:HEAD_BYTES]
    except OSError as exc:
        raise EvalError(f"{path}: cannot read ({exc.strerror or exc})") from None
    reason = not_text(head)
    if reason:
        raw.close()
        raise EvalError(f"{path}: {reason}")
    encoding = text_encoding(head)
    before = replaced_bytes()
    with io.TextIOWrapper(raw, encoding=encoding, errors=REPLACE) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except (ValueError, RecursionError) as exc:  # nested too deep, a number too long: the same
                from ..ingest.sources import json_reason  # only now: it costs start-up time

                problems.append(f"{shown}:{number}: not valid JSON ({json_reason(exc)})")
                continue
            label = record.get("story") if isinstance(record, dict) else None
            if label is None:
                problems.append(f"{shown}:{number}: no gold 'story' label")
                continue
            try:
                article = to_article({k: v for k, v in record.items() if k != "story"})
            except BadRecord as exc:
                problems.append(f"{shown}:{number}: {exc}")
                continue
            if isinstance(label, (dict, list)) or (isinstance(label, str) and not label.strip()):
                problems.append(f"{shown}:{number}: 'story' label is not a name or number: {json.dumps(label)[:60]}")
                continue
            if article.id in first_line:
                # Scored, it would be the stored article's duplicate under another gold label, and its
                # prediction line could not be told from the first one's.
                problems.append(f"{shown}:{number}: id {article.id!r} repeats line {first_line[article.id]}'s; "
                                "left out (ids must be unique)")
                continue
            first_line[article.id] = number
            articles.append(article)
            gold.append(str(label))
    replaced = replaced_bytes() - before
    if replaced and notice is not None:
        notice(not_utf8(shown, replaced, "UTF-16" if encoding == "utf-16" else "UTF-8"))
    if not articles:
        n = len(problems)
        why = f"; {n:,} line{'s' if n != 1 else ''} skipped, the first as {problems[0]}" if n else " (it is empty)"
        raise EvalError(f"{shown}: no labelled articles to evaluate: it needs one JSON object a line with "
                        f"a gold 'story' label{why}")
    return articles, gold, problems


def _stdin():
    """Standard input as a byte stream that can peek (the labelled file piped in as ``-``)."""
    import sys

    return sys.stdin.buffer


def evaluate(path: str, config: Config | None = None, predictions: str | None = None,
             progress: Callable[[int, int], None] | None = None) -> dict[str, object]:
    """Scores of the engine on a labelled file (``-``: stdin); optionally writes ``{"id", "story"}``
    predictions to another file (never the labelled one: :class:`EvalError`)."""
    import os

    from ..engine import Engine

    if predictions and path != "-" and (os.path.abspath(predictions) == os.path.abspath(path) or (
            os.path.exists(predictions) and os.path.samefile(predictions, path))):
        raise EvalError(f"{predictions}: is the labelled file itself; write the predictions to another file")

    start = time.perf_counter()
    warnings: list[str] = []
    articles, gold, problems = read_labelled(path, warnings.append)
    with tempfile.TemporaryDirectory(prefix="storyline-eval-") as tmp:
        engine = Engine(str(Path(tmp) / "eval.db"), config, batch_size=2000)
        def reported() -> Iterator[Article]:  # one stream, so embedding keeps a batch ahead throughout
            for i, article in enumerate(articles):
                if progress is not None and i % 256 == 0:
                    progress(i, len(articles))
                yield article

        assigned = [a.story_id for a in engine.add_many(reported())]
        engine.close()
        find = engine.clusterer.find
        predicted = [find(s) for s in assigned]
    seconds = time.perf_counter() - start
    scores = score(predicted, gold)
    if predictions:
        with open(predictions, "w", encoding="utf-8") as out:
            for article, story in zip(articles, predicted):
                out.write(json.dumps({"id": article.id, "story": story}) + "\n")
    return {
        "file": "<stdin>" if path == "-" else path,
        **{k: round(v, 4) for k, v in asdict(scores).items()},
        "articles": len(articles),
        "stories": len(set(predicted)),
        "gold_stories": len(set(gold)),
        "skipped": len(problems),
        "problems": problems[:20],  # the first ones; "skipped" counts them all
        "warnings": warnings,
        "seconds": round(seconds, 3),
        "articles_per_second": round(len(articles) / seconds, 1) if seconds else None,
        # what made the numbers, so that a result file says how to reproduce it
        "embeddings": engine.config.embeddings if engine.embedder is not None else "none",
        "decision": engine.config.decision,
    }
