"""The Python API as a program embedding storyline uses it: what it accepts, what it refuses (with an
error that names the mistake, before anything changes), and that nothing placed is ever lost."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from storyline import Article, Config, Engine, StoryReader
from storyline.ingest.records import to_article
from storyline.store.errors import StoreError

README = Path(__file__).resolve().parent.parent / "README.md"
SPARSE = Config(embeddings="none")
QUAKE = Article(id="q1", title="Quake strikes Qeshm island off Iran", published=0.0)
QUAKE_2 = Article(id="q2", title="Strong quake strikes Iran's Qeshm island", published=3600.0)
FLOOD = Article(id="f1", title="Flood closes Danube ports in Vienna", published=0.0)


def stored_ids(path: Path) -> list[str]:
    """The ids in an SQLite store, read without storyline, in the order they were placed."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
        return [row[0] for row in db.execute("SELECT id FROM articles ORDER BY seq")]


# -- articles ------------------------------------------------------------------------------------


@pytest.mark.parametrize("bad, error, words", [
    (Article(id=None, title="No id at all"), TypeError, "article id must be a str, not NoneType"),
    (Article(id=5, title="A number for an id"), TypeError, "article id must be a str, not int"),
    (Article(id="", title="An empty id"), ValueError, "article id is empty"),
    (Article(id="  ", title="An id of spaces"), ValueError, "article id is empty (only spaces)"),
    (Article(id="t", title=None), TypeError, "article 't': title must be a str, not NoneType"),
    (Article(id="t", title=b"Bytes for a title"), TypeError, "title must be a str, not bytes"),
    (Article(id="t", title="A title", text=None), TypeError, "text must be a str, not NoneType"),
    (Article(id="t", title="A title", url=5), TypeError, "url must be a str or None, not int"),
    (Article(id="t", title="A title", source=["AP"]), TypeError, "source must be a str or None, not list"),
    (Article(id="t", title="A title", lang=5), TypeError, "lang must be a str or None, not int"),
    (Article(id="t", title="A title", url="http://a.example:99999/x"), ValueError, "url does not parse"),
    (Article(id="t", title="Bad \udc80 title"), ValueError, "lone surrogate"),
    (Article(id="t\udc80", title="A fine title"), ValueError, "lone surrogate"),
    (Article(id="t", title="A title", published=datetime(2024, 1, 1, tzinfo=timezone.utc)), ValueError,
     ".timestamp()"),
    # a naive datetime's .timestamp() is local time: the hint says how to read it as UTC, as ingest does
    (Article(id="t", title="A title", published=datetime(2024, 1, 1)), ValueError,
     "dt.replace(tzinfo=timezone.utc).timestamp()"),
    ({"id": "t", "title": "A dict"}, TypeError, "Engine.add takes a storyline.Article, not dict (storyline.ingest"),
    # A link is an article's identity: "#" made every later article with it a duplicate of the first,
    # and a link without a scheme failed with an IndexError.
    (Article(id="t", title="A title", url="#"), ValueError, "url must be an absolute http(s) link (or None)"),
    (Article(id="t", title="A title", url="index.html"), ValueError, "url must be an absolute http(s) link"),
    (Article(id="t", title="A title", url="bbc.co.uk/news"), ValueError, "url must be an absolute http(s) link"),
    (Article(id="t", title="A title", url="http://"), ValueError, "url does not parse"),
    # PostgreSQL refuses NUL in text: the batch failed at every flush, the good articles with it.
    (Article(id="t", title="A \x00 title"), ValueError, "title holds a NUL character"),
    (Article(id="t", title="A title", source="AP\x00"), ValueError, "source holds a NUL character"),
    (Article(id="t", title=" ", text=""), ValueError, "title and text are both empty"),
])
def test_a_bad_article_is_refused_by_name_and_the_others_are_all_kept(tmp_path, bad, error, words):
    """Once a wrong value reached the batch, writing it failed and took the whole batch with it (and
    every later flush and close failed the same way); others failed deep inside with AttributeError."""
    path = tmp_path / "news.db"
    engine = Engine(path, SPARSE)
    engine.add(QUAKE)
    with pytest.raises(error, match=re.escape(words)):
        engine.add(bad)
    engine.add(QUAKE_2)
    engine.close()
    assert stored_ids(path) == ["q1", "q2"]
    with StoryReader(str(path)) as reader:
        assert reader.story(1).articles == 2


