"""Run the app with uvicorn: one process, one store, bound to 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import errno
import logging
import socket
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


class ListenError(OSError):
    """The server cannot listen where it was asked to (the address is taken, or not this machine's)."""


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port``, for :func:`run`: bound before anything is said or loaded, so
    that a port in use or a wrong ``--host`` is one line, not "serving at ..." followed by uvicorn's log.

    >>> s = listen("127.0.0.1", 0); s.getsockname()[0]
    '127.0.0.1'
    >>> try:
    ...     listen("127.0.0.1", s.getsockname()[1])
    ... except ListenError as exc:
    ...     print(str(exc).split(": ", 1)[1])
    another program (another storyline serve?) has that port; choose one with --port
    >>> s.close()
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM,
                                                             flags=socket.AI_PASSIVE)[0]
    except (socket.gaierror, UnicodeError) as exc:
        raise ListenError(f"cannot serve at {host!r}: {getattr(exc, 'strerror', None) or exc} "
                          "(--host takes an address or name of this machine, such as 127.0.0.1 or 0.0.0.0)") from None
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        shown_host = f"[{host}]" if ":" in host else host
        where = f"cannot listen on {shown_host}:{port} ({(exc.strerror or str(exc)).lower()})"
        if exc.errno == errno.EADDRINUSE:
            raise ListenError(f"{where}: another program (another storyline serve?) has that port; "
                              "choose one with --port") from None
        if exc.errno == errno.EACCES:
            raise ListenError(f"{where}: ports below 1024 need privileges; choose one with --port") from None
        raise ListenError(f"{where}: is --host an address of this machine?") from None
    sock.listen(2048)  # held from now on: a second server asking for the port is refused, not queued
    sock.set_inheritable(True)
    return sock


def run(settings: Settings, log_level: str = "warning", sock: socket.socket | None = None) -> None:
    """Serve until interrupted (on ``sock`` from :func:`listen`, else on a socket bound here)."""
    import uvicorn

    from .app import create_app

    if not logging.getLogger("storyline").handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("storyline: %(levelname)s %(message)s"))
        logging.getLogger("storyline").addHandler(handler)
        logging.getLogger("storyline").setLevel(logging.INFO)
    for warning in warnings_for(settings):
        print(f"storyline: warning: {warning}", file=sys.stderr)
    sock = sock or listen(settings.host, settings.port)
    app = create_app(settings)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    port = sock.getsockname()[1]  # the port bound: --port 0 asks the system for a free one
    print(f"storyline: serving {shown(settings.db)} at http://{host}:{port}/ "
          f"(API docs at /api/docs; Ctrl-C to stop)", file=sys.stderr, flush=True)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_level=log_level, access_log=False,
                            server_header=False, date_header=False, lifespan="on")  # Guard dates each answer
    uvicorn.Server(config).run(sockets=[sock])
