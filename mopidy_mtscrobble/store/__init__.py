"""The durable store: an SQLite database in the extension's data directory.

All SQL lives in this package, each query beside the method that runs it:
`Database` (opening, upgrading, transactions, damage) and one repository per
kind of data on it, composed by `Store` on one connection.
"""

from __future__ import annotations

import pathlib
from typing import Any

from ..destinations import LASTFM
from .charts import Charts
from .corrections import Correction, CorrectionError, Corrections
from .database import DB_FILENAME, LOCK_WAIT_SECONDS, SCHEMA_VERSION, Database
from .delivery_stats import DeliveryStats, QueueStats
from .editing import EntryRefused, QueuedEntry, QueueEditing
from .history import History, HistoryEntry, HistoryPlay
from .history_import import Cursor, HistoryImport, ImportedPlay
from .jobs import ImportJobs
from .library_tracks import LibraryTracks
from .love_queue import LoveQueue
from .loved_sync import LovedSync, SyncState
from .loves import LoveActions
from .plays import STATES, Plays
from .private import PrivateMode
from .queue import DestinationQueue
from .rekeying import Rekeying
from .rows import (
    Job,
    LocalMatch,
    LoveAction,
    Loved,
    NewScrobble,
    Scrobble,
    Song,
    SongEntry,
)
from .songs import Songs
from .sync_pass import SyncPasses
from .track_states import TrackState, TrackStates

__all__ = [
    "DB_FILENAME",
    "LOCK_WAIT_SECONDS",
    "SCHEMA_VERSION",
    "STATES",
    "Correction",
    "CorrectionError",
    "Corrections",
    "Cursor",
    "Database",
    "DeliveryStats",
    "DestinationQueue",
    "EntryRefused",
    "History",
    "HistoryEntry",
    "HistoryImport",
    "HistoryPlay",
    "ImportedPlay",
    "Job",
    "LocalMatch",
    "LoveAction",
    "LoveQueue",
    "Loved",
    "NewScrobble",
    "Plays",
    "QueueEditing",
    "QueueStats",
    "QueuedEntry",
    "Scrobble",
    "Song",
    "SongEntry",
    "Store",
    "SyncState",
    "TrackState",
]  # fmt: skip


class DeliveryStatus:
    """What the delivery side last knew, for commands run while Mopidy runs."""

    def __init__(self, db: Database) -> None:
        self._db = db

    UPSERT = """
    INSERT INTO delivery_status (key, value, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET
        value = excluded.value, updated_at = excluded.updated_at
    """

    def save(self, values: dict[str, str | None], now_s: float) -> None:
        with self._db.write() as db:
            db.executemany(self.UPSERT, [(k, v, int(now_s)) for k, v in values.items()])

    def load(self) -> dict[str, str | None]:
        rows = self._db.read("SELECT key, value FROM delivery_status")
        return {row["key"]: row["value"] for row in rows}

    # Other destinations than Last.fm: the same values, under "NAME:key".

    def save_for(
        self, destination: str, values: dict[str, str | None], now_s: float
    ) -> None:
        self.save({f"{destination}:{k}": v for k, v in values.items()}, now_s)

    def load_for(self, destination: str) -> dict[str, str | None]:
        prefix = f"{destination}:"
        return {
            k[len(prefix) :]: v for k, v in self.load().items() if k.startswith(prefix)
        }


class Store:
    """The database and its repositories, on one connection (one thread)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.plays = Plays(db)
        # Last.fm's queue: the one destination so far.
        self.queue = self.queue_to(LASTFM)
        self.loves = LoveActions(db)
        self.songs = Songs(db)
        self.jobs = ImportJobs(db)
        self.delivery_status = DeliveryStatus(db)
        self.corrections = Corrections(db, self.plays)
        self.private = PrivateMode(db)
        self.editing = QueueEditing(db)
        self.track_states = TrackStates(db)
        self.loved_sync = LovedSync(db)
        self.rekeying = Rekeying(db)
        self.library_tracks = LibraryTracks(db)
        self.charts = Charts(db)
        self.delivery_stats = DeliveryStats(db)
        self.history_import = HistoryImport(db)
        self.sync_pass = SyncPasses(db)
        self.history = History(db)

    @classmethod
    def open(
        cls, directory: pathlib.Path, now_s: float, *args: Any, **options: Any
    ) -> Store:
        """Open the database in `directory` (see `Database.open`), its songs
        keyed by the matching rule in use."""
        store = cls(Database.open(directory, now_s, *args, **options))
        try:
            store.rekeying.rekey_if_changed(now_s)
        except BaseException:
            store.close()
            raise
        return store

    def queue_to(self, destination: str) -> DestinationQueue:
        """The queue of one destination. Last.fm's accepted plays count on the
        play counts imported from it."""
        counts_plays = destination == LASTFM
        return DestinationQueue(self.db, destination, counts_plays)

    def love_queue_to(self, destination: str) -> LoveQueue:
        """The loves and unloves queued for one destination."""
        return LoveQueue(self.db, destination)

    @property
    def path(self) -> pathlib.Path:
        return self.db.path

    def close(self) -> None:
        self.db.close()

    def clear_retry_times(self) -> None:
        """Everything waiting may be sent at once (a start, or 'retry now')."""
        self.plays.clear_retry_times()
        self.loves.clear_retry_times()

    def shift_retry_times(self, seconds: float) -> None:
        """The wall clock jumped: move the retry times kept with it."""
        self.plays.shift_retry_times(seconds)
        self.loves.shift_retry_times(seconds)