def test_a_date_of_another_number_type_is_stored_as_seconds(tmp_path):
    """numpy's float32 passes as a number, and SQLite kept it as four bytes: a blob for a date."""
    numpy = pytest.importorskip("numpy")
    path = tmp_path / "news.db"
    with Engine(path, SPARSE) as engine:
        engine.add(Article(id="n", title="Quake strikes Qeshm island", published=numpy.float32(1.7e9)))
        engine.add(Article(id="i", title="Flood closes Danube ports", published=1_700_000_000))
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT typeof(published) FROM articles ORDER BY seq").fetchall() == [("real",), ("real",)]
    with StoryReader(path) as reader:
        assert reader.story(1).first_seen == float(numpy.float32(1.7e9))


def test_an_outlet_written_with_spaces_is_that_outlet_and_a_blank_one_is_none():
    """A source of "  " counted as an outlet of its own, and " AP " apart from "AP" (ingest strips them)."""
    with Engine(config=SPARSE) as engine:
        engine.add(Article(id="1", title="Flood closes Danube ports in Vienna", source="  ", published=0.0))
        engine.add(Article(id="2", title="Danube flood closes Vienna ports again", source=" AP ", published=60.0))
        engine.add(Article(id="3", title="Vienna ports shut by Danube flood", source="AP", published=120.0))
        story = engine.story(1)
    assert story.outlets == 2 and [o for o, _ in story.coverage] == ["AP", "unknown outlet"]


def test_an_id_seen_before_is_a_duplicate_whatever_its_text():
    with Engine(config=SPARSE) as engine:
        first = engine.add(FLOOD)
        again = engine.add(Article(id="f1", title="Election held in Brazil today", published=0.0))
    assert (again.kind, again.story_id, again.copy_of) == ("duplicate", first.story_id, "f1")


# -- opening and closing --------------------------------------------------------------------------


def test_an_engine_opens_a_path_object(tmp_path):
    with Engine(tmp_path / "news.db", SPARSE) as engine:
        engine.add(QUAKE)
    with StoryReader(tmp_path / "news.db") as reader:
        assert reader.story(1).headline == QUAKE.title


@pytest.mark.parametrize("kwargs, error, words", [
    ({"store": 5}, TypeError, "store must be a path, a postgresql:// URL, a Store or None, not int"),
    ({"config": {"threshold": 0.3}}, TypeError, "config must be a storyline.Config, not dict"),
    ({"batch_size": 0}, ValueError, "batch_size must be a whole number, 1 or more (got 0)"),
    ({"store": ""}, StoreError, "the store's path is empty"),
    ({"store": "  "}, StoreError, "the store's path is empty"),
])
def test_a_wrong_argument_to_the_engine_is_named(tmp_path, monkeypatch, kwargs, error, words):
    """An empty path used to open ./storyline.db (or $STORYLINE_DB), a file nobody asked for."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STORYLINE_DB", raising=False)
    with pytest.raises(error, match=re.escape(words)):
        Engine(**{"config": SPARSE, **kwargs})
    assert os.listdir(tmp_path) == []


def test_a_closed_engine_says_so_and_closing_twice_does_nothing(tmp_path):
    engine = Engine(tmp_path / "news.db", SPARSE)
    engine.add(QUAKE)
    engine.close()
    engine.close()
    for use in (lambda: engine.add(FLOOD), engine.stories, lambda: engine.story(1), engine.flush,
                lambda: engine.story_of("q1")):
        with pytest.raises(StoreError, match="this Engine is closed"):
            use()
    assert stored_ids(tmp_path / "news.db") == ["q1"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write any file")
def test_an_engine_refuses_a_read_only_store_before_taking_articles(tmp_path):
    path = tmp_path / "news.db"
    with Engine(path, SPARSE) as engine:
        engine.add(QUAKE)
    path.chmod(0o444)
    with pytest.raises(StoreError, match="read-only"):
        Engine(path, SPARSE)
    with StoryReader(path) as reader:
        assert reader.story(1).articles == 1


# -- reading --------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, words", [
    (lambda e: e.stories(since="24h"), TypeError, "since must be Unix seconds (a float) or None, not str"),
    (lambda e: e.stories(limit=None), TypeError, "limit must be a whole number, not NoneType"),
    (lambda e: e.stories(limit=-1), ValueError, "limit must be 0 or more (got -1)"),
    (lambda e: e.storylines(limit=-1), ValueError, "limit must be 0 or more (got -1)"),
    (lambda e: e.story("1"), TypeError, "a story id is a whole number, not str"),
    (lambda e: e.story(None), TypeError, "a story id is a whole number, not NoneType"),
    # stories(since, limit) and storylines(limit, since) took their first two in opposite orders, so
    # stories(5) quietly meant "since 1970": both take keywords only.
    (lambda e: e.stories(5), TypeError, "positional argument"),
    (lambda e: e.storylines(5), TypeError, "positional argument"),
    (lambda e: e.why(5), TypeError, "an article id is a str, not int"),
])
def test_a_wrong_question_is_named_not_answered_with_nothing(call, error, words):
    """``since="24h"`` was compared as text (no stories), ``limit=-1`` meant no limit on SQLite and
    dropped the last storyline, ``story("1")`` found nothing, ``limit=None`` failed inside SQLite."""
    with Engine(config=SPARSE) as engine:
        engine.add(QUAKE)
        with pytest.raises(error, match=re.escape(words)):
            call(engine)


def test_an_unknown_story_is_none_however_large_its_id():
    with Engine(config=SPARSE) as engine:
        assert engine.story(1) is None and engine.stories() == []
        engine.add(QUAKE)
        assert [engine.story(i) for i in (0, -1, 2, 2**70)] == [None] * 4
        assert engine.story(1).articles == 1


def test_numpy_integers_are_whole_numbers():
    """A story id or a limit taken from a pandas frame is numpy's int64: it was refused."""
    numpy = pytest.importorskip("numpy")
    with Engine(config=SPARSE) as engine:
        engine.add(QUAKE)
        assert engine.story(numpy.int64(1)).articles == 1
        assert len(engine.stories(limit=numpy.int64(3), since=numpy.float64(-1.0))) == 1


