"""Web server benchmark: `storyline serve` on a store of 50,000 invented articles.

Builds (once, then reuses) a store of invented news: events of ten kinds (quakes, strikes, trials, ...)
with made-up places, people and organisations, each reported by several of 40 outlets over hours or days,
some articles republished word for word by a second outlet. Nothing is copied from any corpus.
A second store of 100,000 one-article stories checks that the front page stays fast with that many
stories.

Then, for each store: starts ``python -m storyline serve`` on 127.0.0.1 (start-up timed until the
first answer), measures the first (cold) requests, waits for the background pass that describes every
story (timed), and sends a bounded number of requests (``--requests`` per endpoint, at most
``--seconds`` each) to the front page, story pages and ``/api/stories``: one client in sequence for
latency (p50/p99), then ``--clients`` clients at once for requests/s. Loopback only.

Writes its section of BENCHMARKS.md between ``<!-- serve:start -->`` and ``<!-- serve:end -->``.

Usage::

    python bench/serve.py [--articles 50000] [--requests 300] [--seconds 20] [--clients 4]
                          [--data bench/.data] [--rebuild] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import httpx  # noqa: E402

from storyline import Article, Engine  # noqa: E402

BENCHMARKS_FILE = REPO / "BENCHMARKS.md"
START, END = "<!-- serve:start -->", "<!-- serve:end -->"
T0 = 1793491200.0  # 2026-11-01T00:00:00Z

_ON = ["var", "kes", "dun", "mar", "tes", "ost", "bel", "cor", "lum", "dre", "hal", "yar", "sel", "qua", "bri",
       "tor", "vel", "ash", "gal", "nor", "pen", "ril", "sto", "wen", "zan", "fal", "mir", "ket", "lor", "bas"]
_NUC = ["a", "e", "i", "o", "u", "ae", "ei", "ou", "ar", "en", "il", "or"]
_CODA = ["holm", "mere", "vik", "dale", "stad", "grad", "ford", "wick", "berg", "mark", "ton", "sk", "ova", "land",
         "burg", "port", "ness", "ia", "ar", "en"]
_FIRST = ["Anya", "Tomas", "Jonas", "Marta", "Ilse", "Diego", "Samira", "Johan", "Wanjiru", "Adriaan", "Lena",
          "Paulo", "Mei", "Omar", "Greta", "Ravi", "Nadia", "Felix", "Zofia", "Kenji", "Ines", "Bruno", "Leila", "Otto"]
OUTLETS = [f"{a} {b}" for a in ("Harbor", "Northern", "Evening", "Coastal", "Daily", "River", "Frontier", "Global")
           for b in ("Gazette", "Ledger", "Herald", "Courier", "Times")]

KINDS: dict[str, tuple[list[str], list[str]]] = {
    "quake": (["Magnitude {mag} quake strikes near {place}", "{place} shaken by magnitude {mag} earthquake",
               "Rescuers search rubble after {place} earthquake", "Aftershocks rattle {place} as damage is counted"],
              ["A magnitude {mag} earthquake struck near {place} in {region} on {day}, the seismology centre said.",
               "Mayor {person} said {n} buildings were damaged and schools would stay shut.",
               "{org} sent rescue teams to the worst-hit districts of {place}."]),
    "strike": (["Dockworkers strike at {place} port over pay", "{place} port strike enters day {n2}",
                "{org} rejects {place} dockworkers' pay demand", "Talks resume to end {place} port strike"],
               ["Dockworkers at the port of {place} walked out on {day} demanding a pay rise of {n2} percent.",
                "Union leader {person} said the strike would continue until {org} improves its offer.",
                "Ships queued outside {place} as cargo handling stopped."]),
    "trial": (["{person} goes on trial in {place} over fraud charges", "Prosecutors in {place} accuse {person} of fraud",
               "{person} denies fraud as {place} trial opens", "Verdict due in {person} fraud trial"],
              ["The trial of businessman {person} opened in {place} on {day} on charges of defrauding investors.",
               "Prosecutors say {org} lost {n} million through the scheme.",
               "Lawyers for {person} say their client is innocent."]),
    "flood": (["Floods force evacuations in {place}", "{river} bursts its banks near {place}",
               "{place} flood waters begin to recede", "Thousands flee rising {river} at {place}"],
              ["Heavy rain pushed the {river} over its banks near {place} on {day}, forcing {n} people from their homes.",
               "Mayor {person} said emergency shelters had opened in schools.",
               "{org} warned that more rain was expected in {region}."]),
    "election": (["{person} wins {place} mayoral election", "Voters in {place} choose a new mayor",
                  "{place} election: {person} claims victory", "Turnout high as {place} votes for mayor"],
                 ["{person} won the mayoral election in {place} on {day} with {n2} percent of the vote.",
                  "The result ends a campaign dominated by housing costs, observers from {org} said.",
                  "{person} promised to build {n} new homes in {region}."]),
    "merger": (["{org} agrees to buy {org2} for {n} million", "{org2} shareholders back {org} takeover",
                "Regulators review {org} bid for {org2}", "{org} and {org2} to combine in {place} deal"],
               ["{org} agreed on {day} to buy {org2} for {n} million, the companies said in {place}.",
                "Chief executive {person} said the deal would create the largest firm in {region}.",
                "Regulators in {place} are expected to review the merger."]),
    "fire": (["Wildfire threatens homes near {place}", "Firefighters battle blaze outside {place}",
              "{place} residents told to leave as fire spreads", "Rain helps crews contain {place} wildfire"],
             ["A wildfire spread across {n} hectares near {place} on {day}, officials said.",
              "Fire chief {person} said crews from {org} were protecting homes on the edge of town.",
              "Roads into {place} were closed as smoke covered {region}."]),
    "summit": (["Leaders meet in {place} for {region} summit", "{region} summit in {place} ends with trade pact",
                "{person} hosts {region} leaders in {place}", "Protests as {region} summit opens in {place}"],
               ["Leaders from across {region} met in {place} on {day} for a two-day summit on trade.",
                "Host {person} said the talks would focus on ports and energy.",
                "{org} called for the summit to address rising food prices."]),
    "crash": (["Train derails near {place}, {n2} injured", "Investigators probe {place} train derailment",
               "{org} suspends services after {place} crash", "Survivors recall {place} derailment"],
              ["A passenger train derailed near {place} on {day}, injuring {n2} people, {org} said.",
               "Transport minister {person} ordered an inquiry into the crash.",
               "Services across {region} were suspended while the line was inspected."]),
    "outbreak": (["Health officials track outbreak in {place}", "{place} hospitals strained by flu outbreak",
                  "{org} opens vaccination centres in {place}", "Outbreak in {place} slows, officials say"],
                 ["Health officials in {place} reported {n} new cases of influenza on {day}.",
                  "Chief medical officer {person} urged people in {region} to get vaccinated.",
                  "{org} opened temporary clinics across the city."]),
}


FRAMES = ["Officials in {place} said the {w} near the {w} had been {w} since {day}.",
          "Witnesses described {w} and {w} along the {w} road outside {place}.",
          "{person} told reporters that the {w} would {w} the {w} within days.",
          "The {w} of {place} is known for its {w} and its {w} market.",
          "Local radio reported {n2} {w} and several {w} in the {w} quarter.",
          "Footage shared online showed {w} {w} beside the {w} bridge.",
          "{org} said a {w} team had reached the {w} by {day} evening.",
          "Critics said the {w} response in {place} had been {w} and {w}.",
          "Residents of the {district} district gathered at the {w} hall.",
          "Prices of {w} and {w} rose in {place} shops, traders said.",
          "A spokesperson for {org} declined to comment on the {w}.",
          "The last {w} of this kind in {region} happened {n2} years ago, near {w}."]


def _word(rng: random.Random, parts: int = 2) -> str:
    return (rng.choice(_ON) + "".join(rng.choice(_NUC) + rng.choice(_ON) for _ in range(parts - 2))
            + rng.choice(_NUC) + rng.choice(_CODA)).capitalize()


def invented_articles(count: int, seed: int = 7, singletons: bool = False) -> list[Article]:
    """``count`` invented articles, in publication order (events of several articles, or one each)."""
    rng = random.Random(seed)
    out: list[Article] = []
    span = max(30.0, count / 800.0) * 86400.0
    event = 0
    while len(out) < count:
        event += 1
        start = T0 + rng.random() * span
        if singletons:
            words = " ".join(_word(rng, rng.choice((2, 3))).lower() for _ in range(6))
            title = f"{_word(rng, 3)} {words}"
            out.append(Article(id=f"s{event}", title=title, text=f"{title}. {_word(rng)} {words}.",
                               published=start, source=rng.choice(OUTLETS),
                               url=f"https://{rng.choice(_ON)}.example/{event}"))
            continue
        kind = rng.choice(list(KINDS))
        titles, sentences = KINDS[kind]
        values = {"place": _word(rng, rng.choice((2, 3))), "region": _word(rng) + " Province",
                  "person": f"{rng.choice(_FIRST)} {_word(rng)}", "org": f"{_word(rng)} {rng.choice(['Holdings', 'Authority', 'Group', 'Agency', 'Rail', 'Relief'])}",
                  "org2": f"{_word(rng)} {rng.choice(['Industries', 'Bank', 'Shipping', 'Energy'])}",
                  "river": _word(rng) + " River", "mag": f"{rng.uniform(4.5, 7.5):.1f}", "n": rng.randint(12, 900),
                  "district": _word(rng, 3), "vocab": [_word(rng).lower() for _ in range(10)], "n2": rng.randint(2, 40), "day": rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
                                                                "Saturday", "Sunday"])}
        size = min(60, 1 + int(rng.expovariate(1 / 5.0)))
        outlets = rng.sample(OUTLETS, min(len(OUTLETS), max(1, size)))
        previous: Article | None = None
        for i in range(size):
            when = start + rng.expovariate(1 / 18.0) * 3600.0 * (i > 0)
            source = outlets[i % len(outlets)]
            if previous is not None and rng.random() < 0.06:  # a wire copy, word for word
                out.append(Article(id=f"e{event}-{i}", title=previous.title, text=previous.text, published=when,
                                   source=source, url=f"https://{source.split()[0].lower()}.example/{event}/{i}"))
                continue
            vocab = values["vocab"]
            body = [rng.choice(sentences)] + rng.sample(FRAMES, rng.randint(3, 4))
            text = " ".join(_fill(rng, f, values, vocab) for f in body)
            title = rng.choice(titles).format(**values)
            if rng.random() < 0.5:
                title += f" ({values['district']})"
            article = Article(id=f"e{event}-{i}", title=title, text=text,
                              published=when, source=source,
                              url=f"https://{source.split()[0].lower()}.example/{kind}/{event}/{i}")
            out.append(article)
            previous = article
    out = out[:count]
    out.sort(key=lambda a: (a.published, a.id))
    return out


def build(path: Path, count: int, singletons: bool) -> float:
    """Ingest invented articles into a new store; returns the seconds it took."""
    started = time.perf_counter()
    with Engine(str(path), batch_size=2000) as engine:
        for i, article in enumerate(invented_articles(count, singletons=singletons), 1):
            engine.add(article)
            if i % 10000 == 0:
                print(f"  {i:,} articles ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return time.perf_counter() - started


def _fill(rng: random.Random, frame: str, values: dict, vocab: list[str]) -> str:
    """A sentence frame with the event's values, each ``{w}`` a word of the event's own vocabulary."""
    while "{w}" in frame:
        frame = frame.replace("{w}", rng.choice(vocab), 1)
    return frame.format(**values)


def forget_descriptions(db: Path) -> None:
    """Empty the description cache, so that a run measures a store no server has described yet."""
    import sqlite3

    con = sqlite3.connect(db)
    con.execute("DELETE FROM story_cache")
    con.execute("DELETE FROM story_entities")
    con.commit()
    con.execute("VACUUM")
    con.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def timed(client: httpx.Client, path: str) -> float:
    started = time.perf_counter()
    r = client.get(path)
    elapsed = time.perf_counter() - started
    if r.status_code != 200:
        raise RuntimeError(f"{path}: HTTP {r.status_code}")
    return elapsed


def latency(base: str, paths: list[str], requests: int, seconds: float) -> dict[str, float]:
    """One client, in sequence: p50/p99 in ms over at most ``requests`` requests or ``seconds``."""
    times = []
    deadline = time.perf_counter() + seconds
    with httpx.Client(base_url=base, timeout=30) as client:
        for i in range(requests):
            times.append(timed(client, paths[i % len(paths)]))
            if time.perf_counter() > deadline:
                break
    times.sort()
    return {"n": len(times), "p50": 1000 * statistics.median(times),
            "p99": 1000 * times[min(len(times) - 1, int(len(times) * 0.99))], "max": 1000 * times[-1]}


def throughput(base: str, paths: list[str], requests: int, seconds: float, clients: int) -> float:
    """Requests/s with ``clients`` clients at once (bounded like :func:`latency`)."""
    done = [0] * clients
    deadline = time.perf_counter() + seconds
    per = max(1, requests // clients)

    def work(k: int) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            for i in range(per):
                timed(client, paths[(k * per + i) % len(paths)])
                done[k] += 1
                if time.perf_counter() > deadline:
                    return

    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(done) / (time.perf_counter() - started)


def measure(db: Path, args: argparse.Namespace, story_pages: bool) -> dict[str, object]:
    """Start a server on ``db`` and measure it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STORYLINE_")}
    env["PYTHONPATH"] = str(REPO / "src") + os.pathsep + env.get("PYTHONPATH", "")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "storyline", "serve", "--db", str(db), "--port", str(port)],
                            env=env, stderr=subprocess.DEVNULL)
    result: dict[str, object] = {}
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            while True:
                try:
                    client.get("/api/stats")
                    break
                except httpx.TransportError:
                    if proc.poll() is not None or time.perf_counter() - started > 60:
                        raise RuntimeError("server did not start")
                    time.sleep(0.02)
            result["startup"] = time.perf_counter() - started
            result["cold_front"] = timed(client, "/") * 1000
            result["cold_api"] = timed(client, "/api/stories?page=2") * 1000
            stats = client.get("/api/stats").json()
            result["articles"], result["stories"] = stats["articles"], stats["stories"]
            ids = [s["id"] for s in client.get("/api/stories?limit=100").json()["stories"]]
            result["cold_story"] = timed(client, f"/story/{ids[-1]}") * 1000
            during = latency(base, ["/", "/?sort=latest", "/api/stories"], 60, 10)
            result["during_sweep_p50"], result["during_sweep_p99"] = during["p50"], during["p99"]
            while not stats["background"]["swept"] or stats["background"]["pending_writes"]:
                if time.perf_counter() - started > 900:
                    raise RuntimeError("background pass did not finish in 15 minutes")
                time.sleep(0.5)
                stats = client.get("/api/stats").json()
            result["sweep_seconds"] = stats["background"]["seconds"]
            result["described"] = stats["described"]
            names = client.get("/api/entities?limit=5").json()["entities"]
        endpoints = {"front page `/`": ["/"], "front page, later pages": [f"/?page={p}" for p in range(2, 12)],
                     "`/api/stories`": ["/api/stories"]}
        if story_pages:
            endpoints["story page `/story/ID` (100 stories)"] = [f"/story/{i}" for i in ids]
        if names:
            endpoints["entity page `/entity/NAME`"] = ["/entity/" + quote(n["name"]) for n in names]
        endpoints["search `/search?q=`"] = ["/search?q=" + w for w in ("harbour", "port", "strike", "quake", "fire")]
        rows = []
        for label, paths in endpoints.items():
            lat = latency(base, paths, args.requests, args.seconds)
            rps = throughput(base, paths, args.requests, args.seconds, args.clients)
            rows.append({"endpoint": label, **lat, "rps": rps})
        result["rows"] = rows
    finally:
        proc.terminate()
        proc.wait(10)
    return result


