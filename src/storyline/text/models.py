"""Loading the models the text stage uses ahead of time (a server does it at start-up, in the
background, so that the first article written does not wait a second or two for them)."""

from __future__ import annotations

import logging

from ..config import Config

log = logging.getLogger("storyline")


def warm_models(config: Config | None = None) -> None:
    """Load the language identifier and, when embeddings are on, the sentence encoder."""
    from .embeddings import EmbeddingError, embedder_for
    from .language import detect

    config = config or Config.load()
    detect("loading the language model now")
    try:
        embedder = embedder_for(config.embeddings)
        if embedder is not None:
            embedder.encode(["loading the sentence encoder now"])
    except EmbeddingError as exc:  # the first write reports it to its caller
        log.warning("embeddings: %s", exc)
