"""Watchlists kept in the store: a name, a full-text query and/or an entity, and where alerts go.

>>> from storyline.store.sqlite import SQLiteStore
>>> lists = Watchlists(SQLiteStore(":memory:").db)
>>> lists.add("ports", query="port strike").name
'ports'
>>> [w.name for w in lists.all()]
['ports']
>>> lists.remove("ports")
True
"""

from __future__ import annotations

import re
import sqlite3
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

#: The longest watchlist name (it is a heading, a line of every alert, and part of addresses).
MAX_NAME = 200
#: Characters no name may hold: controls and line breaks (which would break a log line or an alert),
#: and invisible formatting (bidirectional overrides, zero-width marks) that make one name look like
#: another.
_HIDDEN = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


class WatchlistError(ValueError):
    """A watchlist cannot be added, found or used as asked."""


def check_name(name: str) -> str:
    """``name`` without surrounding spaces, or :class:`WatchlistError` saying why it cannot name a watchlist.

    A name is one segment of the web's addresses (``/watchlists/NAME``): ``.`` and ``..``, which
    browsers read as "this folder" and "the folder above", and a slash or backslash, which they read as
    a separator, would send its links to other pages.

    >>> check_name("  Port strikes 2026 ")
    'Port strikes 2026'
    >>> check_name("../x")
    Traceback (most recent call last):
    ...
    storyline.alerts.watchlists.WatchlistError: watchlist name '../x' has a slash or backslash (names are part of web addresses)
    """
    name = name.strip()
    if not name:
        raise WatchlistError("a watchlist needs a name")
    if len(name) > MAX_NAME:
        raise WatchlistError(f"a watchlist name has at most {MAX_NAME} characters ({len(name)} given)")
    if name in (".", ".."):
        raise WatchlistError(f"{name!r} cannot name a watchlist (in a web address it means a folder)")
    if "/" in name or "\\" in name:
        raise WatchlistError(f"watchlist name {name!r} has a slash or backslash (names are part of web addresses)")
    hidden = next((c for c in name if unicodedata.category(c) in _HIDDEN), None)
    if hidden is not None:
        raise WatchlistError(f"watchlist name {name!r} has a control or invisible character "
                             f"(U+{ord(hidden):04X}); use letters, digits, spaces and punctuation")
    return name


@dataclass(frozen=True, slots=True)
class Watchlist:
    """What to follow (``query`` is FTS5 syntax; ``entity`` a name) and where its alerts go."""

    id: int
    name: str
    query: str | None
    entity: str | None
    webhook: str | None
    command: str | None
    created_at: float
    checked_seq: int

    def describe(self) -> str:
        parts = []
        if self.query:
            parts.append(f"query {self.query!r}")
        if self.entity:
            parts.append(f"entity {self.entity!r}")
        return " and ".join(parts)

    def targets(self) -> list[str]:
        """Delivery targets: always ``log``, plus ``webhook:URL`` and ``command:CMD`` when set."""
        out = ["log"]
        if self.webhook:
            out.append("webhook:" + self.webhook)
        if self.command:
            out.append("command:" + self.command)
        return out


_COLUMNS = "id, name, query, entity, webhook, command, created_at, checked_seq"


