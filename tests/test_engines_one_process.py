"""Two engines of one process writing one SQLite file take turns, as two processes do: nothing placed
is lost, nothing is stored twice, and each reads what the other placed before it decides.

POSIX file locks belong to a process, so they cannot separate engines of one process (a notebook
that runs ``Engine("news.db")`` again, or a program with one engine per thread): the turns are taken
in memory first. Closing one engine must not drop the file lock another one holds.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import STREAM, clean_env
from storyline import Article, Config, Engine
from storyline.ingest.records import to_article
from stores import sql

SPARSE = Config(embeddings="none")


def stored(target: Path | str) -> list[tuple[int, str, int]]:
    """(seq, id, story) of every stored article, read without storyline."""
    return sql(str(target), "SELECT seq, id, story FROM articles ORDER BY seq")


def articles() -> list[Article]:
    return [to_article({k: v for k, v in r.items() if k != "story"}) for r in STREAM]


def test_two_engines_on_one_thread_alternate_and_lose_nothing(store_target):
    # On PostgreSQL the second engine waited forever for the advisory lock its own thread held.
    db = store_target
    first, second = Engine(db, SPARSE), Engine(db, SPARSE)
    stream = articles()
    for n, article in enumerate(stream):  # each engine places every other article
        (first if n % 2 == 0 else second).add(article)
    first.close()
    second.close()
    rows = stored(db)
    assert sorted(r[1] for r in rows) == sorted(a.id for a in stream)
    assert [r[0] for r in rows] == list(range(1, len(stream) + 1))
    # Each engine read the other's articles before placing its own: an event stays one story.
    events = {r["id"]: r["story"] for r in STREAM}
    stories_of: dict[str, set[int]] = {}
    for _, article_id, story in rows:
        stories_of.setdefault(events[article_id], set()).add(story)
    with Engine(db, SPARSE) as alone:
        for event, stories in stories_of.items():
            assert len({alone.clusterer.find(s) for s in stories}) == 1, event


def test_a_second_engine_on_the_store_writes_what_the_first_left_pending(store_target):
    # A notebook cell run twice: the first engine is neither closed nor flushed when the second comes.
    db = store_target
    stream = articles()
    first = Engine(db, SPARSE)
    for article in stream[:6]:
        first.add(article)
    second = Engine(db, SPARSE)
    for article in stream[6:]:
        second.add(article)
    second.close()
    assert sorted(r[1] for r in stored(db)) == sorted(a.id for a in stream)
    first.close()  # nothing left to write, and no error
    assert len(stored(db)) == len(stream)


def test_engines_on_two_threads_take_turns(store_target):
    db = store_target
    errors: list[BaseException] = []

    def place(prefix: str) -> None:
        try:
            with Engine(db, SPARSE, batch_size=7) as engine:
                for i in range(150):
                    engine.add(Article(id=f"{prefix}{i}", title=f"{prefix} report number {i} on the harbour fire",
                                       text=f"Crews fought the fire at pier {i} for hours.", source=prefix))
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread
            errors.append(exc)

    threads = [threading.Thread(target=place, args=(p,)) for p in ("alpha", "beta")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    rows = stored(db)
    assert len(rows) == 300 and len({r[1] for r in rows}) == 300
    assert [r[0] for r in rows] == list(range(1, 301))


def test_an_idle_engine_lets_an_engine_on_another_thread_write(store_target):
    # A notebook's engine, idle between cells, kept the turn; a writer thread waited ten minutes.
    db = store_target
    stream = articles()
    idle = Engine(db, SPARSE)
    idle.add(stream[0])  # placed, not written: it holds the writer's turn
    done: list[float] = []

    def write() -> None:
        start = time.monotonic()
        with Engine(db, SPARSE) as other:
            other.add(stream[1])
        done.append(time.monotonic() - start)

    worker = threading.Thread(target=write)
    worker.start()
    worker.join(60)
    assert done and done[0] < 30
    assert sorted(r[1] for r in stored(db)) == sorted(a.id for a in stream[:2])
    idle.add(stream[2])  # and the idle engine goes on, having read what the other wrote
    idle.close()
    rows = stored(db)
    assert [r[0] for r in rows] == [1, 2, 3] and rows[2][1] == stream[2].id


def test_closing_one_engine_keeps_the_writer_lock_another_holds(tmp_path, monkeypatch):
    monkeypatch.setattr("storyline.engine.IDLE_AFTER", 600.0)  # the holder must not let go for being idle
    db = tmp_path / "news.db"
    stream = articles()
    other, holder = Engine(db, SPARSE), Engine(db, SPARSE)
    other.add(stream[0])
    other.flush(snapshot=True)  # written with its snapshot: closing it has nothing to write
    holder.add(stream[1])  # holds the writer's turn until it writes
    other.close()  # closing its own descriptor of the lock file used to drop every lock of this process
    probe = ("import sys\nfrom storyline.store.errors import StoreError\nfrom storyline.store.turns import WriterTurns\n"
             "t = WriterTurns(sys.argv[1], timeout=0.5)\n"
             "try:\n    t.acquire()\nexcept StoreError:\n    print('waited')\nelse:\n    print('took it')\n")
    other = subprocess.run([sys.executable, "-c", probe, str(db)], capture_output=True, text=True,
                           env=clean_env(), timeout=60)
    assert other.stdout.strip() == "waited", other.stderr
    holder.close()
    assert sorted(r[1] for r in stored(db)) == sorted(a.id for a in stream[:2])
    other = subprocess.run([sys.executable, "-c", probe, str(db)], capture_output=True, text=True,
                           env=clean_env(), timeout=60)
    assert other.stdout.strip() == "took it", other.stderr

