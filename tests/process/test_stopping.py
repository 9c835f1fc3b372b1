"""Mopidy with this extension stops within STOP_LIMIT_S of SIGTERM, whatever
the servers and the database are doing: a user's Ctrl-C or `systemctl stop`
never waits on us. (The harness times every stop in the tests too: one that
takes over STOP_DUMP_AFTER_S fails with every thread's stack.)"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import urllib.request

import pytest

from ..fakes.lastfm_process import LastfmProcess
from ..fakes.listenbrainz_process import ListenBrainzProcess
from ..support.mopidy_server import STOP_LIMIT_S, running_mopidy
from ..support.secret_scan import note_secret
from .harness import save_session, settings_for

TOKEN = "stop-test-listenbrainz-token-0001"
HANG_FOREVER = 1_000


@pytest.fixture
def lastfm(tmp_path):
    server = LastfmProcess(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def listenbrainz(tmp_path):
    server = ListenBrainzProcess(tmp_path, {"alice": TOKEN})
    yield server
    server.stop()


def wait_for_listenbrainz_request(server: ListenBrainzProcess) -> None:
    """The fake's state lives in its process: asked until a request arrived."""
    deadline = time.monotonic() + 60
    while not server.state()["requests"]:
        assert time.monotonic() < deadline, "no request reached ListenBrainz"
        time.sleep(0.1)


def test_stops_in_time_while_both_servers_hang_and_the_database_is_locked(
    tmp_path, lastfm, listenbrainz
):
    # Every answer hangs until the fakes stop: both deliveries sit in a call.
    lastfm.admin("fault", kind="hang", count=HANG_FOREVER)
    listenbrainz.admin("fault", kind="hang", count=HANG_FOREVER, seconds=None)
    lastfm.bundle.write_text(
        lastfm.bundle.read_text() + listenbrainz.ca_file.read_text()
    )
    save_session(tmp_path / "data", lastfm)
    settings = {
        **settings_for(lastfm),
        "listenbrainz": f"lb {TOKEN} {listenbrainz.base_url}",
    }
    env = {"SSL_CERT_FILE": str(lastfm.bundle)}
    with running_mopidy(tmp_path, settings, env=env) as mopidy:
        lastfm.wait_for_request("user.getLovedTracks")
        wait_for_listenbrainz_request(listenbrainz)
        # Another program takes the database, and a page asks for the status.
        holder = sqlite3.connect(
            tmp_path / "data" / "mtscrobble" / "mtscrobble.db", isolation_level=None
        )
        holder.execute("BEGIN EXCLUSIVE")
        asked = threading.Thread(
            target=ask_status, args=(mopidy.http_port,), daemon=True
        )
        asked.start()
        try:
            mopidy.stop()
        finally:
            holder.execute("ROLLBACK")
            holder.close()
    assert mopidy.process.returncode == 0, mopidy.log.text
    assert mopidy.stop_seconds < STOP_LIMIT_S, mopidy.log.text


def ask_status(port: int) -> None:
    url = f"http://127.0.0.1:{port}/mtscrobble/api/status"
    with contextlib.suppress(OSError):  # cut short by the stop
        urllib.request.urlopen(url, timeout=30).close()


def test_stops_in_time_when_the_database_was_locked_from_the_start(tmp_path):
    """Every part that opens the database at its start (the M3U mirror's actor
    waited 10 s for the lock in its on_start, and Mopidy's stop for it)."""
    data = tmp_path / "data" / "mtscrobble"
    data.mkdir(parents=True)
    holder = sqlite3.connect(data / "mtscrobble.db", isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("CREATE TABLE squatter (x)")
    credentials = {"api_key": "k" * 32, "api_secret": "S3CR3T-STOPPING"}
    note_secret(credentials["api_secret"])
    try:
        with running_mopidy(tmp_path, credentials) as mopidy:
            mopidy.log.wait_for(r"is locked by another program")
            mopidy.stop()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert mopidy.process.returncode == 0, mopidy.log.text
    assert mopidy.stop_seconds < STOP_LIMIT_S, mopidy.log.text
