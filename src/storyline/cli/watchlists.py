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
    p.add_argument("--retry", action="store_true",
                   help="try again the deliveries given up after 8 attempts (once the target is fixed), "
                        "and deliver")
    p.add_argument("--wait", type=_seconds, default=None, metavar="SECONDS",
                   help="with --deliver: keep retrying for up to SECONDS until the queue is empty")
    p.add_argument("--json", action="store_true", help="print a JSON array")
    p.add_argument("--db", help=db_help())


def cmd_watchlist(args: argparse.Namespace) -> int:
    from .render import plural
    from ..alerts.rules import FIRED, baseline
    from ..alerts.watchlists import WatchlistError, Watchlists
    from .main import UsageError, _open_reader

    if getattr(args, "action", None) is None:  # as `storyline feeds` says it
        raise UsageError("watchlist needs an action: add, list or remove (see `storyline watchlist --help`)")
    if args.action == "add":  # watchlists may come first: the first news then alerts as it arrives
        _make_store(args.db)
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
                        f"SELECT count(*) FROM alerts WHERE watchlist = ? AND {FIRED}",
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


def _make_store(db: str | None) -> None:
    """Create the store ``--db`` names if it is an SQLite file that is not there yet (as ``feeds add`` does)."""
    import os

    from ..store.open import open_store, sqlite_path
    from ..store.sqlite import default_path

    path = sqlite_path(db or default_path())
    if path is not None and not os.path.exists(path):
        open_store(db or default_path()).close()


def cmd_alerts(args: argparse.Namespace) -> int:
    from .render import iso, plural
    from ..alerts.rules import FIRED
    from ..alerts.delivery import MAX_ATTEMPTS, drain, requeue
    from .main import UsageError, _open_reader

    if args.wait is not None and not (args.deliver or args.retry):
        raise UsageError("--wait is for --deliver (or --retry): `storyline alerts --deliver --wait 60`")
    status = 0
    with _open_reader(args.db) as reader:
        db = reader.store.db
        if args.retry:
            revived = requeue(db)
            print(f"storyline: {plural(revived, 'delivery', 'deliveries')} given up before "
                  f"{'is' if revived == 1 else 'are'} due again", file=sys.stderr)
        if args.deliver or args.retry:
            report = drain(db, args.wait or 0.0)
            said = [f"{plural(report.delivered, 'delivery', 'deliveries')} made"]
            if report.pending:
                said.append(f"{report.pending:,} pending, tried again later")
            if report.given_up:
                said.append(f"{report.given_up:,} given up after {MAX_ATTEMPTS} attempts "
                            "(`storyline alerts --retry` tries them again)")
            print(f"storyline: {'; '.join(said)}", file=sys.stderr)
            if report.failed and not report.delivered:
                status = 1  # every delivery it tried failed: a script should know
        rows = db.execute(
            "SELECT a.id, w.name, a.story, a.condition, a.fired_at, a.payload, "
            "(SELECT count(*) FROM alert_deliveries d WHERE d.alert = a.id AND d.delivered_at IS NULL "
            f" AND d.attempts < {MAX_ATTEMPTS} AND d.target != 'log'), "
            "(SELECT count(*) FROM alert_deliveries d WHERE d.alert = a.id AND d.delivered_at IS NULL "
            f" AND d.attempts >= {MAX_ATTEMPTS} AND d.target != 'log'), "
            "(SELECT group_concat(d.last_error, '; ') FROM alert_deliveries d WHERE d.alert = a.id "
            " AND d.delivered_at IS NULL AND d.last_error IS NOT NULL) "
            "FROM alerts a LEFT JOIN watchlists w ON w.id = a.watchlist "
            f"WHERE a.{FIRED} ORDER BY a.id DESC LIMIT ?", (args.limit,)).fetchall()
    out = []
    for alert_id, name, story, condition, fired_at, payload, pending, given_up, error in rows:
        data = json.loads(payload)
        out.append({"id": alert_id, "watchlist": name or data.get("watchlist"), "story": story,
                    "condition": condition, "fired_at": fired_at, "headline": data.get("headline"),
                    "reason": data.get("reason"), "pending_deliveries": pending,
                    "given_up_deliveries": given_up, "last_error": error})
    if args.json:
        print(json.dumps([{**a, "fired_at": iso(a["fired_at"])} for a in out], ensure_ascii=False, indent=1))
        return status
    if not out:
        print("No alerts yet.")
    for a in out:
        when = datetime.fromtimestamp(a["fired_at"], timezone.utc).strftime("%Y-%m-%d %H:%M")
        states = [f"{plural(a[key], 'delivery', 'deliveries')} {word}"
                  for key, word in (("pending_deliveries", "pending"), ("given_up_deliveries", "given up"))
                  if a[key]]
        state = f"; {', '.join(states)}" + (f" ({a['last_error']})" if a["last_error"] else "") if states else ""
        print(f"#{a['id']} {when} [{a['watchlist']}] {a['condition']}: {a['headline']} (story {a['story']}; "
              f"{a['reason']}){state}")
    return status
