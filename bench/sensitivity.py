"""How much storyline's quality depends on its main parameters, on every labelled corpus.

One default configuration serves every corpus, so it should sit on a plateau, not on a peak that
one corpus likes. This script varies the new-story ``threshold``, the ``merge_threshold`` and the
``entity_weight`` around their defaults (a 3x3x3 grid), runs ``storyline.evaluate.run.evaluate`` on
every corpus and on the built-in demo corpus (written by hand, never used for tuning) for each, and
writes the table, best mean first, into BENCHMARKS.md (section ``sensitivity``).

Usage: ``python bench/sensitivity.py [--no-write]`` (about ten minutes on two cores).
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

from report import machine_line, write_section  # noqa: E402

from storyline.config import Config  # noqa: E402
from storyline.evaluate.run import evaluate  # noqa: E402

GRID = {
    "threshold": (0.18, 0.2, 0.23),
    "merge_threshold": (0.45, 0.5, 0.6),
    "entity_weight": (0.35, 0.44, 0.55),
}


def corpora() -> list[tuple[str, Path]]:
    root = Path(os.environ.get("STORYLINE_DATASETS") or REPO.parent / "shared" / "datasets")
    found = [(p.name, p / "articles.jsonl") for p in sorted(root.iterdir()) if (p / "articles.jsonl").is_file()]
    return found + [("demo (holdout)", REPO / "src" / "storyline" / "data" / "demo.jsonl")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-write", action="store_true", help="print the table only")
    args = parser.parse_args(argv)
    sets = corpora()
    default = Config()
    rows = []
    for values in itertools.product(*GRID.values()):
        over = dict(zip(GRID, values))
        cfg = Config().with_overrides(over)
        scores = [float(evaluate(str(path), cfg)["bcubed_f1"]) for _, path in sets]  # type: ignore[arg-type]
        rows.append((over, scores))
        print(f"{over}: " + " ".join(f"{s:.3f}" for s in scores), file=sys.stderr)
    labelled = len(sets) - 1
    rows.sort(key=lambda r: -sum(r[1][:labelled]))
    head = " | ".join(name for name, _ in sets)
    lines = [
        "## Sensitivity of the defaults",
        "",
        "Reproduce with `python bench/sensitivity.py`. BCubed F1 per corpus for a grid around the defaults "
        "(**bold**: the default), sorted by the mean over the labelled corpora; the demo corpus is hand-written "
        "and was never used to choose parameters.",
        "",
        f"Run on {date.today().isoformat()}; machine: {machine_line()}.",
        "",
        f"| threshold | merge_threshold | entity_weight | {head} | mean (labelled) |",
        "|---|---|---|" + "---|" * len(sets) + "---|",
    ]
    for over, scores in rows:
        is_default = all(getattr(default, k) == v for k, v in over.items())
        cells = [f"{over[k]:g}" for k in GRID] + [f"{s:.3f}" for s in scores]
        cells.append(f"{sum(scores[:labelled]) / labelled:.3f}")
        if is_default:
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    section = "\n".join(lines)
    print(section)
    if not args.no_write:
        write_section("sensitivity", section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
