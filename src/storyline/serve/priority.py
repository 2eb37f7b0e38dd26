"""Requests before background work: the description pass steps aside while a request is answered.

Python threads share one interpreter lock, so a background thread describing stories halves the speed
of a page computed meanwhile. The pass checks :meth:`Foreground.wait_idle` between stories and
waits (briefly: it must still progress under constant traffic) while any request is in flight.

>>> fg = Foreground()
>>> fg.enter(); fg.busy
1
>>> fg.wait_idle(0.01)
False
>>> fg.leave(); fg.wait_idle(0.01)
True
>>> fg.wait_quiet(0.01, 1.0)
True
"""

from __future__ import annotations

import threading
import time
from typing import Any


class Foreground:
    """Counts requests in flight; background work waits for none to be left."""

    def __init__(self) -> None:
        self.busy = 0
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._last = time.monotonic()

    def enter(self) -> None:
        """A request started."""
        with self._lock:
            self.busy += 1
            self._idle.clear()
            self._last = time.monotonic()

    def leave(self) -> None:
        """A request ended."""
        with self._lock:
            self.busy -= 1
            self._last = time.monotonic()
            if self.busy <= 0:
                self.busy = 0
                self._idle.set()

    def wait_quiet(self, quiet: float, limit: float) -> bool:
        """Wait until no request has been in flight for ``quiet`` seconds (at most ``limit`` seconds);
        ``True`` if that lull came."""
        deadline = time.monotonic() + limit
        while True:
            now = time.monotonic()
            with self._lock:
                calm = self.busy == 0 and now - self._last >= quiet
                wait = quiet - (now - self._last) if self.busy == 0 else 0.05
            if calm:
                return True
            if now >= deadline:
                return False
            time.sleep(min(max(wait, 0.01), max(deadline - now, 0.01)))

    def wait_idle(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for no request to be in flight; ``True`` when idle."""
        return self._idle.wait(timeout)


class Tracked:
    """ASGI middleware that tells a :class:`Foreground` when each HTTP request starts and ends."""

    def __init__(self, app: Any, foreground: Foreground) -> None:
        self.app = app
        self.foreground = foreground

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.foreground.enter()
        try:
            await self.app(scope, receive, send)
        finally:
            self.foreground.leave()
