"""Builders for the objects tests need: tracks as the rules see them, Mopidy models."""

from __future__ import annotations

from mopidy.models import Album, Artist, TlTrack
from mopidy.models import Track as ModelTrack

from mopidy_mtscrobble.listening import Track


def track(
    length_s: float | None = 200,
    artist: str | None = "Artist",
    title: str | None = "Title",
    uri: str = "local:track:1",
) -> Track:
    length_ms = None if length_s is None else int(length_s * 1000)
    return Track(
        uri=uri, artist=artist, title=title, album="Album", length_ms=length_ms
    )


def model_track(
    uri: str = "dummy:track:1",
    name: str | None = "Title",
    artists: tuple[str, ...] = ("Artist",),
    length_ms: int | None = 200_000,
    album: str = "Album",
    album_artists: tuple[str, ...] = ("Album Artist",),
    track_no: int | None = 3,
    musicbrainz_id: str | None = None,
) -> ModelTrack:
    return ModelTrack(
        uri=uri,
        name=name,
        artists=[Artist(name=a) for a in artists],
        album=Album(name=album, artists=[Artist(name=a) for a in album_artists]),
        length=length_ms,
        track_no=track_no,
        musicbrainz_id=musicbrainz_id,
    )


def tl_track(tlid: int = 1, **kwargs) -> TlTrack:
    return TlTrack(tlid=tlid, track=model_track(**kwargs))
