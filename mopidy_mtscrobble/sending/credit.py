"""Artist credit: which of a track's artists the play is sent as (`artist_credit`).

- `all`: all its artists, joined with ", " as they are heard.
- `album_artist`: the album's artist(s) among the track's; all when none is.
- `first`: its first artist, in the order Mopidy keeps them (see README:
  Mopidy 3 and 4 keep a set, so "first" is the first in alphabetical order).

A "Various Artists" album artist is never the artist sent: with
`album_artist` and `first`, a track artist so named is left out too when the
track has another (`all` sends the artists as heard). Plays without the list
of artists (radio titles, plays kept by an older version) are sent as heard.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from . import Names, Step

if TYPE_CHECKING:
    from ..store import NewScrobble, Store

ALL = "all"
ALBUM_ARTIST = "album_artist"
FIRST = "first"
ARTIST_CREDITS = (ALL, ALBUM_ARTIST, FIRST)
# How compilations are credited, written any case: never an artist of a track.
VARIOUS_ARTISTS = frozenset(
    {"various artists", "various", "va", "v.a.", "verschiedene interpreten"}
)


def is_various(name: str) -> bool:
    return " ".join(name.casefold().split()) in VARIOUS_ARTISTS


def credited(
    choice: str, artists: Sequence[str], album_artists: Sequence[str]
) -> str | None:
    """The artist to send; None: all, as heard."""
    named = [a for a in artists if not is_various(a)]
    if choice == FIRST and named:
        return named[0]
    if choice == ALBUM_ARTIST and named:
        shared = [a for a in album_artists if a in named]
        return ", ".join(shared or named)
    return None


def credit_step(choice: str) -> Step:
    """The sending step that credits the artist(s) `choice` says."""

    def credit(names: Names, scrobble: NewScrobble, store: Store | None) -> Names:
        if choice == ALL or names.artist != scrobble.artist:
            return names  # as heard, or already decided by a step before
        artist = credited(choice, scrobble.artists, scrobble.album_artists)
        return dataclasses.replace(names, artist=artist or names.artist)

    return credit
