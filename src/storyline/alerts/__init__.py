"""Watchlists and alerts: follow a query or a name, and be told when a story matches or bursts.

``watchlists`` keeps what is followed, ``rules`` decides which alerts fire (once per watchlist, story
and condition, remembered in the store), ``delivery`` sends them (log, webhook, command) from a queue
drained after each ingest, retried with back-off. ``hook.after_ingest`` is the one call ingest and
watch make.
"""
