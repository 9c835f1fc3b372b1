"""Real Mopidy, real GStreamer playback, SIGKILL right after a play qualified."""

from __future__ import annotations

import sqlite3

from ..support.audio_files import write_track
from ..support.mopidy_server import running_mopidy

SETTINGS = {
    "api_key": "k" * 32,
    "api_secret": "s" * 32,
    "scrobble_threshold": 50,
    "scrobble_cap": 1,  # qualifies after one second of real listening
}


def queued_rows(data_dir):
    db = sqlite3.connect(data_dir / "mtscrobble" / "mtscrobble.db")
    query = "SELECT artist, track, album, state, uri FROM scrobbles"
    rows = db.execute(query).fetchall()
    db.close()
    return rows


def test_play_that_qualified_survives_sigkill(tmp_path):
    music = tmp_path / "music"
    uri = write_track(music / "song.ogg", title="Survivor", seconds=31)
    extra = {"file": {"media_dirs": str(music), "metadata_timeout": 10_000}}
    with running_mopidy(tmp_path, SETTINGS, extra) as mopidy:
        mopidy.rpc("core.tracklist.add", uris=[uri])
        mopidy.rpc("core.playback.play")
        mopidy.log.wait_for(r"Queued scrobble #1: Test Artist - Survivor")
        mopidy.process.kill()
        mopidy.process.wait()
    with running_mopidy(tmp_path, SETTINGS, extra) as mopidy:
        mopidy.log.wait_for(r"Mopidy-MTScrobble started")
        assert mopidy.rpc("core.playback.get_state") == "stopped"
        assert "damaged" not in mopidy.log.text
        assert queued_rows(tmp_path / "data") == [
            ("Test Artist", "Survivor", "Test Album", "pending", uri)
        ]
