"""Mopidy's Track models (Mopidy 3 or 4), read in one place and made valid
(see `sanitize`): as the listening rules see a track, and as matching sees a
local track."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

from .listening import Track
from .matching import match_keys
from .sanitize import MAX_LENGTH_MS, MAX_TRACK_NUMBER, clean_int, clean_mbid, clean_text
from .store import LocalMatch

Key = tuple[str, str, str]


@dataclasses.dataclass(frozen=True)
class LocalTrack:
    """A track of the library, as matching and loving need it."""

    uri: str
    name: str
    artists: tuple[str, ...]
    album: str | None
    length_ms: int | None
    mbid: str | None = None  # its MusicBrainz recording id

    @functools.cached_property
    def match_keys(self) -> frozenset[Key]:
        """The match keys this track answers to: its artists together, and each
        (and each of a collaboration tagged as one artist, "A & B")."""
        names = [", ".join(self.artists), *self.artists]
        if len(self.artists) > 1:
            names.append(" & ".join(self.artists))
        return frozenset().union(*(match_keys(n, self.name) for n in names if n))

    def as_match(self) -> LocalMatch:
        return LocalMatch(
            uri=self.uri,
            name=self.name,
            artist=", ".join(self.artists) or None,
            album=self.album,
            length_ms=self.length_ms,
        )


def _artists(artists: Any) -> tuple[str, ...]:
    # Mopidy keeps artists in a set: sorted, a track always reads the same.
    names = (clean_text(a.name) for a in artists or ())
    return tuple(sorted(n for n in names if n))


def _artist_mbids(artists: Any) -> tuple[str, ...]:
    """The artists' MusicBrainz ids, in the order `_artists` gives their names."""
    named = sorted(
        (name, mbid)
        for a in artists or ()
        if (name := clean_text(a.name)) and (mbid := clean_mbid(a.musicbrainz_id))
    )
    return tuple(dict.fromkeys(mbid for _, mbid in named))


def track_from_model(model: Any) -> Track:
    """A track as the listening rules see it."""
    album = model.album
    artists = _artists(model.artists)
    album_artists = _artists(album.artists) if album else ()
    return Track(
        uri=clean_text(model.uri) or "",
        artist=", ".join(artists) or None,
        title=clean_text(model.name),
        album=clean_text(album.name) if album else None,
        album_artist=", ".join(album_artists) or None,
        track_number=clean_int(model.track_no, MAX_TRACK_NUMBER),
        length_ms=clean_int(model.length, MAX_LENGTH_MS),
        mbid=clean_mbid(model.musicbrainz_id),
        release_mbid=clean_mbid(album.musicbrainz_id) if album else None,
        artist_mbids=_artist_mbids(model.artists),
        artists=artists,
        album_artists=album_artists,
        genre=clean_text(getattr(model, "genre", None)),
    )


def local_track(model: Any) -> LocalTrack | None:
    """A library track as matching needs it; None without artist or name."""
    artists = _artists(model.artists)
    name = clean_text(model.name)
    if not name or not artists:
        return None
    album = clean_text(model.album.name) if model.album else None
    length = clean_int(model.length, MAX_LENGTH_MS)
    mbid = clean_mbid(model.musicbrainz_id)
    return LocalTrack(str(model.uri), name, artists, album, length, mbid)
