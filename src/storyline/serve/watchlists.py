"""Read models of the watchlist pages, feeds and API: each watchlist, and the stories it matched.

A watchlist's stories are the ones its alerts were decided on: every story it matched is in the
``alerts`` table as a ``match`` (silently, for the stories that matched when it was added), so a page
is an index lookup, never a full-text search and an entity count per request, and it lists exactly
what the alerts saw. The server checks watchlists after every write (:mod:`.alerting`), so the lists
follow new articles within moments; ``pending`` says when a check is still to come.

Where alerts go (webhook URLs, commands) is never shown: a webhook URL often carries a secret.

Every address of a watchlist is built here (:func:`page_url`, :func:`api_url`, :func:`feed_url`), with
the name percent-encoded into one path segment: names are checked when a watchlist is added
(:func:`storyline.alerts.watchlists.check_name`), but a store from before holds whatever was typed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from ..alerts.rules import FIRED
from ..alerts.watchlists import Watchlist, Watchlists
from ..store.base import StoryRow
from .cache import Descriptions
from .db import Clock, Connection
from .queries import NotFound, StoryList, after_cursor, make_cards, make_cursor, parse_cursor

#: The live stories a watchlist matched (merged ones answer as the story that absorbed them).
_MATCHED = ("SELECT coalesce(s.merged_into, a.story) FROM alerts a LEFT JOIN stories s ON s.id = a.story "
            "WHERE a.watchlist = ? AND a.condition = 'match'")


@dataclass(frozen=True, slots=True)
class WatchlistInfo:
    """A watchlist as the web shows it: what it follows, and counts; not where its alerts go."""

    name: str
    query: str | None
    entity: str | None
    follows: str
    webhook: bool
    command: bool
    created_at: float
    stories: int
    alerts: int
    pending: bool


@dataclass(frozen=True, slots=True)
class AlertView:
    """One alert a watchlist fired (not the silent matches recorded when it was added)."""

    id: int
    story: int
    condition: str
    reason: str
    headline: str
    fired_at: float


@dataclass(frozen=True, slots=True)
class WatchlistPage:
    """A watchlist, a page of its stories (most recently active first) and its latest alerts."""

    info: WatchlistInfo
    list: StoryList
    alerts: list[AlertView]


def _url(base: str, name: str, params: dict[str, object]) -> str:
    kept = {k: v for k, v in params.items() if v is not None}
    if name in (".", ".."):
        return f"{base}/?" + urlencode({"name": name, **kept})
    return f"{base}/" + quote(name, safe="") + ("?" + urlencode(kept) if kept else "")


def page_url(name: str, cursor: str | None = None) -> str:
    """The watchlist's page (``cursor``: a later page of it).

    ``.`` and ``..`` go in the query (``/watchlists/?name=..``): percent-encoded or not, a browser reads
    them in a path as "this folder" and "the folder above", and would open another page.

    >>> page_url("ports"), page_url("../x"), page_url("a b/c", "1_2"), page_url("..", "1_2")
    ('/watchlists/ports', '/watchlists/..%2Fx', '/watchlists/a%20b%2Fc?cursor=1_2', '/watchlists/?name=..&cursor=1_2')
    """
    return _url("/watchlists", name, {"cursor": cursor})


def api_url(name: str, cursor: str | None = None, limit: int | None = None) -> str:
    """The watchlist's JSON (``.`` and ``..`` in the query, as in :func:`page_url`).

    >>> api_url("a/b"), api_url(".", "1_2", 5)
    ('/api/watchlists/a%2Fb', '/api/watchlists/?name=.&cursor=1_2&limit=5')
    """
    return _url("/api/watchlists", name, {"cursor": cursor, "limit": limit})


def feed_url(name: str) -> str:
    """The watchlist's Atom feed (``...atom`` is a plain segment: no name needs a query here).

    >>> feed_url("a/b"), feed_url("..")
    ('/feeds/watchlists/a%2Fb.atom', '/feeds/watchlists/...atom')
    """
    return "/feeds/watchlists/" + quote(name, safe="") + ".atom"


def _info(conn: Connection, wl: Watchlist, last_seq: int) -> WatchlistInfo:
    stories = conn.execute(f"SELECT count(*) FROM stories WHERE id IN ({_MATCHED}) AND merged_into IS NULL "
                           "AND articles > 0", (wl.id,)).fetchone()[0]
    alerts = conn.execute(f"SELECT count(*) FROM alerts WHERE watchlist = ? AND {FIRED}",
                          (wl.id,)).fetchone()[0]
    return WatchlistInfo(wl.name, wl.query, wl.entity, wl.describe(), bool(wl.webhook), bool(wl.command),
                         wl.created_at, int(stories), int(alerts), wl.checked_seq < last_seq)


def _last_seq(conn: Connection) -> int:
    return int(conn.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()[0])


def all_watchlists(conn: Connection) -> list[WatchlistInfo]:
    """Every watchlist, by name."""
    last = _last_seq(conn)
    return [_info(conn, wl, last) for wl in Watchlists(conn).all()]


def watchlist_page(conn: Connection, cache: Descriptions, name: str, cursor: str | None = None,
                   size: int = 20, alerts: int = 10) -> WatchlistPage:
    """A watchlist's stories, most recently active first (keyset ``cursor``). Raises :class:`NotFound`."""
    wl = Watchlists(conn).get(name)
    if wl is None:
        raise NotFound(f"no watchlist {name!r}")
    clock = Clock.of(conn)
    sql_keyset, params = after_cursor(parse_cursor(cursor))
    rows = [StoryRow(*r) for r in conn.execute(
        f"SELECT id, articles, outlets, first_seen, last_seen, updated_seq FROM stories WHERE id IN ({_MATCHED}) "
        f"AND merged_into IS NULL AND articles > 0{sql_keyset} ORDER BY last_seen DESC NULLS LAST, id DESC LIMIT ?",
        [wl.id, *params, size + 1])]
    more = len(rows) > size
    rows = rows[:size]
    listing = StoryList(make_cards(conn, cache, rows, clock), clock, "all", "latest", None, 1, None,
                        make_cursor(rows[-1]) if more else None)
    fired = []
    for alert_id, story, condition, payload, fired_at in conn.execute(
            "SELECT id, story, condition, payload, fired_at FROM alerts WHERE watchlist = ? "
            f"AND {FIRED} ORDER BY id DESC LIMIT ?", (wl.id, alerts)):
        data = json.loads(payload)
        fired.append(AlertView(alert_id, story, condition, str(data.get("reason") or ""),
                               str(data.get("headline") or ""), fired_at))
    return WatchlistPage(_info(conn, wl, _last_seq(conn)), listing, fired)
