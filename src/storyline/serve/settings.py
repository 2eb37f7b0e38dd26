"""What a server is started with."""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Settings:
    """Options of ``storyline serve``.

    ``token`` (default ``$STORYLINE_TOKEN``) guards every write; ``warm`` describes stories never
    described yet in a background pass, in batches of ``warm_batch`` with ``warm_pause`` seconds
    between batches, so entity pages and filters cover the whole store soon after start.

    >>> Settings("x.db").loopback, Settings("x.db", host="0.0.0.0").loopback
    (True, False)
    """

    db: str
    host: str = "127.0.0.1"
    port: int = 8080
    token: str | None = None
    warm: bool = True
    warm_batch: int = 200
    warm_pause: float = 0.05
    page_size: int = 20
    #: Follow the store's feeds in the background (``storyline serve --watch``).
    watch: bool = False
    #: Fetch from private and loopback addresses too (``--allow-private``).
    allow_private: bool = False

    @property
    def loopback(self) -> bool:
        """Whether the server listens on a loopback address only."""
        return is_loopback(self.host)


def is_loopback(host: str) -> bool:
    """``True`` for ``localhost`` and addresses in 127.0.0.0/8 or ``::1``.

    >>> is_loopback("localhost"), is_loopback("127.0.0.2"), is_loopback("::"), is_loopback("example.org")
    (True, True, False, False)
    """
    host = host.strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def token_from_env() -> str | None:
    """``$STORYLINE_TOKEN``, or ``None`` when it is unset or blank."""
    value = os.environ.get("STORYLINE_TOKEN", "").strip()
    return value or None
