"""End to end: a real Mopidy with Mopidy-MPD, driven by the real `mpc`, real-time
GStreamer playback into a synchronized fakesink, and the fake Last.fm server in
a process of its own.
"""

from __future__ import annotations

import sqlite3
import time

from ..fakes.lastfm_process import LastfmProcess
from .mopidy_mpd import (
    SESSION_KEY,
    TRACK_SECONDS,
    listen,
    mpc,
    play_only,
    start,
    wait_until_stopped,
)


def rows(tmp_path):
    db = sqlite3.connect(tmp_path / "data" / "mtscrobble" / "mtscrobble.db")
    found = db.execute("SELECT track, state, timestamp FROM scrobbles").fetchall()
    db.close()
    return found


def test_a_full_play_is_announced_and_scrobbled_once_with_its_tags(
    tmp_path, lastfm, song
):
    folder, uri = song
    context, port = start(tmp_path, lastfm, folder)
    with context as mopidy:
        started = time.time()
        play_only(port, uri)
        mopidy.log.wait_for(r"Sent 1 scrobbles to .*: 1 accepted")
        wait_until_stopped(port)  # the whole track, to its end
        state = lastfm.state()
        # The accepted play counts, and its track heads the most played at once.
        assert mpc(port, "playlist", "Most played on Last.fm").splitlines() == [
            "Test Artist - Real Song"
        ]
    [scrobble] = state["scrobbles"]
    assert (scrobble["artist"], scrobble["track"], scrobble["album"]) == (
        "Test Artist", "Real Song", "Test Album",
    )  # fmt: skip
    assert scrobble["duration"] == str(TRACK_SECONDS)
    assert abs(int(scrobble["timestamp"]) - started) <= 2
    assert [n["track"] for n in state["now_playing"]] == ["Real Song"]
    assert [r[:2] for r in rows(tmp_path)] == [("Real Song", "sent")]


def test_a_skip_before_the_threshold_is_not_scrobbled(tmp_path, lastfm, song):
    folder, uri = song
    context, port = start(tmp_path, lastfm, folder)
    with context as mopidy:
        play_only(port, uri)
        listen(3)
        mpc(port, "stop")
        mopidy.log.wait_for(r"Not scrobbling Test Artist - Real Song .*: heard")
    assert rows(tmp_path) == []
    assert lastfm.state()["scrobbles"] == []


def test_paused_time_does_not_count(tmp_path, lastfm, song):
    folder, uri = song
    # Needs 15.5 s heard; it gets 5 + 5 s heard around 12 s of pause.
    context, port = start(
        tmp_path, lastfm, folder, scrobble_threshold=50, scrobble_cap=0
    )
    with context as mopidy:
        play_only(port, uri)
        listen(5)
        mpc(port, "pause")
        listen(12)
        mpc(port, "play")
        listen(5)
        mpc(port, "stop")
        line = mopidy.log.wait_for(r"Not scrobbling Test Artist - Real Song .*: heard")
    heard = float(line.split("heard ")[1].split(" s")[0])
    assert 9 <= heard <= 11.5
    assert rows(tmp_path) == []


def test_plays_while_the_server_is_down_are_sent_when_it_is_back(
    tmp_path, lastfm, song
):
    folder, uri = song
    port_of_server = lastfm.port
    lastfm.stop()  # down: connections are refused
    context, port = start(
        tmp_path, lastfm, folder, scrobble_threshold=50, scrobble_cap=1
    )
    with context as mopidy:
        play_only(port, uri)
        mopidy.log.wait_for(r"Queued scrobble #1")
        mopidy.log.wait_for(r"Delivery attempt 1 failed \(Cannot reach")
        back = LastfmProcess(
            tmp_path, port=port_of_server, sessions={"alice": SESSION_KEY}
        )
        try:
            mopidy.log.wait_for(r"Sent 1 scrobbles to .*: 1 accepted")
            assert [s["track"] for s in back.state()["scrobbles"]] == ["Real Song"]
        finally:
            back.stop()
    assert [r[:2] for r in rows(tmp_path)] == [("Real Song", "sent")]
