"""`make run` on a fresh machine: the demo against the local test server, the
whole loop (loved tracks as a playlist, a play queued, sent and shown as
scrobbled), and the real network as soon as there is an API account."""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from ..support.audio_files import SCRIPT as DEMO_MUSIC_SCRIPT
from ..support.mopidy_server import (
    DEBUG_ENV,
    START_TIMEOUT_SECONDS,
    UNWRAPPED_LOGS,
    LogWatcher,
    free_port,
    rpc,
    stop_in_time,
)
from ..support.secret_scan import note_secret
from .mopidy_mpd import mpc, wait_for_player

REPO = DEMO_MUSIC_SCRIPT.parent.parent
RUN_SCRIPT = REPO / "scripts" / "run_mopidy.py"


class MakeRun:
    """scripts/run_mopidy.py (what `make run` runs), on test ports and folders."""

    def __init__(self, tmp_path) -> None:
        self.local, self.music = tmp_path / "local", tmp_path / "music"
        if not self.music.exists():
            subprocess.run(
                [sys.executable, str(DEMO_MUSIC_SCRIPT), str(self.music)],
                check=True, capture_output=True, timeout=120,
            )  # fmt: skip
        self.http_port, self.mpd_port = free_port(), free_port()
        self.process = subprocess.Popen(
            [sys.executable, str(RUN_SCRIPT), "--local", str(self.local),
             "--music", str(self.music), "--",
             "-o", f"http/port={self.http_port}", "-o", f"mpd/port={self.mpd_port}",
             "-o", "audio/output=fakesink sync=true",
             "-o", "mtscrobble/scrobble_threshold=50",
             "-o", "loglevels/mopidy_mtscrobble=info"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, **UNWRAPPED_LOGS, **DEBUG_ENV},
            start_new_session=True,  # SIGABRT reaches Mopidy under the wrapper
        )  # fmt: skip
        self.log = LogWatcher(self.process.stdout)

    def api(self, path: str) -> dict:
        url = f"http://127.0.0.1:{self.http_port}/mtscrobble/api/{path}"
        with urllib.request.urlopen(url, timeout=10) as answer:
            return json.load(answer)

    def stop(self) -> int:
        """As `kill PID` of make run's process: Mopidy stops, then the demo server.

        Only once Mopidy serves: Mopidy itself (3.4 and 4.0) never exits when
        stopped in the first milliseconds, before its HTTP server thread has
        made its event loop (HttpServer.stop finds no io_loop, and that thread
        runs on). Seen here under load, 5 ms after Mopidy's start."""
        if self.process.poll() is None:
            wait_until_answering(self.http_port)
        stop_in_time(self.process, self.log, group=True)
        return self.process.returncode


def wait_until_answering(port: int, timeout_s: float = START_TIMEOUT_SECONDS) -> None:
    """Until Mopidy answers JSON-RPC (its port may not be bound yet; make run's
    Mopidy 4 does not log it at its default verbosity)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            assert rpc(port, "core.get_version")
            return
        except OSError:
            assert time.monotonic() < deadline, "Mopidy never answered JSON-RPC"
            time.sleep(0.1)


@pytest.fixture
def make_run(tmp_path):
    runs = []

    def start() -> MakeRun:
        runs.append(MakeRun(tmp_path))
        return runs[-1]

    yield start
    for run in runs:
        run.stop()


def refused(url: str) -> bool:
    parts = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((parts.hostname, parts.port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def test_without_an_api_account_the_demo_shows_the_whole_loop(make_run):
    run = make_run()
    line = run.log.wait_for(r"^Demo mode: ")
    assert "nothing is sent to Last.fm" in line
    assert f"put [mtscrobble] api_key and api_secret in {run.local}/secrets.conf" in (
        line
    )
    server = re.search(r"test server at (https://127\.0\.0\.1:\d+/2\.0/)", line)[1]
    run.log.wait_for(rf"Mopidy-MTScrobble started: scrobbling to {re.escape(server)}")
    run.log.wait_for(r"Loved tracks: 3 in your library, 1 not found")
    assert "Loved on Last.fm" in mpc(run.mpd_port, "lsplaylists")
    loved = mpc(run.mpd_port, "playlist", "Loved on Last.fm").splitlines()
    assert loved == [
        "The Demo Band - Sunrise", "The Demo Band - Sunset",
        "Björk & Friends - Radio Song",
    ]  # fmt: skip
    mpc(run.mpd_port, "clear")
    mpc(run.mpd_port, "load", "Loved on Last.fm")
    mpc(run.mpd_port, "play", "3")
    run.log.wait_for(r"Queued scrobble #\d+: Björk & Friends - Radio Song")
    run.log.wait_for(r"Sent 1 scrobbles to .*: 1 accepted")
    (recent,) = run.api("recent")["scrobbles"]
    assert (recent["track"], recent["state"]) == ("Radio Song", "scrobbled")
    mpc(run.mpd_port, "stop")
    wait_for_player(run.mpd_port, playing=False)
    demo = run.local / "demo"
    for private in (demo / "demo.conf", demo / "data/mtscrobble/session.json"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    note_secret(re.search(r"api_secret = (\S+)", (demo / "demo.conf").read_text())[1])
    note_secret(json.loads((demo / "data/mtscrobble/session.json").read_text())["key"])
    assert run.stop() == 0, run.log.text
    assert refused(server)  # the demo server stopped with Mopidy
    assert "Traceback" not in run.log.text


def test_with_an_api_account_it_talks_to_the_real_network(make_run, tmp_path):
    secrets = tmp_path / "local" / "secrets.conf"
    secrets.parent.mkdir()
    secrets.write_text(f"[mtscrobble]\napi_key = {'k' * 32}\napi_secret = S3CR3T0\n")
    note_secret("S3CR3T0")
    run = make_run()
    run.log.wait_for(r"Mopidy-MTScrobble started: scrobbling to Last\.fm")
    assert "Demo mode" not in run.log.text
    assert not (run.local / "demo").exists()
    assert stat.S_IMODE(secrets.stat().st_mode) == 0o600
    assert run.stop() == 0, run.log.text
