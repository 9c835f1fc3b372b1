"""Matches that follow the library: new tracks matched, tracks gone unmatched.

Mopidy sends no event when its library changes (neither Mopidy 3.4 nor 4.0
has one in `CoreListener`, and `mopidy local scan` runs in another process
that tells the running Mopidy nothing), so a rematch runs at startup, every
`rematch_interval` minutes and on demand (`mopidy mtscrobble rematch`).

A rematch browses each library backend for its track URIs, then looks up only
the URIs not seen before: each new track joins the songs with one of its match
keys (a database lookup, no library search). Matches of URIs no longer in the
library are dropped. Songs not matched yet are left to the `Matcher`'s search.

A file whose tags were edited keeps its URI, so each track's fingerprint (its
tags and length, and the name browsing gave it) is kept: a track whose browse
name changed (Mopidy-Local names tracks by title) is looked up again, and the
first rematch of a run (at startup) looks up every track. A track whose
fingerprint changed loses its matches and is matched again as a new one; the
songs it leaves without a match are searched again.
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
    retagged: int = 0  # seen before with other tags
    gone: int = 0  # no longer in the library
    matches_made: int = 0
    matches_dropped: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.matches_made or self.matches_dropped)


BROWSE_NAME_SEPARATOR = "\x1e"  # between the tags and the browse name


def fingerprint(track: LocalTrack | None, browse_name: str) -> str:
    """What a track was when seen: its tags and length (none: no usable
    track), then the name browsing gave it."""
    tags = (
        "\x1f".join(
            [track.name, *track.artists, track.album or "", str(track.length_ms or "")]
        )
        if track is not None
        else ""
    )
    return f"{tags}{BROWSE_NAME_SEPARATOR}{browse_name}"


def _tags(stored: str) -> str:
    return stored.partition(BROWSE_NAME_SEPARATOR)[0]


def _browse_name(stored: str) -> str | None:
    _, separator, name = stored.partition(BROWSE_NAME_SEPARATOR)
    return name if separator else None  # None: kept before browse names were


class Rematcher:
    """One rematch of the library backends against the songs of the store."""

    def __init__(self, library: Library, schemes: Iterable[str]) -> None:
        self._library = library
        self._schemes = tuple(schemes)
        self.lookups = 0  # URIs looked up by the last run

    def run(self, store: Store, now_s: float, *, full: bool = False) -> RematchResult:
        """One rematch; `full`: every track looked up to compare its tags, not
        only the new ones and those whose browse name changed."""
        result = RematchResult()
        self.lookups = 0
        running = self._library.uri_schemes()
        for scheme in (s for s in self._schemes if s in running):
            self._rematch(scheme, store, now_s, result, full)
        logger.info(
            "Rematched your library: %d tracks, %d new, %d retagged, %d gone; "
            "%d matches made, %d dropped",
            result.tracks,
            result.new,
            result.retagged,
            result.gone,
            result.matches_made,
            result.matches_dropped,
        )
        return result

    def _rematch(
        self,
        scheme: str,
        store: Store,
        now_s: float,
        result: RematchResult,
        full: bool,
    ) -> None:
        names = self._library.track_names(scheme)
        known = store.library_tracks.fingerprints(scheme)
        gone = (set(known) | store.library_tracks.matched(scheme)) - set(names)
        new = [uri for uri in names if uri not in known]
        recheck = [
            uri
            for uri, name in names.items()
            if uri in known and (full or _browse_name(known[uri]) != name)
        ]
        result.tracks += len(names)
        result.gone += len(gone)
        result.new += len(new)
        result.matches_dropped += store.library_tracks.remove(gone)
        for start in range(0, len(recheck), LOOKUP_BATCH):
            uris = recheck[start : start + LOOKUP_BATCH]
            found = self._lookup(uris)
            changed = [
                u
                for u in uris
                if _tags(fingerprint(found.get(u), "")) != _tags(known[u])
            ]
            same = [u for u in uris if u not in set(changed)]
            # Same tags: only the browse name (or the fingerprint's form) is new.
            store.library_tracks.add(
                [(u, fingerprint(found.get(u), names[u])) for u in same], [], now_s
            )
            result.retagged += len(changed)
            result.matches_dropped += store.library_tracks.forget_changed(changed)
            self._match(store, changed, found, names, now_s, result)
        new.sort()
        for start in range(0, len(new), LOOKUP_BATCH):
            uris = new[start : start + LOOKUP_BATCH]
            self._match(store, uris, self._lookup(uris), names, now_s, result)

    def _lookup(self, uris: list[str]) -> dict[str, LocalTrack]:
        self.lookups += len(uris)
        return {t.uri: t for t in self._library.lookup(uris)}

    @staticmethod
    def _match(
        store: Store,
        uris: list[str],
        found: dict[str, LocalTrack],
        names: dict[str, str],
        now_s: float,
        result: RematchResult,
    ) -> None:
        """URIs recorded as seen, their tracks joined to their songs."""
        result.matches_made += store.library_tracks.add(
            [(uri, fingerprint(found.get(uri), names[uri])) for uri in uris],
            [
                (t.as_match(), t.match_keys, fingerprint(t, names[t.uri]))
                for uri in uris
                if (t := found.get(uri)) is not None
            ],
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
