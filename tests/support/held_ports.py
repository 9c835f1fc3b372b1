"""A stopped fake server's port, kept for its return.

A test that stops a fake server for an outage and starts it again on the same
port must keep that port meanwhile: a socket bound but not listening refuses
connections as a stopped server does, and neither another server (another
test, another xdist worker, port 0) nor a client's source port can take it.
Once, one did: the outage test's client met another fake's certificate.
"""

from __future__ import annotations

import socket
import threading
import weakref

_held: dict[int, socket.socket] = {}
_lock = threading.Lock()


def hold(port: int, owner: object) -> None:
    """Keep `port` until `release(port)`, or until `owner` is gone."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # The stopped server's connections may linger in TIME_WAIT on the port.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    with _lock:
        _close(_held.pop(port, None))
        _held[port] = sock
    weakref.finalize(owner, _forget, port, sock)


def release(port: int) -> None:
    """Let a server bind `port` again (nothing if it is not held)."""
    with _lock:
        _close(_held.pop(port, None))


def _forget(port: int, sock: socket.socket) -> None:
    with _lock:
        if _held.get(port) is sock:
            del _held[port]
    sock.close()


def _close(sock: socket.socket | None) -> None:
    if sock is not None:
        sock.close()
