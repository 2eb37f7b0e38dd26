"""Reading text that should be UTF-8 but may not be: undecodable bytes become U+FFFD, and are counted.

A file saved as Latin-1 or Windows-1252 by mistake still has good lines; reading it strictly would
lose them all for a few accented letters. The ``storyline-replace`` error handler replaces each
undecodable byte as Python's ``replace`` does, and counts the bytes (per thread), so the reader can say
in one warning which file was not UTF-8 (:func:`not_utf8`).

>>> before = replaced_bytes()
>>> b"caf\\xe9 ok".decode("utf-8", errors=REPLACE)
'caf\\ufffd ok'
>>> replaced_bytes() - before
1
"""

from __future__ import annotations

import codecs
import threading

#: The name of the error handler to pass as ``errors=`` when decoding.
REPLACE = "storyline-replace"

_counts = threading.local()


def _replace_and_count(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    _counts.bytes = getattr(_counts, "bytes", 0) + (exc.end - exc.start)
    return "\ufffd", exc.end  # as the built-in "replace" does


codecs.register_error(REPLACE, _replace_and_count)


def replaced_bytes() -> int:
    """Undecodable bytes replaced so far in this thread (compare before and after reading)."""
    return getattr(_counts, "bytes", 0)


def not_utf8(name: str, replaced: int, encoding: str = "UTF-8") -> str:
    """The warning for a file that was read with ``replaced`` undecodable bytes replaced."""
    plural = "byte was" if replaced == 1 else "bytes were"
    return (f"{name}: not valid {encoding} text: {replaced:,} undecodable {plural} replaced with U+FFFD "
            f"(save the file as UTF-8 to keep its characters)")
