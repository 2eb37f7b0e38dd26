"""Scale benchmark: backfill speed with 1 and 2 workers, single-process cost per article as the archive
grows, memory per 100k articles, and backfill against single-process `eval` on the shared corpora.

Parts (each can be run alone; every number comes from a separate child process, timed as a whole):

* ``--cost``: one engine (``Engine(FILE.db)``, as ``storyline ingest`` uses it, articles added in batches
  of 1,000 with ``add_many``) reads a synthetic stream (``bench/synth.py``, seed 7). After the archive
  reaches each size (10k, 100k, 1M by default) the next ``--window`` articles are timed: the cost per
  article there is what a live stream pays at that archive size. Resident memory (VmRSS) is read at
  each size. The child prints one JSON line per size as it goes, so a run stopped by ``--budget``
  still reports the sizes it reached.
* ``--speed``: ``storyline backfill`` of ``--backfill-articles`` synthetic articles with ``--engine local``
  (one partition: the single-process baseline) and ``--engine ray`` with 1 and 2 workers; whole
  process wall time (Ray's start-up included, and reported apart), median of ``--repeat``.
* ``--corpora``: for each shared corpus, ``storyline eval --predictions`` (single process) and
  ``storyline backfill --engine ray --workers 2 --predictions``: BCubed F1 of the backfill's stories
  against the single-process stories (agreement) and both against gold.

Usage::

    nice python bench/scale.py [--cost] [--speed] [--corpora] [--sizes 10000,100000,1000000]
                               [--window 5000] [--budget 900] [--backfill-articles 100000] [--repeat 3]
                               [--no-write]

Without a part named, all three run. Results go to BENCHMARKS.md between ``<!-- scale:start -->`` and
``<!-- scale:end -->``, each part in its own sub-section (``scale-cost``, ``scale-speed``,
``scale-corpora``) so they can be rerun apart.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "bench" / ".data"
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

from report import machine_line, write_section  # noqa: E402
from synth import stream  # noqa: E402

SEED = 7


def env() -> dict[str, str]:
    e = dict(os.environ)
    e["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "src"), e.get("PYTHONPATH")]))
    return e


def synthetic(n: int) -> Path:
    """The first ``n`` articles of the seed-7 synthetic stream, as a JSONL file (made once, cached)."""
    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"synth-{n}-seed{SEED}.jsonl"
    if not path.exists():
        tmp = path.with_suffix(".part")
        with tmp.open("w", encoding="utf-8") as out:
            for article in stream(n, SEED):
                out.write(json.dumps(article, ensure_ascii=False) + "\n")
        tmp.rename(path)
    return path


def engine_setting() -> str:
    """The engine's embeddings setting (if it has one), for the section's header."""
    from storyline.config import Config

    value = getattr(Config.load(), "embeddings", None)
    return "sparse features only" if value in (None, "none") else f"embeddings = {value!r}"


# -- the single-process cost child ---------------------------------------------------------------------


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _time_near_duplicates(engine) -> list[float]:
    """Time spent looking for near-identical copies, apart (a diagnosis of this benchmark only: it
    wraps the engine's near-duplicate lookup, when the engine has one, in a timer)."""
    spent = [0.0]
    near = getattr(engine, "near", None)
    if near is None or not hasattr(near, "find"):
        return spent
    find = near.find

    def timed(*args, **kwargs):
        clock = time.process_time()
        try:
            return find(*args, **kwargs)
        finally:
            spent[0] += time.process_time() - clock

    near.find = timed
    return spent


def cost_child(path: str, sizes: list[int], window: int) -> None:
    """Feed the stream to one engine; print a JSON line per size: the window's seconds per article."""
    from storyline import Engine
    from storyline.config import Config
    from storyline.ingest.sources import Problem, read_source

    items = (a for a in read_source(path) if not isinstance(a, Problem))
    with tempfile.TemporaryDirectory(prefix="storyline-scale-") as tmp:
        # Sparse features (as `ingest --no-embeddings`): at about 300 articles/s the sentence encoder
        # would make a million articles a day's run, and it costs the same for every article anyway.
        config = Config.load().with_overrides({"embeddings": "none"})
        engine = Engine(str(Path(tmp) / "scale.db"), config, batch_size=1000)
        near = _time_near_duplicates(engine)
        done = 0
        started = time.perf_counter()
        marks = sorted(sizes)
        for size in marks:
            while done < size:  # grow the archive to `size`
                batch = [a for _, a in zip(range(min(1000, size - done)), items)]
                if not batch:
                    return
                engine.add_many(batch)
                done += len(batch)
            rss = _rss_mb()
            near[0] = 0.0
            clock, cpu = time.perf_counter(), time.process_time()
            timed = 0
            while timed < window:  # then time the next `window` articles
                batch = [a for _, a in zip(range(min(1000, window - timed)), items)]
                if not batch:
                    break
                engine.add_many(batch)
                timed += len(batch)
            seconds = time.perf_counter() - clock
            cpu_seconds = time.process_time() - cpu
            done += timed
            print(json.dumps({"size": size, "window": timed, "ms_per_article": 1000 * seconds / max(timed, 1),
                              "cpu_ms_per_article": 1000 * cpu_seconds / max(timed, 1),
                              "near_ms_per_article": 1000 * near[0] / max(timed, 1),
                              "rss_mb": round(rss, 1), "elapsed_s": round(time.perf_counter() - started, 1)}),
                  flush=True)
        engine.close()


def run_cost(sizes: list[int], window: int, budget: float) -> dict:
    path = synthetic(max(sizes) + window)
    command = [sys.executable, str(Path(__file__).resolve()), "--_cost-child", str(path),
               "--sizes", ",".join(map(str, sizes)), "--window", str(window)]
    rows: list[dict] = []
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=env(), stdout=subprocess.PIPE, text=True)
    import threading

    timer = threading.Timer(budget, process.kill)  # the budget holds even while a window is running
    timer.start()
    stopped = False
    try:
        assert process.stdout is not None
        for line in process.stdout:
            rows.append(json.loads(line))
            print(f"scale: cost at {rows[-1]['size']:,}: {rows[-1]['cpu_ms_per_article']:.3f} CPU ms/article, "
                  f"{rows[-1]['rss_mb']:.0f} MB", file=sys.stderr)
            if time.perf_counter() - started > budget:
                stopped = True
                break
    finally:
        timer.cancel()
        if process.poll() is None:
            process.kill()
        process.wait()
    stopped = stopped or len(rows) < len(sizes)
    return {"rows": rows, "sizes": sizes, "window": window, "budget": budget, "stopped": stopped,
            "seconds": time.perf_counter() - started}


