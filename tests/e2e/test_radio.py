"""End to end: a real Mopidy plays a real internet radio stream (MP3 over HTTP
with ICY titles, tests/fakes/radio_station.py) whose connection stalls.

While it stalls, Mopidy pauses GStreamer to buffer and still says "playing":
only the playback position tells that nothing is heard.
"""

from __future__ import annotations

import re
import sqlite3

from ..fakes.radio_station import RadioStation, Stall
from ..support.audio_files import write_mp3
from .mopidy_mpd import mpc, start

# Title A has 25 s of audio, and the connection stalls 13 s after 10 s of it
# (less than the 15 s after which GStreamer gives the connection up). With
# what was buffered, playback stands still for about 7 s: A lasts about 32 s
# of wall-clock time but is heard for 25 s, short of the 30 s a title needs.
TITLE_B_AT_S = 25
STALL = Stall(at_audio_s=10, seconds=13)
NEEDED_S = 30
# A title's play begins and ends when Mopidy has passed its tag on, close to
# where its audio is played: heard time may be a little off, less under load,
# but never the stall's 7 s more.
TAG_EARLY_S = 5
TAG_LATE_S = 1.5


def test_a_stalled_radio_title_counts_only_what_played(tmp_path, lastfm):
    audio = write_mp3(tmp_path / "tone.mp3", seconds=10)
    station = RadioStation(
        audio,
        titles=[(0, "Artist A - Song A"), (TITLE_B_AT_S, "Artist B - Song B")],
        stalls=(STALL,),
    )
    (tmp_path / "music").mkdir()
    context, port = start(
        tmp_path, lastfm, tmp_path / "music", radio_min_seconds=NEEDED_S
    )
    try:
        with context as mopidy:
            mpc(port, "add", station.url)
            mpc(port, "play")
            line = mopidy.log.wait_for(
                r"Not scrobbling Artist A - Song A .*: heard [0-9.]+ s of the "
                r"30.0 s needed",
                timeout=90,
            )
            heard = float(re.search(r"heard ([0-9.]+) s", line).group(1))
            assert TITLE_B_AT_S - TAG_EARLY_S <= heard <= TITLE_B_AT_S + TAG_LATE_S
            # The next title, heard for 30 s, is scrobbled: heard time moves.
            mopidy.log.wait_for(r"Sent 1 scrobbles to .*: 1 accepted", timeout=90)
            mpc(port, "stop")
    finally:
        station.stop()
    scrobbles = lastfm.state()["scrobbles"]
    assert [(s["artist"], s["track"]) for s in scrobbles] == [("Artist B", "Song B")]
    database = sqlite3.connect(tmp_path / "data" / "mtscrobble" / "mtscrobble.db")
    rows = database.execute("SELECT track, chosen_by_user FROM scrobbles").fetchall()
    database.close()
    assert rows == [("Song B", 0)]  # the station chose it, not the listener
