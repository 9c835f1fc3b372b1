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
    from ..listening import Track
    from ..settings import Settings
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


def sent_columns(heard_names: Names, names: Names) -> dict[str, str | None]:
    """The `sent_*` values that send a play heard as `heard_names` as `names`:
    None where a name is as heard, '' for an album (artist) sent as none."""
    columns: dict[str, str | None] = {}
    for name in NAMES:
        value: str | None = getattr(names, name)
        if value == getattr(heard_names, name):
            columns[f"sent_{name}"] = None
        else:
            columns[f"sent_{name}"] = "" if value is None else value
    return columns


def with_sent(scrobble: NewScrobble, names: Names) -> NewScrobble:
    """`scrobble` to be sent as `names`."""
    columns = sent_columns(heard(scrobble), names)
    return dataclasses.replace(
        scrobble,
        sent_artist=columns["sent_artist"],
        sent_track=columns["sent_track"],
        sent_album=columns["sent_album"],
        sent_album_artist=columns["sent_album_artist"],
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


def name_steps(settings: Settings) -> list[Step]:
    """The steps decided by the play alone (no store): also what now playing
    is announced with."""
    from .cleanup import cleanup_step
    from .credit import credit_step

    return [credit_step(settings.artist_credit), cleanup_step(settings.name_cleanup)]


def steps_for(settings: Settings) -> Sending:
    """All the steps, in order, for plays queued with these settings."""
    from .corrections import correct

    # Saved corrections (store.corrections) go last: the user's word wins.
    return Sending([*name_steps(settings), correct])


def as_sent(track: Track, steps: Sequence[Step]) -> Track:
    """`track` with the names the name `steps` give it (for now playing)."""
    scrobble = NewScrobble(
        artist=track.artist or "",
        track=track.title or "",
        timestamp=0,
        album=track.album,
        album_artist=track.album_artist,
        artists=track.artists,
        album_artists=track.album_artists,
    )
    names = sent(Sending(steps).apply(scrobble, None))
    return dataclasses.replace(
        track,
        artist=names.artist or track.artist,
        title=names.track or track.title,
        album=names.album,
        album_artist=names.album_artist,
    )
