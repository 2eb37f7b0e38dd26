"""Progress on stderr for long work: a live line on a terminal, a periodic line in logs."""

from __future__ import annotations

import sys
import time


class Progress:
    """Reports ``done`` counts: on a TTY at most 10 times a second, elsewhere every ``every`` seconds.

    Silent for work that ends before the first report is due, so short runs in scripts stay quiet.
    """

    def __init__(self, label: str, every: float = 10.0, stream=None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.every = 0.1 if self.tty else every
        self.start = time.monotonic()
        self.next = self.start + (1.0 if self.tty else every)
        self.shown = False

    def update(self, done: int, total: int | None = None) -> None:
        now = time.monotonic()
        if now < self.next:
            return
        self.next = now + self.every
        rate = done / max(now - self.start, 1e-9)
        of = f"/{total:,}" if total else ""
        line = f"{self.label}: {done:,}{of} articles ({rate:,.0f}/s)"
        if self.tty:
            self.stream.write("\r" + line + "\033[K")
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()
