"""One typed configuration object for the whole engine, with documented defaults.

Values can be overridden from a TOML file, from ``STORYLINE_<NAME>`` environment variables and from
code. There is one default configuration for every corpus: nothing here is tuned per data set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path


@dataclass(frozen=True)
class Config:
    """Parameters of the online clustering engine.

    >>> Config().threshold
    0.2
    >>> Config().with_overrides({"threshold": "0.4"}).threshold
    0.4
    """

    #: A story must score at least this much for an article to join it; below, a new story starts.
    threshold: float = 0.2
    #: Weight of the title cosine in an article's score against a story.
    title_weight: float = 0.27
    #: Weight of the body cosine (the title stands in when either side has no body).
    body_weight: float = 0.29
    #: Weight of the cosine of named people, places and organisations.
    entity_weight: float = 0.44
    #: Score lost per unit of log(1 + days apart): a story fades, weeks later it is another story.
    time_penalty: float = 0.05
    #: Stories idle for longer than this (hours) are no longer candidates.
    max_idle_hours: float = 24.0 * 14
    #: How many index hits are scored in full per article.
    max_candidates: int = 12
    #: Stories per word or name that candidate lookup reads, the most recently active first: this
    #: bound keeps a lookup's cost flat as the archive grows (12 candidates are kept of what it finds).
    max_postings: int = 50
    #: How many words of a body are read (news puts the event first; page furniture comes last).
    body_words: int = 400
    #: How many body terms (highest TF-IDF) represent an article.
    body_terms: int = 100
    #: How many of an article's terms are used to look up candidate stories.
    query_terms: int = 12
    #: Estimated Jaccard of word shingles above which a text is a near-identical copy.
    near_duplicate: float = 0.8
    #: Minimum words a body needs before near-duplicate detection is tried.
    near_duplicate_min_words: int = 30
    #: Newest articles whose sketches are kept for near-duplicate lookups (copies follow their
    #: original within days; a bound keeps memory and lookups flat on an endless stream).
    near_duplicate_keep: int = 50_000
    #: Two stories whose centroids are at least this similar are merged.
    merge_threshold: float = 0.5
    #: Sentence embeddings: ``use`` (multilingual, ships in a package), ``none`` (sparse only, three to six
    #: times faster), or ``package.module:Class`` (your own model; see :mod:`storyline.text.embeddings`).
    embeddings: str = "use"
    #: Embedding cosine that unrelated news reaches; meaning counts only above it.
    meaning_floor: float = 0.2
    #: Stories nearest in meaning looked up per article besides the word index's (0: none).
    meaning_candidates: int = 4
    #: How an article is placed: ``rules`` (the weights and threshold above), ``learned`` (the logistic
    #: model shipped in ``storyline/cluster/decision.json``) or the path of a model file.
    decision: str = "rules"
    #: A runner-up story scoring at least this is evidence that two stories are related.
    storyline_low: float = 0.12
    #: Two stories whose evidence adds up to this are in one storyline.
    storyline_evidence: float = 0.25
    #: Stories at most in one storyline (its strongest links first): weak links must not chain an archive.
    storyline_max_stories: int = 25

    def with_overrides(self, values: Mapping[str, object]) -> "Config":
        """A copy with some fields replaced; strings are converted to each field's type."""
        types = {f.name: f.type for f in fields(self)}
        changes: dict[str, object] = {}
        for key, value in values.items():
            name = key.lower().replace("-", "_")
            if name not in types:
                raise ValueError(f"unknown configuration key: {key}")
            kind = {"float": float, "int": int}.get(str(types[name]), str)
            changes[name] = kind(value)  # type: ignore[operator]
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | Path | None = None, env: dict[str, str] | None = None) -> "Config":
        """Defaults, then a TOML file (a ``[storyline]`` table or top-level keys), then environment."""
        config = cls()
        if path is not None:
            import tomllib

            with open(path, "rb") as handle:
                data = tomllib.load(handle)
            table = data.get("storyline", data)
            # Other tables ([watch], [serve]...) configure other parts; they are not engine keys.
            config = config.with_overrides({k: v for k, v in table.items() if not isinstance(v, dict)})
        environ: Mapping[str, str] = os.environ if env is None else env
        prefix = "STORYLINE_"
        known = {f.name.upper() for f in fields(cls)}
        from_env = {k[len(prefix):]: v for k, v in environ.items()
                    if k.startswith(prefix) and k[len(prefix):] in known}
        return config.with_overrides(from_env) if from_env else config
