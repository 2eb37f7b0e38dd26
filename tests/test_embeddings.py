"""Meaning beyond words: sentence embeddings, cross-lingual stories, language detection, the sparse mode.

Every article here was written for these tests (English, German, Spanish and French reports of two
invented-for-the-test events and one unrelated report).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from storyline import Article, Engine
from storyline.config import Config
from storyline.text.embeddings import EmbeddingError, embedder_for, embedding_text
from storyline.text.features import Features, pack, unpack
from storyline.text.language import detect, language_of

TROOPS = [
    Article(id="troops-en", title="North Korea sends more troops to Russia, Seoul says", source="Wire EN",
            text="North Korea has sent thousands more soldiers to Russia to fight against Ukraine, South Korea's "
                 "intelligence service said on Wednesday. The troops arrived in the Kursk region.", published=0.0),
    Article(id="troops-de", title="Nordkorea schickt weitere Soldaten nach Russland", source="Zeitung DE",
            text="Nordkorea hat nach Angaben des südkoreanischen Geheimdienstes Tausende weitere Soldaten nach "
                 "Russland geschickt, um gegen die Ukraine zu kämpfen. Die Truppen trafen in der Region Kursk ein.",
            published=3600.0),
    Article(id="troops-es", title="Corea del Norte envía más tropas a Rusia, según Seúl", source="Diario ES",
            text="Corea del Norte ha enviado miles de soldados más a Rusia para luchar contra Ucrania, según el "
                 "servicio de inteligencia de Corea del Sur. Las tropas llegaron a la región de Kursk.",
            published=7200.0),
    Article(id="troops-fr", title="La Corée du Nord envoie davantage de soldats en Russie", source="Journal FR",
            text="La Corée du Nord a envoyé des milliers de soldats supplémentaires en Russie pour combattre "
                 "l'Ukraine, selon les services de renseignement sud-coréens. Les troupes sont arrivées dans la "
                 "région de Koursk.", published=9000.0),
]
TIPS = [
    Article(id="tips-en", title="Congress weighs plan to end taxes on tips", source="Wire EN",
            text="Lawmakers in Washington debated a proposal to exempt tips from federal income tax, a plan "
                 "backed by restaurant workers and opposed by some economists.", published=9500.0),
    Article(id="tips-de", title="Kongress berät über Steuerfreiheit für Trinkgelder", source="Zeitung DE",
            text="Abgeordnete in Washington debattierten einen Vorschlag, Trinkgelder von der "
                 "Bundeseinkommensteuer zu befreien. Kellner unterstützen den Plan, einige Ökonomen nicht.",
            published=9800.0),
]
QUAKE = Article(id="quake-es", title="Un terremoto sacude la isla de Qeshm en Irán", source="Diario ES",
                text="Un terremoto de magnitud 5,6 sacudió el domingo la isla iraní de Qeshm, en el golfo Pérsico, "
                     "y dejó varios heridos leves según la Media Luna Roja.", published=9900.0)


#: Embeddings on, whatever the default (the sparse mode is tested against it).
DENSE = Config().with_overrides({"embeddings": "use"})


def stories_of(assignments) -> dict[str, int]:
    return {a.article_id: a.story_id for a in assignments}


def test_reports_in_four_languages_make_one_story_and_other_events_stay_apart():
    with Engine(config=DENSE) as engine:
        placed = stories_of(engine.add_many([*TROOPS, *TIPS, QUAKE]))
        troops = {placed[a.id] for a in TROOPS}
        assert len(troops) == 1
        assert placed["tips-en"] == placed["tips-de"]
        assert placed["tips-en"] not in troops
        assert placed["quake-es"] not in troops | {placed["tips-en"]}
        story = engine.story(troops.pop())
        assert story is not None
        assert {lang for lang, _ in story.languages} == {"en", "de", "es", "fr"}
        why = engine.store.article("troops-de")
        assert why is not None and json.loads(why.why)["scores"]["meaning"] > 0.3
        # Across languages no words were compared: "why" must not claim title or body words matched.
        scores = json.loads(why.why)["scores"]
        assert "title" not in scores and "body" not in scores


def test_sparse_mode_keeps_languages_apart():
    with Engine(config=Config().with_overrides({"embeddings": "none"})) as engine:
        assert engine.embedder is None
        placed = stories_of(engine.add_many(TROOPS))
        assert placed["troops-en"] != placed["troops-de"]


def test_embeddings_survive_a_restart(tmp_path):
    db = str(tmp_path / "news.db")
    with Engine(db, DENSE) as engine:
        first = stories_of(engine.add_many(TROOPS[:2]))
    with Engine(db, DENSE) as engine:  # the story's meaning is rebuilt from the stored articles
        later = engine.add(TROOPS[2])
        assert later.kind == "joined" and later.story_id == first["troops-en"]
    row = Engine(db).store.article("troops-de")
    f, _ = unpack(row.features)
    assert f.lang == "de" and f.meaning is not None and f.meaning.shape == (512,)
    assert abs(float(np.linalg.norm(f.meaning)) - 1.0) < 1e-2


def test_batched_and_one_by_one_give_the_same_stories():
    """add_many embeds the next batch on another thread while it places this one: same decisions."""
    articles = [*TROOPS, *TIPS, QUAKE]
    with Engine(config=DENSE) as a, Engine(config=DENSE) as b:
        together = [(x.story_id, x.kind, round(x.score, 6)) for x in a.add_many(iter(articles), batch=3)]
        alone = [(x.story_id, x.kind, round(x.score, 6)) for x in (b.add(y) for y in articles)]
    assert together == alone and len(together) == len(articles)


def test_embed_ahead_then_one_by_one_matches_batches():
    with Engine(config=DENSE) as a, Engine(config=DENSE) as b:
        batched = [x.story_id for x in a.add_many([*TROOPS, *TIPS])]
        b.embed_ahead([*TROOPS, *TIPS])
        ahead = [b.add(x).story_id for x in [*TROOPS, *TIPS]]
    assert ahead == batched


def test_language_declared_or_detected():
    assert language_of("en-GB", "Nordkorea schickt Soldaten", "") == "en"  # the source's word wins
    assert language_of(None, "Nordkorea schickt weitere Soldaten nach Russland", "") == "de"
    assert detect("Corea del Norte envía más tropas a Rusia, según Seúl") == "es"
    assert detect("La Corée du Nord envoie davantage de soldats en Russie") == "fr"
    assert detect("Quake") is None


class CharacterTrigrams:
    """A small embedder of our own: hashed character trigrams (shows the bring-your-own interface)."""

    name = "char-trigrams"
    dim = 64

    def encode(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            t = text.lower()
            for j in range(len(t) - 2):
                out[i, sum(map(ord, t[j:j + 3])) % self.dim] += 1.0
            norm = np.linalg.norm(out[i])
            if norm:
                out[i] /= norm
        return out


def test_bring_your_own_embedder(tmp_path):
    config = Config().with_overrides({"embeddings": f"{__name__}:CharacterTrigrams"})
    with Engine(str(tmp_path / "own.db"), config) as engine:
        assert engine.embedder is not None and engine.embedder.name == "char-trigrams"
        engine.add_many(TROOPS[:1])
        engine.flush()
        f, _ = unpack(engine.store.article("troops-en").features)
        assert f.meaning.shape == (64,)
    with pytest.raises(EmbeddingError, match="unknown embedding model"):
        embedder_for("word2vec")
    with pytest.raises(EmbeddingError, match="cannot load"):
        embedder_for("no_such_module_here:Model")


def test_pack_keeps_old_rows_readable():
    old_style = pack(Features({"a": 1.0}, {}, {}, ["a"]), (3,))  # no language, no embedding
    f, sk = unpack(old_style)
    assert f.meaning is None and f.lang is None and sk == (3,)


def test_embedding_text_is_title_and_lead():
    assert embedding_text("Quake hits Qeshm", "") == "Quake hits Qeshm"
    assert embedding_text("Quake hits Qeshm?", "One two three", words=2) == "Quake hits Qeshm? One two"


def test_cli_no_embeddings_flag(tmp_path, run_cli):
    src = tmp_path / "four.jsonl"
    with open(src, "w", encoding="utf-8") as out:
        for a in TROOPS:
            out.write(json.dumps({"id": a.id, "title": a.title, "text": a.text, "source": a.source,
                                  "published": a.published}) + "\n")
    sparse = run_cli("ingest", src, "--db", tmp_path / "sparse.db", "--no-embeddings", "--json")
    dense = run_cli("ingest", src, "--db", tmp_path / "dense.db", "--json", env={"STORYLINE_EMBEDDINGS": "use"})
    assert sparse.returncode == 0 and dense.returncode == 0, sparse.stderr + dense.stderr
    assert json.loads(sparse.stdout.splitlines()[-1])["stories"] == 4
    assert json.loads(dense.stdout.splitlines()[-1])["stories"] == 1
    listed = json.loads(run_cli("stories", "--db", tmp_path / "dense.db", "--json").stdout)
    shown = run_cli("show", str(listed[0]["id"]), "--db", tmp_path / "dense.db", "--json")
    assert shown.returncode == 0, shown.stderr
    assert {x["lang"] for x in json.loads(shown.stdout)["languages"]} == {"en", "de", "es", "fr"}


# -- the minilm extra: English all-MiniLM-L6-v2 (installed with the test extra) ---------------------

MINILM = Config().with_overrides({"embeddings": "minilm"})
#: Paraphrased headlines of one event (one word in common), and unrelated news.
PARAPHRASES = ["North Korea sends more soldiers to Russia", "Pyongyang readies new troop deployment to Russia"]
UNRELATED = ["Senator proposes ending federal tax on restaurant tips", "Heavy rain floods the Danube ports"]


def test_minilm_vectors_are_unit_deterministic_and_put_paraphrases_close():
    model = embedder_for("minilm")
    assert model is not None and model.name == "all-minilm-l6-v2" and model.dim == 384
    texts = [*PARAPHRASES, *UNRELATED, ""]
    vectors = model.encode(texts)
    assert vectors.shape == (5, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors[:4], axis=1), 1.0, atol=1e-5)
    assert not vectors[4].any()  # nothing to embed: a zero vector, no direction
    same = float(vectors[0] @ vectors[1])
    assert same > 0.4 and all(same > float(vectors[i] @ vectors[j]) + 0.2 for i in (0, 1) for j in (2, 3))
    # One text alone or among others of other lengths (batches are sorted by length): the same vector.
    assert np.allclose(model.encode([texts[1]])[0], vectors[1], atol=1e-5)
    assert embedder_for("minilm") is model  # one model per process


def test_minilm_clusters_english_paraphrases_and_keeps_its_vectors(tmp_path):
    db = str(tmp_path / "minilm.db")
    headlines = [*PARAPHRASES, *UNRELATED]
    articles = [Article(id=f"m{i}", title=t, source=f"outlet{i}", lang="en", published=600.0 * i)
                for i, t in enumerate(headlines)]
    with Engine(db, MINILM) as engine:
        placed = engine.add_many(articles)
    with Engine(config=Config().with_overrides({"embeddings": "none"})) as sparse:
        words_only = sparse.add_many(articles)
    joined = placed[1]
    assert joined.kind == "joined" and joined.story_id == placed[0].story_id
    # Meaning stands in for the body these headlines lack: it adds to what the one shared word gave.
    assert joined.scores["meaning"] > 0.3 and joined.score > words_only[1].score + 0.05
    assert len({a.story_id for a in placed}) == 3
    f, _ = unpack(Engine(db, MINILM).store.article("m1").features)
    assert f.meaning is not None and f.meaning.shape == (384,)


def test_a_store_written_with_one_model_is_continued_with_another(tmp_path):
    """Vectors of two models are never summed: an engine with another model (or none) ignores them."""
    db = str(tmp_path / "mixed.db")
    with Engine(db, DENSE) as engine:  # 512-dimensional vectors
        story = stories_of(engine.add_many(TROOPS[:2]))["troops-en"]
    with Engine(db, MINILM) as engine:  # 384 dimensions from now on
        assert engine.clusterer.stories and all(s.meaning is None for s in engine.clusterer.stories.values())
        later = engine.add(Article(id="m-later", title="North Korea sends more troops to Russia, Seoul says",
                                   text="Thousands more North Korean soldiers arrived in the Kursk region of "
                                        "Russia, South Korea's intelligence service said.",
                                   source="Other", lang="en", published=4000.0))
        assert later.kind == "joined" and later.story_id == story  # the words still speak
        assert engine.clusterer.stories[story].meaning.shape == (384,)
    f, _ = unpack(Engine(db, MINILM).store.article("troops-en").features)
    assert f.meaning.shape == (512,)  # what was stored stays as it was
    with Engine(db, Config().with_overrides({"embeddings": "none"})) as engine:
        assert all(s.meaning is None for s in engine.clusterer.stories.values())


def test_cli_with_minilm_and_a_clear_line_when_a_model_is_missing(tmp_path, run_cli):
    src = tmp_path / "en.jsonl"
    with open(src, "w", encoding="utf-8") as out:
        for i, t in enumerate([*PARAPHRASES, *UNRELATED]):
            out.write(json.dumps({"id": f"c{i}", "title": t, "published": 600.0 * i, "source": f"o{i}"}) + "\n")
    done = run_cli("ingest", src, "--db", tmp_path / "m.db", "--json", env={"STORYLINE_EMBEDDINGS": "minilm"})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["stories"] == 3
    found = run_cli("search", "--meaning", "soldiers sent by Pyongyang", "--db", tmp_path / "m.db", "--json",
                    env={"STORYLINE_EMBEDDINGS": "minilm"})
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert hits and hits[0]["best_match"]["id"] in ("c0", "c1") and hits[0]["articles"] == 2
    bad = run_cli("ingest", src, "--db", tmp_path / "x.db", env={"STORYLINE_EMBEDDINGS": "minilm-xl"})
    assert bad.returncode == 1 and bad.stderr.strip().splitlines() == [
        "storyline: error: configuration: environment variable STORYLINE_EMBEDDINGS: embeddings must be use, "
        "minilm, none or package.module:Class (got 'minilm-xl')"]
