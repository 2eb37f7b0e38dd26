"""Where a command's document goes: a file named by ``--out``/``-o``, or stdout."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def emit(text: str, path: str | None, keep: Sequence[str | None] = (), flag: str = "--out") -> bool:
    """Write ``text`` to ``path`` (``True``), or to stdout when no path (or ``-``) is given (``False``).

    A file that cannot be written, an SQLite database or a file of ``keep`` (the store read) is a
    one-line usage error, not a traceback or a lost store.
    """
    if not path or path == "-":
        sys.stdout.write(text)
        return False
    from .main import _check_writable

    _check_writable(path, flag, keep)
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        from .main import UsageError

        raise UsageError(f"{path}: cannot write ({exc.strerror})") from None
    return True
