"""One typed configuration object for the whole engine, with documented defaults.

Values can be overridden from a TOML file, from ``STORYLINE_<NAME>`` environment variables and from
code. There is one default configuration for every corpus: nothing here is tuned per data set.
Every value is checked as it is read (its type and range), so a mistake is one ``ValueError`` that
names the key (and the file or environment variable it came from), never a crash later in the engine.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path

#: The largest whole number a setting may be: SQLite's INTEGER and Python's index limits stop there.
MAX_INT = 2**63 - 1

#: The longest duration :func:`parse_duration` gives (1,000 years). Any longer age means "everything",
#: and counting it back from any date of a news archive still gives a date that can be written down.
MAX_DURATION = 1000 * 365.25 * 86400.0

_UNITS = {"s": 1, "m": 60, "h": 3600, "": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> float:
    """Seconds in ``30m``, ``24h``, ``7d``, ``2w`` (a bare number is hours), at most :data:`MAX_DURATION`.

    The one reading of an age for the command line and the web (``--since``, ``?since=``).

    >>> parse_duration("30m"), parse_duration("1.5d"), parse_duration(" 2 H ")
    (1800.0, 129600.0, 7200.0)
    >>> parse_duration("99999999999d") == MAX_DURATION
    True
    >>> parse_duration("soon")
    Traceback (most recent call last):
    ...
    ValueError: not a duration: 'soon' (try 30m, 24h, 7d)
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", text.lower())
    if not m:
        raise ValueError(f"not a duration: {text!r} (try 30m, 24h, 7d)")
    return min(float(m.group(1)) * _UNITS[m.group(2)], MAX_DURATION)


@dataclass(frozen=True)
class Config:
    """Parameters of the online clustering engine.

    Every number is finite (TOML's ``true`` is not one); a whole-number setting is 1 or more and a
    weight 0 or more unless its comment says otherwise.

    >>> Config().threshold
    0.2
    >>> Config().with_overrides({"threshold": "0.4"}).threshold
    0.4
    >>> Config().with_overrides({"body_words": 0})
    Traceback (most recent call last):
    ...
    ValueError: body_words must be a whole number, 1 or more (got 0)

    Values given to the constructor are checked the same way (a string is read as the field's type):

    >>> Config(threshold="0.4").threshold
    0.4
    >>> Config(threshold="high")
    Traceback (most recent call last):
    ...
    ValueError: threshold must be a number (got 'high')
    """

    #: A story must score at least this much for an article to join it; below, a new story starts.
    threshold: float = 0.2
    #: Weight of the title cosine in an article's score against a story (0 or more).
    title_weight: float = 0.27
    #: Weight of the body cosine (the title stands in when either side has no body; 0 or more).
    body_weight: float = 0.29
    #: Weight of the cosine of named people, places and organisations (0 or more).
    entity_weight: float = 0.44
    #: Score lost per unit of log(1 + days apart): a story fades, weeks later it is another story (0 or more).
    time_penalty: float = 0.05
    #: Stories idle for longer than this (hours, more than 0) are no longer candidates, but for a
    #: follow-up that retells one (see :func:`storyline.cluster.online.retells`), up to twice as long.
    max_idle_hours: float = 24.0 * 14
    #: How many index hits are scored in full per article.
    max_candidates: int = 12
    #: Stories per word or name that candidate lookup reads, the most recently active first: this
    #: bound keeps a lookup's cost flat as the archive grows (12 candidates are kept of what it finds).
    max_postings: int = 50
    #: How many words of a body are read (news puts the event first; page furniture comes last).
    body_words: int = 400
    #: An outlet's page furniture: a body sentence the same outlet printed in one of its last this
    #: many articles is left out (share buttons, copyright lines, playlists; 0: keep every sentence).
    furniture_memory: int = 10
    #: How many body terms (highest TF-IDF) represent an article.
    body_terms: int = 100
    #: How many of an article's terms are used to look up candidate stories.
    query_terms: int = 12
    #: Estimated Jaccard of word shingles above which a text is a near-identical copy (more than 0, at most 1).
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
    #: model shipped in ``storyline/cluster/decision.json``) or the path of a model file (checked when
    #: the setting is read: it must load).
    decision: str = "rules"
    #: A runner-up story scoring at least this is evidence that two stories are related.
    storyline_low: float = 0.12
    #: Two stories whose evidence adds up to this are in one storyline.
    storyline_evidence: float = 0.25
    #: Stories at most in one storyline (its strongest links first): weak links must not chain an archive.
    storyline_max_stories: int = 25

    def __post_init__(self) -> None:
        # Checked here too, not only as a file or the environment is read: a wrong value given in code
        # would otherwise fail deep inside the engine, articles later (or quietly change nothing).
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "decision" and value == f.default:
                continue
            checked = _checked(f.name, str(f.type), value)
            if checked is not value:
                object.__setattr__(self, f.name, checked)

    def with_overrides(self, values: Mapping[str, object]) -> "Config":
        """A copy with some fields replaced; strings are converted to each field's type.

        Each value is checked (see :func:`_checked`): a wrong one raises ``ValueError`` naming its key.
        """
        types = {f.name: str(f.type) for f in fields(self)}
        changes: dict[str, object] = {}
        for key, value in values.items():
            name = str(key).lower().replace("-", "_")
            if name not in types:
                raise ValueError(f"unknown configuration key: {key}")
            changes[name] = _checked(name, types[name], value)
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def load(cls, path: str | Path | None = None, env: Mapping[str, str] | None = None) -> "Config":
        """Defaults, then a TOML file (a ``[storyline]`` table or top-level keys), then environment.

        A file that cannot be opened raises ``OSError``; a file that is not TOML, or a value that is
        wrong, raises ``ValueError`` naming the file (or the environment variable) and the key.
        """
        config = cls()
        if path is not None:
            try:
                config = config.with_overrides(_file_values(path))
            except ValueError as exc:
                raise ValueError(f"{path}: {exc}") from None
        environ: Mapping[str, str] = os.environ if env is None else env
        prefix = "STORYLINE_"
        known = {f.name.upper() for f in fields(cls)}
        for variable, value in environ.items():
            if variable.startswith(prefix) and variable[len(prefix):] in known:
                try:
                    config = config.with_overrides({variable[len(prefix):]: value})
                except ValueError as exc:
                    raise ValueError(f"environment variable {variable}: {exc}") from None
        return config