class Watchlists:
    """The ``watchlists`` table of a storyline SQLite store."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def add(self, name: str, query: str | None = None, entity: str | None = None,
            webhook: str | None = None, command: str | None = None, checked_seq: int = 0) -> Watchlist:
        # One spelling of a name whatever the keyboard sent: "Zoë" typed as e + a combining diaeresis
        # made a second watchlist that looked the same and matched nothing.
        name = check_name(unicodedata.normalize("NFC", name))
        entity = unicodedata.normalize("NFC", entity) if entity else entity
        if not (query or "").strip() and not (entity or "").strip():
            raise WatchlistError(f"watchlist {name!r} needs --query or --entity (or both)")
        if webhook and not re.match(r"https?://[^/?#\s]", webhook):
            raise WatchlistError(f"--webhook must be an http(s) URL with a host, not {webhook!r}")
        if query and isinstance(self.db, sqlite3.Connection):
            from ..store.sqlite import fts5_problem

            problem = fts5_problem(query)
            if problem:  # it would be searched as plain words: a watchlist that never fires as meant
                raise WatchlistError(f"--query {query!r} is not a full-text query SQLite can read ({problem}); "
                                     "write words, \"a phrase\", OR, NOT, -word, (groups)")
        try:
            self.db.execute("INSERT INTO watchlists (name, query, entity, webhook, command, created_at, "
                            "checked_seq) VALUES (?, ?, ?, ?, ?, ?, ?)",
                            (name, query or None, entity or None, webhook, command, time.time(), checked_seq))
        except sqlite3.IntegrityError:
            raise WatchlistError(f"a watchlist named {name!r} exists; remove it first") from None
        found = self.get(name)
        assert found is not None
        return found

    def get(self, name: str) -> Watchlist | None:
        row = self.db.execute(f"SELECT {_COLUMNS} FROM watchlists WHERE name = ?", (name,)).fetchone()
        return None if row is None else Watchlist(*row)

    def all(self) -> list[Watchlist]:
        return [Watchlist(*r) for r in self.db.execute(f"SELECT {_COLUMNS} FROM watchlists ORDER BY name")]

    def remove(self, name: str) -> bool:
        """Forget a watchlist with the alerts it fired and their deliveries.

        Its alerts cannot stay behind: SQLite gives the next watchlist the id this one freed, and the
        new watchlist showed the old one's alerts as its own, and stayed silent on the stories they
        named (an alert fires once per watchlist, story and condition).
        """
        found = self.get(name)
        if found is None:
            return False
        self.db.execute("DELETE FROM alert_deliveries WHERE alert IN (SELECT id FROM alerts WHERE watchlist = ?)",
                        (found.id,))
        self.db.execute("DELETE FROM alerts WHERE watchlist = ?", (found.id,))
        self.db.execute("DELETE FROM watchlists WHERE id = ?", (found.id,))
        return True

    def set_checked(self, watchlist: Watchlist, seq: int) -> None:
        self.db.execute("UPDATE watchlists SET checked_seq = ? WHERE id = ?", (seq, watchlist.id))


def matching_stories(watchlist: Watchlist, store, common: Iterable[str] = (),
                     among: set[int] | None = None) -> set[int]:
    """Live stories a watchlist matches (within ``among`` if given).

    A query matches a story when one of its articles matches the FTS5 query; an entity when the name
    (or a fuller form of it, "Aldervik" → "Tomas Aldervik") is among the story's key names. Both given:
    both must match.
    """
    from ..stories.describe import key_entities

    result: set[int] | None = None
    if watchlist.query:
        result = {store.resolve(s) for _seq, s, _r in store.search(watchlist.query, limit=100000)}
    if watchlist.entity:
        wanted = _folded(watchlist.entity).split()
        phrase = '"' + watchlist.entity.replace('"', '""') + '"'
        candidates = {store.resolve(s) for _seq, s, _r in store.search(phrase, limit=100000)}
        if result is not None:
            candidates &= result
        if among is not None:
            candidates &= among
        common_set = frozenset(common)
        result = set()
        for story in candidates:
            names = key_entities(store.story_articles(story), common_set, limit=15)
            for e in names:
                words = _folded(e.name).split()
                if any(words[i:i + len(wanted)] == wanted for i in range(len(words))):
                    result.add(story)
                    break
    assert result is not None
    return result if among is None else result & among


def _folded(name: str) -> str:
    """A name as compared: case and accents aside, as the full-text index compares words.

    >>> _folded("Zoë Müller"), _folded("ZOE MULLER")
    ('zoe muller', 'zoe muller')
    """
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
