"""End to end: MPD clients love and unlove by editing the loved playlist.

`mpc save` overwrites a stored playlist with the tracklist (MPD `save`);
mpc 0.34 has no `playlistadd`/`playlistdelete` (newer ones call them
`addplaylist`/`delplaylist`), so those two go over MPD's protocol as any
client sends them.
"""

from __future__ import annotations

import subprocess

import pytest

from .mopidy_mpd import mpc, mpd, start

PLAYLIST = "Loved on Last.fm"


def test_mpd_playlistadd_loves_and_playlistdelete_unloves(tmp_path, lastfm, song):
    folder, uri = song
    broken = folder / "broken.ogg"
    broken.write_bytes(b"not a sound file")  # Mopidy knows only its file name
    context, port = start(tmp_path, lastfm, folder)
    with context as mopidy:
        mopidy.log.wait_for(r"Loved tracks: 0 in your library, 0 not found")

        # The save answers at once; the love is made on our own thread.
        assert mpd(port, "playlistadd", PLAYLIST, uri) == "OK"
        request = lastfm.wait_for_request("track.love")
        assert (request["params"]["artist"], request["params"]["track"]) == (
            "Test Artist",
            "Real Song",
        )
        assert mpc(port, "playlist", PLAYLIST).splitlines() == [
            "Test Artist - Real Song"
        ]

        # Found nameless when looked up, after the save answered: not applied.
        assert mpd(port, "playlistadd", PLAYLIST, broken.as_uri()) == "OK"
        mopidy.log.wait_for(r"broken\.ogg has no artist or title")
        assert mpc(port, "playlist", PLAYLIST).splitlines() == [
            "Test Artist - Real Song"
        ]
        # A stream is refused by the save itself.
        refused = mpd(port, "playlistadd", PLAYLIST, "http://radio.example/live")
        assert refused.startswith("ACK")

        assert mpd(port, "playlistdelete", PLAYLIST, "0") == "OK"
        request = lastfm.wait_for_request("track.unlove")
        assert request["params"]["track"] == "Real Song"
        assert mpc(port, "playlist", PLAYLIST).splitlines() == []

        assert mpd(port, "playlistadd", "Most played on Last.fm", uri).startswith("ACK")
        mopidy.log.wait_for(r"'Most played on Last.fm' was not changed")


def test_mpc_save_over_the_loved_playlist_loves_the_tracklist(tmp_path, lastfm, song):
    folder, uri = song
    context, port = start(tmp_path, lastfm, folder)
    with context as mopidy:
        mopidy.log.wait_for(r"Loved tracks: 0 in your library, 0 not found")
        mpc(port, "clear")
        mpc(port, "add", uri)
        mpc(port, "save", PLAYLIST)
        assert lastfm.wait_for_request("track.love")["params"]["track"] == "Real Song"
        assert mpc(port, "playlist", PLAYLIST).splitlines() == [
            "Test Artist - Real Song"
        ]
        with pytest.raises(subprocess.CalledProcessError):
            mpc(port, "save", "Most played on Last.fm")
