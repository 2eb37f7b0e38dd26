"""The one call ``ingest`` and each ``watch`` round make after their articles are committed.

The web server does the same on a thread of its own (:mod:`storyline.serve.alerting`), so a request
never waits for a webhook.
"""

from __future__ import annotations

import sys


def after_ingest(engine, quiet: bool = False) -> int:
    """Evaluate watchlists, then try the due deliveries once; returns how many alerts fired.

    Never raises: alerts must not fail an ingest whose articles are already stored. Problems are
    reported on stderr; undelivered alerts stay queued for the next run (or ``storyline alerts --deliver``).
    """
    db = getattr(engine.store, "db", None)
    if db is None:
        return 0
    try:
        if db.execute("SELECT 1 FROM watchlists LIMIT 1").fetchone() is None:
            return 0
        from .delivery import PASS_BUDGET, deliver_due
        from .rules import evaluate

        fired = evaluate(engine.store, engine.vectorizer.common)
        deliver_due(db, log=(lambda line: None) if quiet else None, budget=PASS_BUDGET)
        return len(fired)
    except Exception as exc:  # noqa: BLE001 - reported, never fatal to the ingest
        print(f"storyline: alerts: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 0
