"""Clustering quality benchmark: storyline against two simple baselines on the labelled corpora.

For every corpus folder (``articles.jsonl`` + ``meta.json``) in the datasets directory, by name:

* storyline is run as a separate process, exactly as a user would run it:
  ``python -m storyline eval CORPUS/articles.jsonl --json [EXTRA...]`` from the repository root
  with ``src`` on ``PYTHONPATH``. The whole process is timed (start-up included) and its peak
  resident memory is taken from ``os.wait4``. The last line of its stdout must be a JSON object with the scores.
  If it fails, the error is recorded for that row and the benchmark goes on.
* the baselines of ``bench/baselines.py`` are run in this process on the same articles (without the
  gold ``story`` field) and timed with ``time.perf_counter``. With ``--memory`` their peak memory is
  also measured: the ``tracemalloc`` peak of one more, untimed run (tracemalloc slows them about
  threefold, hence the separate run and the opt-in).

All predictions are scored with ``storyline.evaluate.metrics.score`` (BCubed P/R/F1 and ARI).
The results are printed as a markdown section (or one JSON object with ``--json``) and, unless
``--no-write``, written to ``BENCHMARKS.md`` between ``<!-- quality:start -->`` and
``<!-- quality:end -->``, leaving the rest of that file as it is.

Usage::

    python bench/quality.py [--repeat N] [--corpus NAME]... [--memory] [--no-write] [--json]
                            [-- EVAL ARGS...]

The datasets directory is ``$STORYLINE_DATASETS`` if set, else ``shared/datasets`` beside the
repository folder. The exit status is 1 if any method failed on any corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))  # benchmark the working tree, installed or not
sys.path.insert(0, str(REPO / "bench"))  # for baselines.py, however this script is started

from baselines import TFIDF_THRESHOLD, TITLE_WINDOW, tfidf_centroid, title_overlap  # noqa: E402
from report import BENCHMARKS, machine, write_section  # noqa: E402

from storyline.evaluate.metrics import score  # noqa: E402

#: Keys that the last stdout line of ``storyline eval --json`` must hold.
EVAL_KEYS = ("bcubed_precision", "bcubed_recall", "bcubed_f1", "ari", "articles", "stories")

Baseline = Callable[[Sequence[dict[str, Any]]], list[int]]
BASELINES: dict[str, Baseline] = {
    f"baseline: tf-idf centroid (θ={TFIDF_THRESHOLD:g})": tfidf_centroid,
    f"baseline: title overlap ({TITLE_WINDOW.days} days)": title_overlap,
}


@dataclass
class Corpus:
    """One labelled corpus: the articles without their gold label, and the gold labels apart."""

    name: str
    path: Path
    articles: list[dict[str, Any]]
    gold: list[str]

    @property
    def gold_stories(self) -> int:
        """Number of distinct gold stories."""
        return len(set(self.gold))


@dataclass
class Result:
    """One method's outcome on one corpus; the measurements are None when the method failed."""

    corpus: str
    method: str
    gold_stories: int
    articles: int | None = None
    predicted_stories: int | None = None
    bcubed_precision: float | None = None
    bcubed_recall: float | None = None
    bcubed_f1: float | None = None
    ari: float | None = None
    seconds: float | None = None  # median over the repeats
    articles_per_second: float | None = None
    peak_mb: float | None = None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def datasets_dir() -> Path:
    """``$STORYLINE_DATASETS``, or ``shared/datasets`` beside the repository folder."""
    override = os.environ.get("STORYLINE_DATASETS")
    return Path(override) if override else REPO.parent / "shared" / "datasets"


def corpus_paths(root: Path) -> list[Path]:
    """The corpus folders (those holding ``articles.jsonl``) under ``root``, sorted by name."""
    return sorted(p for p in root.iterdir() if (p / "articles.jsonl").is_file())