def quote(text: str) -> str:
    from urllib.parse import quote as q

    return q(text, safe="")


def section(results: list[tuple[str, dict, float | None]], args: argparse.Namespace) -> str:
    cpu = platform.processor() or platform.machine()
    lines = [START, "## Web server (`storyline serve`)", "",
             f"Reproduce with `python bench/serve.py` (from the repository root; builds its stores of invented "
             f"news under `{args.data}` on the first run).", "",
             f"Run on {datetime.now(timezone.utc):%Y-%m-%d}; machine: {platform.platform()}, {os.cpu_count()} cores "
             f"({cpu}), Python {platform.python_version()}. One uvicorn worker; client and server share the "
             f"machine. Latency: one client in sequence ({args.requests} requests or {args.seconds:.0f} s per row, "
             f"whichever ends first); requests/s: {args.clients} clients at once, same bounds.", ""]
    for name, r, build_s in results:
        built = f", built in {build_s:.0f} s" if build_s else ""
        lines += [f"### {name}: {r['articles']:,} articles, {r['stories']:,} stories{built}", "",
                  f"- start-up until the first answer: **{r['startup']:.2f} s**",
                  f"- first requests, before any story was described: front page {r['cold_front']:.0f} ms, "
                  f"`/api/stories?page=2` {r['cold_api']:.0f} ms, a story page {r['cold_story']:.0f} ms",
                  f"- background pass describing all {r['described']:,} stories: {r['sweep_seconds']:.0f} s; "
                  f"pages meanwhile: p50 {r['during_sweep_p50']:.0f} ms, p99 {r['during_sweep_p99']:.0f} ms", "",
                  "| endpoint | requests | p50 ms | p99 ms | max ms | requests/s |", "|---|---|---|---|---|---|"]
        for row in r["rows"]:
            lines.append(f"| {row['endpoint']} | {row['n']} | {row['p50']:.1f} | {row['p99']:.1f} | {row['max']:.1f} | "
                         f"{row['rps']:.0f} |")
        lines.append("")
    lines.append(END)
    return "\n".join(lines)


