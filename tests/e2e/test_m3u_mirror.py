"""End to end: our playlists as M3U playlists (`m3u_mirror`), edited by an
MPD client through Mopidy's real M3U backend: a track added to the loved
mirror is loved at Last.fm, one removed is unloved.

mpc 0.34 has no `playlistadd`/`playlistdelete`: those go over MPD's protocol
as any client sends them (`mopidy_mpd.mpd`).
"""

from __future__ import annotations

from .mopidy_mpd import mpc, mpd, start

MIRROR = "Loved on Last.fm (synced)"


def test_mpd_edits_of_the_loved_m3u_mirror_love_and_unlove(tmp_path, lastfm, song):
    folder, uri = song
    context, port = start(tmp_path, lastfm, folder)
    with context as mopidy:
        mopidy.log.wait_for(r"Loved tracks: 0 in your library, 0 not found")
        mopidy.log.wait_for(r"Our playlists are mirrored as M3U playlists")
        listed = mpc(port, "lsplaylists").splitlines()
        assert MIRROR in listed
        assert "Most played on Last.fm (synced)" in listed

        assert mpd(port, "playlistadd", MIRROR, uri) == "OK"
        request = lastfm.wait_for_request("track.love")
        assert (request["params"]["artist"], request["params"]["track"]) == (
            "Test Artist",
            "Real Song",
        )
        assert mpc(port, "playlist", "Loved on Last.fm").splitlines() == [
            "Test Artist - Real Song"
        ]

        assert mpd(port, "playlistdelete", MIRROR, "0") == "OK"
        request = lastfm.wait_for_request("track.unlove")
        assert request["params"]["track"] == "Real Song"
        assert mpc(port, "playlist", "Loved on Last.fm").splitlines() == []
        assert mpc(port, "playlist", MIRROR).splitlines() == []
