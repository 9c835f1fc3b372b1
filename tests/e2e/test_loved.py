"""End to end: loved tracks from the fake Last.fm become a playlist MPD clients see."""

from __future__ import annotations

import json
import urllib.request

from ..support.audio_files import write_track
from .mopidy_mpd import mpc, start, wait_for_player

PLAYLIST = "Loved on Last.fm"


def love(http_port: int, uri: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{http_port}/mtscrobble/api/love",
        data=json.dumps({"uri": uri}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.load(answer)


def test_loved_tracks_are_a_playlist_mpd_clients_list_load_and_play(
    tmp_path, lastfm, song
):
    folder, _ = song
    other = write_track(folder / "other.ogg", title="Other Song", number=2)
    lastfm.admin(
        "loved",
        user="alice",
        tracks=[
            ["Test Artist", "Real Song (2011 Remaster)", 1_700_000_000],
            ["Nobody", "Not In This Library", 1_699_999_000],
        ],
    )
    context, port = start(tmp_path, lastfm, folder)
    with context as mopidy:
        mopidy.log.wait_for(r"Loved tracks: 1 in your library, 1 not found")
        assert PLAYLIST in mpc(port, "lsplaylists").splitlines()
        assert mpc(port, "playlist", PLAYLIST).splitlines() == [
            "Test Artist - Real Song"
        ]
        mpc(port, "clear")
        mpc(port, "load", PLAYLIST)
        assert mpc(port, "playlist").splitlines() == ["Test Artist - Real Song"]
        mpc(port, "play")
        wait_for_player(port, playing=True)
        mpc(port, "stop")

        answer = love(mopidy.http_port, other)
        assert (answer["loved"], answer["track"]) == (True, "Other Song")
        # Shown at once, newest love first; sent to the server too.
        assert mpc(port, "playlist", PLAYLIST).splitlines() == [
            "Test Artist - Other Song",
            "Test Artist - Real Song",
        ]
        request = lastfm.wait_for_request("track.love")
        assert request["params"]["track"] == "Other Song"
        lists = mopidy.rpc("core.playlists.as_list")
        assert {"__model__": "Ref", "type": "playlist", "name": PLAYLIST,
                "uri": "mtscrobble:playlist:loved"} in lists  # fmt: skip
