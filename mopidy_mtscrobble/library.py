"""Local tracks, found through Mopidy's own library API: search, browse, lookup.

Called from a thread of ours, never from an actor: every call waits for the
core, which waits for the backends.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections import deque
from collections.abc import Iterator
from typing import Any

from mopidy.models import Ref

from .matching import key_parts
from .sanitize import MAX_LENGTH_MS, clean_int, clean_text
from .store import LocalMatch

logger = logging.getLogger(__name__)

LOOKUP_CHUNK = 50  # URIs per lookup: other work on the core gets a turn between
MAX_BROWSE_DIRECTORIES = 100_000  # a guard against backends with endless trees

Key = tuple[str, str, str]


@dataclasses.dataclass(frozen=True)
class LocalTrack:
    uri: str
    name: str
    artists: tuple[str, ...]
    album: str | None
    length_ms: int | None

    @functools.cached_property
    def match_keys(self) -> frozenset[Key]:
        """The match keys this track answers to: its artists together, and each."""
        names = [", ".join(self.artists), *self.artists]
        if len(self.artists) > 1:
            names.append(" & ".join(self.artists))
        return frozenset(key_parts(name, self.name) for name in names if name)

    def as_match(self) -> LocalMatch:
        return LocalMatch(
            uri=self.uri,
            name=self.name,
            artist=", ".join(self.artists) or None,
            album=self.album,
            length_ms=self.length_ms,
        )


def local_track(model: Any) -> LocalTrack | None:
    """A Mopidy Track model (3 or 4) as matching needs it; None without names."""
    names = (clean_text(a.name) for a in model.artists or ())
    artists = tuple(sorted(n for n in names if n))
    name = clean_text(model.name)
    if not name or not artists:
        return None
    album = clean_text(model.album.name) if model.album else None
    length = clean_int(model.length, MAX_LENGTH_MS)
    return LocalTrack(str(model.uri), name, artists, album, length)


class Library:
    """Mopidy's library, through the core actor's proxy."""

    def __init__(self, core: Any) -> None:
        self._core = core

    def uri_schemes(self) -> set[str]:
        """The schemes of the backends Mopidy runs."""
        return {str(s) for s in self._core.get_uri_schemes().get()}

    def search_artist(self, scheme: str, term: str) -> list[LocalTrack] | None:
        """Tracks of one backend whose artist contains `term`; None: no search."""
        results = self._core.library.search(
            query={"artist": [term]}, uris=[f"{scheme}:"]
        ).get()
        if not results:
            return None  # the backend does not search (Mopidy-File, for one)
        tracks = (local_track(t) for result in results for t in result.tracks or ())
        return [t for t in tracks if t is not None]

    def scan(self, scheme: str) -> Iterator[LocalTrack]:
        """Every track of one backend, by browsing its directories once."""
        roots = [
            ref
            for ref in self._core.library.browse(None).get()
            if str(ref.uri).startswith(f"{scheme}:")
        ]
        seen: set[str] = set()
        directories = deque(str(ref.uri) for ref in roots)
        track_uris: list[str] = []
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
                elif ref.type == Ref.TRACK:
                    track_uris.append(ref_uri)
        for start in range(0, len(track_uris), LOOKUP_CHUNK):
            found = self._core.library.lookup(
                uris=track_uris[start : start + LOOKUP_CHUNK]
            ).get()
            for models in found.values():
                for model in models:
                    track = local_track(model)
                    if track is not None:
                        yield track
