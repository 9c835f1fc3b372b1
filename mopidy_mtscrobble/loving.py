"""Loving and unloving a library track here, and what is known of one:
written to the store at once, sent to the network by delivery later."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection

from .matching import key_parts
from .store import Store
from .tracks import LocalTrack

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class TrackInfo:
    uri: str
    artist: str
    track: str
    loved: bool
    playcount: int | None


@dataclasses.dataclass(frozen=True)
class LoveResult:
    """What a love or unlove did, for the web API and the commands."""

    loved: bool
    uri: str
    artist: str
    track: str


def love(
    store: Store, track: LocalTrack, destinations: Collection[str], now_s: float
) -> LoveResult:
    """Loved here, and queued for each of `destinations` (with the track's
    MusicBrainz recording id, if it has one)."""
    artist = ", ".join(track.artists)
    store.loves.love(
        artist, track.name, track.as_match(), destinations, now_s, track.mbid
    )
    logger.info("Loved %s - %s", artist, track.name)
    return LoveResult(True, track.uri, artist, track.name)


def unlove(
    store: Store, track: LocalTrack, destinations: Collection[str], now_s: float
) -> LoveResult:
    """Unloved here, and queued for each of `destinations`."""
    artist = ", ".join(track.artists)
    loved = store.songs.loved_for(track.uri, key_parts(artist, track.name))
    store.loves.unlove(loved, (artist, track.name), destinations, now_s, track.mbid)
    logger.info("Unloved %s - %s", artist, track.name)
    return LoveResult(False, track.uri, artist, track.name)


def track_info(store: Store, track: LocalTrack) -> TrackInfo:
    artist = ", ".join(track.artists)
    key = key_parts(artist, track.name)
    return TrackInfo(
        uri=track.uri,
        artist=artist,
        track=track.name,
        loved=bool(store.songs.loved_for(track.uri, key)),
        playcount=store.songs.playcount_for(track.uri, key),
    )
