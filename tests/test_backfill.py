"""storyline backfill: partitions that overlap, stitched, agree with one process; Ray and Dask run the same plan.

The news is invented here: small events with made-up names, several articles each, over two weeks.
"""

from __future__ import annotations

import json
import random

import pytest

from conftest import HOUR, T0, error_lines, query, write_jsonl

from storyline import Article, Engine
from storyline.backfill import backfill
from storyline.backfill.plan import plan
from storyline.config import Config
from storyline.evaluate.metrics import bcubed

_PLACES = ["Orvane", "Kesslor", "Tamberlin", "Varnholm", "Dunmere", "Selvik", "Brackwater", "Olsk", "Marrow Bay",
           "Quillon", "Rostova", "Felbridge", "Zantor", "Hollins Gap", "Pexley", "Iriston", "Calder Rise",
           "Norhaven", "Umbrel", "Westmarch", "Yarrowdale", "Ebonfort", "Glimmer Falls", "Lutzen"]
_PEOPLE = ["Ana Velkova", "Tomas Aldervik", "Jonas Ekwueme", "Mira Castellan", "Piet Hollander", "Sara Quint",
           "Idris Moller", "Lena Strand", "Oskar Brenn", "Yusuf Demirel", "Clara Voss", "Emil Rask",
           "Nadia Pereira", "Felix Arnaud", "Greta Solberg", "Hugo Lindqvist", "Irma Kovac", "Jakob Frey",
           "Katya Orlova", "Luca Bellini", "Maren Dahl", "Nils Berger", "Olga Petrenko", "Pavel Novak"]
_THINGS = ["depot", "refinery", "bakery", "tannery", "brewery", "sawmill", "quarry", "foundry", "cannery",
           "hangar", "granary", "marina", "tramway", "ferry", "railyard", "stadium", "library", "museum",
           "hospital", "observatory", "aqueduct", "lighthouse", "vineyard", "orchard"]
_HAPPENINGS = ["fire", "strike", "flood", "trial", "collapse", "explosion", "sale", "closure", "protest",
               "inquiry", "merger", "recall", "outbreak", "heist", "blackout", "landslide", "lawsuit", "audit",
               "boycott", "evacuation", "scandal", "shutdown", "takeover", "rescue"]
_OUTLETS = ["Harbor Gazette", "Daily Meridian", "River Times", "Northern Ledger", "Coastal Courier", "Evening Herald"]


def fixture_stream(events: int = 24, seed: int = 3) -> list[dict]:
    """Invented articles in published order; ``story`` is the gold event. Each event has its own
    happening, place, person, organisation and building; all share one sentence pattern."""
    rnd = random.Random(seed)
    records = []
    title = "{h} at {c} {t}: {p} speaks"
    body = ("The {h} at the {t} in {c} continued on Friday, {p} said. {o} called the {t} {h} serious, and "
            "people in {c} were told to follow the news about the {h}.")
    for e in range(events):
        kind = _HAPPENINGS[e]
        slots = {"c": _PLACES[e], "p": _PEOPLE[e], "o": f"{_PLACES[(e + 7) % len(_PLACES)]} Holdings",
                 "t": _THINGS[e], "h": kind}
        start = e * 12.0
        for i in range(rnd.randint(4, 12)):
            hours = start + rnd.uniform(0, 60)
            extra = rnd.choice(["Residents gathered to watch.", "Officials promised an update.",
                                "Witnesses described the scene.", "More news is expected on Monday."])
            records.append({"id": f"ev{e}-{i}", "title": title.format(**slots) + ("" if i % 2 else f", {extra[:-1].lower()}"),
                            "text": f"{body.format(**slots)} {extra} {rnd.choice(_OUTLETS)} reported.",
                            "source": _OUTLETS[(e + i) % len(_OUTLETS)], "published": T0 + int(hours * HOUR),
                            "story": f"{kind}-{e}"})
    records.sort(key=lambda r: r["published"])
    return records


def fast_config() -> Config:
    """Sparse features only, where the engine offers the choice: embeddings are slow to compute and are
    not what these tests are about (the agreement of partitions with one process is)."""
    try:
        return Config().with_overrides({"embeddings": "none"})
    except ValueError:
        return Config()


#: The same for the command line (an unknown STORYLINE_* variable is ignored).
FAST_ENV = {"STORYLINE_EMBEDDINGS": "none"}


def articles_of(records: list[dict]) -> list[Article]:
    return [Article(r["id"], r["title"], r["text"], None, r.get("published"), r["source"]) for r in records]


