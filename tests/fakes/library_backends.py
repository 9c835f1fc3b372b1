"""Two test backends a local library can live in, like Mopidy-Local and Mopidy-File.

`SearchingBackend` (scheme `local`) answers search by artist or title, with
indexes so a large library answers fast, lists its artists (`get_distinct`) and
browses all its tracks in one directory; `BrowsingBackend` (scheme `file`) only
browses and looks up, as Mopidy-File does. Both count the calls made to them,
and the searching one's tracks can be added and removed (a library rescanned).
"""

from __future__ import annotations

import collections

import pykka
from mopidy import backend
from mopidy.models import Ref, SearchResult

from mopidy_mtscrobble.matching import fold


class SearchingLibrary(backend.LibraryProvider):
    root_directory = Ref.directory(uri="local:directory", name="Local media")

    def __init__(self, backend_, tracks):
        super().__init__(backend_)
        self.tracks = {}
        self.by_artist = collections.defaultdict(list)
        self.by_word = collections.defaultdict(set)  # title words: track URIs
        self.add(tracks)
        self.calls = collections.Counter()

    def add(self, tracks):
        for track in tracks:
            self.tracks[track.uri] = track
            for artist in track.artists:
                self.by_artist[fold(artist.name)].append(track)
            for word in fold(track.name or "").split():
                self.by_word[word].add(track.uri)

    def remove(self, uris):
        for uri in uris:
            track = self.tracks.pop(uri)
            for artist in track.artists:
                self.by_artist[fold(artist.name)].remove(track)
            for word in fold(track.name or "").split():
                self.by_word[word].discard(uri)

    def browse(self, uri):
        self.calls["browse"] += 1
        if uri == self.root_directory.uri:
            return [
                Ref.track(uri=t.uri, name=t.name or t.uri) for t in self.tracks.values()
            ]
        return []

    def get_distinct(self, field, query=None):
        self.calls["get_distinct"] += 1
        if field != "artist":
            return set()
        return {a.name for t in self.tracks.values() for a in t.artists}

    def lookup(self, uri):
        self.calls["lookup"] += 1
        return [self.tracks[uri]] if uri in self.tracks else []

    def search(self, query=None, uris=None, exact=False):
        """An artist matches when its name contains the value (case folded), a
        title when it has every word of the value."""
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
        for value in (query or {}).get("track_name", []):
            words = [self.by_word.get(w, set()) for w in fold(value).split()]
            hits = set.intersection(*words) if words else set()
            found.extend(self.tracks[uri] for uri in sorted(hits))
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
            return [
                Ref.track(uri=t.uri, name=t.name or t.uri) for t in self.tracks.values()
            ]
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
