"""The one error every store backend raises for a store it cannot open or use."""


class StoreError(RuntimeError):
    """The store cannot be opened or used (e.g. not a storyline database, a newer schema, no server)."""


class NeedsSQLite(StoreError, AttributeError):
    """A feature that still runs raw SQLite SQL (web app, feeds, briefs, watchlists) was asked of another
    backend. Also an AttributeError, so ``getattr(store, "db", None)`` reads as "no SQLite connection"."""
