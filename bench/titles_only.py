"""Titles-only robustness: every labelled corpus that has bodies, scored again with the bodies removed.

Feeds and aggregators often carry a headline and nothing else, and the only titles-only corpus we
have (uci-aggregator) has topic-level gold stories. Removing the bodies from the other corpora gives
titles-only streams with event-level gold stories, so a change made for headlines can be checked on
more than one corpus. The titles-only copies are written to a temporary folder at run time (the
corpora's text never enters the repository) and scored exactly as ``bench/quality.py`` scores the
originals: storyline as a whole ``storyline eval`` process, in its default mode and with
``--no-embeddings``, and the two baselines in this process.

Usage::

    python bench/titles_only.py [--repeat N] [--no-write]

Writes the ``titles-only`` section of ``BENCHMARKS.md`` unless ``--no-write``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from quality import (BASELINES, Corpus, Result, _number, _progress, corpus_paths, datasets_dir,  # noqa: E402
                     load_corpus, run_baseline, run_storyline)
from report import machine_line, write_section  # noqa: E402

#: Body fields that ``storyline eval`` accepts; all are dropped.
BODY_FIELDS = ("text", "summary", "description", "body", "content")


def titles_only(corpus: Corpus, folder: Path) -> Corpus | None:
    """A copy of ``corpus`` without bodies, written under ``folder``; None if it had no bodies."""
    if not any(a.get(f) for a in corpus.articles for f in BODY_FIELDS):
        return None
    stripped = [{k: v for k, v in a.items() if k not in BODY_FIELDS} for a in corpus.articles]
    path = folder / corpus.name
    path.mkdir(parents=True)
    with (path / "articles.jsonl").open("w", encoding="utf-8") as out:
        for article, gold in zip(stripped, corpus.gold):
            out.write(json.dumps({**article, "story": gold}, ensure_ascii=False) + "\n")
    return Corpus(f"{corpus.name} (titles only)", path, stripped, corpus.gold)


def render(results: list[Result], command: str, date: str) -> str:
    """The markdown section."""
    rows = ["| corpus | method | BCubed P | BCubed R | BCubed F1 | articles/s |", "|---|---|---|---|---|---|"]
    for r in results:
        rows.append(f"| {r.corpus} | {r.method if r.error is None else r.method + ' (failed: ' + r.error + ')'} | "
                    f"{_number(r.bcubed_precision, '{:.3f}')} | {_number(r.bcubed_recall, '{:.3f}')} | "
                    f"{_number(r.bcubed_f1, '{:.3f}')} | {_number(r.articles_per_second, '{:,.0f}')} |")
    return "\n".join([
        "## Titles only",
        "",
        f"Reproduce with `{command}` (from the repository root). Run on {date}; machine: {machine_line()}.",
        "",
        "The corpora that have bodies, with the bodies removed (headlines only; ecbplus's titles are its "
        "first sentences). uci-aggregator, titles-only already, is in the quality section. A change made "
        "for headline streams is checked here on event-level gold stories, not only on uci-aggregator's "
        "topic-level ones.",
        "",
        *rows,
        "",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/titles_only.py", description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=1, metavar="N", help="runs per method; keeps the median time")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    options = parser.parse_args(argv)
    root = datasets_dir()
    if not root.is_dir():
        print(f"datasets directory not found: {root} (set STORYLINE_DATASETS)", file=sys.stderr)
        return 2
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="storyline-titles-") as tmp:
        for path in corpus_paths(root):
            corpus = titles_only(load_corpus(path), Path(tmp))
            if corpus is None:
                continue
            print(f"[{corpus.name}] {len(corpus.articles):,} articles", file=sys.stderr, flush=True)
            for mode, extra in (("storyline", []), ("storyline --no-embeddings", ["--no-embeddings"])):
                result = run_storyline(corpus, extra, options.repeat)
                result.method = mode
                results.append(_progress(result))
            for method, cluster in BASELINES.items():
                results.append(_progress(run_baseline(corpus, method, cluster, options.repeat, False)))
    words = ["python", "bench/titles_only.py"] + (["--repeat", str(options.repeat)] if options.repeat != 1 else [])
    section = render(results, shlex.join(words), datetime.now(timezone.utc).strftime("%Y-%m-%d"))
    print(section, end="")
    if not options.no_write:
        write_section("titles-only", section)
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
