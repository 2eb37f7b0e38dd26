"""Where a command's document goes: a file named by ``--out``/``-o``, or stdout."""

from __future__ import annotations

import sys


def emit(text: str, path: str | None) -> bool:
    """Write ``text`` to ``path`` (``True``), or to stdout when no path is given (``False``).

    A file that cannot be written is a one-line usage error, not a traceback.
    """
    if not path:
        sys.stdout.write(text)
        return False
    try:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)
    except OSError as exc:
        from .main import UsageError

        raise UsageError(f"{path}: cannot write ({exc.strerror})") from None
    return True