# -- backfill speed ------------------------------------------------------------------------------------


def backfill_once(path: Path, engine: str, workers: int, extra: list[str] | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="storyline-scale-") as tmp:
        command = [sys.executable, "-m", "storyline", "backfill", str(path), "--engine", engine,
                   "--workers", str(workers), "--db", str(Path(tmp) / "b.db"), "--json", "--quiet", *(extra or [])]
        clock = time.perf_counter()
        proc = subprocess.run(command, cwd=REPO, env=env(), capture_output=True, text=True)
        seconds = time.perf_counter() - clock
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {proc.stderr.strip().splitlines()[-1:]}")
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    summary["process_s"] = seconds
    return summary


def run_speed(n: int, repeat: int) -> dict:
    path = synthetic(n)
    runs = {}
    for label, engine, workers, extra in [("local, 1 partition", "local", 1, []),
                                          ("ray, 1 worker", "ray", 1, []),
                                          ("ray, 2 workers", "ray", 2, []),
                                          ("ray, 2 workers, 24 h overlap", "ray", 2, ["--overlap", "24h"])]:
        results = [backfill_once(path, engine, workers, extra) for _ in range(repeat)]
        runs[label] = {
            "command": f"storyline backfill FILE --engine {engine} --workers {workers} {' '.join(extra)}".strip(),
            "process_s": statistics.median(r["process_s"] for r in results),
            "partitions_s": statistics.median(r["seconds"]["partitions"] for r in results),
            "write_s": statistics.median(r["seconds"].get("write", 0.0) for r in results),
            "start_s": statistics.median(r["seconds"].get("start", 0.0) for r in results),
            "partitions": results[0]["partitions"], "warmup": results[0]["warmup_articles"],
            "stored": results[0]["stored_articles"], "stories": results[0]["stories"],
            "all_process_s": [round(r["process_s"], 1) for r in results],
        }
        print(f"scale: {label}: {runs[label]['process_s']:.1f} s", file=sys.stderr)
    return {"articles": n, "repeat": repeat, "runs": runs}


