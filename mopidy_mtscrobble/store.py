"""The durable store: an SQLite database in the extension's data directory.

All SQL lives here. Writes are committed before the caller goes on, in WAL mode
with full fsync, so a crash or power cut after a call returns loses nothing.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import os
import pathlib
import sqlite3
from collections.abc import Iterator
from importlib import resources

from .errors import StorageError

logger = logging.getLogger(__name__)

DB_FILENAME = "mtscrobble.db"
SCHEMA_VERSION = 2
LOCK_WAIT_SECONDS = 10.0
SECONDS_PER_DAY = 86_400
FILE_MODE = 0o600

STATES = ("pending", "in_flight", "sent", "rejected")

INSERT_SCROBBLE = """
INSERT INTO scrobbles (
    artist, track, album, album_artist, track_number, duration_s, mbid,
    chosen_by_user, timestamp, uri, state, created_at
) VALUES (
    :artist, :track, :album, :album_artist, :track_number, :duration_s, :mbid,
    :chosen_by_user, :timestamp, :uri, 'pending', :created_at
)
ON CONFLICT (timestamp, artist, track) DO NOTHING
"""
SELECT_BY_ID = "SELECT * FROM scrobbles WHERE id = ?"
SELECT_BY_PLAY = (
    "SELECT id FROM scrobbles WHERE timestamp = ? AND artist = ? AND track = ?"
)
COUNT_BY_STATE = "SELECT state, count(*) FROM scrobbles GROUP BY state"
SELECT_RECENT = "SELECT * FROM scrobbles ORDER BY timestamp DESC, id DESC LIMIT ?"
DELETE_OLD_HISTORY = "DELETE FROM scrobbles WHERE state = 'sent' AND sent_at < ?"
SELECT_DUE = """
SELECT * FROM scrobbles
WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
ORDER BY timestamp, id LIMIT ?
"""
SELECT_IN_FLIGHT = (
    "SELECT * FROM scrobbles WHERE state = 'in_flight' ORDER BY timestamp, id"
)
SELECT_NEXT_DUE = (
    "SELECT min(coalesce(next_attempt_at, 0)) FROM scrobbles WHERE state = 'pending'"
)
SELECT_OLDEST_PENDING = """
SELECT * FROM scrobbles WHERE state IN ('pending', 'in_flight')
ORDER BY timestamp, id LIMIT 1
"""
COUNT_WAITING_OLDER_THAN = """
SELECT count(*) FROM scrobbles WHERE state IN ('pending', 'in_flight') AND timestamp < ?
"""
SELECT_BY_STATES = """
SELECT * FROM scrobbles WHERE state IN ({marks}) ORDER BY timestamp, id LIMIT ? OFFSET ?
"""
UPDATE_IN_FLIGHT = (
    "UPDATE scrobbles SET state = 'in_flight' WHERE id = ? AND state = 'pending'"
)
UPDATE_SENT = """
UPDATE scrobbles
SET state = 'sent', sent_at = ?, last_error = NULL, next_attempt_at = NULL
WHERE id = ? AND state IN ('pending', 'in_flight')
"""
UPDATE_REJECTED = """
UPDATE scrobbles SET state = 'rejected', last_error = ?, next_attempt_at = NULL
WHERE id = ? AND state IN ('pending', 'in_flight')
"""
UPDATE_RETRY = """
UPDATE scrobbles SET state = 'pending', attempts = attempts + ?, last_error = ?,
    next_attempt_at = ?
