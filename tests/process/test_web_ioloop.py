"""The web app never makes Mopidy's other HTTP clients wait (issue 14, point 3).

A real Mopidy process. While our handlers wait on a database another program
keeps locked (our actor waits with them), Mopidy's own JSON-RPC
(`core.get_version`) still answers within 100 ms (nine calls in ten; none
waits anything like the hold-up). While a library lookup is stuck (a file that
never gives its data), Mopidy's core itself waits for the backend, its
JSON-RPC included, as it does for any client; what must not wait is the HTTP
server: Mopidy's own page of web clients (served by the same event loop,
without the core) still answers within 100 ms.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import sqlite3
import threading
import time

from ..support.audio_files import write_track
from ..support.mopidy_server import running_mopidy
from .ioloop import (
    CREDENTIALS,
    Slow,
    assert_never_held_up,
    call,
    page_latencies,
    rpc_latencies,
)


def test_a_stuck_library_lookup_does_not_hold_up_mopidys_http_server(tmp_path):
    music = tmp_path / "music"
    write_track(music / "real.ogg", title="Real")
    stuck = music / "stuck.ogg"
    os.mkfifo(stuck)  # the scanner waits for data that never comes
    extra = {"file": {"media_dirs": str(music), "metadata_timeout": 8000}}
    with running_mopidy(tmp_path, {**CREDENTIALS, "favorites_uri_schemes": "file"},
                        extra) as mopidy:  # fmt: skip
        api = f"http://127.0.0.1:{mopidy.http_port}/mtscrobble/api"
        slow = Slow(f"{api}/love", {"uri": stuck.as_uri()})
        wait_until_stuck(mopidy, stuck)
        try:
            took = page_latencies(mopidy, slow, samples=20)
        finally:
            release(stuck, slow)
        assert_never_held_up(took)
        assert slow.status == 404  # a file that is no track


def wait_until_stuck(mopidy, fifo) -> None:
    """Until a thread of Mopidy waits to open the file (it has no writer)."""
    tasks = pathlib.Path(f"/proc/{mopidy.process.pid}/task")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for wchan in tasks.glob("*/wchan"):
            with contextlib.suppress(OSError):
                if wchan.read_text() == "wait_for_partner":
                    return
        threading.Event().wait(0.05)
    raise AssertionError("Mopidy never waited on the file")


def release(fifo, slow: Slow) -> None:
    """Give every open of the file a writer that closes at once (EOF)."""
    while slow.is_alive():
        with contextlib.suppress(OSError):
            os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        slow.join(0.05)


def test_a_locked_database_does_not_hold_up_mopidys_json_rpc(tmp_path):
    music = tmp_path / "music"
    uri = write_track(music / "real.ogg", title="Real")
    extra = {"file": {"media_dirs": str(music), "metadata_timeout": 8000}}
    with running_mopidy(tmp_path, {**CREDENTIALS, "favorites_uri_schemes": "file"},
                        extra) as mopidy:  # fmt: skip
        mopidy.log.wait_for(r"Mopidy-MTScrobble started")
        api = f"http://127.0.0.1:{mopidy.http_port}/mtscrobble/api"
        assert call(f"{api}/love", {"uri": uri}) == 200
        holder = sqlite3.connect(
            tmp_path / "data" / "mtscrobble" / "mtscrobble.db",
            isolation_level=None,
            timeout=10,
        )
        holder.execute("BEGIN IMMEDIATE")  # another program writing, for long
        try:
            slow = Slow(f"{api}/unlove", {"uri": uri})
            status = Slow(f"{api}/status", None)  # waits for our actor too
            took = rpc_latencies(mopidy, slow, samples=5)
            slow.join(30)
            status.join(30)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert_never_held_up(took)
        assert (slow.status, status.status) == (503, 200)
