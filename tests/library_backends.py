"""Two test backends a local library can live in, like Mopidy-Local and Mopidy-File.

`SearchingBackend` (scheme `local`) answers search, with an artist index so a
large library answers fast; `BrowsingBackend` (scheme `file`) only browses and
looks up, as Mopidy-File does. Both count the calls made to them.
"""

from __future__ import annotations

import collections

import pykka
from mopidy import backend
from mopidy.models import Ref, SearchResult

from mopidy_mtscrobble.matching import fold


class SearchingLibrary(backend.LibraryProvider):
    def __init__(self, backend_, tracks):
        super().__init__(backend_)
        self.tracks = {t.uri: t for t in tracks}
        self.by_artist = collections.defaultdict(list)
        for track in tracks:
            for artist in track.artists:
                self.by_artist[fold(artist.name)].append(track)
        self.calls = collections.Counter()

    def lookup(self, uri):
        self.calls["lookup"] += 1
        return [self.tracks[uri]] if uri in self.tracks else []

    def search(self, query=None, uris=None, exact=False):
        """An artist matches when its name contains the value (case folded)."""
        self.calls["search"] += 1
        found = []
        for value in (query or {}).get("artist", []):
            wanted = fold(value)
            if wanted in self.by_artist:  # the index answers most searches
                found.extend(self.by_artist[wanted])
                continue
            found.extend(
                t
                for name, tracks in self.by_artist.items()
                if wanted in name
                for t in tracks
            )
        return SearchResult(uri="local:search", tracks=tuple(dict.fromkeys(found)))


class BrowsingLibrary(backend.LibraryProvider):
    root_directory = Ref.directory(uri="file:root", name="Files")

    def __init__(self, backend_, tracks):
        super().__init__(backend_)
        self.tracks = {t.uri: t for t in tracks}
        self.calls = collections.Counter()

    def browse(self, uri):
        self.calls["browse"] += 1
        if uri == "file:root":
            return [Ref.directory(uri="file:root/music", name="music")]
        if uri == "file:root/music":
            return [Ref.track(uri=t.uri, name=t.name) for t in self.tracks.values()]
        return []

    def lookup(self, uri):
        self.calls["lookup"] += 1
        return [self.tracks[uri]] if uri in self.tracks else []


class SearchingBackend(pykka.ThreadingActor, backend.Backend):
    uri_schemes = ["local"]  # noqa: RUF012

    def __init__(self, config, audio, tracks=()):
        super().__init__()
        self.library = SearchingLibrary(self, tracks)
        self.playback = None
        self.playlists = None


class BrowsingBackend(pykka.ThreadingActor, backend.Backend):
    uri_schemes = ["file"]  # noqa: RUF012

    def __init__(self, config, audio, tracks=()):
        super().__init__()
        self.library = BrowsingLibrary(self, tracks)
        self.playback = None
        self.playlists = None
