"""What the store keeps, as Python sees it: one frozen dataclass per kind of row."""

from __future__ import annotations

import dataclasses
import sqlite3
from collections.abc import Mapping
from typing import Any, TypeVar

Row = TypeVar("Row")


def from_row(cls: type[Row], row: sqlite3.Row | Mapping[str, Any]) -> Row:
    """A dataclass from a row holding its fields (and maybe more columns)."""
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: row[k] for k in row.keys() if k in names})  # noqa: SIM118


@dataclasses.dataclass(frozen=True)
class NewScrobble:
    """A play that qualified, as it is queued."""

    artist: str
    track: str
    timestamp: int
    album: str | None = None
    album_artist: str | None = None
    track_number: int | None = None
    duration_s: int | None = None
    mbid: str | None = None
    chosen_by_user: bool = True
    uri: str | None = None
    release_mbid: str | None = None
    artist_mbids: str | None = None  # space-separated, in the artists' order
    # What is sent instead of what was heard (see `sending`); None: as heard,
    # "" for an album or album artist: none.
    sent_artist: str | None = None
    sent_track: str | None = None
    sent_album: str | None = None
    sent_album_artist: str | None = None
    # Not stored: the artists as Mopidy gave them, for the artist credit step.
    artists: tuple[str, ...] = ()
    album_artists: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Scrobble:
    """A play as queued for (or sent to) one destination: its `id` is the
    play's, the rest from `state` on is that destination's."""

    id: int
    artist: str
    track: str
    album: str | None
    album_artist: str | None
    track_number: int | None
    duration_s: int | None
    mbid: str | None
    chosen_by_user: bool
    timestamp: int
    uri: str | None
    created_at: int  # when the play qualified
    release_mbid: str | None
    artist_mbids: str | None  # space-separated, in the artists' order
    destination: str
    state: str
    attempts: int
    last_error: str | None  # when rejected: the reason
    next_attempt_at: int | None
    in_flight_at: int | None
    queued_at: int  # for this destination
    sent_at: int | None
    # The names it was heard with (`artist`, `track`, ... are those sent).
    heard_artist: str | None = None
    heard_track: str | None = None
    heard_album: str | None = None
    heard_album_artist: str | None = None


@dataclasses.dataclass(frozen=True)
class SongEntry:
    """A song as the network lists it (loved, or counted), with its match key's
    parts; `value` is what the list says of it (when loved, how many plays)."""

    artist: str
    track: str
    value: int | None
    artist_key: str
    title_key: str
    recording: str


@dataclasses.dataclass(frozen=True)
class Song:
    """A loved or counted song waiting to be matched to local tracks."""

    id: int
    artist: str
    track: str
    artist_key: str
    title_key: str
    recording: str


@dataclasses.dataclass(frozen=True)
class Loved:
    """A loved song as stored."""

    id: int
    artist: str
    track: str
    loved_at: int | None
    source: str
    artist_key: str
    title_key: str
    recording: str
    matched_at: int | None


@dataclasses.dataclass(frozen=True)
class LocalMatch:
    """A local track a song matched: its URI and what clients show."""

    uri: str
    name: str | None = None
    artist: str | None = None
    album: str | None = None
    length_ms: int | None = None


@dataclasses.dataclass(frozen=True)
class Job:
    """An import from the network and how far it got."""

    kind: str
    run: int  # 1 for the first import, 2 for the next...
    state: str  # running, matching, done, failed
    username: str | None
    page: int
    pages: int | None
    total: int | None
    fetched: int
    matched: int | None
    unmatched: int | None
    started_at: int
    finished_at: int | None
    error: str | None


@dataclasses.dataclass(frozen=True)
class LoveAction:
    """A love or unlove made here, as queued for (or sent to) one destination:
    `id` is the action's, the rest from `destination` on is that destination's.

    `mbid`: the loved track's MusicBrainz recording id, when it had one;
    `recording_mbid`: the recording this destination found for the names.
    """

    id: int
    action: str  # love, unlove
    artist: str
    track: str
    mbid: str | None
    created_at: int
    destination: str
    state: str  # pending, sent, rejected, unidentified
    attempts: int
    last_error: str | None  # when rejected or unidentified: the reason
    next_attempt_at: int | None
    recording_mbid: str | None
    queued_at: int
    sent_at: int | None

    @property
    def recording(self) -> str | None:
        """The recording to give feedback on, if known."""
        return self.mbid or self.recording_mbid
