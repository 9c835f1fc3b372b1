"""Private mode with a real Mopidy process: the commands change it while
Mopidy runs, and the API never holds up Mopidy's event loop."""

from __future__ import annotations

import sqlite3

from ..support.audio_files import write_track
from ..support.mopidy_server import run_mopidy_command, running_mopidy
from .ioloop import CREDENTIALS, Slow, assert_never_held_up, rpc_latencies

# A play qualifies after 2 s heard.
QUICK = {**CREDENTIALS, "scrobble_threshold": 50, "scrobble_cap": 2}


def play(mopidy, uri) -> None:
    mopidy.rpc("core.tracklist.clear")
    mopidy.rpc("core.tracklist.add", uris=[uri])
    mopidy.rpc("core.playback.play")


def test_pause_from_the_command_line_keeps_out_the_next_play(tmp_path):
    music = tmp_path / "music"
    uri = write_track(music / "song.ogg", artist="Singer", title="Song")
    extra = {"file": {"media_dirs": str(music), "metadata_timeout": 8000}}
    with running_mopidy(tmp_path, QUICK, extra) as mopidy:
        mopidy.log.wait_for(r"Mopidy-MTScrobble started")
        paused = run_mopidy_command(tmp_path, QUICK, "mtscrobble", "pause", "forever")
        assert "not scrobbling until resumed" in paused.stdout, paused.stderr
        play(mopidy, uri)
        mopidy.log.wait_for(
            r"Private mode: not scrobbling Singer - Song \(until resumed\)"
        )
        run_mopidy_command(tmp_path, QUICK, "mtscrobble", "resume")
        play(mopidy, uri)
        mopidy.log.wait_for(r"Queued scrobble #\d+: Singer - Song")


def test_a_locked_database_answers_503_without_holding_up_json_rpc(tmp_path):
    with running_mopidy(tmp_path, CREDENTIALS) as mopidy:
        mopidy.log.wait_for(r"Mopidy-MTScrobble started")
        api = f"http://127.0.0.1:{mopidy.http_port}/mtscrobble/api"
        holder = sqlite3.connect(
            tmp_path / "data" / "mtscrobble" / "mtscrobble.db",
            isolation_level=None,
            timeout=10,
        )
        holder.execute("BEGIN IMMEDIATE")  # another program writing, for long
        try:
            slow = Slow(f"{api}/private", {"pause": "1h"})
            # One call must overlap the 3 s the request waits for the lock;
            # more are taken while it waits (a count of them would race load).
            took = rpc_latencies(mopidy, slow, samples=1)
            slow.join(30)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert_never_held_up(took)
        assert slow.status == 503
