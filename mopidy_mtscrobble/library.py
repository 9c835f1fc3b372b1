"""Local tracks, found through Mopidy's own library API: search, browse, lookup.

Called from a thread of ours, never from an actor: every call waits for the
core, which waits for the backends. What the backends give passes the same
boundary as playback's events (`sanitize`): names made valid (a file name that
is not UTF-8 reads with U+FFFD), and a track whose URI cannot be kept is left
out, named once in the log.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Collection, Iterator, Sequence
from typing import Any

import pykka
from mopidy.models import Ref

from .errors import NotReadyError, TrackError
from .sanitize import clean_text, encodable
from .tracks import LocalTrack, local_track

logger = logging.getLogger(__name__)

LOOKUP_CHUNK = 50  # URIs per lookup: other work on the core gets a turn between
MAX_BROWSE_DIRECTORIES = 100_000  # a guard against backends with endless trees
# Directories listing every track of a backend at once: Mopidy-Local's "Tracks".
ALL_TRACKS_DIRECTORIES = {"local": "local:directory?type=track"}
MAX_REFUSED_NAMED = 100  # URIs named in the log, at most


def find_track(
    core: Any, uri: str | None, schemes: Collection[str], timeout_s: float
) -> LocalTrack:
    """The track a request means: the one playing (no URI), or a library track.

    Only URIs of the library's schemes (`favorites_uri_schemes`) are looked
    up: a lookup makes backends work (Mopidy-Stream would fetch a URL).
    Waits for the core: call it from a thread of its own, never from an
    actor or the HTTP server's event loop.
    """
    try:
        if uri is None:
            model = core.playback.get_current_track().get(timeout=timeout_s)
            if model is None:
                raise TrackError("Nothing is playing: play a track or give a URI", 409)
        else:
            check_scheme(uri, schemes)
            models = core.library.lookup(uris=[uri]).get(timeout=timeout_s).get(uri)
            # Mopidy 3's file backend answers a file it cannot read with only
            # its URI and file name.
            if not models or not (models[0].length or models[0].artists):
                raise TrackError(f"No track has the URI {uri}", 404)
            model = models[0]
    except pykka.Timeout:
        raise NotReadyError("Mopidy did not answer in time; try again") from None
    except pykka.ActorDeadError:
        raise NotReadyError("Mopidy is stopping") from None
    track = local_track(model)
    if track is None:
        raise TrackError(
            f"The track {uri or 'playing'} has no artist or title, so it cannot "
            "be loved",
            400,
        )
    return track


def check_scheme(uri: str, schemes: Collection[str]) -> None:
    """TrackError unless `uri` is of the library's schemes: a lookup makes
    backends work (Mopidy-Stream would fetch a URL)."""
    scheme = uri.partition(":")[0].lower()
    if ":" not in uri or scheme not in schemes:
        raise TrackError(
            f"Only tracks of your library can be looked up here (URIs "
            f"starting with {', '.join(s + ':' for s in schemes) or 'nothing'};"
            " see mtscrobble/favorites_uri_schemes)",
            400,
        )


def find_tracks(
    core: Any, uris: Sequence[str], schemes: Collection[str], timeout_s: float
) -> dict[str, LocalTrack | None]:
    """The library tracks of `uris` (None: unknown, or without artist or
    title), looked up LOOKUP_CHUNK at a time; TrackError if any URI is not
    of the library's schemes, before anything is looked up. Waits for the
    core, as `find_track` does."""
    for uri in uris:
        check_scheme(uri, schemes)
    found: dict[str, LocalTrack | None] = dict.fromkeys(uris)
    try:
        for start in range(0, len(uris), LOOKUP_CHUNK):
            chunk = list(uris[start : start + LOOKUP_CHUNK])
            answers = core.library.lookup(uris=chunk).get(timeout=timeout_s)
            for uri in chunk:
                models = answers.get(uri)
                if models and (models[0].length or models[0].artists):
                    found[uri] = local_track(models[0])
    except pykka.Timeout:
        raise NotReadyError("Mopidy did not answer in time; try again") from None
    except pykka.ActorDeadError:
        raise NotReadyError("Mopidy is stopping") from None
    return found


class Library:
    """Mopidy's library, through the core actor's proxy."""

    def __init__(self, core: Any) -> None:
        self._core = core
        self._refused: set[str] = set()  # URIs said in the log (each once)

    def _usable(self, uri: str) -> bool:
        """Whether a URI can be kept (as UTF-8); a track's that cannot is left
        out, and said once."""
        if encodable(uri) == uri:
            return True
        if len(self._refused) < MAX_REFUSED_NAMED and uri not in self._refused:
            self._refused.add(uri)
            logger.warning(
                "A track of your library is left out of the loved tracks' "
                "matching: its URI %s is not valid text (a file name that is not "
                "UTF-8?); rename the file to fix it",
                encodable(uri),
            )
        return False

    def uri_schemes(self) -> set[str]:
        """The schemes of the backends Mopidy runs."""
        return {str(s) for s in self._core.get_uri_schemes().get()}

    def search_artist(self, scheme: str, term: str) -> list[LocalTrack] | None:
        """Tracks of one backend whose artist contains `term`; None: no search."""
        return self.search(scheme, "artist", term)

    def search(self, scheme: str, field: str, term: str) -> list[LocalTrack] | None:
        """Tracks of one backend whose `field` ("artist", "track_name")
        contains `term`; None: the backend does not search."""
        results = self._core.library.search(
            query={field: [term]}, uris=[f"{scheme}:"]
        ).get()
        if not results:
            return None  # the backend does not search (Mopidy-File, for one)
        tracks = (local_track(t) for result in results for t in result.tracks or ())
        return [t for t in tracks if t is not None and self._usable(t.uri)]

    def artist_names(self) -> set[str]:
        """Every artist name the backends know, as they write it (empty from
        backends that do not list them, such as Mopidy-File)."""
        names = self._core.library.get_distinct("artist").get()
        return {name for n in names or () if (name := clean_text(n))}

    def scan(self, scheme: str) -> Iterator[LocalTrack]:
        """Every track of one backend, by browsing its directories once."""
        return self.lookup(self.track_uris(scheme))

    def track_uris(self, scheme: str) -> list[str]:
        """The URIs of every track of one backend, by browsing it (no lookups)."""
        return list(self.track_names(scheme))

    def track_names(self, scheme: str) -> dict[str, str]:
        """The URI and browse name of every track of one backend, by browsing
        it (no lookups); Mopidy-Local names a track by its title."""
        everything = ALL_TRACKS_DIRECTORIES.get(scheme)
        if everything is not None:
            refs = self._core.library.browse(everything).get()
            names = {
                str(r.uri): clean_text(r.name) or ""
                for r in refs or ()
                if r.type == Ref.TRACK and self._usable(str(r.uri))
            }
            if names:
                return names  # else not Mopidy-Local, or an empty library: walk it
        roots = [
            ref
            for ref in self._core.library.browse(None).get()
            if str(ref.uri).startswith(f"{scheme}:")
        ]
        seen: set[str] = set()
        directories = deque(str(ref.uri) for ref in roots)
        tracks: dict[str, str] = {}
        browsed = 0
        while directories and browsed < MAX_BROWSE_DIRECTORIES:
            uri = directories.popleft()
            browsed += 1
            for ref in self._core.library.browse(uri).get():
                ref_uri = str(ref.uri)
                if ref_uri in seen:
                    continue
                seen.add(ref_uri)
                if ref.type == Ref.DIRECTORY:
                    directories.append(ref_uri)
                elif ref.type == Ref.TRACK and self._usable(ref_uri):
                    tracks[ref_uri] = clean_text(ref.name) or ""
        return tracks

    def lookup(self, uris: list[str]) -> Iterator[LocalTrack]:
        """The tracks with these URIs that have an artist and a title."""
        for start in range(0, len(uris), LOOKUP_CHUNK):
            found = self._core.library.lookup(
                uris=uris[start : start + LOOKUP_CHUNK]
            ).get()
            for models in found.values():
                for model in models:
                    track = local_track(model)
                    if track is not None and self._usable(track.uri):
                        yield track
