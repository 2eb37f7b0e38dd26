"""Alerts from the web server: watchlists checked after every write, webhooks sent in the background.

``POST /api/articles``, the add form and each ``serve --watch`` round call :meth:`Alerter.notify` after
their articles are committed, and return at once. One daemon thread then does what
:func:`storyline.alerts.hook.after_ingest` does for the CLI: it fires the alerts that are due (each
once per watchlist, story and condition: the ``alerts`` table's key, so nothing repeats after a
restart) and delivers the queue with :mod:`storyline.alerts.delivery`, retrying failures with its
back-off. A slow or dead webhook therefore never holds up a request or an ingest; only this thread
waits for it. At start the thread also catches up on anything written while no server ran.
"""

from __future__ import annotations

import logging
import threading
import time

from ..alerts.delivery import deliver_due, next_due
from ..alerts.rules import evaluate
from ..stories.vocabulary import stored_vectorizer
from .db import Connection, log_failure, run_connected, unavailable
from .writer import Writer

log = logging.getLogger("storyline.serve")

#: Look at the queue at least this often (retries fall due while no article arrives).
IDLE = 60.0
#: Seconds to wait before trying an unreachable database server again.
RETRY = 5.0


class Alerter:
    """The server's alert thread: ``start``, ``notify`` after each write, ``stop`` at shutdown."""

    def __init__(self, path: str, writer: Writer) -> None:
        self.path = path
        self.writer = writer
        #: Alerts fired and deliveries made by this server (for ``/api/stats`` and tests).
        self.fired = 0
        self.delivered = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._wake.set()  # catch up at once: articles may have arrived while no server ran
        self._thread = threading.Thread(target=self._run, name="storyline-alerts", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """Articles were committed: check the watchlists and deliver, soon, on the alert thread."""
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        # A database server that goes away pauses the thread: the alerts due meanwhile are fired
        # once it is back (their mark is in the store).
        run_connected(self.path, self._stop, log, "alerts", self._loop, RETRY)

    def _loop(self, conn: Connection) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            # Also when only the clock woke us: a check with nothing new costs one query per watchlist,
            # and it catches articles another process (``storyline ingest``) wrote meanwhile.
            if self._has_watchlists(conn):
                self._check()
            if self._stop.is_set():
                break
            self._deliver(conn)
            due = next_due(conn)
            pause = IDLE if due is None else min(IDLE, max(0.0, due - time.time()))
            self._wake.wait(pause)

    @staticmethod
    def _has_watchlists(conn: Connection) -> bool:
        return conn.execute("SELECT 1 FROM watchlists LIMIT 1").fetchone() is not None

    def _check(self) -> None:
        """Fire the alerts due after the latest writes (on the writer's search connection, whose lock
        keeps the full-text index syncs of pages and of this check from overlapping)."""
        try:
            fired = self.writer.with_search_store(lambda store: evaluate(store, stored_vectorizer(store).common))
        except Exception as exc:  # noqa: BLE001 - logged; the next write checks again from the same mark
            log_failure(log, "alerts: checking watchlists failed", exc)
            return
        self.fired += len(fired)  # each is reported by its ``log`` delivery, like the CLI's

    def _deliver(self, conn: Connection) -> None:
        """Send what is due; failures are rescheduled with back-off by :func:`deliver_due`."""
        try:
            report = deliver_due(conn, log=lambda line: log.info("%s", line))
        except Exception as exc:  # noqa: BLE001 - logged; the queue is in the store and is tried again
            if unavailable(exc):
                raise  # this connection is gone: _run says so and opens another
            log_failure(log, "alerts: delivering failed", exc)
            return
        self.delivered += report.delivered
