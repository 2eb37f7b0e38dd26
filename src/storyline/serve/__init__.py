"""The web page, JSON API and Atom feeds of a storyline store (``storyline serve``).

Modules, one job each:

* :mod:`.settings` -- what a server is started with (store, address, token);
* :mod:`.db` -- per-thread read connections to the store and the reader's clock;
* :mod:`.cache` -- story descriptions cached in ``story_cache``/``story_entities``, filled lazily and
  by a background pass;
* :mod:`.queries` -- the read models every page and API answer is built from;
* :mod:`.explain` -- "why here": an article's placement scores in words;
* :mod:`.charts` -- inline SVG sparklines and timelines;
* :mod:`.writer` -- ``POST /api/articles`` and the add form, through one engine under a lock;
* :mod:`.security` -- tokens, CSRF, safe links, headers;
* :mod:`.feeds` -- Atom feeds;
* :mod:`.briefs` -- ``/brief`` and ``/api/brief``: the CLI's brief, read-only, kept until the store changes;
* :mod:`.watchlists` -- read models of the watchlist pages, feeds and API;
* :mod:`.alerting` -- watchlists checked and webhooks sent after every write, on their own thread;
* :mod:`.readstore` -- the store interface over a read-only connection (briefs read through it);
* :mod:`.api`, :mod:`.pages`, :mod:`.app` -- the HTTP routes and their assembly;
* :mod:`.server` -- running it with uvicorn.

FastAPI, Starlette, uvicorn and Jinja2 are imported only by the modules that serve HTTP, so the rest
of storyline never pays for them.
"""
