"""Now playing: sent once, when the server answers; a failure is not retried
(Last.fm asks so). While the server fails, the latest track waits, and goes
out when it answers again if that track may still be playing."""

from __future__ import annotations

import logging
from typing import Any

from ..errors import CredentialsError, LastfmError, NeedsReauthError
from ..listening import Track
from .connection import Connection

logger = logging.getLogger(__name__)

# A held-back now-playing is still worth sending this long after it started,
# for a track of unknown length.
NOW_PLAYING_MAX_AGE_S = 10 * 60.0


def now_playing_params(track: Track) -> dict[str, Any]:
    params = {
        "artist": track.artist,
        "track": track.title,
        "album": track.album,
        "albumArtist": track.album_artist,
        "trackNumber": track.track_number,
        "duration": track.length_ms // 1000 if track.length_ms else None,
        "mbid": track.mbid,
    }
    return {k: v for k, v in params.items() if v is not None}


class NowPlaying:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._held: tuple[Track, float] | None = None

    def hold(self, track: Track) -> None:
        """A track started: it goes out at the next chance (a newer one wins)."""
        self._held = (track, self._connection.clock.monotonic())

    def step(self) -> None:
        connection = self._connection
        if self._held is None:
            return
        track, announced_at = self._held
        length_s = (track.length_ms or 0) / 1000 or NOW_PLAYING_MAX_AGE_S
        if connection.clock.monotonic() - announced_at > length_s:
            self._held = None
            return
        if not (connection.may_call() and connection.answered):
            return  # not into a failing server: it goes out after a success
        self._held = None
        connection.attempt()
        try:
            connection.client().update_now_playing(now_playing_params(track))
        except (NeedsReauthError, CredentialsError) as exc:
            connection.blocked_by(exc)
        except LastfmError as exc:
            logger.debug("Now playing not sent (not retried): %s", exc)
