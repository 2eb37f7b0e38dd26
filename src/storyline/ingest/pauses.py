"""Reading a slow input on a thread, so that its reader can act while it waits.

An input that trickles (``producer | storyline ingest -``, a named pipe) would otherwise keep what has
been placed unwritten, and the store's writer turn taken, until the next record arrives, which may be
hours: other writers would wait, readers would not see the articles, and a kill would lose them.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


class Paused:
    """Yielded by :func:`with_pauses` when the input has brought nothing for a while."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "PAUSED"


PAUSED = Paused()


def with_pauses(items: Iterator[T], pause: float = 1.0, ahead: int = 256) -> Iterator[T | Paused]:
    """The items of ``items``, read on a thread, with :data:`PAUSED` after each ``pause`` seconds in
    which none came; an exception of ``items`` is raised here, after the items before it.

    >>> import time
    >>> def slow():
    ...     yield "a"
    ...     time.sleep(0.3)
    ...     yield "b"
    >>> out = list(with_pauses(slow(), pause=0.1))
    >>> [x for x in out if x is not PAUSED], PAUSED in out
    (['a', 'b'], True)
    """
    q: queue.Queue = queue.Queue(maxsize=ahead)  # bounded: a fast input waits for the engine
    stop = threading.Event()

    def read() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((_DONE, None))
        except BaseException as exc:  # noqa: BLE001 - handed to the reader, raised there
            q.put((_DONE, exc))

    # A daemon: a reader blocked on a pipe that never ends must not keep the process alive after ^C.
    thread = threading.Thread(target=read, name="storyline-input", daemon=True)
    thread.start()
    paused = False
    try:
        while True:
            try:
                item, error = q.get(timeout=pause)
            except queue.Empty:
                if not paused:  # once per pause: the reader acts once, then waits for input again
                    paused = True
                    yield PAUSED
                continue
            paused = False
            if item is _DONE:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
