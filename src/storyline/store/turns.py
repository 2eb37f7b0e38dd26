"""Turns for the writers of one store: processes (``storyline ingest`` while ``storyline serve`` runs),
and engines of one process.

Each article gets the next ``seq``, so two writers placing articles at once would both take the same
one. For an SQLite file, a writer holds a lock on a file beside the database (``NAME.db-writer``) while
it places articles; before it places one, the engine reads what others stored since (as on PostgreSQL,
with its advisory lock). A process that wants the lock first queues on a second byte of that file: the
holder sees the queue, writes what it has and lets go, and must queue itself to write again, so
writers take turns article by article instead of one starving the other.

POSIX record locks belong to a process, so engines inside one process cannot take turns through them
(and closing any descriptor of the file would drop the process's lock): they share one descriptor per
store and take turns in memory first (:class:`ProcessTurns`, which the PostgreSQL store uses too). An
engine on another thread waits for the holder to write at its next article; one on the holder's own
thread asks it to write what it has and let go (its ``on_wanted``), since waiting for itself would
never end. Where ``fcntl`` is missing (Windows) there are no file locks: one writing process at a time,
as the README says.
"""

from __future__ import annotations

import logging
import math
import os
import threading
import time
from collections.abc import Callable

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

from .errors import StoreError

_WRITE, _QUEUE = 0, 1  # the bytes locked: the writer's turn, and the queue for it
_POLL = 0.01
#: Seconds of waiting for another process's turn before saying so (once), so a wait never looks like a hang.
SAY_AFTER = 2.0
#: What a writer says once it has waited that long (its argument: the store).
WAITING = ("%s: waiting for another process writing to this store to let go (an ingest, a watch, a server, "
           "or a program holding an Engine it has not flushed or closed)")

log = logging.getLogger("storyline.store")


