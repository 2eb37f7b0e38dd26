"""Run the app with uvicorn: one process, one store, bound to 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import logging
import sys

from .db import shown
from .settings import Settings

log = logging.getLogger("storyline.serve")


def warnings_for(settings: Settings) -> list[str]:
    """What a user should know before the server starts.

    >>> warnings_for(Settings("x.db", host="0.0.0.0"))[0].startswith("serving on 0.0.0.0, which is not a loopback")
    True
    >>> warnings_for(Settings("x.db"))
    []
    """
    if settings.loopback or settings.token is not None:
        return []
    return [f"serving on {settings.host}, which is not a loopback address, without a token: anyone who can "
            "reach it can add articles. Set STORYLINE_TOKEN to require one for writes."]


def run(settings: Settings, log_level: str = "warning") -> None:
    """Serve until interrupted."""
    import uvicorn

    from .app import create_app

    if not logging.getLogger("storyline").handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("storyline: %(levelname)s %(message)s"))
        logging.getLogger("storyline").addHandler(handler)
        logging.getLogger("storyline").setLevel(logging.INFO)
    for warning in warnings_for(settings):
        print(f"storyline: warning: {warning}", file=sys.stderr)
    app = create_app(settings)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    print(f"storyline: serving {shown(settings.db)} at http://{host}:{settings.port}/ "
          f"(API docs at /api/docs; Ctrl-C to stop)", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=log_level, access_log=False,
                            server_header=False, lifespan="on")
    uvicorn.Server(config).run()