# -- corpora -------------------------------------------------------------------------------------------


def datasets_dir() -> Path:
    override = os.environ.get("STORYLINE_DATASETS")
    return Path(override) if override else REPO.parent / "shared" / "datasets"


def _predictions(path: Path) -> dict[str, object]:
    with path.open(encoding="utf-8") as lines:
        return {r["id"]: r["story"] for r in map(json.loads, lines)}


#: Backfill plans tried on each corpus: the defaults, and a leaner overlap in more partitions.
CORPUS_PLANS = [("defaults", []),
                ("4 partitions, overlap 500 articles / 6 h", ["--partitions", "4", "--overlap-articles", "500",
                                                              "--overlap", "6h"])]


def run_corpora(synthetic_articles: int = 0) -> list[dict]:
    from storyline.evaluate.metrics import bcubed

    rows = []
    corpora = [(p.name, p / "articles.jsonl") for p in sorted(datasets_dir().iterdir())
               if (p / "articles.jsonl").is_file()]
    if synthetic_articles:
        corpora.append((f"synthetic (seed {SEED})", synthetic(synthetic_articles)))
    for name, data in corpora:
        ids, gold = [], []
        with data.open(encoding="utf-8") as lines:
            for line in lines:
                if line.strip():
                    record = json.loads(line)
                    ids.append(str(record["id"]))
                    gold.append(str(record["story"]))
        with tempfile.TemporaryDirectory(prefix="storyline-scale-") as tmp:
            single_out = Path(tmp) / "single.jsonl"
            clock = time.perf_counter()
            subprocess.run([sys.executable, "-m", "storyline", "eval", str(data), "--predictions", str(single_out)],
                           cwd=REPO, env=env(), check=True, capture_output=True)
            single_s = time.perf_counter() - clock
            single = _predictions(single_out)
            s = [single[i] for i in ids]
            for plan, extra in CORPUS_PLANS:
                back_out = Path(tmp) / "backfill.jsonl"
                summary = backfill_once(data, "ray", 2, [*extra, "--predictions", str(back_out)])
                back = _predictions(back_out)
                b = [back[i] for i in ids]
                rows.append({"corpus": name, "plan": plan, "articles": len(ids),
                             "agreement_f1": bcubed(b, s)[2], "single_f1": bcubed(s, gold)[2],
                             "backfill_f1": bcubed(b, gold)[2], "single_stories": len(set(s)),
                             "backfill_stories": len(set(b)), "partitions": summary["partitions"],
                             "warmup": summary["warmup_articles"], "single_s": single_s,
                             "backfill_s": summary["process_s"], "start_s": summary["seconds"].get("start", 0.0)})
                print(f"scale: {name} ({plan}): agreement {rows[-1]['agreement_f1']:.4f}", file=sys.stderr)
    return rows


# -- report --------------------------------------------------------------------------------------------


