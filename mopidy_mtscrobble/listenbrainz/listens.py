"""A play as ListenBrainz wants it: a listen. Pure.

`Play` is what we know of one play; `listen_of` and `playing_now_of` build
the JSON the server takes, made valid by the rules of its api_tools.py
(../shared/LISTENBRAINZ.md): text without NULs and stripped, MBIDs that are
UUIDs, a duration within the server's bounds, no empty release. What cannot
be made valid (no artist or title, a time before the server's first day) is
a ListenRefusedError, never a listen the server would refuse.

The track number goes out as the documented `tracknumber` only. The server's
writer reads the undocumented `track_number` into the recording's MessyBrainz
key, so ours is keyed without it; that is harmless because a listen we resend
is built by this same pure function, identical, and the server's duplicate
check (listened_at, user, msid) still sees it as the same listen.
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from typing import Any

from ..errors import ListenRefusedError
from ..sanitize import MAX_TRACK_NUMBER, clean_int, clean_mbid, clean_text
from ..version import __version__

MIN_LISTENED_AT = 1_033_410_600  # 2002-10-01 00:00:00 UTC, the server's first day
MAX_DURATION_MS = 24 * 86_400 * 1000  # the server refuses longer tracks
MEDIA_PLAYER = "Mopidy"
SUBMISSION_CLIENT = "Mopidy-MTScrobble"
JELLYFIN = "Jellyfin"

# URI scheme of a Mopidy backend -> the music_service domain ListenBrainz wants.
MUSIC_SERVICES = {
    "spotify": "spotify.com",
    "tidal": "tidal.com",
    "youtube": "youtube.com",
    "yt": "youtube.com",
    "ytmusic": "music.youtube.com",
    "soundcloud": "soundcloud.com",
    "bandcamp": "bandcamp.com",
    "deezer": "deezer.com",
    "qobuz": "qobuz.com",
}
# Services without a domain of their own: music_service_name instead.
MUSIC_SERVICE_NAMES = {"jellyfin": JELLYFIN}
WEB_SCHEMES = {"http", "https"}


@dataclasses.dataclass(frozen=True)
class Play:
    """What we know of one play, as the delivery wiring fills it in.

    Only `artist`, `title` and `started_at` are needed; anything else may be
    None (or empty) and is then left out. Values may be as dirty as Mopidy's
    backends give them: the listen built from them is made valid.

    started_at: unix seconds (UTC) when playback of the track began.
    duration_ms: the track's length, not the time listened.
    artist_mbids: MusicBrainz artist ids, in credit order.
    uri: the Mopidy track URI; its scheme names the music service.
    mopidy_version: the running Mopidy's version, as media_player_version.
    """

    artist: str
    title: str
    started_at: int
    album: str | None = None
    track_number: int | None = None
    duration_ms: int | None = None
    recording_mbid: str | None = None
    release_mbid: str | None = None
    artist_mbids: tuple[str, ...] = ()
    uri: str | None = None
    mopidy_version: str | None = None


def listen_of(play: Play) -> dict[str, Any]:
    """A listen for listen_type "single" or "import"."""
    listened_at = play.started_at
    if isinstance(listened_at, bool) or not isinstance(listened_at, int):
        raise ListenRefusedError(f"A play has no valid start time ({listened_at!r})")
    if listened_at < MIN_LISTENED_AT:
        raise ListenRefusedError(
            f"A play of {play.artist!r} - {play.title!r} is dated before "
            "October 2002, which ListenBrainz does not take"
        )
    return {"listened_at": listened_at, "track_metadata": track_metadata(play)}


def playing_now_of(play: Play) -> dict[str, Any]:
    """A listen for listen_type "playing_now": no listened_at."""
    return {"track_metadata": track_metadata(play)}


def track_metadata(play: Play) -> dict[str, Any]:
    artist, title = clean_text(play.artist), clean_text(play.title)
    if artist is None or title is None:
        raise ListenRefusedError(
            "A play without an artist or a title cannot be sent to ListenBrainz"
        )
    metadata: dict[str, Any] = {"artist_name": artist, "track_name": title}
    release = clean_text(play.album)
    if release is not None:
        metadata["release_name"] = release
    metadata["additional_info"] = additional_info(play)
    return metadata


def additional_info(play: Play) -> dict[str, Any]:
    info: dict[str, Any] = {}
    for key, value in (
        ("recording_mbid", play.recording_mbid),
        ("release_mbid", play.release_mbid),
    ):
        mbid = clean_mbid(value)
        if mbid is not None:
            info[key] = mbid
    artist_mbids = _mbids(play.artist_mbids)
    if artist_mbids:
        info["artist_mbids"] = artist_mbids
    track_number = clean_int(play.track_number, MAX_TRACK_NUMBER)
    if track_number:
        info["tracknumber"] = track_number
    duration_ms = clean_int(play.duration_ms, MAX_DURATION_MS)
    if duration_ms:
        info["duration_ms"] = duration_ms
    info["media_player"] = MEDIA_PLAYER
    mopidy_version = clean_text(play.mopidy_version)
    if mopidy_version is not None:
        info["media_player_version"] = mopidy_version
    info["submission_client"] = SUBMISSION_CLIENT
    info["submission_client_version"] = __version__
    info.update(service_of(play.uri))
    return info


def service_of(uri: str | None) -> dict[str, str]:
    """music_service or music_service_name, and origin_url, from a track URI."""
    text = clean_text(uri)
    if text is None or ":" not in text:
        return {}
    scheme = text.split(":", 1)[0].lower()
    if scheme in MUSIC_SERVICES:
        return {"music_service": MUSIC_SERVICES[scheme]}
    if scheme in MUSIC_SERVICE_NAMES:
        return {"music_service_name": MUSIC_SERVICE_NAMES[scheme]}
    if scheme in WEB_SCHEMES and _has_host(text):
        return {"origin_url": text}
    return {}  # local, file, and whatever else plays from here


def _has_host(url: str) -> bool:
    try:
        return bool(urllib.parse.urlsplit(url).netloc)
    except ValueError:  # e.g. an unclosed "[" where an IPv6 host would be
        return False


def _mbids(values: Any) -> list[str]:
    if isinstance(values, str) or not isinstance(values, list | tuple):
        values = [values]
    found: list[str] = []
    for value in values:
        mbid = clean_mbid(value)
        if mbid is not None and mbid not in found:
            found.append(mbid)
    return found
