"""The one error every store backend raises for a store it cannot open or use."""


class StoreError(RuntimeError):
    """The store cannot be opened or used (e.g. not a storyline database, a newer schema, no server)."""

