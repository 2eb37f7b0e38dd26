"""What every request handler shares: settings, store connections, the description cache, the writer."""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path

from ..store.open import open_store
from ..text.models import warm_models
from . import queries
from .alerting import Alerter
from .briefs import Briefs
from .cache import Descriptions
from .db import Readers, shown
from .priority import Foreground
from .storylines import Storylines
from .security import Csrf
from .settings import Settings
from .watching import FeedFollower
from .writer import Writer

log = logging.getLogger("storyline.serve")


class ServerState:
    """One per app. Opening it migrates the store's schema (as every storyline command does)."""

    def __init__(self, settings: Settings) -> None:
        from .. import __version__

        self.settings = settings
        self.version = __version__
        open_store(settings.db).close()  # refuse what is not a store; bring the schema up to date
        self.readers = Readers(settings.db)
        self.foreground = Foreground()
        #: Set once the language and embedding models are loaded (writes before then wait for them).
        self.models_ready = threading.Event()
        self.storylines = Storylines(settings.db)
        self.cache = Descriptions(settings.db, self.readers, warm_batch=settings.warm_batch,
                                  warm_pause=settings.warm_pause, foreground=self.foreground)
        self.writer = Writer(settings.db)
        self.briefs = Briefs(settings.db, self.writer.sync_search)
        #: Watchlists checked and webhooks sent after every write, on a thread of their own.
        self.alerts = Alerter(settings.db, self.writer)
        self.csrf = Csrf()
        self.store_key = _store_key(settings.db)
        self._thread: threading.Thread | None = None
        self._stats: queries.Stats | None = None
        self.watching: FeedFollower | None = None

    def stats(self) -> "queries.Stats":
        """The store's counts, recounted only when articles were added (pages show them)."""
        self._stats = queries.stats(self.readers.get(), self._stats)
        return self._stats

    def start(self) -> None:
        """Start the background work: the full-text index first, then the descriptions."""

        def run() -> None:
            try:
                self.storylines.refresh_now()  # the first story page should not wait for them
            except Exception:  # noqa: BLE001 - logged; pages compute them again
                log.exception("storylines: first pass failed")
            try:
                added = self.writer.sync_search()
                if added:
                    log.info("search index: %d articles added", added)
            except Exception:  # noqa: BLE001 - logged; search syncs again on its first use
                log.exception("search index: sync failed")
            # Loading the models takes seconds of CPU that pages would share: do it in a lull (or after
            # 30 s of constant traffic), so the first write does not wait for them either.
            self.foreground.wait_quiet(1.0, 30.0)
            try:
                warm_models()
            finally:
                self.models_ready.set()

        # The first page describes stories with these document frequencies: load them before serving.
        self.cache.vectorizer(self.readers.get())
        self.cache.start(self.settings.warm)
        self.alerts.start()
        if self.settings.watch:
            self.watching = FeedFollower(self.settings, self.writer, on_added=self.alerts.notify)
            self.watching.start()

        self._thread = threading.Thread(target=run, name="storyline-start", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop background work and close every connection."""
        if self.watching is not None:
            self.watching.stop()
        self.alerts.stop()
        if self._thread is not None:
            self._thread.join(10)
        self.cache.stop()
        self.writer.close()
        self.readers.close()


def _store_key(path: str) -> str:
    """A short stable name for a store (for feed ids): a hash of its absolute path, or of its URL
    without the password (which may change while the database stays the same)."""
    name = shown(path) if "://" in path else str(Path(path).resolve())
    return hashlib.blake2b(name.encode("utf-8"), digest_size=6).hexdigest()
