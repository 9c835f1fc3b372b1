"""Artist credit: which of a track's artists a play is sent as."""

from __future__ import annotations

import pytest

from mopidy_mtscrobble.sending import Sending, sent
from mopidy_mtscrobble.sending.credit import credit_step
from mopidy_mtscrobble.store import NewScrobble


def sent_artist(choice, artists, album_artists=(), artist=None):
    scrobble = NewScrobble(
        artist=", ".join(artists) if artist is None else artist,
        track="Song",
        timestamp=1,
        album_artist=", ".join(album_artists) or None,
        artists=tuple(artists),
        album_artists=tuple(album_artists),
    )
    return sent(Sending([credit_step(choice)]).apply(scrobble, None)).artist


@pytest.mark.parametrize(
    ("choice", "artists", "album_artists", "expected"),
    [
        # all: as heard, whatever the album says (today's behaviour).
        ("all", ["Adam", "Zoe"], ["Zoe"], "Adam, Zoe"),
        ("all", ["Adam"], [], "Adam"),
        # album_artist: the album's artist when it is one of the track's.
        ("album_artist", ["Adam", "Zoe"], ["Zoe"], "Zoe"),
        ("album_artist", ["Adam", "Zoe"], ["Zoe", "Adam"], "Zoe, Adam"),
        ("album_artist", ["Adam", "Zoe"], ["Other"], "Adam, Zoe"),
        ("album_artist", ["Adam", "Zoe"], [], "Adam, Zoe"),
        ("album_artist", ["Adam"], ["Adam"], "Adam"),
        ("album_artist", ["Adam", "Zoe"], ["Various Artists"], "Adam, Zoe"),
        # first: the first credited, in Mopidy's (alphabetical) order.
        ("first", ["Adam", "Zoe"], ["Zoe"], "Adam"),
        ("first", ["Adam"], [], "Adam"),
        ("first", ["Adam", "Zoe"], ["Various Artists"], "Adam"),
    ],
)
def test_each_choice_credits_its_artist(choice, artists, album_artists, expected):
    assert sent_artist(choice, artists, album_artists) == expected


@pytest.mark.parametrize(
    "various", ["Various Artists", "various artists", "VARIOUS", "VA", "V.A.",
                "Verschiedene Interpreten", "Various  Artists"]
)  # fmt: skip
@pytest.mark.parametrize("choice", ["album_artist", "first"])
def test_various_artists_is_never_the_artist_sent(choice, various):
    # Some taggers also write the compilation's credit among the track's.
    assert sent_artist(choice, [various, "Zoe"], [various]) == "Zoe"


def test_a_track_whose_only_artist_is_various_artists_is_sent_as_heard():
    assert sent_artist("first", ["Various Artists"], ["Various Artists"]) == (
        "Various Artists"
    )


@pytest.mark.parametrize("choice", ["all", "album_artist", "first"])
def test_a_play_without_its_list_of_artists_is_sent_as_heard(choice):
    # Radio titles ("Artist - Title") and plays kept by an older version.
    assert sent_artist(choice, [], ["Zoe"], artist="Adam & Zoe") == "Adam & Zoe"


def test_an_artist_a_step_before_decided_is_left_alone():
    def renamed(names, scrobble, store):
        return names.__class__("Someone", names.track, None, None)

    scrobble = NewScrobble(
        artist="Adam, Zoe", track="Song", timestamp=1, artists=("Adam", "Zoe")
    )
    sending = Sending([renamed, credit_step("first")])
    assert sent(sending.apply(scrobble, None)).artist == "Someone"
