"""``storyline serve``: the web page, JSON API and Atom feeds of a store.

Only the standard library is imported here; FastAPI and uvicorn load when the command runs, so other
commands start as fast as before.
"""

from __future__ import annotations

import argparse
import os


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve a store (``--demo``: load the built-in demo news first, then serve it)."""
    from ..store.open import is_postgres_url, sqlite_path
    from ..store.sqlite import default_path
    from .main import UsageError

    from ..serve.server import ListenError, listen

    try:  # first: a port in use is said before the demo is loaded or anything is served
        sock = listen(args.host, args.port)
    except ListenError as exc:
        raise UsageError(str(exc)) from None
    db = args.db
    if args.demo:
        from .main import cmd_demo

        db = db or "storyline-demo.db"
        cmd_demo(argparse.Namespace(db=db, limit=3))
    db = db or default_path()
    path = sqlite_path(db)  # an empty sqlite:/// is refused here
    if is_postgres_url(db):
        pass  # the server is asked when the store opens (a dead one is one line there)
    elif path is None:
        raise UsageError(f"{db}: serve works on an SQLite file or a postgresql:// URL")
    else:
        db = path
    if path is not None and not os.path.exists(path):
        raise UsageError(f"{db}: no such store; run `storyline ingest FILE` or `storyline serve --demo` first")
    try:
        from ..serve.server import run
    except ImportError as exc:
        raise UsageError(f"the web server needs FastAPI, uvicorn and Jinja2 ({exc}); "
                         "reinstall storyline with `pip install .`") from None
    from ..serve.settings import Settings, token_from_env

    settings = Settings(db=db, host=args.host, port=args.port, token=token_from_env(), warm=not args.no_warm,
                        watch=args.watch, allow_private=args.allow_private)
    run(settings, sock=sock)
    return 0
