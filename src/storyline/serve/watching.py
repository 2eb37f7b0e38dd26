"""``storyline serve --watch``: follow the store's feeds in the background of the web server.

The rounds run on their own thread and event loop, so fetching never holds up a page, and they add
articles through the server's single writer (:meth:`Writer.sink`), so a feed round and a
``POST /api/articles`` never run the engine at the same time.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from .settings import Settings
from .writer import Writer

if TYPE_CHECKING:
    from ..ingest.watch import RoundSummary

log = logging.getLogger("storyline.serve")


class FeedFollower:
    """Runs :meth:`storyline.ingest.watch.Watcher.run_forever` on a daemon thread until stopped."""

    def __init__(self, settings: Settings, writer: Writer, on_added: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self.writer = writer
        #: Called after a round stored new articles (the server checks watchlists then).
        self.on_added = on_added
        self.rounds = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="storyline-watch", daemon=True)
        self._thread.start()
        self._ready.wait(5)

    def _run(self) -> None:
        from ..ingest.feeds import FeedStore
        from ..ingest.watch import Watcher, WatchSettings
        from .db import open_store

        settings = WatchSettings.load()
        if self.settings.allow_private:
            settings = settings.with_overrides({"allow_private": True})
        store = open_store(self.settings.db)  # this thread's own connection for the feeds' state
        watcher = Watcher(self.writer.sink(), FeedStore(store.db), settings)

        def on_round(summary: RoundSummary) -> None:
            self.rounds += 1
            log.info("feeds: round %d: %d due, %d failed, %d articles added", self.rounds, summary.due,
                     summary.failed, summary.added)
            if summary.added and self.on_added is not None:
                self.on_added()  # the round's articles are committed: alerts are checked on their own thread

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            self._ready.set()
            try:
                await watcher.run_forever(on_round=on_round, stop=self._stop)
            except Exception:  # noqa: BLE001 - a broken round must not take the web server down
                log.exception("feeds: following stopped")

        try:
            asyncio.run(main())
        finally:
            self._ready.set()
            store.close()

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(10)
