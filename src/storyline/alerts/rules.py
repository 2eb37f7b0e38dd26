"""Which alerts fire: a story newly matching a watchlist (``match``), or a matched story whose coverage
bursts (``burst``). Each fires once per watchlist, story and condition: the ``alerts`` table has that
triple as its key, so a second run, or a restart, never repeats one.

Only stories changed since a watchlist was last checked are looked at, so a check after an ingest
costs what the ingest added, not the archive.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass

from ..model import iso
from .watchlists import Watchlist, Watchlists, matching_stories

#: A burst alert needs the burst to end within this many seconds of the newest article.
RECENT = 6 * 3600.0


@dataclass(frozen=True, slots=True)
class Alert:
    """One fired alert, as stored and as sent (``payload`` is the JSON body of a webhook)."""

    id: int
    watchlist: str
    story: int
    condition: str
    payload: dict[str, object]


#: The payload of the silent rows that record what a watchlist matched when it was added. Told apart
#: by equality: a watchlist may well be called "baseline".
BASELINE_PAYLOAD = '{"baseline": true}'
#: SQL for "this alert row fired" (is not one of those), on a table or alias whose column is ``payload``.
FIRED = "payload <> '" + BASELINE_PAYLOAD + "'"


def story_page(story: int) -> str:
    """Where a story is read in the web app: ``/story/ID`` on ``$STORYLINE_PUBLIC_URL`` (the address
    users reach ``storyline serve`` at) when that is set, so a chat message links to it; else the path.

    >>> story_page(12).endswith("/story/12")
    True
    """
    return os.environ.get("STORYLINE_PUBLIC_URL", "").strip().rstrip("/") + f"/story/{story}"


def _max_seq(db) -> int:
    return int(db.execute("SELECT coalesce(max(seq), 0) FROM articles").fetchone()[0])


def baseline(store, watchlist: Watchlist, common=()) -> int:
    """Record the stories a new watchlist matches already, silently (they are not *newly* matching);
    returns how many."""
    db = store.db
    store.sync_search()
    matched = matching_stories(watchlist, store, common)
    now = time.time()
    db.executemany("INSERT OR IGNORE INTO alerts (watchlist, story, condition, fired_at, payload) "
                   "VALUES (?, ?, 'match', ?, ?)", [(watchlist.id, s, now, BASELINE_PAYLOAD) for s in matched])
    Watchlists(db).set_checked(watchlist, _max_seq(db))
    return len(matched)


def evaluate(store, common: Iterable[str] = ()) -> list[Alert]:
    """Fire the alerts due after an ingest; queue their deliveries; returns the new alerts.

    ``store`` is an SQLite store (the CLI passes its engine's, the web server its writer's); ``common``
    the words seen in lower case, which tell names from ordinary words when matching entities.
    """
    from ..stories.describe import headline_and_centre, story_title
    from ..stories.importance import explain_burst, find_burst

    common = frozenset(common)
    db = store.db
    lists = Watchlists(db)
    watched = lists.all()
    if not watched:
        return []
    last = _max_seq(db)
    latest = store.latest_time() or 0.0
    fired: list[Alert] = []
    stream: list[float] | None = None
    for wl in watched:
        if wl.checked_seq >= last:
            continue
        touched = {r[0] for r in db.execute("SELECT id FROM stories WHERE merged_into IS NULL AND articles > 0 "
                                            "AND updated_seq > ?", (wl.checked_seq,))}
        matched = matching_stories(wl, store, common, touched) if touched else set()
        for story in sorted(matched):
            rows = store.story_articles(story)
            if not rows:
                continue
            if stream is None:
                stream = [r[0] for r in db.execute("SELECT published FROM articles WHERE published >= ? "
                                                   "ORDER BY published", (latest - RECENT - 13 * 3600,))]
            times = [r.published for r in rows if r.published is not None]
            burst = find_burst(times, stream, latest - RECENT, latest)
            conditions = [("match", f"matches {wl.describe()}")]
            if burst is not None:
                conditions.append(("burst", explain_burst(burst)))
            lead, _ = headline_and_centre(rows)
            for condition, reason in conditions:
                payload: dict[str, object] = {
                    "watchlist": wl.name, "condition": condition, "reason": reason, "story": story,
                    "headline": story_title(lead), "articles": len(rows),
                    "outlets": len({r.source or "" for r in rows}),
                    "last_seen": iso(max(times)) if times else None, "url": lead.url, "page": story_page(story)}
                cur = db.execute("INSERT OR IGNORE INTO alerts (watchlist, story, condition, fired_at, payload) "
                                 "VALUES (?, ?, ?, ?, ?)", (wl.id, story, condition, time.time(), json.dumps(payload)))
                if cur.rowcount != 1:
                    continue
                alert_id = int(cur.lastrowid)
                payload = {"alert": alert_id, **payload}
                db.execute("UPDATE alerts SET payload = ? WHERE id = ?", (json.dumps(payload), alert_id))
                db.executemany("INSERT INTO alert_deliveries (alert, target, next_try) VALUES (?, ?, ?)",
                               [(alert_id, target, 0.0) for target in wl.targets()])
                fired.append(Alert(alert_id, wl.name, story, condition, payload))
        lists.set_checked(wl, last)
    return fired
