"""Ports for the servers a test starts: never the same one twice, in this
process or while another test process that was given it lives (Mopidy's HTTP
and MPD servers were once given the same port, and MPD could not bind it)."""

from __future__ import annotations

import os
import subprocess
import sys

from ..support import mopidy_server
from ..support.mopidy_server import free_port


def test_a_process_is_never_given_the_same_port_twice():
    given = [free_port() for _ in range(300)]
    assert len(set(given)) == len(given)
    for port in given[:3]:
        assert (mopidy_server.CLAIMS / str(port)).read_text() == str(os.getpid())


def test_a_port_given_to_a_live_process_is_not_given_again(monkeypatch):
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        port = free_port()
        (mopidy_server.CLAIMS / str(port)).write_text(str(other.pid))
        monkeypatch.setattr(mopidy_server, "_given", set())  # as another process
        assert not mopidy_server._claim(port)
    finally:
        other.kill()
        other.wait()
    # Its claim outlives it: the port may be given again.
    assert mopidy_server._claim(port)