def _file_values(path: str | Path) -> dict[str, object]:
    """The engine keys of a TOML file: its ``[storyline]`` table, else its top-level keys (unchecked)."""
    import tomllib

    with open(path, "rb") as handle:  # OSError (missing, a folder, unreadable) is the caller's to word
        raw = handle.read()
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ValueError("not a TOML file (not UTF-8 text)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"not valid TOML: {exc}") from None
    table = data.get("storyline", data)
    if not isinstance(table, dict):
        raise ValueError(f"'storyline' must be a table of settings ([storyline]), not {table!r}")
    # Other tables ([watch], [serve]...) configure other parts; they are not engine keys.
    return {k: v for k, v in table.items() if not isinstance(v, dict)}


#: Ranges of the number fields, as (lowest, whether the lowest itself is allowed, highest). Floats not
#: listed take any finite number; whole numbers not listed take 1 or more.
_RANGES: dict[str, tuple[float, bool, float | None]] = {
    "title_weight": (0.0, True, None), "body_weight": (0.0, True, None), "entity_weight": (0.0, True, None),
    "time_penalty": (0.0, True, None), "max_idle_hours": (0.0, False, None), "near_duplicate": (0.0, False, 1.0),
    "meaning_candidates": (0, True, None), "furniture_memory": (0, True, None),
}


def _checked(name: str, kind: str, value: object) -> object:
    """``value`` (from code, TOML or an environment string) as field ``name`` of type ``kind`` takes it."""
    if kind == "str":
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string (got {_shown(value)})")
        if name == "embeddings":
            return _embeddings(value)
        return _decision(value) if name == "decision" else value
    whole = kind == "int"
    number = _number(name, value, whole)
    low, low_allowed, high = _RANGES.get(name, (1, True, None) if whole else (-math.inf, True, None))
    if number < low or (number == low and not low_allowed) or (high is not None and number > high):
        words = "a whole number" if whole else "a number"
        limit = f"{low:g} or more" if low_allowed else f"more than {low:g}"
        if high is not None:
            limit += f" and at most {high:g}"
        raise ValueError(f"{name} must be {words}, {limit} (got {_shown(value)})")
    if whole and number > MAX_INT:
        raise ValueError(f"{name} must be at most {MAX_INT} (got {_shown(value)})")
    return number


def _number(name: str, value: object, whole: bool) -> float | int:
    """A finite int (``whole``) or float from a number or a string; TOML's ``true`` is not a number."""
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise TypeError
        if whole:
            if isinstance(value, float):
                raise TypeError
            return int(value)
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        words = "a whole number" if whole else "a number"
        raise ValueError(f"{name} must be {words} (got {_shown(value)})") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number (got {_shown(value)})")
    return number


def _shown(value: object) -> str:
    """A value as a message shows it: TOML's spelling for booleans and dates, else Python's repr.

    >>> _shown(True), _shown("abc"), _shown([1, 2])
    ('true', "'abc'", '[1, 2]')
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    isoformat = getattr(value, "isoformat", None)  # a TOML date, time or date-time
    return isoformat() if callable(isoformat) else repr(value)


#: The embedding models known by name (see :func:`storyline.text.embeddings.embedder_for`).
EMBEDDING_NAMES = ("use", "use-multilingual-v3", "minilm", "all-minilm-l6-v2", "none", "off", "false", "0", "")


def _embeddings(value: str) -> str:
    """A known model's name, or ``package.module:Class`` (imported when an engine starts, not here:
    a configuration is read by every command, most of which never embed).

    >>> _embeddings("bogus")
    Traceback (most recent call last):
    ...
    ValueError: embeddings must be use, minilm, none or package.module:Class (got 'bogus')
    """
    if value.strip().lower() in EMBEDDING_NAMES:
        return value
    module, _, attr = value.strip().partition(":")
    if not (attr.isidentifier() and all(part.isidentifier() for part in module.split("."))):
        raise ValueError(f"embeddings must be use, minilm, none or package.module:Class (got {_shown(value)})")
    return value


def _decision(value: str) -> str:
    """``rules``, ``learned``, or the path of a model file that loads."""
    if value in ("rules", "learned"):
        return value
    if not Path(value).is_file():
        raise ValueError(f"decision must be rules, learned or the path of a model file; "
                         f"there is no file {value!r}")
    from .cluster.decision import DecisionModel  # a leaf module; only when a file is named

    DecisionModel.load(value)  # a ValueError naming the file when it is not a model
    return value
