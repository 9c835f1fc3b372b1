"""Songs matched to local tracks: the work behind the loved and most played lists.

A `Matcher` runs on its own thread with its own database connection. It wakes
at startup, after an import and when asked, and matches every loved or counted
song not matched yet. A run asks each backend's search once per artist (or, for a
backend without search such as Mopidy-File, browses it once), so it never
walks the whole library once per loved song.

Mopidy-Local's full-text search folds only ASCII case: "Beyonce" does not find
"Beyoncé", nor "Guns N' Roses" "Guns N\u2019 Roses". So the artist is searched as
the library writes it (its artist names, folded, give the spellings of each
loved artist), and a song its artist did not find is searched by title; the
match keys then decide. At startup and when asked (see `rematch`), the library
is first rematched: new tracks joined to their songs, tracks gone unmatched.
"""

from __future__ import annotations

import logging
import pathlib
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable

from .errors import StorageError
from .kinds import KINDS, LOVED
from .library import Library
from .matching import artist_key, artist_keys, match_keys, search_terms
from .qualifiers import QUALIFIER_IN_BRACKETS
from .rematch import Rematcher, RematchResult
from .store import LocalMatch, Song, Store
from .timing import Clock, SystemClock
from .tracks import LocalTrack

logger = logging.getLogger(__name__)

MATCH_CHUNK = 500  # songs per database transaction
# Search answers kept: songs come ordered by artist, so an artist's answers
# are wanted again only while its songs are matched.
MAX_CACHED_SEARCHES = 256
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
        self._searched: OrderedDict[tuple[str, str, str], list[LocalTrack] | None] = (
            OrderedDict()
        )
        self._scanned: dict[str, dict[str, list[LocalTrack]]] = {}  # by artist key
        self._spellings: dict[str, list[str]] | None = None  # by artist key
        self._credits = ""  # the library's artist keys, one a line
        self.searches = 0
        self.title_searches = 0
        self.scans = 0
        self.listings = 0  # requests for the library's artist names

    def find(self, song: Song) -> list[LocalMatch]:
        # One artist of a collaboration on either side is enough.
        keys = {(song.artist_key, song.title_key, song.recording)}
        keys |= match_keys(song.artist, song.track)
        found: dict[str, LocalMatch] = {}
        for scheme in self._schemes:
            for track in self._candidates(scheme, song.artist):
                if not keys.isdisjoint(track.match_keys):
                    found.setdefault(track.uri, track.as_match())
            if found or scheme in self._scanned or not self._may_credit(song.artist):
                continue
            for term in _title_terms(song):
                # The artist as the library writes it may differ beyond folding.
                for track in self._search(scheme, "track_name", term) or ():
                    if not keys.isdisjoint(track.match_keys):
                        found.setdefault(track.uri, track.as_match())
        return list(found.values())

    def _candidates(self, scheme: str, artist: str) -> list[LocalTrack]:
        if scheme in BROWSE_ONLY_SCHEMES and scheme not in self._scanned:
            self._scan(scheme)
        if scheme in self._scanned:
            return self._from_scan(scheme, artist)
        tracks: list[LocalTrack] = []
        for term in self._artist_terms(artist):
            result = self._search(scheme, "artist", term)
            if result is None:
                self._scan(scheme)
                return self._from_scan(scheme, artist)
            tracks.extend(result)
        return tracks

    def _artist_terms(self, artist: str) -> list[str]:
        """The library's own spellings of the artist if it lists its artists,
        else the name as written and folded."""
        return self._spelled().get(artist_key(artist)) or search_terms(artist)

    def _may_credit(self, artist: str) -> bool:
        """Whether a library artist other than this one's spellings may credit it
        ("A & B", "A x B" for "A"): always, when the library lists no artists."""
        key = artist_key(artist)
        exact = 1 if key in self._spelled() else 0
        return not self._credits or self._credits.count(f" {key} ") > exact

    def _spelled(self) -> dict[str, list[str]]:
        if self._spellings is None:
            self.listings += 1
            self._spellings = defaultdict(list)
            for name in sorted(self._library.artist_names()):
                self._spellings[artist_key(name)].append(name)
            self._credits = "\n".join(f" {key} " for key in self._spellings)
        return self._spellings

    def _search(self, scheme: str, field: str, term: str) -> list[LocalTrack] | None:
        asked = (scheme, field, term)
        if asked in self._searched:
            self._searched.move_to_end(asked)
            return self._searched[asked]
        self.searches += 1
        self.title_searches += field == "track_name"
        found = self._searched[asked] = self._library.search(scheme, field, term)
        if len(self._searched) > MAX_CACHED_SEARCHES:
            self._searched.popitem(last=False)
        return found

    @property
    def cached_searches(self) -> int:
        """Search answers kept for the rest of the run."""
        return len(self._searched)

    def release(self) -> None:
        """Forget the library's answers (the counts stay): the run is over."""
        self._searched.clear()
        self._scanned.clear()
        self._spellings = None
        self._credits = ""

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


