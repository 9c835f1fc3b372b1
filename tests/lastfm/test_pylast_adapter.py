"""The private parts of pylast that `lastfm.adapter` relies on.

pylast has no public way to make a signed call and keep its whole answer, so
the adapter uses `_Network` and `_Request`. If a pylast release changes them,
these tests fail first, naming what changed; then the adapter (one file) must
follow, and setup.cfg's tested range with it.
"""

from __future__ import annotations

import inspect
import ssl

import pylast

from mopidy_mtscrobble.lastfm.adapter import Network, Transport

NETWORK_ARGUMENTS = {
    "name", "homepage", "ws_server", "api_key", "api_secret", "session_key",
    "username", "password_hash", "domain_names", "urls", "proxy",
}  # fmt: skip


def test_network_takes_the_arguments_we_give_it():
    parameters = inspect.signature(pylast._Network.__init__).parameters
    assert set(parameters) >= NETWORK_ARGUMENTS, set(parameters)


def test_request_is_built_signed_and_executed_as_we_do():
    assert list(inspect.signature(pylast._Request.__init__).parameters)[:4] == [
        "self", "network", "method_name", "params",
    ]  # fmt: skip
    assert callable(pylast._Request.sign_it)
    assert "cacheable" in inspect.signature(pylast._Request.execute).parameters


def test_what_the_transport_builds_on_is_there():
    assert isinstance(pylast.SSL_CONTEXT, ssl.SSLContext)
    assert hasattr(pylast.httpx, "BaseTransport")
    assert hasattr(pylast.httpx, "HTTPTransport")
    error = pylast.NetworkError(None, OSError("down"))
    assert isinstance(error.underlying_error, OSError)


def test_a_proxy_mount_carries_the_requests(lastfm):
    transport = Transport(None)
    network = Network(
        "fake", "https://example", (f"127.0.0.1:{lastfm.port}", "/2.0/"),
        lastfm.api_key, lastfm.api_secret, None, transport,
    )  # fmt: skip
    network.send(network.request("auth.getToken", {}, sign=True))
    answer = transport.answer()
    transport.shut()
    assert answer is not None
    assert answer.status == 200
    assert b"<token>" in answer.body
    [request] = lastfm.requests_for("auth.getToken")
    assert request.outcome == "ok"  # signed as the server checks it
