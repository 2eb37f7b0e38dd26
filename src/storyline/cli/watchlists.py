"""``storyline watchlist`` (add, list, remove) and ``storyline alerts`` (what fired, and delivery)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any


def _seconds(text: str) -> float:
    """A wait in seconds: 0 or more, and finite (``nan`` or ``inf`` would wait for ever).

    >>> _seconds("60"), _seconds("0.5")
    (60.0, 0.5)
    """
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be 0 or more seconds, and finite (not {text})")
    return value


def add_parsers(sub: Any, db_help: Callable[[], str], positive: Callable[[str], int]) -> None:
    """Register the ``watchlist`` and ``alerts`` commands on the CLI's subparsers."""
    p = sub.add_parser("watchlist", help="follow a query or a name; alerts when a story matches or bursts",
                       description="Watchlists match stories by full-text query and/or entity. After every "
                                   "`ingest`, `watch` round and write to `storyline serve`, a story that newly "
                                   "matches a watchlist, or a "
                                   "matched story whose coverage bursts, fires an alert (once per story and "
                                   "condition): logged on stderr, and POSTed as JSON to --webhook or piped to "
                                   "--command when given. `storyline serve` shows each watchlist's stories at "
                                   "/watchlists/NAME, with an Atom feed.")
    wsub = p.add_subparsers(dest="action", metavar="ACTION")
    a = wsub.add_parser("add", help="add a watchlist")
    a.add_argument("name", metavar="NAME", help="what to call it; it is part of web addresses "
                                                "(/watchlists/NAME), so not . or .., and no / or \\")
    a.add_argument("--query", help="FTS5 full-text query, e.g. 'port AND strike'")
    a.add_argument("--entity", help="a person, place or organisation, e.g. 'Marta Olsund'")
    a.add_argument("--webhook", metavar="URL", help="POST each alert as JSON to URL (retried with back-off)")
    a.add_argument("--command", dest="run_command", metavar="CMD", help="run CMD (shell) with each alert's JSON on stdin")
    a.add_argument("--db", help=db_help())
    ls = wsub.add_parser("list", help="list watchlists and how many alerts each fired")
    ls.add_argument("--json", action="store_true", help="print a JSON array")
    ls.add_argument("--db", help=db_help())
    rm = wsub.add_parser("remove", help="remove a watchlist with the alerts it fired")
    rm.add_argument("name", metavar="NAME")
    rm.add_argument("--db", help=db_help())

    p = sub.add_parser("alerts", help="alerts fired by watchlists, newest first; --deliver retries the queue",
                       description="List the alerts watchlists fired, with their delivery state. --deliver "
                                   "sends the deliveries that are due (failed webhooks and commands are retried "
                                   "with exponential back-off; $STORYLINE_ALERT_RETRY sets the first delay).")
    p.add_argument("--limit", type=positive, default=20, metavar="N", help="at most N alerts (default 20)")
    p.add_argument("--deliver", action="store_true", help="deliver the due alerts first")
    p.add_argument("--wait", type=_seconds, default=0.0, metavar="SECONDS",
                   help="with --deliver: keep retrying for up to SECONDS until the queue is empty")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument("--db", help=db_help())


def cmd_watchlist(args: argparse.Namespace) -> int:
    from .render import plural
    from ..alerts.rules import baseline
    from ..alerts.watchlists import WatchlistError, Watchlists
    from .main import UsageError, _open_reader

    if getattr(args, "action", None) is None:  # as `storyline feeds` says it
        raise UsageError("watchlist needs an action: add, list or remove (see `storyline watchlist --help`)")
    with _open_reader(args.db) as reader:
        lists = Watchlists(reader.store.db)
        try:
            if args.action == "add":
                wl = lists.add(args.name, query=args.query, entity=args.entity, webhook=args.webhook,
                               command=args.run_command)
                n = baseline(reader.store, wl, reader.vectorizer.common)
                matched = plural(n, "story matches", "stories match")
                print(f"watchlist {wl.name!r} added: {wl.describe()}; {matched} now. Alerts fire "
                      f"for stories that match from now on, and for bursts of matched stories.")
            elif args.action == "list":
                rows = []
                for wl in lists.all():
                    fired, = reader.store.db.execute(
                        "SELECT count(*) FROM alerts WHERE watchlist = ? AND payload NOT LIKE '%\"baseline\"%'",
                        (wl.id,)).fetchone()
                    rows.append({"name": wl.name, "query": wl.query, "entity": wl.entity, "webhook": wl.webhook,
                                 "command": wl.command, "alerts": fired})
                if args.json:
                    print(json.dumps(rows, ensure_ascii=False, indent=1))
                elif not rows:
                    print("No watchlists. Add one with `storyline watchlist add NAME --query WORDS`.")
                for r in rows if not args.json else []:
                    where = ", ".join(x for x in (r["webhook"] and "webhook " + r["webhook"],
                                                  r["command"] and "command " + r["command"]) if x)
                    what = " and ".join(f"{k} {r[k]!r}" for k in ("query", "entity") if r[k])
                    print(f"{r['name']}: {what}; {plural(r['alerts'], 'alert')}{'; ' + where if where else ''}")
            else:
                if not lists.remove(args.name):
                    raise UsageError(f"no watchlist {args.name!r}; `storyline watchlist list` shows them")
                print(f"watchlist {args.name!r} removed")
        except WatchlistError as exc:
            raise UsageError(str(exc)) from None
    return 0


def cmd_alerts(args: argparse.Namespace) -> int:
    from .render import plural
    from ..alerts.delivery import drain
    from .main import _open_reader

    with _open_reader(args.db) as reader:
        db = reader.store.db
        if args.deliver:
            report = drain(db, args.wait)
            print(f"storyline: {plural(report.delivered, 'delivery', 'deliveries')} made, {report.failed} failed, "
                  f"{report.pending} pending", file=sys.stderr)
        rows = db.execute(
            "SELECT a.id, w.name, a.story, a.condition, a.fired_at, a.payload, "
            "(SELECT count(*) FROM alert_deliveries d WHERE d.alert = a.id AND d.delivered_at IS NULL), "
            "(SELECT group_concat(d.last_error, '; ') FROM alert_deliveries d WHERE d.alert = a.id "
            " AND d.delivered_at IS NULL) "
            "FROM alerts a LEFT JOIN watchlists w ON w.id = a.watchlist "
            "WHERE a.payload NOT LIKE '%\"baseline\"%' ORDER BY a.id DESC LIMIT ?", (args.limit,)).fetchall()
    out = []
    for alert_id, name, story, condition, fired_at, payload, pending, error in rows:
        data = json.loads(payload)
        out.append({"id": alert_id, "watchlist": name or data.get("watchlist"), "story": story,
                    "condition": condition, "fired_at": fired_at, "headline": data.get("headline"),
                    "reason": data.get("reason"), "pending_deliveries": pending, "last_error": error})
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=1))
        return 0
    if not out:
        print("No alerts yet.")
    for a in out:
        when = datetime.fromtimestamp(a["fired_at"], timezone.utc).strftime("%Y-%m-%d %H:%M")
        pending = plural(a["pending_deliveries"], "delivery", "deliveries")
        state = f"; {pending} pending ({a['last_error']})" if a["pending_deliveries"] else ""
        print(f"#{a['id']} {when} [{a['watchlist']}] {a['condition']}: {a['headline']} (story {a['story']}; "
              f"{a['reason']}){state}")
    return 0
