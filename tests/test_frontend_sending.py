"""What gets sent, through a real Mopidy core: a play is stored as heard and
queued, and announced as now playing, with the names its steps give it."""

from __future__ import annotations

import logging

from .support.builders import model_track
from .support.frontend_harness import harness, rows  # noqa: F401 - the real-core harness

REMASTERED = model_track(
    uri="dummy:remastered",
    name="Song - 2011 Remaster",
    artists=("Zoe", "Adam"),
    album="Album (Deluxe Edition)",
    album_artists=("Zoe",),
    length_ms=200_000,
)


def play_through(player, uri):
    player.play(uri)
    player.advance(200)
    player.stop()


def test_a_remastered_title_is_stored_as_heard_and_queued_cleaned(
    harness,  # noqa: F811
    tmp_path,
    caplog,
):
    player = harness(extra_tracks=[REMASTERED])
    with caplog.at_level(logging.INFO, logger="mopidy_mtscrobble"):
        play_through(player, "dummy:remastered")
    [row] = rows(tmp_path)
    assert (row["artist"], row["track"], row["album"]) == ("Adam, Zoe", "Song", "Album")
    assert (row["heard_artist"], row["heard_track"], row["heard_album"]) == (
        "Adam, Zoe", "Song - 2011 Remaster", "Album (Deluxe Edition)",
    )  # fmt: skip
    assert "Adam, Zoe - Song (heard as Adam, Zoe - Song - 2011 Remaster)" in (
        caplog.text
    )


def test_now_playing_is_announced_with_the_names_sent(harness):  # noqa: F811
    player = harness(extra_tracks=[REMASTERED], artist_credit="album_artist")
    player.play("dummy:remastered")
    [track] = player.delivery.now_playing_tracks
    assert (track.artist, track.title, track.album) == ("Zoe", "Song", "Album")
    assert track.uri == "dummy:remastered"


def test_the_artist_credit_chosen_is_the_artist_queued(harness, tmp_path):  # noqa: F811
    player = harness(extra_tracks=[REMASTERED], artist_credit="first")
    play_through(player, "dummy:remastered")
    [row] = rows(tmp_path)
    assert (row["artist"], row["heard_artist"]) == ("Adam", "Adam, Zoe")


def test_cleanup_off_sends_the_names_as_heard(harness, tmp_path):  # noqa: F811
    player = harness(extra_tracks=[REMASTERED], name_cleanup=())
    play_through(player, "dummy:remastered")
    [track] = player.delivery.now_playing_tracks
    [row] = rows(tmp_path)
    assert (row["track"], row["album"]) == (
        "Song - 2011 Remaster",
        "Album (Deluxe Edition)",
    )
    assert track.title == "Song - 2011 Remaster"