def test_why_an_article_is_in_its_story_is_asked_of_an_engine_or_a_reader(tmp_path):
    """Once the Assignment was gone (a store reopened) only the raw JSON of the store could tell."""
    path = tmp_path / "news.db"
    with Engine(path, SPARSE) as engine:
        engine.add(QUAKE)
        joined = engine.add(QUAKE_2)
        asked = engine.why("q2")
        assert engine.why("nowhere") is None
    assert joined.kind == "joined"
    assert asked["kind"] == "joined" and asked["story"] == asked["placed_in"] == joined.story_id
    assert asked["scores"]["total"] == round(joined.score, 4) == asked["score"]
    assert asked["headline"] in (QUAKE.title, QUAKE_2.title) and asked["title"] == QUAKE_2.title
    with StoryReader(path) as reader:
        assert reader.why("q2") == asked
        assert reader.why("q1")["kind"] == "new"


def test_an_engine_left_open_writes_what_it_placed_at_exit(tmp_path):
    """A script or notebook that never closed its engine lost up to a batch of articles, silently."""
    path = tmp_path / "news.db"
    script = ("from storyline import Article, Config, Engine\n"
              f"engine = Engine({str(path)!r}, Config(embeddings='none'))\n"
              "engine.add(Article(id='q1', title='Quake strikes Qeshm island off Iran', published=0.0))\n"
              "engine.add(Article(id='f1', title='Flood closes Danube ports in Vienna', published=0.0))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    assert stored_ids(path) == ["q1", "f1"]
    with Engine(path, SPARSE) as engine:  # and it is whole: the next engine goes on from it
        assert engine.add(QUAKE_2).kind == "joined"


def test_add_many_with_embeddings_refuses_as_add_does_after_placing_what_came_before(tmp_path):
    """With embeddings, a dict or a None title reached the encoder first: a raw AttributeError, and
    no telling which articles were placed."""
    path = tmp_path / "news.db"
    with Engine(path, Config()) as engine:
        with pytest.raises(TypeError, match="Engine.add takes a storyline.Article, not dict"):
            engine.add_many([QUAKE, FLOOD, {"id": "x", "title": "A dict"}, QUAKE_2])
        with pytest.raises(TypeError, match="title must be a str, not NoneType"):
            engine.add_many([Article(id="n", title=None)])
    assert stored_ids(path) == ["q1", "f1"]


def test_a_reader_never_creates_a_store_and_says_when_it_is_closed(tmp_path):
    missing = tmp_path / "missing.db"
    with pytest.raises(StoreError, match="no such store"):
        StoryReader(str(missing))
    assert not missing.exists()
    with pytest.raises(TypeError, match="store must be a path"):
        StoryReader(5)
    with Engine(tmp_path / "news.db", SPARSE) as engine:
        engine.add(QUAKE)
    reader = StoryReader(tmp_path / "news.db")
    assert [s.articles for s in reader.stories()] == [1]
    reader.close()
    reader.close()
    with pytest.raises(StoreError, match="this StoryReader is closed"):
        reader.stories()


# -- configuration --------------------------------------------------------------------------------


def test_a_config_built_in_code_is_checked_as_a_file_would_be():
    """Config(threshold="high") used to be accepted, and failed articles later inside the clusterer."""
    with pytest.raises(ValueError, match="threshold must be a number"):
        Config(threshold="high")
    with pytest.raises(ValueError, match="max_candidates must be a whole number, 1 or more"):
        Config(max_candidates=-3)
    assert Config(threshold="0.4", embeddings="none").threshold == 0.4
    # An unknown model was taken, and failed only when an engine started.
    with pytest.raises(ValueError, match="embeddings must be use, minilm, none or package.module:Class"):
        Config(embeddings="bogus")
    assert Config(embeddings="mypackage.models:MyEncoder").embeddings == "mypackage.models:MyEncoder"
    assert Config(embeddings="none", max_idle_hours=24) == Config().with_overrides(
        {"embeddings": "none", "max_idle_hours": 24})


# -- the README ------------------------------------------------------------------------------------


def test_the_readme_python_examples_run_as_written(tmp_path):
    section = README.read_text(encoding="utf-8").split("**Python API.**", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    assert len(blocks) == 2
    script = "\n".join(blocks).replace('Engine("news.db")', 'Engine("news.db", Config(embeddings="none"))')
    script = "from storyline import Config\n" + script + "\nprint(story.headline)\n"
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "Quake strikes Qeshm island off Iran"


def test_an_engine_asks_for_storylines_as_a_reader_does():
    """Engine.storylines took only a limit, where StoryReader.storylines (and the CLI) take since and sort."""
    with Engine(config=SPARSE) as engine:
        engine.add(QUAKE)
        assert engine.storylines(limit=5, since=0.0, sort="coverage") == []
        with pytest.raises(ValueError, match="unknown storyline order"):
            engine.storylines(sort="size")


def test_an_article_without_a_title_is_headed_by_its_texts_first_line_as_ingest_does():
    """A story of an untitled article had an empty headline (`stories` printed a blank line)."""
    text = "Storm floods the harbour of Velden, boats sunk.\nMany people were rescued overnight."
    with Engine(config=SPARSE) as one, Engine(config=SPARSE) as many:
        a = one.add(Article(id="u1", title="  ", text=text))
        (b,) = many.add_many([Article(id="u1", title="", text=text)])
        assert one.story(a.story_id).headline == "Storm floods the harbour of Velden, boats sunk."
        assert many.story(b.story_id).headline == one.story(a.story_id).headline
    assert to_article({"id": "u1", "text": text}).title == "Storm floods the harbour of Velden, boats sunk."


def test_the_package_shows_its_lazy_names_and_ships_its_type_marker():
    import importlib.resources

    import storyline

    assert {"Engine", "StoryReader", "Storyline", "Article", "Config", "StoreError"} <= set(dir(storyline))
    from storyline import BadRecord, EmbeddingError, EvalError, StoreError  # the errors a caller catches

    assert issubclass(BadRecord, ValueError) and issubclass(EvalError, ValueError)
    assert StoreError.__module__ == "storyline.store.errors" and EmbeddingError.__name__ == "EmbeddingError"
    assert importlib.resources.files("storyline").joinpath("py.typed").is_file()  # mypy reads the hints
    with pytest.raises(AttributeError, match="no attribute 'Enigne'"):
        storyline.Enigne  # noqa: B018


def test_an_engine_says_which_store_it_holds(tmp_path):
    path = tmp_path / "news.db"
    engine = Engine(path, SPARSE)
    assert repr(engine) == f"<storyline.Engine store={str(path)!r} embeddings='none'>"
    engine.close()
    assert repr(engine).endswith(" closed>")