class _Shared:
    """What the writers of this process on one store share."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.holder: ProcessTurns | None = None
        self.holder_thread: int | None = None
        self.waiting = 0
        self.users = 0
        self.fd: int | None = None  # the SQLite lock file, opened once per process


_shared: dict[str, _Shared] = {}
_shared_guard = threading.Lock()


class ProcessTurns:
    """The writer's turn of one store among the writers of this process.

    ``key`` names the store (the same for every writer of it); ``name`` is said in errors.

    >>> a, b = ProcessTurns("doc-example", "news.db"), ProcessTurns("doc-example", "news.db")
    >>> a.on_wanted = lambda: a.give()
    >>> a.take(); b.take()  # b on a's thread: a writes what it has and lets go
    >>> a.held, b.held
    (False, True)
    >>> b.give(); _ = a.close(), b.close()
    """

    def __init__(self, key: str, name: str) -> None:
        self.key = key
        self.name = name
        self.held = False
        #: Called, on this writer's thread, when another writer of this thread wants the turn this one
        #: holds: it must write what it has and :meth:`give` the turn back. The engine sets its ``flush``.
        self.on_wanted: Callable[[], None] | None = None
        with _shared_guard:
            shared = _shared.get(key)
            if shared is None:
                shared = _shared[key] = _Shared()
            shared.users += 1
        self.shared: _Shared | None = shared

    def take(self, timeout: float = 600.0) -> None:
        """Become this process's writer of the store, after the writer that is."""
        shared = self._open()
        if self.held:
            return
        me = threading.get_ident()
        deadline = time.monotonic() + timeout
        with shared.cond:
            while shared.holder is not None:
                holder = shared.holder
                if shared.holder_thread == me:
                    if holder.on_wanted is None:
                        raise StoreError(f"{self.name}: another engine on this thread holds the writer's "
                                         "turn of this store; close it, or share one engine")
                    shared.cond.release()  # its write gives the turn back, which takes this lock
                    try:
                        holder.on_wanted()
                    finally:
                        shared.cond.acquire()
                    if shared.holder is holder:
                        raise StoreError(f"{self.name}: another engine on this thread would not let go of "
                                         "the writer's turn of this store")
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreError(f"{self.name}: another engine in this process has been writing to this "
                                     f"store for {timeout:.0f} s; share one engine between threads")
                shared.waiting += 1
                try:
                    shared.cond.wait(min(left, 1.0))
                finally:
                    shared.waiting -= 1
            shared.holder, shared.holder_thread = self, me
        self.held = True

    def give(self) -> None:
        """End this writer's turn."""
        shared = self.shared
        if self.held and shared is not None:
            with shared.cond:
                if shared.holder is self:
                    shared.holder = shared.holder_thread = None
                    shared.cond.notify_all()
        self.held = False

    def waiting(self) -> bool:
        """Whether another writer of this process waits for the turn."""
        return self.shared is not None and self.shared.waiting > 0

    def close(self) -> _Shared | None:
        """Give the turn back and leave; returns the shared state if this was its last writer."""
        self.give()
        self.on_wanted = None
        shared, self.shared = self.shared, None
        if shared is None:
            return None
        with _shared_guard:
            shared.users -= 1
            if shared.users:
                return None
            if _shared.get(self.key) is shared:
                del _shared[self.key]
        return shared

    def _open(self) -> _Shared:
        if self.shared is None:
            raise StoreError(f"{self.name}: this store is closed")
        return self.shared


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
        self.local = ProcessTurns("sqlite:" + os.path.realpath(db_path), db_path)

    @property
    def on_wanted(self) -> Callable[[], None] | None:
        """See :attr:`ProcessTurns.on_wanted`."""
        return self.local.on_wanted

    @on_wanted.setter
    def on_wanted(self, callback: Callable[[], None] | None) -> None:
        self.local.on_wanted = callback

    def _file(self) -> int | None:
        shared = self.local._open()
        if shared.fd is None and fcntl is not None:
            with _shared_guard:
                if shared.fd is None:
                    try:
                        shared.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                    except OSError as exc:
                        raise StoreError(f"{self.path}: cannot create the writer lock beside the database "
                                         f"({exc.strerror or exc})") from None
        return shared.fd

    def acquire(self) -> None:
        """Wait for the writer's turn (queueing behind a writer that waits already)."""
        if self.held:
            return
        fd = self._file()
        self.local.take(self.timeout)
        if fd is None or fcntl is None:
            self.held = True
            return
        deadline = time.monotonic() + self.timeout
        try:
            self._lock(fd, _QUEUE, deadline)
            try:
                self._lock(fd, _WRITE, deadline)
            finally:
                fcntl.lockf(fd, fcntl.LOCK_UN, 1, _QUEUE)
        except BaseException:
            self.local.give()
            raise
        self.held = True

    def _lock(self, fd: int, byte: int, deadline: float) -> None:
        assert fcntl is not None
        say_at = time.monotonic() + SAY_AFTER
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, byte)
                return
            except OSError:  # held by another process (EACCES or EAGAIN, by platform)
                now = time.monotonic()
                if now > say_at:
                    say_at = math.inf
                    log.warning(WAITING, self.local.name)
                if now > deadline:
                    raise StoreError(f"{self.path}: another storyline process has been writing to this "
                                     f"store for {self.timeout:.0f} s; try again when it has finished") from None
                time.sleep(_POLL)

    def contended(self) -> bool:
        """Whether another process, or another engine of this one, waits for the turn this one holds."""
        if not self.held:
            return False
        if self.local.waiting():
            return True
        fd = self.local.shared.fd if self.local.shared is not None else None
        if fcntl is None or fd is None:
            return False
        try:
            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, _QUEUE)
        except OSError:
            return True
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, _QUEUE)
        return False

    def release(self) -> None:
        """End this writer's turn."""
        if self.held:
            fd = self.local.shared.fd if self.local.shared is not None else None
            if fcntl is not None and fd is not None:
                fcntl.lockf(fd, fcntl.LOCK_UN, 1, _WRITE)
            self.local.give()
        self.held = False

    def close(self) -> None:
        """Release the turn, and the lock file once no engine of this process uses it (the file itself
        stays: another process may be queued on it)."""
        self.release()
        last = self.local.close()
        if last is not None and last.fd is not None:
            os.close(last.fd)  # only now: closing any descriptor drops every lock this process holds
            last.fd = None
