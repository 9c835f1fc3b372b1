"""A real Mopidy, real playback, the fake Last.fm server in its own process."""

from __future__ import annotations

import sqlite3
import time

import pytest

from ..support.audio_files import write_track
from ..support.mopidy_server import running_mopidy
from . import harness
from .harness import save_session, settings_for

# The fixture: the fake Last.fm in a process of its own.
lastfm_process = harness.lastfm_process


def rows(data_dir):
    db = sqlite3.connect(data_dir / "mtscrobble" / "mtscrobble.db")
    result = db.execute("SELECT track, state FROM scrobbles ORDER BY id").fetchall()
    db.close()
    return result


@pytest.fixture
def music(tmp_path):
    folder = tmp_path / "music"
    uri = write_track(folder / "song.ogg", title="Delivered Song", seconds=31)
    return folder, uri


def test_a_play_is_announced_scrobbled_once_with_its_start_time(
    tmp_path, lastfm_process, music
):
    folder, uri = music
    save_session(tmp_path / "data", lastfm_process)
    extra = {"file": {"media_dirs": str(folder), "metadata_timeout": 10_000}}
    env = {"SSL_CERT_FILE": str(lastfm_process.bundle)}
    with running_mopidy(tmp_path, settings_for(lastfm_process), extra, env) as mopidy:
        mopidy.rpc("core.tracklist.add", uris=[uri])
        before = int(time.time())
        mopidy.rpc("core.playback.play")
        mopidy.log.wait_for(r"Sent 1 scrobbles to .*: 1 accepted, 0 ignored")
        after = int(time.time())
    state = lastfm_process.state()
    [scrobble] = state["scrobbles"]
    assert scrobble["artist"] == "Test Artist"
    assert scrobble["track"] == "Delivered Song"
    assert scrobble["album"] == "Test Album"
    assert scrobble["duration"] == "31"
    assert before - 1 <= int(scrobble["timestamp"]) <= after
    assert [n["track"] for n in state["now_playing"]] == ["Delivered Song"]
    assert rows(tmp_path / "data") == [("Delivered Song", "sent")]


def test_sigkill_while_a_flush_hangs_then_restart_delivers_exactly_once(
    tmp_path, lastfm_process, music
):
    folder, uri = music
    save_session(tmp_path / "data", lastfm_process)
    # The server applies the scrobble, then its answer hangs (and is lost).
    lastfm_process.admin("fault", kind="lost", method="track.scrobble", seconds=60)
    extra = {"file": {"media_dirs": str(folder), "metadata_timeout": 10_000}}
    env = {"SSL_CERT_FILE": str(lastfm_process.bundle)}
    settings = settings_for(lastfm_process)
    with running_mopidy(tmp_path, settings, extra, env) as mopidy:
        mopidy.rpc("core.tracklist.add", uris=[uri])
        mopidy.rpc("core.playback.play")
        lastfm_process.wait_for_request("track.scrobble")
        mopidy.process.kill()
        mopidy.process.wait()
    assert rows(tmp_path / "data") == [("Delivered Song", "in_flight")]
    with running_mopidy(tmp_path, settings, extra, env) as mopidy:
        mopidy.log.wait_for(r"1 had landed, 0 will be sent")
    assert rows(tmp_path / "data") == [("Delivered Song", "sent")]
    state = lastfm_process.state()
    assert len(state["scrobbles"]) == 1
    assert len([r for r in state["requests"] if r["method"] == "track.scrobble"]) == 1
