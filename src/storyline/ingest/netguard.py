"""Which URLs and addresses storyline may fetch from: the guard against server-side request forgery.

A feed list is input from anywhere (an OPML file from a stranger, a link inside a feed), so by default
storyline fetches only ``http``/``https`` URLs whose host resolves to public addresses. Loopback,
private, link-local (cloud metadata services live at 169.254.169.254), carrier-grade NAT, multicast,
reserved and unspecified addresses are refused, also when they hide inside an IPv6 address. The check
runs on every address a connection is actually made to (see :mod:`storyline.ingest.fetch`), so a
name that resolves to a public address once and a private one later cannot slip through.

This module only uses the standard library; it is cheap to import.

>>> blocked_reason("127.0.0.1"), blocked_reason("::ffff:10.1.2.3"), blocked_reason("93.184.215.14")
('a loopback address', 'a private address', None)
>>> check_url("file:///etc/passwd")
Traceback (most recent call last):
...
storyline.ingest.netguard.BlockedURL: file:///etc/passwd: only http and https URLs are fetched
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

ALLOW_PRIVATE_HINT = "use --allow-private (or allow_private in the [watch] config) to fetch from it"

_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_SHARED = ipaddress.ip_network("100.64.0.0/10")


class BlockedURL(ValueError):
    """A URL or address storyline refuses to fetch (unsafe scheme, or a non-public address)."""


def _embedded(addr: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address stands for (mapped, 6to4, Teredo, NAT64)."""
    out: list[ipaddress.IPv4Address] = []
    if addr.ipv4_mapped is not None:
        out.append(addr.ipv4_mapped)
    if addr.sixtofour is not None:
        out.append(addr.sixtofour)
    if addr.teredo is not None:
        out.extend(addr.teredo)
    if addr in _NAT64:
        out.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    return out


def blocked_reason(address: str) -> str | None:
    """Why an IP address must not be fetched from (``"a loopback address"``), or ``None`` if public.

    >>> blocked_reason("169.254.169.254"), blocked_reason("100.100.100.200"), blocked_reason("::1")
    ('a link-local address (cloud metadata services live there)', 'a carrier-grade NAT address', 'a loopback address')
    """
    try:
        addr: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    if isinstance(addr, ipaddress.IPv6Address):
        candidates.extend(_embedded(addr))  # first: they say where a connection really goes
    candidates.append(addr)
    for a in candidates:
        if a.is_loopback:
            return "a loopback address"
        if a.is_link_local:
            return "a link-local address (cloud metadata services live there)"
        if a.is_unspecified:
            return "an unspecified address"
        if a.is_multicast:
            return "a multicast address"
        if isinstance(a, ipaddress.IPv4Address) and a in _SHARED:
            return "a carrier-grade NAT address"
        if a.is_reserved:
            return "a reserved address"
        if a.is_private:
            return "a private address"
        if not a.is_global:
            return "a reserved address"
    return None


def check_address(host: str, address: str, allow_private: bool = False) -> None:
    """Raise :class:`BlockedURL` if ``address`` (what ``host`` resolved to) is not public."""
    if allow_private:
        return
    reason = blocked_reason(address)
    if reason is not None:
        shown = host if host == address else f"{host} ({address})"
        raise BlockedURL(f"refused {shown}: {reason}; {ALLOW_PRIVATE_HINT}")


def check_url(url: str, allow_private: bool = False) -> str:
    """The URL's host if the URL may be fetched: http(s) only, and not a literal non-public address.

    Names are checked again when they are resolved, at connection time.

    >>> check_url("https://news.example/feed.xml")
    'news.example'
    >>> check_url("http://[::1]:8080/feed")
    Traceback (most recent call last):
    ...
    storyline.ingest.netguard.BlockedURL: refused ::1: a loopback address; use --allow-private (or allow_private in the [watch] config) to fetch from it
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise BlockedURL(f"{url}: not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise BlockedURL(f"{url}: only http and https URLs are fetched")
    if not host:
        raise BlockedURL(f"{url}: no host name")
    if not allow_private:
        if host == "localhost" or host.endswith(".localhost"):
            raise BlockedURL(f"refused {host}: a loopback address; {ALLOW_PRIVATE_HINT}")
        try:
            ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            return host  # a name: checked when it is resolved
        check_address(host, host)
    return host
