"""A big save of "Loved on Last.fm" never holds up Mopidy (issue 26, item 7).

A real Mopidy process with a library of 500 files. A client replaces the
loved playlist with all of them (500 loves: a library lookup and a write
each); the save answers at once, and while the loves are made on our own
thread, Mopidy's own JSON-RPC (`core.get_version`) answers as it does when
idle: nine calls in ten within 100 ms, none held up. Before, the save ran on
our backend's actor while Mopidy's core waited for it, and every client with
it, for seconds.
"""

from __future__ import annotations

import threading

from mopidy_mtscrobble.backend import PLAYLIST_URI

from ..support.audio_files import write_many
from ..support.mopidy_server import running_mopidy
from .ioloop import CREDENTIALS, assert_never_held_up, rpc_latencies

TRACKS = 500


class SaveAndApply(threading.Thread):
    """A client's save of the playlist, then the wait until Mopidy's log says
    it was applied (the loves made)."""

    def __init__(self, mopidy, playlist) -> None:
        super().__init__(daemon=True)
        self.mopidy, self.playlist, self.saved = mopidy, playlist, None
        self.start()

    def run(self) -> None:
        self.saved = self.mopidy.rpc("core.playlists.save", playlist=self.playlist)
        self.mopidy.log.wait_for(
            rf"Saved the loved tracks' playlist: {TRACKS} loved, 0 unloved",
            timeout=120,
        )


def test_a_500_track_save_of_the_loved_playlist_never_holds_up_mopidy(tmp_path):
    uris = write_many(tmp_path / "music", TRACKS)
    # A file is scanned at each lookup: under load, more than Mopidy's 1 s.
    extra = {
        "file": {"media_dirs": str(tmp_path / "music"), "metadata_timeout": 10_000}
    }
    settings = {**CREDENTIALS, "favorites_uri_schemes": "file"}
    with running_mopidy(tmp_path, settings, extra) as mopidy:
        playlist = mopidy.rpc("core.playlists.lookup", uri=PLAYLIST_URI)
        assert not playlist.get("tracks")
        tracks = [{"__model__": "Track", "uri": uri} for uri in uris]
        save = SaveAndApply(mopidy, {**playlist, "tracks": tracks})
        took = rpc_latencies(mopidy, save, samples=10)
        save.join()
        assert_never_held_up(took)
        assert len(save.saved["tracks"]) == TRACKS  # answered as saved
        loved = mopidy.rpc("core.playlists.lookup", uri=PLAYLIST_URI)
        assert sorted(t["uri"] for t in loved["tracks"]) == sorted(uris)
