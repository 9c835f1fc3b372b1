"""POST /mtscrobble/api/tracks: whether many tracks are loved, and their play
counts, in one call (the batch form of GET /api/track), so a web client can
mark a whole list.

Guarded like every POST (JSON body, allowed origin), and only URIs of the
library's schemes are looked up (`favorites_uri_schemes`): a lookup makes
Mopidy's backends work. The lookups run on a thread of the pool, the store
read on the database's thread, one query for the whole batch.
"""

from __future__ import annotations

from typing import Any

from ..errors import RequestRefused
from ..library import find_tracks
from ..matching import key_parts
from ..store import Store, TrackState
from ..tracks import LocalTrack
from .base import LOOKUP_TIMEOUT_S, JsonHandler, cap

MAX_BATCH_URIS = 500


def checked_uris(value: Any) -> list[str]:
    """The URIs asked for, each once, in their order; RequestRefused if the
    list is missing, empty, too long, or holds anything but text."""
    if not isinstance(value, list) or not value:
        raise RequestRefused('Give the tracks\' URIs: {"uris": ["local:...", ...]}')
    if len(value) > MAX_BATCH_URIS:
        raise RequestRefused(
            f"At most {MAX_BATCH_URIS} URIs per call ({len(value)} given): "
            "split the list"
        )
    if not all(isinstance(uri, str) and uri.strip() for uri in value):
        raise RequestRefused("Every item of 'uris' must be a non-empty string")
    return list(dict.fromkeys(uri.strip() for uri in value))


def _entry(uri: str, track: LocalTrack | None, state: TrackState | None) -> Any:
    if track is None or state is None:
        return {"uri": cap(uri), "found": False}
    return {
        "uri": cap(uri),
        "found": True,
        "artist": cap(", ".join(track.artists)),
        "track": cap(track.name),
        "loved": state.loved,
        "playcount": state.playcount,
    }


class TracksHandler(JsonHandler):
    """POST {"uris": [...]}: each track's loved state and play count.

    Answers {"tracks": [...]} in the order asked, one entry per distinct URI:
    {"uri", "found": true, "artist", "track", "loved", "playcount"}, or
    {"uri", "found": false} for a URI the library does not have (or a track
    without artist or title). 400 if any URI is not of the library's schemes.
    """

    async def post(self) -> None:
        uris = checked_uris(self.json_body({"uris": list}).get("uris"))
        schemes = self.context.settings.favorites_uri_schemes
        core = self.context.core
        tracks = await self.context.ask(
            lambda: find_tracks(core, uris, schemes, LOOKUP_TIMEOUT_S),
            LOOKUP_TIMEOUT_S,
        )
        wanted = [
            (uri, key_parts(", ".join(t.artists), t.name))
            for uri, t in tracks.items()
            if t is not None
        ]

        def read(store: Store) -> dict[str, TrackState]:
            return store.track_states.of(wanted)

        states = await self.context.in_store(read)
        self.answer(
            200,
            {"tracks": [_entry(uri, tracks[uri], states.get(uri)) for uri in uris]},
        )
