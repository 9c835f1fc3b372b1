"""A cheap check that the network is back: a TCP connection, no API call."""

from __future__ import annotations

import socket
import urllib.parse

PROBE_TIMEOUT_S = 5.0


def probe_target(server: str, proxy: str | None) -> tuple[str, int]:
    """Where a connection would go first: the proxy if one is set, else the server.

    `server` is "host" or "host:port" (HTTPS, 443 by default).
    """
    if proxy:
        parts = urllib.parse.urlsplit(proxy)
        default = (
            443 if parts.scheme == "https" else 1080 if "socks" in parts.scheme else 80
        )
        try:
            port = parts.port or default
        except ValueError:
            port = default
        return parts.hostname or "", port
    parts = urllib.parse.urlsplit(f"//{server}")
    try:
        port = parts.port or 443
    except ValueError:
        port = 443
    return parts.hostname or server, port


def tcp_probe(target: tuple[str, int], timeout_s: float = PROBE_TIMEOUT_S) -> bool:
    """True if a TCP connection to `target` can be made now."""
    try:
        with socket.create_connection(target, timeout=timeout_s):
            return True
    except (OSError, ValueError, UnicodeError):
        return False