def cost_section(cost: dict) -> str:
    rows = cost["rows"]
    lines = ["### Single process: cost per article as the archive grows", "",
             f"Reproduce with `nice python bench/scale.py --cost --sizes {','.join(map(str, cost['sizes']))} "
             f"--window {cost['window']} --budget {cost['budget']:.0f}`.", "",
             f"One `Engine` on an SQLite file (as `storyline ingest --no-embeddings` uses it) reads the synthetic "
             f"stream; after the archive reaches each size, the next {cost['window']:,} articles are timed. The "
             "cost is the process's CPU time per article (on a shared machine, wall time also counts the other "
             "work's turns; it is shown beside it). Memory is the process's resident set at that size.", "",
             "| archive size | CPU ms per article (next window) | vs first size | of which near-duplicate lookup | "
             "the rest | rest vs first size | wall ms per article | resident MB | run time so far |",
             "|---|---|---|---|---|---|---|---|---|"]

    def cpu(r: dict) -> float:  # rows of runs before CPU time was recorded have wall time only
        return r.get("cpu_ms_per_article", r["ms_per_article"])

    first = cpu(rows[0]) if rows else None
    first_rest = cpu(rows[0]) - rows[0].get("near_ms_per_article", 0.0) if rows else None
    for r in rows:
        near = r.get("near_ms_per_article", 0.0)
        rest = cpu(r) - near
        lines.append(f"| {r['size']:,} | {cpu(r):.3f} | {cpu(r) / first:.2f}× | {near:.3f} | {rest:.3f} | "
                     f"{rest / first_rest:.2f}× | {r['ms_per_article']:.3f} | {r['rss_mb']:,.0f} | "
                     f"{r['elapsed_s']:,.0f} s |")
    reached = [r["size"] for r in rows]
    missing = [s for s in cost["sizes"] if s not in reached]
    lines.append("")
    if missing:
        lines.append(f"**Not reached:** {', '.join(f'{s:,}' for s in missing)} — the run was stopped at its "
                     f"budget of {cost['budget']:.0f} s on this shared machine.")
    if len(rows) >= 2:
        last = rows[-1]
        ratio = cpu(last) / first
        verdict = "within" if ratio <= 1.5 else "**outside**"
        lines.append(f"CPU cost at {last['size']:,} is {ratio:.2f}× the cost at {rows[0]['size']:,}: {verdict} the "
                     "1.5× target.")
        per100k = (last["rss_mb"] - rows[0]["rss_mb"]) / (last["size"] - rows[0]["size"]) * 100_000
        lines.append(f"Memory grows by about **{per100k:,.0f} MB per 100k articles** (resident set from "
                     f"{rows[0]['size']:,} to {last['size']:,} articles).")
    return "\n".join(lines)


def speed_section(speed: dict) -> str:
    n = speed["articles"]
    lines = ["### Backfill: 1 and 2 workers", "",
             f"Reproduce with `nice python bench/scale.py --speed --backfill-articles {n} --repeat {speed['repeat']}`.",
             "",
             f"{n:,} synthetic articles; whole `storyline backfill` process (reading, Ray start-up, partitions, "
             f"stitching, writing the store), median of {speed['repeat']}. articles/s over the whole process and "
             "over the partitions' parallel phase alone.", "",
             "| run | partitions | read twice (overlap) | process s | articles/s | cluster start s | partitions phase s | articles/s in it | write s |",
             "|---|---|---|---|---|---|---|---|---|"]
    runs = speed["runs"]
    for label, r in runs.items():
        lines.append(f"| `{r['command']}` | {r['partitions']} | {r['warmup']:,} | {r['process_s']:.1f} | "
                     f"{n / r['process_s']:,.0f} | {r['start_s']:.1f} | {r['partitions_s']:.1f} | {n / r['partitions_s']:,.0f} | "
                     f"{r['write_s']:.1f} |")
    one, two = runs.get("ray, 1 worker"), runs.get("ray, 2 workers")
    if one and two:
        lines += ["", f"Speed-up from 1 to 2 Ray workers: **{one['process_s'] / two['process_s']:.2f}×** for the "
                      f"whole process, **{one['partitions_s'] / two['partitions_s']:.2f}×** for the parallel phase. "
                      f"All process times: " + "; ".join(f"{k}: {v['all_process_s']}" for k, v in runs.items()) + ".",
                  "", "A partition after the first re-reads its overlap (\"read twice\"): on a short stream the 48-hour "
                      "default is a large share of a partition, and on this machine, shared with other work, two "
                      "workers rarely get two free cores. A longer archive amortises the overlap; a shorter overlap "
                      "buys speed at the cost of agreement (see the next table)."]
    return "\n".join(lines)


