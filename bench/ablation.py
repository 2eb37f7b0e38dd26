"""Ablation: what each kind of evidence adds, on every labelled corpus, with speed and memory.

Each row runs ``python -m storyline eval CORPUS --json --config VARIANT.toml`` as its own process (as
``bench/quality.py`` does: whole process timed, peak memory from ``os.wait4``), so speed includes
start-up and, with embeddings, loading the encoder:

* words only: title and body TF-IDF and time (``entity_weight = 0``, no embeddings);
* + names, page furniture kept: people, places and organisations too, with every body sentence
  (``furniture_memory = 0``: the sentences an outlet printed on its other pages are not left out);
* + names: the sparse mode (``--no-embeddings``), outlets' page furniture left out as by default;
* + embeddings: the multilingual sentence encoder (``embeddings = "use"``);
* + embeddings (English MiniLM): the optional English encoder instead (``embeddings = "minilm"``,
  the ``minilm`` extra);
* + learned model: the shipped logistic model decides instead of the hand-set weights and threshold
  (``decision = "learned"``). It was trained on all three corpora, so this row is in-sample: the
  held-out numbers are in the ``decision`` section (``bench/train_decision.py``).

Usage::

    python bench/ablation.py [--repeat N] [--corpus NAME]... [--no-write]

Writes the table into ``BENCHMARKS.md`` between ``<!-- ablation:start -->`` and ``<!-- ablation:end -->``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from quality import _progress, corpus_paths, datasets_dir, load_corpus, run_storyline  # noqa: E402
from report import machine_line, write_section  # noqa: E402

VARIANTS: list[tuple[str, str]] = [
    ("words only", 'embeddings = "none"\nentity_weight = 0.0\n'),
    ("+ names, page furniture kept", 'embeddings = "none"\nfurniture_memory = 0\n'),
    ("+ names (sparse mode)", 'embeddings = "none"\n'),
    ("+ embeddings", 'embeddings = "use"\n'),
    ("+ embeddings (English MiniLM instead)", 'embeddings = "minilm"\n'),
    ("+ learned model (in-sample)", 'embeddings = "use"\ndecision = "learned"\n'),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/ablation.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=1, metavar="N", help="runs per row; keeps the median time")
    parser.add_argument("--corpus", action="append", default=[], metavar="NAME", help="only this corpus")
    parser.add_argument("--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone")
    options = parser.parse_args(argv)
    paths = [p for p in corpus_paths(datasets_dir()) if not options.corpus or p.name in options.corpus]
    rows = []
    with tempfile.TemporaryDirectory(prefix="storyline-ablation-") as tmp:
        for path in paths:
            corpus = load_corpus(path)
            for name, toml in VARIANTS:
                config = Path(tmp) / f"{len(rows)}.toml"
                config.write_text(toml, encoding="utf-8")
                result = _progress(run_storyline(corpus, ["--config", str(config)], options.repeat))
                rows.append((corpus.name, name, result))
    lines = ["## Ablation: what each kind of evidence adds", "",
             f"Reproduce with `python bench/ablation.py{' --repeat ' + str(options.repeat) if options.repeat > 1 else ''}`. "
             f"Run on {datetime.now(timezone.utc):%Y-%m-%d}; machine: {machine_line()}. "
             "One default configuration for every corpus; each row changes only what its name says. "
             "Speed is for the whole `storyline eval` process (start-up and loading the encoder included); "
             "memory is its peak resident size. The machine is shared: speeds move by ±20% between runs.", "",
             "| corpus | evidence | BCubed P | BCubed R | BCubed F1 | articles/s | peak MB |",
             "|---|---|---|---|---|---|---|"]
    for corpus, name, r in rows:
        if r.error:
            lines.append(f"| {corpus} | {name} | failed: {r.error} | | | | |")
            continue
        lines.append(f"| {corpus} | {name} | {r.bcubed_precision:.3f} | {r.bcubed_recall:.3f} | "
                     f"**{r.bcubed_f1:.3f}** | {r.articles_per_second:,.0f} | {r.peak_mb:.0f} |")
    lines += ["", "The learned model's row is in-sample (the shipped model was trained on all three corpora); "
              "the section *Learned decision* gives each corpus's number with a model trained without it. "
              "The default stays the hand-set rules: the model does not beat them on every corpus.", ""]
    section = "\n".join(lines)
    print(section)
    if not options.no_write:
        write_section("ablation", section)
    return 1 if any(r.error for _, _, r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
