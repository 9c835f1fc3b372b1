"""What gets sent: the names a play is sent with, decided when it is queued.

A play is stored as it was heard; the steps here (artist credit, name
cleanup, saved corrections) give the names sent instead, kept beside it
(`NewScrobble.sent_*`). Each step is a `Step`: it is given the play as the
steps before it left it, and the store (for what the user saved there).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ..store.rows import NewScrobble

if TYPE_CHECKING:
    from ..store import Store

NAMES = ("artist", "track", "album", "album_artist")


@dataclasses.dataclass(frozen=True)
class Names:
    """The names of a play as they are sent (album: None, no album)."""

    artist: str
    track: str
    album: str | None
    album_artist: str | None


Step = Callable[[Names, NewScrobble, "Store | None"], Names]


def heard(scrobble: NewScrobble) -> Names:
    return Names(scrobble.artist, scrobble.track, scrobble.album, scrobble.album_artist)


def sent(scrobble: NewScrobble) -> Names:
    """The names `scrobble` is sent with."""

    def pick(name: str) -> str | None:
        value: str | None = getattr(scrobble, f"sent_{name}")
        if value is None:
            return getattr(scrobble, name)  # type: ignore[no-any-return]
        return value or None

    artist, track, album, album_artist = (pick(n) for n in NAMES)
    return Names(
        artist or scrobble.artist, track or scrobble.track, album, album_artist
    )


def with_sent(scrobble: NewScrobble, names: Names) -> NewScrobble:
    """`scrobble` to be sent as `names`: sent_* set where they differ from
    what was heard, None where they do not."""

    def differs(name: str) -> str | None:
        value: str | None = getattr(names, name)
        if value == getattr(scrobble, name):
            return None
        return "" if value is None else value

    return dataclasses.replace(
        scrobble,
        sent_artist=differs("artist"),
        sent_track=differs("track"),
        sent_album=differs("album"),
        sent_album_artist=differs("album_artist"),
    )


class Sending:
    """The steps, in order, that decide the names a play is sent with."""

    def __init__(self, steps: Sequence[Step] = ()) -> None:
        self.steps = tuple(steps)

    def apply(self, scrobble: NewScrobble, store: Store | None) -> NewScrobble:
        names = heard(scrobble)
        for step in self.steps:
            names = step(names, scrobble, store)
        return with_sent(scrobble, names)