def single_process(articles: list[Article]) -> dict[str, int]:
    engine = Engine(None, fast_config())
    assigned = {a.id: x.story_id for a, x in zip(articles, engine.add_many(articles))}
    return {i: engine.story_of(i) or s for i, s in assigned.items()}


def agreement(story_of: dict[str, int], single: dict[str, int], articles: list[Article]) -> float:
    return bcubed([story_of[a.id] for a in articles], [single[a.id] for a in articles])[2]


@pytest.fixture(scope="module")
def stream() -> list[dict]:
    return fixture_stream()


def test_plan_overlaps_and_covers_the_stream():
    times = [float(t) for t in range(100)]
    parts = plan(times, partitions=4, overlap_articles=10, overlap_seconds=0)
    assert [p.core for p in parts] == [0, 25, 50, 75] and parts[-1].end == 100
    assert all(p.start == p.core - 10 for p in parts[1:])
    by_time = plan(times, partitions=2, overlap_articles=1, overlap_seconds=30)
    assert by_time[1].start == 20  # 30 seconds of news before the core, more than one article
    assert plan([None] * 10, 2, 3, 3600)[1].start == 2  # no dates: arrival order, articles only


def test_local_partitions_agree_with_one_process(stream):
    articles = articles_of(stream)
    single = single_process(articles)
    report = backfill(articles, config=fast_config(), partitions=3, overlap_articles=40, overlap_seconds=24 * HOUR)
    assert report.partitions == 3 and report.joins > 0
    assert set(report.story_of) == {a.id for a in articles}
    assert agreement(report.story_of, single, articles) >= 0.98


def test_by_default_no_partition_is_shorter_than_the_overlap(stream):
    # Many CPUs and a small archive: short partitions, each warmed up on the one before only, split stories.
    articles = articles_of(stream)
    single = single_process(articles)
    assert backfill(articles, config=fast_config(), workers=16, overlap_articles=len(articles) // 3,
                    overlap_seconds=24 * HOUR).partitions == 3
    report = backfill(articles, config=fast_config(), workers=16)  # fewer articles than the 2,000 of overlap
    assert report.partitions == 1
    assert agreement(report.story_of, single, articles) == 1.0


def test_a_story_across_a_boundary_is_stitched_into_one():
    # One event reported before, in, and after the overlap, among unrelated singletons.
    event = [Article(f"q{i}", f"Quake strikes Qeshm island off Iran, aftershock {i}",
                     "An earthquake struck Qeshm island off Iran; the Qeshm governor Reza Amini said villages "
                     "near Dargahan were damaged.", published=T0 + i * 2 * HOUR) for i in range(6)]
    titles = ["Orvane museum buys rare violin", "Kesslor bakery wins bread prize", "Tamberlin tramway fares rise",
              "Varnholm orchard harvest doubles", "Dunmere library extends hours", "Selvik marina dredging ends"]
    noise = [Article(f"n{i}", t, published=T0 + i * 2 * HOUR + HOUR) for i, t in enumerate(titles)]
    articles = sorted(event + noise, key=lambda a: a.published)
    report = backfill(articles, config=fast_config(), partitions=2, overlap_articles=3, overlap_seconds=0)
    assert report.joins >= 1
    assert len({report.story_of[a.id] for a in event}) == 1
    assert len({report.story_of[a.id] for a in noise}) == len(noise)


def test_articles_without_dates_are_partitioned_in_arrival_order(stream):
    articles = [Article(a.id, a.title, a.text, source=a.source) for a in articles_of(stream)]
    single = single_process(articles)
    report = backfill(articles, config=fast_config(), partitions=2, overlap_articles=100)
    assert agreement(report.story_of, single, articles) >= 0.98


