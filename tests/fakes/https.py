"""What the fake servers share: HTTPS on 127.0.0.1 with a trustme CA, a thread
serving it, dropped connections, a CA kept across restarts, and a port kept
while stopped (an outage, then the server back where it was).
"""

from __future__ import annotations

import contextlib
import http.server
import pathlib
import socket
import ssl
import threading
from typing import Any

import trustme

from ..support import held_ports


class HttpsServer:
    """A threading HTTP server over TLS, its certificate issued by `ca`.

    `owner` is reachable from the handler as `self.server.fake`.
    """

    def __init__(
        self,
        handler: type[http.server.BaseHTTPRequestHandler],
        owner: Any,
        ca: trustme.CA,
    ) -> None:
        self._handler = handler
        self._owner = owner
        self.ca = ca
        self._cert = ca.issue_cert("127.0.0.1", "localhost")
        self._server: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopped_port: int | None = None  # kept while stopped

    @property
    def port(self) -> int:
        """The port it serves, or served (and keeps) while stopped."""
        if self._stopped_port is not None:
            return self._stopped_port
        assert self._server is not None, "not started"
        return self._server.server_address[1]

    def start(self, port: int = 0) -> None:
        if port:
            held_ports.release(port)
        self._stopped_port = None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", port), self._handler)
        server.daemon_threads = True
        server.fake = self._owner  # type: ignore[attr-defined]
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stopped: connections are refused, and the port stays ours until
        `start(port)` (see held_ports)."""
        if self._server is None:
            return
        port = self.port
        self._server.shutdown()
        self._server.server_close()
        self._server = None
        if self._thread is not None:
            self._thread.join()
        held_ports.hold(port, self)
        self._stopped_port = port

    def ca_file(self, path: Any) -> str:
        self.ca.cert_pem.write_to_path(str(path))
        return str(path)

    def client_context(self) -> ssl.SSLContext:
        """An SSL context for clients that trusts this server (and nothing else)."""
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.ca.configure_trust(context)
        return context


def drop(handler: http.server.BaseHTTPRequestHandler) -> None:
    """Close the handler's connection without an answer."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


def kept_ca(ca_file: str, ca_key: str | None) -> trustme.CA | None:
    """The CA of an earlier run, kept in these two files; None for a new one."""
    if ca_key and pathlib.Path(ca_key).exists():
        return trustme.CA.from_pem(
            pathlib.Path(ca_file).read_bytes(), pathlib.Path(ca_key).read_bytes()
        )
    return None