def load_corpus(path: Path) -> Corpus:
    """Read ``articles.jsonl`` of the corpus at ``path``, splitting off the gold ``story`` field."""
    articles: list[dict[str, Any]] = []
    gold: list[str] = []
    with (path / "articles.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                article = json.loads(line)
                gold.append(str(article.pop("story")))
                articles.append(article)
    return Corpus(path.name, path, articles, gold)


def run_storyline(corpus: Corpus, extra_args: Sequence[str], repeat: int) -> Result:
    """Run ``python -m storyline eval CORPUS/articles.jsonl --json`` ``repeat`` times, as a child.

    Scores come from the last run's JSON line; seconds are the median wall time of the whole
    process, peak memory the largest child max RSS over the runs.
    """
    result = Result(corpus.name, "storyline", corpus.gold_stories)
    data = str(corpus.path / "articles.jsonl")
    command = [sys.executable, "-m", "storyline", "eval", data, "--json", *extra_args]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), env.get("PYTHONPATH")]))
    times: list[float] = []
    peak_kib = 0
    report: dict[str, Any] = {}
    for _ in range(repeat):
        seconds, max_rss_kib, code, stdout, stderr = _run_timed(command, env)
        if code != 0:
            output = _last_line(stderr) or _last_line(stdout) or "no output"
            result.error = f"exit status {code}: {output}"
            return result
        try:
            report = _eval_report(stdout)
        except ValueError as error:
            result.error = f"unusable eval output: {error}"
            return result
        times.append(seconds)
        peak_kib = max(peak_kib, max_rss_kib)
    result.articles = report["articles"]
    result.predicted_stories = report["stories"]
    result.bcubed_precision = report["bcubed_precision"]
    result.bcubed_recall = report["bcubed_recall"]
    result.bcubed_f1 = report["bcubed_f1"]
    result.ari = report["ari"]
    result.seconds = statistics.median(times)
    result.articles_per_second = result.articles / result.seconds if result.seconds else None
    result.peak_mb = peak_kib / 1024
    result.extra = {key: value for key, value in report.items() if key not in EVAL_KEYS}
    return result


def _run_timed(command: Sequence[str], env: dict[str, str]) -> tuple[float, int, int, str, str]:
    """Run ``command`` from the repository root.

    Returns wall seconds, the child's max RSS in KiB, its exit code, its stdout and its stderr.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    return seconds, usage.ru_maxrss, process.returncode, stdout, stderr


def _eval_report(stdout: str) -> dict[str, Any]:
    """The JSON object on the last line of ``storyline eval --json`` output, with checked scores.

    Raises ValueError if that line is not a JSON object holding every key of ``EVAL_KEYS`` with a
    number (articles and stories as integers, scores as floats).
    """
    line = _last_line(stdout)
    try:
        report = json.loads(line)
    except json.JSONDecodeError:
        report = None
    if not isinstance(report, dict):
        raise ValueError(f"last stdout line is not a JSON object: {line[:200]!r}")
    missing = [key for key in EVAL_KEYS if key not in report]
    if missing:
        raise ValueError(f"JSON lacks {', '.join(missing)}: {line[:200]!r}")
    try:
        for key in EVAL_KEYS:
            report[key] = int(report[key]) if key in ("articles", "stories") else float(report[key])
    except (TypeError, ValueError):
        raise ValueError(f"JSON {key} is not a number: {report[key]!r}") from None
    return report


def _last_line(text: str) -> str:
    """The last non-blank line of ``text``, stripped ('' if none)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def run_baseline(
    corpus: Corpus, method: str, cluster: Baseline, repeat: int, memory: bool
) -> Result:
    """Run a baseline ``repeat`` timed times in this process, plus an untimed one if ``memory``."""
    result = Result(corpus.name, method, corpus.gold_stories, articles=len(corpus.articles))
    times: list[float] = []
    labels: list[int] = []
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            labels = cluster(corpus.articles)
            times.append(time.perf_counter() - start)
        if memory:
            tracemalloc.start()
            try:
                cluster(corpus.articles)
                result.peak_mb = tracemalloc.get_traced_memory()[1] / 2**20
            finally:
                tracemalloc.stop()
    except Exception as error:  # a broken baseline should not hide the other rows
        result.error = f"{type(error).__name__}: {error}"
        return result
    scores = score(labels, corpus.gold)
    result.predicted_stories = len(set(labels))
    result.bcubed_precision = scores.bcubed_precision
    result.bcubed_recall = scores.bcubed_recall
    result.bcubed_f1 = scores.bcubed_f1
    result.ari = scores.ari
    result.seconds = statistics.median(times)
    result.articles_per_second = len(corpus.articles) / result.seconds if result.seconds else None
    return result


def reproduce_command(options: argparse.Namespace, extra_args: Sequence[str]) -> str:
    """The shell command that reproduces a run with these options."""
    words = ["python", "bench/quality.py"]
    if options.repeat != 1:
        words += ["--repeat", str(options.repeat)]
    for name in options.corpus:
        words += ["--corpus", name]
    if options.memory:
        words.append("--memory")
    if extra_args:
        words += ["--", *extra_args]
    return shlex.join(words)