WHERE id = ? AND state IN ('pending', 'in_flight')
"""
UPDATE_FAILED_ATTEMPT = """
UPDATE scrobbles SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
WHERE id = ?
"""
REJECT_TOO_OLD = """
UPDATE scrobbles SET state = 'rejected', last_error = ?, next_attempt_at = NULL
WHERE state = 'pending' AND timestamp < ?
RETURNING id
"""
UPSERT_STATUS = """
INSERT INTO delivery_status (key, value, updated_at) VALUES (?, ?, ?)
ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
"""
SELECT_STATUS = "SELECT key, value, updated_at FROM delivery_status"
COUNT_SENT_SINCE = (
    "SELECT count(*) FROM scrobbles WHERE state = 'sent' AND sent_at >= ?"
)
CLEAR_RETRY_TIMES = (
    "UPDATE scrobbles SET next_attempt_at = NULL WHERE state = 'pending'"
)


@dataclasses.dataclass(frozen=True)
class NewScrobble:
    """A play that qualified, as it is queued."""

    artist: str
    track: str
    timestamp: int
    album: str | None = None
    album_artist: str | None = None
    track_number: int | None = None
    duration_s: int | None = None
    mbid: str | None = None
    chosen_by_user: bool = True
    uri: str | None = None


@dataclasses.dataclass(frozen=True)
class Scrobble:
    """A queued or sent scrobble, as stored."""

    id: int
    artist: str
    track: str
    album: str | None
    album_artist: str | None
    track_number: int | None
    duration_s: int | None
    mbid: str | None
    chosen_by_user: bool
    timestamp: int
    uri: str | None
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: int | None
    created_at: int
    sent_at: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Scrobble:
        values = dict(row)
        values["chosen_by_user"] = bool(values["chosen_by_user"])
        return cls(**values)


def _upgrade_scripts() -> dict[int, str]:
    folder = resources.files(__package__).joinpath("sql")
    return {
        version: folder.joinpath(f"upgrade-v{version}.sql").read_text("utf-8")
        for version in range(1, SCHEMA_VERSION + 1)
    }


class Store:
    """One connection to the database; use it from one thread."""

    def __init__(
        self, connection: sqlite3.Connection, path: pathlib.Path, lock_wait_s: float
    ) -> None:
        self._db = connection
        self.path = path
        self._lock_wait_s = lock_wait_s

    @classmethod
    def open(
        cls,
        directory: pathlib.Path,
        now_s: float,
        lock_wait_s: float = LOCK_WAIT_SECONDS,
    ) -> Store:
        """Open (creating or upgrading) the database; move a corrupt one aside."""
        path = directory / DB_FILENAME
        try:
            return cls(_connect(path, lock_wait_s), path, lock_wait_s)
        except sqlite3.DatabaseError as exc:
            if _is_locked(exc):
                raise _locked_error(path, lock_wait_s) from None
            if isinstance(exc, sqlite3.OperationalError) and not _is_corrupt(exc):
                raise StorageError(f"Cannot open the database {path}: {exc}.") from None
            aside = _move_aside(path, now_s)
            logger.error(
                "The database %s was damaged (%s). It was moved to %s and a new "
                "one was created; scrobbles queued in the old one are not sent.",
                path,
                exc,
                aside,
            )
        try:
            return cls(_connect(path, lock_wait_s), path, lock_wait_s)
        except sqlite3.DatabaseError as exc:
            raise StorageError(f"Cannot create the database {path}: {exc}.") from None

    def close(self) -> None:
        self._db.close()

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        try:
            with self._db:
                yield self._db
        except sqlite3.DatabaseError as exc:
            raise self._failure(exc, "write to") from None

    # Delivery's side of the queue.

    def due(self, now_s: float, limit: int) -> list[Scrobble]:
        """Pending entries whose time has come, oldest first."""
        return [
            Scrobble.from_row(r) for r in self._read(SELECT_DUE, (int(now_s), limit))
        ]

    def in_flight(self) -> list[Scrobble]:
        return [Scrobble.from_row(r) for r in self._read(SELECT_IN_FLIGHT)]

    def next_due_at(self) -> int | None:
        """When the earliest pending entry may be sent (0: now), None if none wait."""
        return self._read(SELECT_NEXT_DUE)[0][0]

    def oldest_waiting(self) -> Scrobble | None:
        rows = self._read(SELECT_OLDEST_PENDING)
        return Scrobble.from_row(rows[0]) if rows else None

    def count_waiting_older_than(self, timestamp: int) -> int:
        return self._read(COUNT_WAITING_OLDER_THAN, (timestamp,))[0][0]

    def by_states(
        self, states: tuple[str, ...], limit: int, offset: int = 0
    ) -> list[Scrobble]:
        sql = SELECT_BY_STATES.format(marks=", ".join("?" * len(states)))
        rows = self._read(sql, (*states, limit, offset))
        return [Scrobble.from_row(r) for r in rows]

    def mark_in_flight(self, ids: list[int]) -> None:
        """Committed before the batch is sent: a lost answer is then recognizable."""
        with self._write() as db:
            db.executemany(UPDATE_IN_FLIGHT, [(i,) for i in ids])

    def mark_sent(self, ids: list[int], now_s: float) -> None:
        with self._write() as db:
            db.executemany(UPDATE_SENT, [(int(now_s), i) for i in ids])

    def mark_rejected(self, scrobble_id: int, reason: str) -> None:
        with self._write() as db:
            db.execute(UPDATE_REJECTED, (reason, scrobble_id))

    def retry_later(
        self, ids: list[int], error: str | None, next_at: float | None, count: bool
    ) -> None:
        """Back to pending, to be sent at `next_at` (None: as soon as possible)."""
        at = None if next_at is None else int(next_at)
        with self._write() as db:
            db.executemany(UPDATE_RETRY, [(int(count), error, at, i) for i in ids])

    def note_failed_attempt(self, ids: list[int], error: str, next_at: float) -> None:
        """An attempt whose outcome is unknown: the entries stay in flight."""
        with self._write() as db:
            db.executemany(
                UPDATE_FAILED_ATTEMPT, [(error, int(next_at), i) for i in ids]
            )

    def reject_older_than(self, timestamp: int, reason: str) -> list[int]:
        with self._write() as db:
            return [r[0] for r in db.execute(REJECT_TOO_OLD, (reason, timestamp))]

    def save_status(self, values: dict[str, str | None], now_s: float) -> None:
        """Remember the delivery state, for commands run while Mopidy runs."""
        with self._write() as db:
            db.executemany(
                UPSERT_STATUS, [(k, v, int(now_s)) for k, v in values.items()]
            )

    def status(self) -> dict[str, str | None]:
        return {row["key"]: row["value"] for row in self._read(SELECT_STATUS)}

    def count_sent_since(self, timestamp: float) -> int:
        return self._read(COUNT_SENT_SINCE, (int(timestamp),))[0][0]

    def clear_retry_times(self) -> None:
        with self._write() as db:
            db.execute(CLEAR_RETRY_TIMES)

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._failure(exc, "read") from None

    def _failure(self, exc: sqlite3.DatabaseError, verb: str) -> StorageError:
        if _is_locked(exc):
            return _locked_error(self.path, self._lock_wait_s)
        return StorageError(f"Cannot {verb} the database {self.path}: {exc}.")

    def enqueue(self, scrobble: NewScrobble, now_s: float) -> int:
        """Commit a qualified play as pending; returns its id. Idempotent."""
        values = dataclasses.asdict(scrobble)
        values["chosen_by_user"] = int(scrobble.chosen_by_user)
        values["created_at"] = int(now_s)
        with self._write() as db:
            cursor = db.execute(INSERT_SCROBBLE, values)
            if cursor.rowcount:
                return cursor.lastrowid
            row = db.execute(
                SELECT_BY_PLAY, (scrobble.timestamp, scrobble.artist, scrobble.track)
            ).fetchone()
            return row["id"]

    def get(self, scrobble_id: int) -> Scrobble | None:
        rows = self._read(SELECT_BY_ID, (scrobble_id,))
        return Scrobble.from_row(rows[0]) if rows else None

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        counts.update(dict(self._read(COUNT_BY_STATE)))
        return counts

    def recent(self, limit: int) -> list[Scrobble]:
        return [Scrobble.from_row(r) for r in self._read(SELECT_RECENT, (limit,))]

    def prune_history(self, history_days: int, now_s: float) -> int:
        """Forget sent scrobbles older than `history_days`; pending ones stay."""
        with self._write() as db:
            cutoff = int(now_s) - history_days * SECONDS_PER_DAY
            return db.execute(DELETE_OLD_HISTORY, (cutoff,)).rowcount


def _connect(path: pathlib.Path, lock_wait_s: float) -> sqlite3.Connection:
    # Create the file ourselves so it is private from the first byte.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    os.close(fd)
    os.chmod(path, FILE_MODE)
    db = sqlite3.connect(path, timeout=lock_wait_s, isolation_level=None)
    try:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("database disk image is malformed")
        _upgrade(db, path)
        # From here on, `with db:` commits or rolls back each write.
        db.isolation_level = "DEFERRED"
    except BaseException:
        db.close()
        raise
    return db


def _upgrade(db: sqlite3.Connection, path: pathlib.Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StorageError(
            f"The database {path} was written by a newer Mopidy-MTScrobble "
            f"(schema {version}, this one knows {SCHEMA_VERSION}). "
            "Upgrade Mopidy-MTScrobble again."
        )
    scripts = _upgrade_scripts()
    for target in range(version + 1, SCHEMA_VERSION + 1):
        logger.info("Upgrading the database %s to schema version %d", path, target)
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in _statements(scripts[target]):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {target:d}")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    # executescript() would commit on its own; run the statements in our transaction.
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    return [s for s in statements if s]


def _is_locked(exc: sqlite3.DatabaseError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc)
    return "malformed" in text or "not a database" in text or "corrupt" in text


def _locked_error(path: pathlib.Path, waited_s: float) -> StorageError:
    return StorageError(
        f"The database {path} is locked by another program; waited "
        f"{waited_s:g} s. Close whatever has it open (for example an sqlite3 "
        "shell, or a second Mopidy with the same data_dir)."
    )


def _move_aside(path: pathlib.Path, now_s: float) -> pathlib.Path:
    stamp = datetime.datetime.fromtimestamp(now_s, datetime.UTC).strftime(
        "%Y%m%dT%H%M%SZ"
    )
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        source = pathlib.Path(f"{path}{suffix}")
        if source.exists():
            source.rename(f"{aside}{suffix}")
    return aside
