"""Edits of the "Loved on Last.fm" playlist from any Mopidy client.

MPD's `playlistadd`/`playlistdelete`/`save`, Iris and JSON-RPC's
`core.playlists.save` all end in our backend's `save(playlist)`: a track added
is loved, a track removed is unloved, through the frontend as the web page's
love goes (written to the store at once, sent by delivery later).

This runs on the backend's actor while the core waits for it, so it never asks
the core (that would deadlock): a track is looked up in the backend that owns
its URI scheme, and only in the library's schemes (`favorites_uri_schemes`),
so a stream is never fetched.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection, Sequence
from typing import Any

import pykka
from mopidy import backend

from .compat import backend_lookup
from .errors import MTScrobbleError, NotReadyError, TrackError
from .store import LocalMatch
from .tracks import LocalTrack, local_track

logger = logging.getLogger(__name__)

# How long a save waits for another backend's lookup, or for the frontend.
EDIT_TIMEOUT_S = 10.0


@dataclasses.dataclass(frozen=True)
class Edits:
    """What a saved playlist changes against the current one, by URI."""

    added: tuple[str, ...]
    removed: tuple[str, ...]


def edits(current: Sequence[str], saved: Sequence[str]) -> Edits:
    """The URIs added and removed, each once, in the order they appear."""
    before, after = set(current), set(saved)
    return Edits(
        added=tuple(dict.fromkeys(u for u in saved if u not in before)),
        removed=tuple(dict.fromkeys(u for u in current if u not in after)),
    )


def _library_backend(scheme: str) -> Any:
    """A proxy of the running backend of `scheme` (not ours: we are busy)."""
    for ref in pykka.ActorRegistry.get_by_class(backend.Backend):
        if scheme in (getattr(ref.actor_class, "uri_schemes", None) or ()):
            return ref.proxy()
    return None


def resolve(uri: str, schemes: Collection[str], timeout_s: float) -> LocalTrack:
    """The library track of `uri`, with its artist and title; TrackError if
    it is not one (a stream, another backend's item, a nameless file)."""
    scheme = uri.partition(":")[0].lower()
    if ":" not in uri or scheme not in schemes:
        raise TrackError(
            f"{uri} is not a track of your library (a stream or another "
            f"source): only URIs starting with "
            f"{', '.join(s + ':' for s in schemes) or 'nothing'} can be loved; "
            "see mtscrobble/favorites_uri_schemes"
        )
    found = _library_backend(scheme)
    if found is None:
        raise TrackError(
            f"No running backend plays {scheme}: URIs, so {uri} cannot be "
            "loved; enable that backend or fix mtscrobble/favorites_uri_schemes"
        )
    try:
        models = backend_lookup(found.library, uri, timeout_s)
    except pykka.Timeout:
        raise NotReadyError(
            f"The library did not answer in time about {uri}; try again"
        ) from None
    # Mopidy 3's file backend answers a file it cannot read with its URI only.
    track = local_track(models[0]) if models else None
    if track is None:
        raise TrackError(
            f"The track {uri} has no artist or title (or is not in the "
            "library), so it cannot be loved: tag it, rescan, and add it again"
        )
    return track


def unloved_track(
    match: LocalMatch, schemes: Collection[str], timeout_s: float
) -> LocalTrack:
    """The track a removed entry is: as the library has it now (with its
    MusicBrainz id), else as it was matched (it may have left the library)."""
    try:
        return resolve(match.uri, schemes, timeout_s)
    except MTScrobbleError:
        artists = (match.artist,) if match.artist else ()
        return LocalTrack(
            match.uri, match.name or "", artists, match.album, match.length_ms
        )


def apply(
    current: Sequence[LocalMatch],
    saved_uris: Sequence[str],
    schemes: Collection[str],
    timeout_s: float = EDIT_TIMEOUT_S,
) -> bool:
    """Love what was added and unlove what was removed, through the frontend.

    All or nothing: if any added track is refused, nothing changes, each
    refusal is logged at WARNING and False is returned (the client's save
    fails). Errors of the frontend or the store are logged too.
    """
    changes = edits([m.uri for m in current], saved_uris)
    if not changes.added and not changes.removed:
        return True
    try:
        loves = _resolve_all(changes.added, schemes, timeout_s)
        if loves is None:
            return False
        by_uri = {m.uri: m for m in current}
        unloves = [
            unloved_track(by_uri[uri], schemes, timeout_s) for uri in changes.removed
        ]
        frontend = _frontend()
        for track in loves:
            frontend.love(track).get(timeout=timeout_s)
        for track in unloves:
            frontend.unlove(track).get(timeout=timeout_s)
    except (MTScrobbleError, pykka.Timeout, pykka.ActorDeadError) as exc:
        logger.error(
            "The change to the loved tracks' playlist was not saved: %s",
            exc if isinstance(exc, MTScrobbleError) else "Mopidy did not answer",
        )
        return False
    return True


def _resolve_all(
    uris: Sequence[str], schemes: Collection[str], timeout_s: float
) -> list[LocalTrack] | None:
    tracks, refused = [], False
    for uri in uris:
        try:
            tracks.append(resolve(uri, schemes, timeout_s))
        except TrackError as exc:
            logger.warning("Not loved, the playlist is left as it was: %s", exc)
            refused = True
    return None if refused else tracks


def _frontend() -> Any:
    from .frontend import MTScrobbleFrontend  # it runs on top of everything

    refs = pykka.ActorRegistry.get_by_class(MTScrobbleFrontend)
    if not refs:
        raise NotReadyError(
            "Mopidy-MTScrobble's frontend is not running (see the log at startup)"
        )
    return refs[0].proxy()