def render_section(results: Sequence[Result], command: str, date: str, host: dict[str, Any]) -> str:
    """The markdown section for BENCHMARKS.md, markers included."""
    header = (
        "| corpus | method | articles | predicted stories | gold stories | BCubed P | BCubed R "
        "| BCubed F1 | ARI | articles/s | peak MB |"
    )
    rows = [header, "|" + "---|" * 11]
    failures: list[str] = []
    for r in results:
        method = r.method if r.error is None else f"{r.method} (failed)"
        rows.append(
            "| "
            + " | ".join(
                [
                    r.corpus,
                    method,
                    _number(r.articles, "{:,}"),
                    _number(r.predicted_stories, "{:,}"),
                    f"{r.gold_stories:,}",
                    _number(r.bcubed_precision, "{:.3f}"),
                    _number(r.bcubed_recall, "{:.3f}"),
                    _number(r.bcubed_f1, "{:.3f}"),
                    _number(r.ari, "{:.3f}"),
                    _number(r.articles_per_second, "{:,.0f}"),
                    _number(r.peak_mb, "{:,.1f}"),
                ]
            )
            + " |"
        )
        if r.error is not None:
            failures.append(f"- {r.method} on {r.corpus}: `{r.error}`")
    lines = [
        "## Clustering quality",
        "",
        f"Reproduce with `{command}` (from the repository root).",
        "",
        f"Run on {date}; machine: {host['platform']}, {host['cpu']}, {host['cores']} cores, "
        f"Python {host['python']}.",
        "",
        *rows,
        "",
        "storyline's articles/s is for the whole `python -m storyline eval FILE.jsonl --json` "
        "process, start-up and loading included, and its peak MB is that process's maximum "
        "resident set size. The baselines (`bench/baselines.py`) run inside the benchmark process "
        "on articles already loaded; their peak MB (with `--memory`) is the tracemalloc peak of "
        "the Python objects they allocate, not a resident set size. Times are medians over the "
        "repeats.",
    ]
    if failures:
        lines += ["", "Failures:", "", *failures]
    return "\n".join(lines) + "\n"


def _number(value: float | int | None, pattern: str) -> str:
    """``value`` formatted with ``pattern``, or an em dash if missing."""
    return "—" if value is None else pattern.format(value)


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Options of this script, and the arguments after ``--`` (passed on to ``storyline eval``)."""
    argv = list(argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    parser = argparse.ArgumentParser(
        prog="python bench/quality.py",
        description="Score storyline and two baselines on every labelled corpus.",
        epilog="Arguments after -- are passed to `storyline eval`, e.g. -- --no-embeddings.",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="N", help="runs per method; keeps the median time"
    )
    parser.add_argument(
        "--corpus", action="append", default=[], metavar="NAME", help="only this corpus; repeatable"
    )
    parser.add_argument(
        "--memory", action="store_true", help="also measure the baselines' tracemalloc peak (slow)"
    )
    parser.add_argument(
        "--no-write", action="store_true", help="print only; leave BENCHMARKS.md alone"
    )
    parser.add_argument(
        "--json", action="store_true", help="print the results as one JSON object on stdout"
    )
    options = parser.parse_args(argv)
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    return options, extra


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; return the exit status (1 if any method failed on any corpus)."""
    options, extra = parse_args(sys.argv[1:] if argv is None else argv)
    root = datasets_dir()
    if not root.is_dir():
        print(f"datasets directory not found: {root} (set STORYLINE_DATASETS)", file=sys.stderr)
        return 2
    paths = corpus_paths(root)
    unknown = set(options.corpus) - {p.name for p in paths}
    if unknown:
        names = ", ".join(p.name for p in paths)
        print(f"unknown corpus {', '.join(sorted(unknown))}; available: {names}", file=sys.stderr)
        return 2
    if options.corpus:
        paths = [p for p in paths if p.name in options.corpus]

    results: list[Result] = []
    for path in paths:
        corpus = load_corpus(path)
        print(
            f"[{corpus.name}] {len(corpus.articles):,} articles, "
            f"{corpus.gold_stories:,} gold stories",
            file=sys.stderr,
            flush=True,
        )
        results.append(_progress(run_storyline(corpus, extra, options.repeat)))
        for method, cluster in BASELINES.items():
            result = run_baseline(corpus, method, cluster, options.repeat, options.memory)
            results.append(_progress(result))

    command = reproduce_command(options, extra)
    date = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    host = machine()
    section = render_section(results, command, date, host)
    if options.json:
        report = {
            "command": command,
            "date": date,
            "machine": host,
            "results": [asdict(r) for r in results],
        }
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(section, end="")
    if not options.no_write:
        write_section("quality", section)
        print(f"wrote {BENCHMARKS.relative_to(REPO)}", file=sys.stderr)
    return 1 if any(r.error for r in results) else 0


def _progress(result: Result) -> Result:
    """Print one progress line for ``result`` on stderr and return it."""
    if result.error is not None:
        line = f"FAILED: {result.error}"
    else:
        line = (
            f"P {result.bcubed_precision:.3f} R {result.bcubed_recall:.3f} "
            f"F1 {result.bcubed_f1:.3f} ARI {result.ari:.3f}, "
            f"{result.predicted_stories:,} stories, "
            f"{_number(result.articles_per_second, '{:,.0f}')} articles/s ({result.seconds:.2f} s)"
        )
    print(f"[{result.corpus}] {result.method}: {line}", file=sys.stderr, flush=True)
    return result


if __name__ == "__main__":
    sys.exit(main())