def test_cli_local_writes_a_store_that_stories_reads(tmp_path, run_cli, stream):
    src = write_jsonl(tmp_path / "news.jsonl", stream + stream[:5], labels=False)  # with 5 repeats
    proc = run_cli("backfill", src, "--engine", "local", "--workers", "3", "--overlap-articles", "40",
                   "--db", "b.db", "--json", env=FAST_ENV)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout.splitlines()[-1])
    assert run_cli("ingest", src, "--db", "i.db", env=FAST_ENV).returncode == 0
    stored = query(tmp_path / "i.db", "SELECT count(*) FROM articles")[0][0]  # repeats and duplicates skipped
    assert summary["partitions"] == 3 and summary["stored_articles"] == stored
    assert query(tmp_path / "b.db", "SELECT count(*) FROM articles")[0][0] == stored
    from storyline.store.sqlite import SQLiteStore
    from storyline.stories.vocabulary import stored_vectorizer

    learned = [stored_vectorizer(SQLiteStore(tmp_path / db)) for db in ("b.db", "i.db")]
    assert learned[0].documents == learned[1].documents > 0  # the vocabulary of the whole stream is saved
    listed = run_cli("stories", "--db", "b.db", "--json", "--limit", "100")
    assert listed.returncode == 0, listed.stderr
    stories = json.loads(listed.stdout)
    assert sum(s["articles"] for s in stories) == stored
    again = run_cli("backfill", src, "--db", "b.db", env=FAST_ENV)  # never into a store that holds articles
    assert again.returncode == 1 and len(error_lines(again.stderr)) == 1 and "empty" in again.stderr


@pytest.mark.parametrize("args, message", [
    (["missing.jsonl"], "no such file"),
    (["bad.jsonl"], "no usable articles"),
    (["good.jsonl", "--workers", "0"], "must be 1 or more"),
    (["good.jsonl", "--engine", "dask", "--address", "tcp://127.0.0.1:9"], "cannot reach Dask at tcp://127.0.0.1:9"),
])
def test_bad_input_gets_one_clear_line(tmp_path, run_cli, args, message):
    (tmp_path / "bad.jsonl").write_text("not json\n{\"title\": \n", encoding="utf-8")
    write_jsonl(tmp_path / "good.jsonl", fixture_stream(2), labels=False)
    proc = run_cli("backfill", *args, "--db", "x.db", env=FAST_ENV)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr and message in proc.stderr
    assert not (tmp_path / "x.db").exists()


def test_ray_two_workers_agree_with_one_process(tmp_path, run_cli, stream):
    pytest.importorskip("ray", reason="the test extra installs ray")
    src = write_jsonl(tmp_path / "news.jsonl", stream, labels=False)
    proc = run_cli("backfill", src, "--engine", "ray", "--workers", "2", "--overlap-articles", "40",
                   "--db", "r.db", "--json", env=FAST_ENV, timeout=240)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    articles = articles_of(stream)
    single = single_process(articles)
    stored = dict(query(tmp_path / "r.db", "SELECT id, story FROM articles"))  # exact duplicates are not stored
    assert agreement(stored, single, [a for a in articles if a.id in stored]) >= 0.98
    assert run_cli("stories", "--db", "r.db").returncode == 0


def test_dask_runs_the_same_plan(stream):
    pytest.importorskip("distributed", reason="the test extra installs dask[distributed]")
    articles = articles_of(stream)
    local = backfill(articles, config=fast_config(), partitions=2, overlap_articles=40)
    on_dask = backfill(articles, config=fast_config(), engine="dask", workers=2, overlap_articles=40)
    assert on_dask.story_of == local.story_of


def test_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="unknown engine"):
        backfill([Article("a", "x")], engine="spark")


def test_a_backfill_stopped_while_writing_leaves_a_store_every_command_refuses(tmp_path, run_cli):
    from storyline.backfill.write import write_rows
    from storyline.store import open_store
    from storyline.store.base import ArticleRow
    from storyline.store.errors import StoreError

    db = tmp_path / "half.db"
    store = open_store(str(db))
    rows = [ArticleRow(n, f"a{n}", f"Olsk harbour report {n}", "", None, None, T0 + n, "Valley Post", None, n,
                       "new", None, f"k{n}", 0.0, "{}", b"") for n in range(1, 11)]

    def stop(written: int) -> None:
        raise KeyboardInterrupt  # ^C after the first batch

    with pytest.raises(KeyboardInterrupt):
        write_rows(store, rows, batch=4, progress=stop)
    store.close()
    assert query(db, "SELECT count(*) FROM articles") == [(4,)]
    with pytest.raises(StoreError, match="storyline backfill was stopped before it finished"):
        open_store(str(db))
    proc = run_cli("stories", "--db", db)
    assert proc.returncode == 1 and "run storyline backfill again" in proc.stderr
    whole = tmp_path / "whole.db"
    store = open_store(str(whole))
    assert write_rows(store, rows, batch=4) == 10
    store.close()
    open_store(str(whole)).close()  # a finished backfill carries no mark
    assert query(whole, "SELECT count(*) FROM meta WHERE key = 'unfinished'") == [(0,)]
