"""Songs matched to local tracks: the work behind the loved and most played lists.

A `Matcher` runs on its own thread with its own database connection. It wakes
at startup, after an import and when asked, and matches every loved or counted
song not matched yet. A run asks each backend's search once per artist (or, for a
backend without search such as Mopidy-File, browses it once), so it never
walks the whole library once per loved song.
"""

from __future__ import annotations

import logging
import pathlib
import threading
from collections import defaultdict
from collections.abc import Callable, Iterable

from .errors import StorageError
from .kinds import KINDS, LOVED
from .library import Library
from .matching import artist_keys, match_keys, search_terms
from .store import LocalMatch, Song, Store
from .timing import Clock, SystemClock
from .tracks import LocalTrack

logger = logging.getLogger(__name__)

MATCH_CHUNK = 500  # songs per database transaction
# Backends known not to search (asking Mopidy-File makes Mopidy 3 log an error).
BROWSE_ONLY_SCHEMES = frozenset({"file"})
RETRY_AFTER_STORAGE_ERROR_S = 60.0


class LibraryIndex:
    """What one matching run learned of the library, so it asks for it once."""

    def __init__(self, library: Library, schemes: Iterable[str]) -> None:
        self._library = library
        running = library.uri_schemes()
        self._schemes = [s for s in schemes if s in running]
        for scheme in schemes:
            if scheme not in running:
                logger.debug(
                    "No backend for %s: loved songs are not looked for there", scheme
                )
        self._searched: dict[tuple[str, str], list[LocalTrack]] = {}
        self._scanned: dict[str, dict[str, list[LocalTrack]]] = {}  # by artist key
        self.searches = 0
        self.scans = 0

    def find(self, song: Song) -> list[LocalMatch]:
        # One artist of a collaboration on either side is enough.
        keys = {(song.artist_key, song.title_key, song.recording)}
        keys |= match_keys(song.artist, song.track)
        found: dict[str, LocalMatch] = {}
        for scheme in self._schemes:
            for track in self._candidates(scheme, song.artist):
                if not keys.isdisjoint(track.match_keys):
                    found.setdefault(track.uri, track.as_match())
        return list(found.values())

    def _candidates(self, scheme: str, artist: str) -> list[LocalTrack]:
        if scheme in BROWSE_ONLY_SCHEMES and scheme not in self._scanned:
            self._scan(scheme)
        if scheme in self._scanned:
            return self._from_scan(scheme, artist)
        tracks: list[LocalTrack] = []
        for term in search_terms(artist):
            cached = self._searched.get((scheme, term))
            if cached is None:
                self.searches += 1
                result = self._library.search_artist(scheme, term)
                if result is None:
                    self._scan(scheme)
                    return self._from_scan(scheme, artist)
                cached = self._searched[(scheme, term)] = result
            tracks.extend(cached)
        return tracks

    def _from_scan(self, scheme: str, artist: str) -> list[LocalTrack]:
        by_artist = self._scanned[scheme]
        found = {t.uri: t for a in artist_keys(artist) for t in by_artist.get(a, [])}
        return list(found.values())

    def _scan(self, scheme: str) -> None:
        self.scans += 1
        logger.info("Reading the tracks of %s: to match loved songs", scheme)
        by_artist: dict[str, list[LocalTrack]] = defaultdict(list)
        count = 0
        for track in self._library.scan(scheme):
            count += 1
            for artist in {key[0] for key in track.match_keys}:
                by_artist[artist].append(track)
        logger.info("Read %d tracks of %s", count, scheme)
        self._scanned[scheme] = by_artist


class Matcher:
    def __init__(
        self,
        data_dir: pathlib.Path,
        library: Library,
        schemes: Iterable[str],
        on_changed: Callable[[], None] | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._data_dir = data_dir
        self._library = library
        self._schemes = tuple(schemes)
        self._on_changed = on_changed
        self._clock = clock or SystemClock()
        self._wanted = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.last_index: LibraryIndex | None = None

    def wake(self) -> None:
        """Something waits to be matched (an import ended, a love was made)."""
        self._wanted.set()

    def start(self) -> None:
        self._wanted.set()  # songs left unmatched by an earlier run or the CLI
        self._thread = threading.Thread(
            target=self._run, name="MTScrobbleMatcher", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stopping = True
        self._wanted.set()
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            self._wanted.wait()
            self._wanted.clear()
            if self._stopping:
                return
            try:
                self.run_once()
            except StorageError as exc:
                logger.error("Matching loved tracks paused: %s", exc)
                retry = threading.Timer(RETRY_AFTER_STORAGE_ERROR_S, self.wake)
                retry.daemon = True
                retry.start()
            except Exception:
                logger.exception(
                    "Matching loved tracks failed; playback goes on. "
                    "Please report this with the log."
                )

    def run_once(self) -> dict[str, dict[str, int]]:
        """Match every song not matched yet; the counts of each kind matched."""
        store = Store.open(self._data_dir, self._clock.wall())
        try:
            return self._match_all(store)
        finally:
            store.close()

    def _match_all(self, store: Store) -> dict[str, dict[str, int]]:
        results = {}
        index: LibraryIndex | None = None  # one per run: the library asked once
        for kind in KINDS:
            rows = store.songs.unmatched(kind, MATCH_CHUNK)
            job = store.jobs.get(kind)
            if not rows and (job is None or job.state != "matching"):
                continue  # nothing new; an import with nothing to match ends below
            if rows and index is None:
                index = self.last_index = LibraryIndex(self._library, self._schemes)
            while rows and index is not None and not self._stopping:
                matches = {row.id: index.find(row) for row in rows}
                store.songs.save_matches(kind, matches, self._clock.wall())
                if kind is LOVED:
                    for row in rows:
                        if not matches[row.id]:
                            logger.debug(
                                "Loved but not in your library: %s - %s",
                                row.artist,
                                row.track,
                            )
                rows = store.songs.unmatched(kind, MATCH_CHUNK)
            counts = results[kind.name] = store.songs.finish_matching(
                kind, self._clock.wall()
            )
            logger.info(
                "%s: %d in your library, %d not found (%d in all)",
                kind.title,
                counts["matched"],
                counts["missing"],
                counts["total"],
            )
        if results and self._on_changed is not None:
            self._on_changed()
        return results
