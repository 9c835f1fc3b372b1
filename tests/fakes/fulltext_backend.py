"""A library backend that searches as Mopidy-Local 3.3 does, for tests.

Mopidy-Local keeps its tracks in SQLite with an FTS3 table (the "simple"
tokenizer) and answers `search` with `<field> MATCH ?`: tokens are runs of
ASCII letters and digits plus every non-ASCII character, folded for ASCII case
only, so "beyonce" does not find "Beyoncé", nor "n" an "N" followed by a
typographic apostrophe. This backend uses the same SQLite FTS3 table and
query, lists its artists (`get_distinct`) and browses all its tracks from one
directory.
"""

from __future__ import annotations

import collections
import sqlite3

import pykka
from mopidy import backend
from mopidy.models import Ref, SearchResult

FIELDS = {"artist": "artist", "track_name": "track_name", "any": "fts"}
MAX_SEARCH_RESULTS = 100  # Mopidy-Local's max_search_results default


class FullTextLibrary(backend.LibraryProvider):
    root_directory = Ref.directory(uri="local:directory", name="Local media")

    def __init__(self, backend_, tracks, lists_artists=True):
        super().__init__(backend_)
        self.lists_artists = lists_artists
        self.tracks = {t.uri: t for t in tracks}
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute("CREATE VIRTUAL TABLE fts USING fts3 (uri, track_name, artist)")
        self.db.executemany(
            "INSERT INTO fts VALUES (?, ?, ?)",
            [
                (t.uri, t.name or "", " ".join(a.name for a in t.artists))
                for t in tracks
            ],
        )
        self.calls = collections.Counter()

    def browse(self, uri):
        self.calls["browse"] += 1
        if uri == self.root_directory.uri:
            return [
                Ref.track(uri=t.uri, name=t.name or t.uri) for t in self.tracks.values()
            ]
        return []

    def get_distinct(self, field, query=None):
        self.calls["get_distinct"] += 1
        if field != "artist" or not self.lists_artists:
            return set()
        return {a.name for t in self.tracks.values() for a in t.artists}

    def lookup(self, uri):
        self.calls["lookup"] += 1
        return [self.tracks[uri]] if uri in self.tracks else []

    def search(self, query=None, uris=None, exact=False):
        self.calls["search"] += 1
        terms, params = [], []
        for field, values in (query or {}).items():
            for value in values:
                terms.append(f"SELECT uri FROM fts WHERE {FIELDS[field]} MATCH ?")  # noqa: S608 - known names
                params.append(value)
        if not terms:
            return SearchResult(uri="local:search", tracks=())
        try:
            rows = self.db.execute(
                " INTERSECT ".join(terms) + f" LIMIT {MAX_SEARCH_RESULTS}", params
            ).fetchall()
        except sqlite3.OperationalError:
            rows = []  # a value FTS cannot parse finds nothing, as in Mopidy-Local
        return SearchResult(
            uri="local:search", tracks=tuple(self.tracks[r[0]] for r in rows)
        )


class FullTextBackend(pykka.ThreadingActor, backend.Backend):
    uri_schemes = ["local"]  # noqa: RUF012

    def __init__(self, config, audio, tracks=(), lists_artists=True):
        super().__init__()
        self.library = FullTextLibrary(self, tracks, lists_artists)
        self.playback = None
        self.playlists = None
