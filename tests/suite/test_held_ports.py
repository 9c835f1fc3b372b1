"""A fake server stopped for an outage keeps its port for its return: nobody
else can take it meanwhile (once, another fake did, and the outage test's
client met that fake's certificate), and a connection is refused as by a
server that is down."""

from __future__ import annotations

import errno
import gc
import socket

import pytest

from ..fakes.lastfm import FakeLastfm
from ..fakes.lastfm_process import LastfmProcess


def refused(port: int) -> bool:
    with socket.socket() as client:
        try:
            client.connect(("127.0.0.1", port))
        except ConnectionRefusedError:
            return True
    return False


def taken(port: int) -> bool:
    """Whether a server of another test could bind the port now."""
    with socket.socket() as other:
        try:
            other.bind(("127.0.0.1", port))
        except OSError as exc:
            return exc.errno == errno.EADDRINUSE
    return False


@pytest.fixture
def in_process():
    server = FakeLastfm().start()
    yield server
    server.stop()


def test_a_stopped_fake_refuses_connections_and_keeps_its_port(in_process):
    port = in_process.port
    in_process.stop()
    assert in_process.port == port
    assert refused(port)
    assert taken(port)
    in_process.start(port)  # back where it was
    assert in_process.port == port
    assert not refused(port)


def test_a_stopped_fake_process_keeps_its_port_for_the_next_one(tmp_path):
    first = LastfmProcess(tmp_path)
    first.stop()
    assert refused(first.port)
    assert taken(first.port)
    back = LastfmProcess(tmp_path, port=first.port)
    try:
        assert back.port == first.port
        assert back.state()["scrobbles"] == []
    finally:
        back.stop()


def test_a_port_is_let_go_with_the_fake_that_kept_it():
    server = FakeLastfm().start()
    port = server.port
    server.stop()
    del server
    gc.collect()  # the fake and its server refer to each other
    assert not taken(port)
