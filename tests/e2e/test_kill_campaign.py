"""The fault campaign with a real Mopidy killed (SIGKILL) at random moments.

Real playback through Mopidy's file backend and GStreamer, the fake Last.fm
server in a process of its own answering 30 % of the requests with a fault,
and `kill -9` of Mopidy at random moments of random plays. Afterwards the
server heals and Mopidy starts once more: every play that qualified (each row
of the queue) is at the server exactly once or rejected with a reason, and the
server has nothing that was not queued. `make chaos` runs more seeds
(MTSCROBBLE_KILL_SEEDS).
"""

from __future__ import annotations

import collections
import os
import random
import signal
import sqlite3
import threading
import time

import pytest

from ..support.audio_files import write_track
from ..support.mopidy_server import MopidyServer
from .mopidy_mpd import start

SEEDS = range(1, 1 + int(os.environ.get("MTSCROBBLE_KILL_SEEDS", "1")))
PLAYS = int(os.environ.get("MTSCROBBLE_KILL_PLAYS", "12"))
KILL_CHANCE = 0.3
SETTLE_TIMEOUT_S = 90


def wait(seconds: float) -> None:
    """Real-time playback: listening takes the time it takes."""
    threading.Event().wait(seconds)


def queue_rows(tmp_path):
    path = tmp_path / "data" / "mtscrobble" / "mtscrobble.db"
    if not path.exists():
        return []
    db = sqlite3.connect(path, timeout=10)
    rows = db.execute("SELECT id, track, state, last_error FROM scrobbles").fetchall()
    db.close()
    return rows


def restart(mopidy: MopidyServer) -> MopidyServer:
    again = MopidyServer(mopidy.config_path, mopidy.http_port, mopidy.env)
    again.wait_until_serving()
    return again


def kill(mopidy: MopidyServer) -> None:
    mopidy.process.send_signal(signal.SIGKILL)
    mopidy.process.wait(20)


@pytest.mark.parametrize("seed", SEEDS)
def test_kill_9_at_random_moments_loses_nothing_and_sends_nothing_twice(
    tmp_path, lastfm, seed
):
    rng = random.Random(seed)
    folder = tmp_path / "music"
    uris = [
        write_track(folder / f"{n}.ogg", title=f"Kill {seed}-{n}", seconds=31)
        for n in range(PLAYS)
    ]
    lastfm.admin("chaos", rate=0.3, seed=seed)
    # Qualifies after one second of listening. A refused session (a fault the
    # server makes too) is renewed with the password. The fake lists a
    # scrobble at once: a lost answer's scrobble is sent again 2 s after, not
    # 30 minutes.
    context, _ = start(
        tmp_path, lastfm, folder, scrobble_threshold=50, scrobble_cap=1,
        username="alice", password="pw", lost_answer_wait=2,
    )  # fmt: skip
    with context as first:
        mopidy, kills = first, 0
        for uri in uris:
            mopidy.rpc("core.tracklist.clear")
            mopidy.rpc("core.tracklist.add", uris=[uri])
            mopidy.rpc("core.playback.play")
            wait(rng.uniform(0.2, 2.5))
            if rng.random() < KILL_CHANCE:
                kill(mopidy)
                kills += 1
                mopidy = restart(mopidy)
            else:
                mopidy.rpc("core.playback.stop")
        kill(mopidy)
        lastfm.admin("chaos", rate=0)
        mopidy = restart(mopidy)  # a start sends what waits, at once
        try:
            deadline = time.monotonic() + SETTLE_TIMEOUT_S
            while any(r[2] in ("pending", "in_flight") for r in queue_rows(tmp_path)):
                assert time.monotonic() < deadline, queue_rows(tmp_path)
                wait(0.5)
        finally:
            mopidy.stop()
    rows = queue_rows(tmp_path)
    at_server = collections.Counter(s["track"] for s in lastfm.state()["scrobbles"])
    assert kills >= 1 or PLAYS < 5
    assert rows, "no play qualified"
    queued = collections.Counter(r[1] for r in rows)
    assert max(queued.values()) == 1  # each play queued once
    for _, track, state, error in rows:
        if state == "sent":
            assert at_server[track] == 1, (track, at_server[track])
        else:
            assert (state, at_server[track]) == ("rejected", 0)
            assert error
    assert set(at_server) <= set(queued)  # nothing the queue does not know