def write_section(text: str) -> None:
    current = BENCHMARKS_FILE.read_text(encoding="utf-8") if BENCHMARKS_FILE.exists() else "# Benchmarks\n"
    if START in current and END in current:
        before, rest = current.split(START, 1)
        after = rest.split(END, 1)[1]
        new = before + text + after
    else:
        new = current.rstrip("\n") + "\n\n" + text + "\n"
    BENCHMARKS_FILE.write_text(new, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=50_000)
    parser.add_argument("--many-stories", type=int, default=100_000, help="size of the one-article-stories store (0: skip)")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--data", default="bench/.data")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args(argv)
    data = (REPO / args.data) if not os.path.isabs(args.data) else Path(args.data)
    data.mkdir(parents=True, exist_ok=True)
    runs = [("News store", data / f"serve-{args.articles}.db", args.articles, False)]
    if args.many_stories:
        runs.append(("Many stories", data / f"serve-{args.many_stories}-stories.db", args.many_stories, True))
    results = []
    for name, db, count, singletons in runs:
        build_s = None
        if args.rebuild or not db.exists():
            for suffix in ("", "-wal", "-shm"):
                Path(str(db) + suffix).unlink(missing_ok=True)
            print(f"building {db} ({count:,} invented articles)...", file=sys.stderr)
            build_s = build(db, count, singletons)
        forget_descriptions(db)  # every run starts cold: no story described yet
        print(f"measuring {db}...", file=sys.stderr)
        results.append((name, measure(db, args, story_pages=not singletons), build_s))
    text = section(results, args)
    print(text)
    if not args.no_write:
        write_section(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
