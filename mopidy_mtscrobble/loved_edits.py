"""Edits of the "Loved on Last.fm" playlist from any Mopidy client.

MPD's `playlistadd`/`playlistdelete`/`save`, Iris and JSON-RPC's
`core.playlists.save` all end in our backend's `save(playlist)`: a track added
is loved, a track removed is unloved, through the frontend as the web page's
love goes (written to the store at once, sent by delivery later).

The backend's save answers at once (Mopidy's core waits for it, and with it
every client): `Applier` does the work on a thread of its own, saves one
after the other, and never asks the core (it may be waiting on a save): a
track is looked up in the backend that owns its URI scheme, and only in the
library's schemes (`favorites_uri_schemes`), so a stream is never fetched.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import enum
import logging
from collections.abc import Callable, Collection, Sequence
from typing import Any

import pykka
from mopidy import backend

from .compat import backend_lookup
from .errors import MTScrobbleError, NotReadyError, TrackError
from .store import LocalMatch
from .tracks import LocalTrack, local_track
from .workers import DaemonExecutor

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
    why = not_of_the_library(uri, schemes)
    if why is not None:
        raise TrackError(why)
    scheme = uri.partition(":")[0].lower()
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


class Outcome(enum.Enum):
    APPLIED = "applied"  # or nothing to change
    REFUSED = "refused"  # a track added can never be loved: nothing changed
    FAILED = "failed"  # the store or Mopidy failed: the same edit may work later

    def __bool__(self) -> bool:
        return self is Outcome.APPLIED


def apply(
    current: Sequence[LocalMatch],
    saved_uris: Sequence[str],
    schemes: Collection[str],
    timeout_s: float = EDIT_TIMEOUT_S,
) -> Outcome:
    """Love what was added and unlove what was removed, through the frontend.

    If any added track is refused, nothing changes and each refusal is logged
    at WARNING (REFUSED: the client's save fails). An error of the frontend
    or the store (the database locked) is logged too (FAILED): the loves and
    unloves made before it stay, and the same edit applied again makes the
    rest (a love or unlove already made is no change).
    """
    changes = edits([m.uri for m in current], saved_uris)
    if not changes.added and not changes.removed:
        return Outcome.APPLIED
    try:
        loves = _resolve_all(changes.added, schemes, timeout_s)
        if loves is None:
            return Outcome.REFUSED
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
        return Outcome.FAILED
    return Outcome.APPLIED


def not_of_the_library(uri: str, schemes: Collection[str]) -> str | None:
    """Why `uri` can never be loved, seen without a lookup (a stream, another
    source), or None."""
    scheme = uri.partition(":")[0].lower()
    if ":" in uri and scheme in schemes:
        return None
    return (
        f"{uri} is not a track of your library (a stream or another "
        f"source): only URIs starting with "
        f"{', '.join(s + ':' for s in schemes) or 'nothing'} can be loved; "
        "see mtscrobble/favorites_uri_schemes"
    )


def refusal(uris: Sequence[str], schemes: Collection[str]) -> str | None:
    """Why one of the URIs added can never be loved (see
    `not_of_the_library`), or None."""
    for uri in uris:
        why = not_of_the_library(uri, schemes)
        if why is not None:
            return why
    return None


# A stop waits this long for the saves still being applied.
STOP_WAIT_S = 1.0


class Applier:
    """Saves of the loved playlist, applied one after the other on a thread
    of their own, so that the save itself answers at once."""

    def __init__(self, on_applied: Callable[[], None]) -> None:
        self._executor = DaemonExecutor(1, "MTScrobbleLovedEdits")
        self._waiting: list[concurrent.futures.Future[Any]] = []
        self._on_applied = on_applied  # called on its thread after each save

    def submit(
        self,
        current: Sequence[LocalMatch],
        saved: Sequence[str],
        schemes: Collection[str],
    ) -> None:
        future = self._executor.submit(self._apply, list(current), list(saved), schemes)
        self._waiting = [f for f in self._waiting if not f.done()] + [future]

    def wait(self, timeout_s: float | None = None) -> bool:
        """Until the saves submitted so far are applied; False if some are
        not within `timeout_s`."""
        _done, left = concurrent.futures.wait(list(self._waiting), timeout_s)
        return not left

    def _apply(
        self, current: list[LocalMatch], saved: list[str], schemes: Collection[str]
    ) -> None:
        try:
            if apply(current, saved, schemes):
                changes = edits([m.uri for m in current], saved)
                logger.info(
                    "Saved the loved tracks' playlist: %d loved, %d unloved",
                    len(changes.added),
                    len(changes.removed),
                )
            self._on_applied()
        except Exception:  # a thread's boundary: say it, take the next save
            logger.exception("The change to the loved tracks' playlist was not saved")

    def stop(self) -> None:
        """Wait STOP_WAIT_S at most for the saves still being applied; the
        rest are not (said at WARNING: the user saves again)."""
        _done, left = concurrent.futures.wait(self._waiting, timeout=STOP_WAIT_S)
        if left:
            logger.warning(
                "%d saves of the loved tracks' playlist were not applied: Mopidy "
                "stopped first. Save the playlist again once it runs.",
                len(left),
            )
        self._executor.shutdown(wait=False)


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
