"""Train the learned decision (``src/storyline/cluster/decision.json``) on the labelled corpora.

1. Each corpus is clustered by the engine with the hand-set rules (embeddings on); every candidate
   story scored for every article gives one training pair: the features of
   :func:`storyline.cluster.decision.pair_features`, labelled 1 when the candidate's majority gold
   story is the article's gold story.
2. A logistic model is fitted by Newton's method from zero weights (L2 penalty 1; each corpus weighs
   the same, whatever its size): deterministic, so the same corpora give the same file bit for bit.
3. Cross-corpus validation: a model trained on two corpora clusters the third; then the model trained
   on all three is written, and each corpus is clustered with it (in-sample: an optimistic number).

Usage::

    python bench/train_decision.py [--no-write]

Writes the model file and the ``decision`` section of ``BENCHMARKS.md`` (unless ``--no-write``).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

from quality import corpus_paths, datasets_dir  # noqa: E402
from report import machine_line, write_section  # noqa: E402

from storyline.cluster.decision import FEATURES, MODEL_FILE, DecisionModel  # noqa: E402
from storyline.config import Config  # noqa: E402
from storyline.engine import Engine  # noqa: E402
from storyline.evaluate.metrics import bcubed  # noqa: E402
from storyline.evaluate.run import read_labelled  # noqa: E402

BASE = Config().with_overrides({"embeddings": "use"})


def pairs(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Training pairs of one corpus, from a run of the rules."""
    articles, gold, _ = read_labelled(str(path / "articles.jsonl"))
    xs: list[list[float]] = []
    ys: list[float] = []
    members: dict[int, Counter[str]] = defaultdict(Counter)
    current = {"gold": ""}
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(str(Path(tmp) / "train.db"), BASE, batch_size=5000)
        find = engine.clusterer.find

        def observe(story: int, x: list[float]) -> None:
            top = members[find(story)].most_common(1)
            xs.append(x)
            ys.append(1.0 if top and top[0][0] == current["gold"] else 0.0)

        engine.clusterer.observe = observe
        for start in range(0, len(articles), 64):
            chunk = articles[start:start + 64]
            embedded = engine._embed(chunk) if engine.embedder is not None else [None] * len(chunk)
            for i, (article, meaning) in enumerate(zip(chunk, embedded)):
                current["gold"] = gold[start + i]
                story = find(engine.add(article, meaning).story_id)
                members[story][gold[start + i]] += 1
                for gone, kept in list(engine.clusterer.merged_into.items()):
                    if gone in members:
                        members[find(kept)].update(members.pop(gone))
        engine.close()
    return np.array(xs, dtype=np.float64), np.array(ys, dtype=np.float64)


def fit(parts: list[tuple[np.ndarray, np.ndarray]], l2: float = 1.0, steps: int = 40) -> tuple[np.ndarray, float]:
    """Logistic regression by Newton's method; each part (corpus) weighs the same in total."""
    x = np.vstack([np.hstack([p[0], np.ones((len(p[0]), 1))]) for p in parts])
    y = np.concatenate([p[1] for p in parts])
    w_rows = np.concatenate([np.full(len(p[1]), len(y) / (len(parts) * len(p[1]))) for p in parts])
    w = np.zeros(x.shape[1])
    penalty = l2 * np.eye(x.shape[1])
    penalty[-1, -1] = 0.0  # the bias is not shrunk
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(x @ w)))
        grad = x.T @ (w_rows * (p - y)) + penalty @ w
        hess = (x * (w_rows * p * (1.0 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hess, grad)
        w -= step
        if float(np.abs(step).max()) < 1e-10:
            break
    return w[:-1], float(w[-1])


def cluster(path: Path, model_file: Path) -> tuple[float, float, float]:
    """BCubed P, R, F1 of the engine with a learned decision on one corpus."""
    articles, gold, _ = read_labelled(str(path / "articles.jsonl"))
    config = BASE.with_overrides({"decision": str(model_file)})
    with Engine(None, config, batch_size=5000) as engine:
        placed = [a.story_id for a in engine.add_many(articles)]
        predicted = [engine.clusterer.find(s) for s in placed]
    return bcubed(predicted, gold)


def rules(path: Path) -> tuple[float, float, float]:
    articles, gold, _ = read_labelled(str(path / "articles.jsonl"))
    with Engine(None, BASE, batch_size=5000) as engine:
        placed = [a.story_id for a in engine.add_many(articles)]
        predicted = [engine.clusterer.find(s) for s in placed]
    return bcubed(predicted, gold)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/train_decision.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print only; write neither the model nor BENCHMARKS.md")
    options = parser.parse_args(argv)
    paths = corpus_paths(datasets_dir())
    data = {}
    for path in paths:
        data[path.name] = pairs(path)
        print(f"[{path.name}] {len(data[path.name][1]):,} pairs, {data[path.name][1].mean():.3f} positive",
              file=sys.stderr, flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            train = [n for n in data if n != path.name]
            w, b = fit([data[n] for n in train])
            model_file = Path(tmp) / f"without-{path.name}.json"
            model_file.write_text(DecisionModel(FEATURES, list(w), b, tuple(train)).to_json(), encoding="utf-8")
            rows.append((path.name, "learned, trained without it", cluster(path, model_file)))
        w, b = fit([data[n] for n in data])
        model = DecisionModel(FEATURES, list(w), b, tuple(sorted(data)))
        final = Path(tmp) / "all.json"
        final.write_text(model.to_json(), encoding="utf-8")
        for path in paths:
            rows.append((path.name, "learned, trained on all three (in-sample)", cluster(path, final)))
            rows.append((path.name, "hand-set rules", rules(path)))
    rows.sort(key=lambda r: r[0])
    lines = ["## Learned decision", "",
             f"Reproduce with `python bench/train_decision.py` (writes `src/storyline/cluster/decision.json`). "
             f"Run on {datetime.now(timezone.utc):%Y-%m-%d}; machine: {machine_line()}. Embeddings on in every row. "
             "A logistic model over pairwise article-story features (title, body, names and meaning "
             "similarity, which of them exist, days apart, story size) replaces the weights and the threshold; "
             "it is trained on the candidates the rules scored. \"Trained without it\" is the honest number: "
             "the corpus was not seen in training.", "",
             "| corpus | decision | BCubed P | BCubed R | BCubed F1 |", "|---|---|---|---|---|"]
    for corpus, name, (p, r, f1) in rows:
        lines.append(f"| {corpus} | {name} | {p:.3f} | {r:.3f} | **{f1:.3f}** |")
    lines += ["", "The shipped default stays `decision = \"rules\"` while the learned model does not beat the rules on "
              "every corpus; `decision = \"learned\"` (config or `STORYLINE_DECISION=learned`) uses it.", ""]
    section = "\n".join(lines)
    print(section)
    if not options.no_write:
        MODEL_FILE.write_text(model.to_json(), encoding="utf-8")
        write_section("decision", section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
