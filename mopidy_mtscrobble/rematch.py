"""Matches that follow the library: new tracks matched, tracks gone unmatched.

Mopidy sends no event when its library changes (neither Mopidy 3.4 nor 4.0
has one in `CoreListener`, and `mopidy local scan` runs in another process
that tells the running Mopidy nothing), so a rematch runs at startup, every
`rematch_interval` minutes and on demand (`mopidy mtscrobble rematch`).

A rematch browses each library backend for its track URIs, then looks up only
the URIs not seen before: each new track joins the songs with one of its match
keys (a database lookup, no library search). Matches of URIs no longer in the
library are dropped. Songs not matched yet are left to the `Matcher`'s search.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Iterable

from .library import Library
from .store import Store
from .timing import Cancellable, Scheduler
from .tracks import LocalTrack

logger = logging.getLogger(__name__)

LOOKUP_BATCH = 500  # new tracks per database transaction
SECONDS_PER_MINUTE = 60.0


@dataclasses.dataclass
class RematchResult:
    tracks: int = 0  # in the library
    new: int = 0  # looked up: not seen before
    gone: int = 0  # no longer in the library
    matches_made: int = 0
    matches_dropped: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.matches_made or self.matches_dropped)


def fingerprint(track: LocalTrack) -> str:
    """What a track was when seen: its tags and length."""
    return "\x1f".join(
        [track.name, *track.artists, track.album or "", str(track.length_ms or "")]
    )


class Rematcher:
    """One rematch of the library backends against the songs of the store."""

    def __init__(self, library: Library, schemes: Iterable[str]) -> None:
        self._library = library
        self._schemes = tuple(schemes)
        self.lookups = 0  # URIs looked up by the last run

    def run(self, store: Store, now_s: float) -> RematchResult:
        result = RematchResult()
        self.lookups = 0
        running = self._library.uri_schemes()
        for scheme in (s for s in self._schemes if s in running):
            self._rematch(scheme, store, now_s, result)
        logger.info(
            "Rematched your library: %d tracks, %d new, %d gone; "
            "%d matches made, %d dropped",
            result.tracks,
            result.new,
            result.gone,
            result.matches_made,
            result.matches_dropped,
        )
        return result

    def _rematch(
        self, scheme: str, store: Store, now_s: float, result: RematchResult
    ) -> None:
        current = set(self._library.track_uris(scheme))
        seen = store.library_tracks.seen(scheme)
        gone = (seen | store.library_tracks.matched(scheme)) - current
        new = sorted(current - seen)
        result.tracks += len(current)
        result.gone += len(gone)
        result.new += len(new)
        result.matches_dropped += store.library_tracks.remove(gone)
        for start in range(0, len(new), LOOKUP_BATCH):
            uris = new[start : start + LOOKUP_BATCH]
            self.lookups += len(uris)
            tracks = list(self._library.lookup(uris))
            result.matches_made += store.library_tracks.add(
                uris,
                [(t.as_match(), t.match_keys, fingerprint(t)) for t in tracks],
                now_s,
            )


class RematchSchedule:
    """Asks for a rematch every `interval_min` minutes (0: never)."""

    def __init__(
        self, scheduler: Scheduler, interval_min: int, rematch: Callable[[], None]
    ) -> None:
        self._scheduler = scheduler
        self._interval_s = interval_min * SECONDS_PER_MINUTE
        self._rematch = rematch
        self._timer: Cancellable | None = None
        self._stopped = False

    def start(self) -> None:
        if self._interval_s > 0:
            self._timer = self._scheduler.call_later(self._interval_s, self._fire)

    def _fire(self) -> None:
        if self._stopped:
            return
        self._rematch()
        self.start()

    def stop(self) -> None:
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