def corpora_section(rows: list[dict]) -> str:
    lines = ["### Backfill on the shared corpora", "",
             "Reproduce with `nice python bench/scale.py --corpora --synthetic 20000`: for each corpus, "
             "`storyline eval CORPUS --predictions single.jsonl` and "
             "`storyline backfill CORPUS --engine ray --workers 2 --predictions backfill.jsonl` with the default "
             "overlap, and again with `--partitions 4 --overlap-articles 500 --overlap 6h`. Agreement is the BCubed "
             "F1 of the backfill's stories scored against the single-process stories, over every article.", "",
             "| corpus | backfill plan | partitions | read twice | agreement with single process (BCubed F1) | "
             "F1 vs gold: single | F1 vs gold: backfill | difference | stories: single / backfill | "
             "eval s / backfill s (Ray start) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        diff = r["backfill_f1"] - r["single_f1"]
        lines.append(f"| {r['corpus']} ({r['articles']:,}) | {r['plan']} | {r['partitions']} | {r['warmup']:,} | "
                     f"{r['agreement_f1']:.4f} {'✓' if r['agreement_f1'] >= 0.98 else '✗ (target 0.98)'} | "
                     f"{r['single_f1']:.4f} | {r['backfill_f1']:.4f} | {diff:+.4f} "
                     f"{'✓' if abs(diff) <= 0.01 else '✗'} | {r['single_stories']:,} / {r['backfill_stories']:,} | "
                     f"{r['single_s']:.1f} / {r['backfill_s']:.1f} ({r['start_s']:.1f}) |")
    lines += ["", "On corpora this small the default overlap (at least 2,000 articles and 48 hours, never more than "
                  "the partition before) covers the whole first partition: the second one re-reads everything "
                  "before it, so its engine is in the same state as a single process at its boundary, agreement "
                  "is exact by construction, and there is no speed-up to gain. The leaner plan shows what "
                  "stitching achieves when partitions start with only a little of the past."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cost", action="store_true")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--corpora", action="store_true")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--window", type=int, default=5000)
    parser.add_argument("--budget", type=float, default=900.0, help="seconds the cost run may take (default 900)")
    parser.add_argument("--backfill-articles", type=int, default=100_000)
    parser.add_argument("--synthetic", type=int, default=0, metavar="N",
                        help="with --corpora: also the first N synthetic articles, as one more corpus")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--_cost-child", dest="cost_child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.cost_child:
        cost_child(args.cost_child, sizes, args.window)
        return 0
    everything = not (args.cost or args.speed or args.corpora)
    load = os.getloadavg()[0]
    header = [f"Run on {datetime.now(timezone.utc):%Y-%m-%d}; machine: {machine_line()}; engine: "
              f"{engine_setting()}. The machine is shared with other work (load average {load:.1f} when this "
              "part started): times are noisy."]
    parts = []
    if args.cost or everything:
        parts.append(("scale-cost", cost_section(run_cost(sizes, args.window, args.budget))))
    if args.speed or everything:
        parts.append(("scale-speed", speed_section(run_speed(args.backfill_articles, args.repeat))))
    if args.corpora or everything:
        parts.append(("scale-corpora", corpora_section(run_corpora(args.synthetic))))
    for name, text in parts:
        body = text + "\n\n" + (header[0].replace(engine_setting(), "sparse features only")
                                if name == "scale-cost" else header[0])
        print(body + "\n")
        if not args.no_write:
            _write_part(name, body)
    return 0


def _write_part(name: str, text: str) -> None:
    """Each part in its own markers, inside the scale section (created on first use)."""
    from report import BENCHMARKS, markers

    doc = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    if markers("scale")[0] not in doc:
        write_section("scale", "## Scale and partitioned backfill (`storyline backfill`, `bench/scale.py`)\n\n"
                               "Synthetic news from `python bench/synth.py N --seed 7` (invented text, known gold "
                               "stories).")
    start, end = markers("scale")
    doc = BENCHMARKS.read_text(encoding="utf-8")
    inner = doc[doc.index(start) + len(start):doc.index(end)]
    s, e = markers(name)
    block = f"{s}\n{text.strip()}\n{e}"
    if s in inner:
        inner = inner[:inner.index(s)] + block + inner[inner.index(e) + len(e):]
    else:
        inner = inner.rstrip("\n") + "\n\n" + block + "\n"
    BENCHMARKS.write_text(doc[:doc.index(start) + len(start)] + inner + doc[doc.index(end):], encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