def _title_terms(song: Song) -> list[str]:
    """The title folded, and as written (no bracketed qualifiers) when that has
    more than ASCII: the library may write it the same."""
    written = " ".join(QUALIFIER_IN_BRACKETS.sub(" ", song.track).split())
    terms = [song.title_key, *([written] if not written.isascii() else [])]
    return [t for t in dict.fromkeys(terms) if t.strip()]


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
        self._idle = threading.Event()  # the thread waits with nothing to do
        self._asking = threading.Lock()  # work wanted and idle: never both
        self._rematch_wanted = True  # at startup: the library may have changed
        self._full_rematch = True  # the first: tags may have been edited since
        self._rematcher = Rematcher(library, self._schemes)
        self.last_rematch: RematchResult | None = None
        self._stopping = False
        self._thread: threading.Thread | None = None
        self.last_index: LibraryIndex | None = None

    def wake(self) -> None:
        """Something waits to be matched (an import ended, a love was made)."""
        self._want()

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait until nothing is left to match; False if still busy."""
        return self._idle.wait(timeout_s)

    def rematch(self) -> None:
        """The library may have changed: rematch it, then match what waits."""
        self._rematch_wanted = True
        self._want()

    def _want(self) -> None:
        with self._asking:
            self._idle.clear()
            self._wanted.set()

    def start(self) -> None:
        self._wanted.set()  # songs left unmatched by an earlier run or the CLI
        self._thread = threading.Thread(
            target=self._run, name="MTScrobbleMatcher", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_s: float = 5.0) -> None:
        self.ask_to_stop()
        self.join(timeout_s)

    def ask_to_stop(self) -> None:
        """The thread ends after the match it makes now; never waited for here."""
        self._stopping = True
        self._wanted.set()

    def join(self, timeout_s: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            with self._asking:
                if not self._wanted.is_set():
                    self._idle.set()
            self._wanted.wait()
            self._idle.clear()
            self._wanted.clear()
            if self._stopping:
                return
            try:
                if self._rematch_wanted:
                    self._rematch_wanted = False
                    self.rematch_once()
                self.run_once()
            except StorageError as exc:
                logger.error("Matching loved tracks paused: %s", exc)
                self._rematch_wanted = True
                retry = threading.Timer(RETRY_AFTER_STORAGE_ERROR_S, self.wake)
                retry.daemon = True
                retry.start()
            except Exception:
                logger.exception(
                    "Matching loved tracks failed; playback goes on. "
                    "Please report this with the log."
                )

    def rematch_once(self) -> RematchResult:
        """New library tracks joined to their songs, tracks gone unmatched."""
        store = Store.open(self._data_dir, self._clock.wall())
        try:
            result = self._rematcher.run(
                store, self._clock.wall(), full=self._full_rematch
            )
            self.last_rematch = result
            self._full_rematch = False
        finally:
            store.close()
        if result.changed and self._on_changed is not None:
            self._on_changed()
        return result

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
        if index is not None:
            index.release()
        if results and self._on_changed is not None:
            self._on_changed()
        return results
