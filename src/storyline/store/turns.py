"""Turns for processes that write one SQLite store (``storyline ingest`` while ``storyline serve`` runs).

Each article gets the next ``seq``, so two processes placing articles at once would both take the same
one. A writer holds a lock on a file beside the database (``NAME.db-writer``) while it places articles;
before it places one, the engine reads what others stored since (as on PostgreSQL, with its advisory
lock). A process that wants the lock first queues on a second byte of that file: the holder sees the
queue, writes what it has and lets go, and must queue itself to write again, so writers take turns
article by article instead of one starving the other.

POSIX record locks belong to a process, so engines inside one process do not exclude each other
(threads of one process share one engine under their own lock: ``storyline serve``). Where ``fcntl``
is missing (Windows) there are no turns: one writing process at a time, as the README says.
"""

from __future__ import annotations

import os
import time

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from .errors import StoreError

_WRITE, _QUEUE = 0, 1  # the bytes locked: the writer's turn, and the queue for it
_POLL = 0.01


class WriterTurns:
    """The writer lock of one SQLite file, with a queue so that writers alternate.

    >>> import tempfile, os
    >>> turns = WriterTurns(os.path.join(tempfile.mkdtemp(), "news.db"))
    >>> turns.acquire(); turns.held, turns.contended()
    (True, False)
    >>> turns.release(); turns.held
    False
    """

    def __init__(self, db_path: str, timeout: float = 600.0) -> None:
        self.path = db_path + "-writer"
        self.timeout = timeout
        self.held = False
        self._fd: int | None = None

    def _file(self) -> int:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise StoreError(f"{self.path}: cannot create the writer lock beside the database "
                                 f"({exc.strerror or exc})") from None
        return self._fd

    def acquire(self) -> None:
        """Wait for the writer's turn (queueing behind a writer that waits already)."""
        if self.held or fcntl is None:
            self.held = True
            return
        fd = self._file()
        deadline = time.monotonic() + self.timeout
        self._lock(fd, _QUEUE, deadline)
        try:
            self._lock(fd, _WRITE, deadline)
        finally:
            fcntl.lockf(fd, fcntl.LOCK_UN, 1, _QUEUE)
        self.held = True

    def _lock(self, fd: int, byte: int, deadline: float) -> None:
        assert fcntl is not None
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, byte)
                return
            except OSError:  # held by another process (EACCES or EAGAIN, by platform)
                if time.monotonic() > deadline:
                    raise StoreError(f"{self.path}: another storyline process has been writing to this "
                                     f"store for {self.timeout:.0f} s; try again when it has finished") from None
                time.sleep(_POLL)

    def contended(self) -> bool:
        """Whether another process waits for the turn this one holds."""
        if not self.held or fcntl is None or self._fd is None:
            return False
        try:
            fcntl.lockf(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _QUEUE)
        except OSError:
            return True
        fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, _QUEUE)
        return False

    def release(self) -> None:
        """End this writer's turn."""
        if self.held and fcntl is not None and self._fd is not None:
            fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, _WRITE)
        self.held = False

    def close(self) -> None:
        """Release the turn and the file (the file itself stays: another process may be queued on it)."""
        self.release()
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
