"""A library backend that keeps its tracks in an SQLite file, as Mopidy-Local
does: nothing of the library is held in Python between calls; search (FTS3,
as in `fulltext_backend`), lookup, browse and the artist listing build their
answers from the database, so a process running it holds what a Mopidy
running Mopidy-Local would. For benchmarks of the memory matching takes.
"""

from __future__ import annotations

import collections
import pathlib
import sqlite3
import threading
from collections.abc import Iterable

import pykka
from mopidy import backend
from mopidy.models import Album, Artist, Ref, SearchResult, Track

from .fulltext_backend import FIELDS, MAX_SEARCH_RESULTS

ARTIST_SEPARATOR = "\x1f"
ALL_TRACKS_URI = "local:directory?type=track"  # Mopidy-Local's "Tracks"
ROWS_PER_INSERT = 5_000
# uri, name, artists (joined by ARTIST_SEPARATOR), album, length_ms
Row = tuple[str, str, str, str, int]

SCHEMA = """
CREATE TABLE IF NOT EXISTS track (
    uri TEXT PRIMARY KEY, name TEXT, artists TEXT, album TEXT, length INTEGER
);
CREATE TABLE IF NOT EXISTS artist (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS fts USING fts3 (uri, track_name, artist);
"""


def create(path: pathlib.Path, rows: Iterable[Row]) -> None:
    """A library database at `path` with `rows`, written in batches (the rows
    may come from a generator: they are never all held at once)."""
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    batch: list[Row] = []
    for row in rows:
        batch.append(row)
        if len(batch) == ROWS_PER_INSERT:
            _insert(db, batch)
            batch = []
    _insert(db, batch)
    db.commit()
    db.close()


def _insert(db: sqlite3.Connection, rows: list[Row]) -> None:
    db.executemany("INSERT INTO track VALUES (?, ?, ?, ?, ?)", rows)
    db.executemany(
        "INSERT OR IGNORE INTO artist VALUES (?)",
        [(a,) for r in rows for a in r[2].split(ARTIST_SEPARATOR)],
    )
    db.executemany(
        "INSERT INTO fts VALUES (?, ?, ?)",
        [(r[0], r[1], r[2].replace(ARTIST_SEPARATOR, " ")) for r in rows],
    )


def _track(row: Row) -> Track:
    uri, name, artists, album, length = row
    return Track(
        uri=uri,
        name=name,
        artists=[Artist(name=a) for a in artists.split(ARTIST_SEPARATOR)],
        album=Album(name=album),
        length=length,
    )


class SqliteLibrary(backend.LibraryProvider):
    root_directory = Ref.directory(uri="local:directory", name="Local media")

    def __init__(self, backend_: backend.Backend, path: pathlib.Path) -> None:
        super().__init__(backend_)
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        self.calls: collections.Counter[str] = collections.Counter()

    def _rows(self, sql: str, params: Iterable[object] = ()) -> list[Row]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def browse(self, uri):
        self.calls["browse"] += 1
        if uri not in (self.root_directory.uri, ALL_TRACKS_URI):
            return []
        return [
            Ref.track(uri=u, name=n)
            for u, n in self._rows("SELECT uri, name FROM track ORDER BY uri")
        ]

    def get_distinct(self, field, query=None):
        self.calls["get_distinct"] += 1
        if field != "artist":
            return set()
        return {r[0] for r in self._rows("SELECT name FROM artist")}

    def lookup(self, uri):
        self.calls["lookup"] += 1
        return [
            _track(r) for r in self._rows("SELECT * FROM track WHERE uri = ?", (uri,))
        ]

    def search(self, query=None, uris=None, exact=False):
        self.calls["search"] += 1
        terms, params = [], []
        for field, values in (query or {}).items():
            for value in values:
                terms.append(f"SELECT uri FROM fts WHERE {FIELDS[field]} MATCH ?")  # noqa: S608 - known names
                params.append(value)
        if not terms:
            return SearchResult(uri="local:search", tracks=())
        sql = (
            "SELECT * FROM track WHERE uri IN ("  # noqa: S608 - known names
            + " INTERSECT ".join(terms)
            + f" LIMIT {MAX_SEARCH_RESULTS})"
        )
        try:
            rows = self._rows(sql, params)
        except sqlite3.OperationalError:
            rows = []  # a value FTS cannot parse finds nothing, as in Mopidy-Local
        return SearchResult(uri="local:search", tracks=tuple(_track(r) for r in rows))


class SqliteBackend(pykka.ThreadingActor, backend.Backend):
    uri_schemes = ["local"]  # noqa: RUF012

    def __init__(self, config, audio, path):
        super().__init__()
        self.library = SqliteLibrary(self, path)
        self.playback = None
        self.playlists = None
