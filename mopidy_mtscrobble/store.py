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
from collections.abc import Collection, Iterator
from importlib import resources

from .errors import StorageError
from .matching import key_parts
from .sanitize import encodable

logger = logging.getLogger(__name__)

DB_FILENAME = "mtscrobble.db"
SCHEMA_VERSION = 4
LOCK_WAIT_SECONDS = 10.0
# A replay at the very second of an earlier play moves on by at most this much.
MAX_TIMESTAMP_SHIFTS = 60
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
    "SELECT * FROM scrobbles WHERE state = 'in_flight' ORDER BY timestamp, id LIMIT ?"
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
WHERE state = ? AND timestamp < ?
RETURNING id
"""
SELECT_SENT_BETWEEN = """
SELECT * FROM scrobbles WHERE state = 'sent' AND timestamp BETWEEN ? AND ?
ORDER BY timestamp, id
"""
SHIFT_RETRY_TIMES = """
UPDATE scrobbles SET next_attempt_at = next_attempt_at + ?
WHERE state = 'pending' AND next_attempt_at IS NOT NULL
"""
SHIFT_LOVE_RETRY_TIMES = """
UPDATE love_actions SET next_attempt_at = next_attempt_at + ?
WHERE state = 'pending' AND next_attempt_at IS NOT NULL
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
CLEAR_LOVE_RETRY_TIMES = (
    "UPDATE love_actions SET next_attempt_at = NULL WHERE state = 'pending'"
)

# Loved tracks and imports.
SELECT_JOB = "SELECT * FROM jobs WHERE kind = ?"
START_JOB = """
INSERT INTO jobs (kind, state, username, page, pages, total, fetched, started_at)
VALUES (?, 'running', ?, 0, NULL, NULL, 0, ?)
ON CONFLICT (kind) DO UPDATE SET
    run = jobs.run + 1, state = 'running', username = excluded.username,
    page = 0, pages = NULL, total = NULL, fetched = 0, matched = NULL, unmatched = NULL,
    started_at = excluded.started_at, finished_at = NULL, error = NULL
"""
CLEAR_LOVED_IMPORT = "DELETE FROM loved_import"
INSERT_LOVED_IMPORT = """
INSERT INTO loved_import (artist, track, loved_at, artist_key, title_key, recording)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (artist_key, title_key, recording) DO NOTHING
"""
COUNT_LOVED_IMPORT = "SELECT count(*) FROM loved_import"
UPDATE_JOB_PAGE = """
UPDATE jobs SET page = ?, pages = ?, total = ?, fetched = ? WHERE kind = ?
"""
UPDATE_JOB_FAILED = """
UPDATE jobs SET state = 'failed', error = ?, finished_at = ? WHERE kind = ?
"""
# A row loved here stays while the latest action waiting for its song is a love;
# a row whose latest waiting action is an unlove goes.
DELETE_LOVED_NOT_IMPORTED = """
DELETE FROM loved
WHERE NOT EXISTS (
    SELECT 1 FROM loved_import i
    WHERE i.artist_key = loved.artist_key AND i.title_key = loved.title_key
      AND i.recording = loved.recording
)
AND coalesce((
    SELECT action FROM love_actions a
    WHERE a.state = 'pending' AND a.artist = loved.artist AND a.track = loved.track
    ORDER BY a.id DESC LIMIT 1
), '') != 'love'
"""
MERGE_LOVED_IMPORT = """
INSERT INTO loved (
    artist, track, loved_at, source, artist_key, title_key, recording, matched_at
)
SELECT artist, track, loved_at, 'import', artist_key, title_key, recording, NULL
FROM loved_import WHERE true
ON CONFLICT (artist_key, title_key, recording) DO UPDATE SET
    artist = excluded.artist, track = excluded.track, loved_at = excluded.loved_at,
    source = 'import', matched_at = NULL
"""
DELETE_LOVED_UNLOVED_SINCE = """
DELETE FROM loved WHERE coalesce((
    SELECT action FROM love_actions a
    WHERE a.state = 'pending' AND a.artist = loved.artist AND a.track = loved.track
    ORDER BY a.id DESC LIMIT 1
), '') = 'unlove'
"""
UPDATE_JOB_MATCHING = """
UPDATE jobs SET state = 'matching', fetched = ?, finished_at = ? WHERE kind = ?
"""
UPDATE_JOB_DONE = """
UPDATE jobs SET state = 'done', matched = ?, unmatched = ?, finished_at = ?
WHERE kind = ? AND state = 'matching'
"""
# Matching, for each kind of song list: "loved" and "playcounts".
SELECT_UNMATCHED = {
    "loved": """
SELECT id, artist, track, artist_key, title_key, recording FROM loved
WHERE matched_at IS NULL ORDER BY artist_key, id LIMIT ?
""",
    "playcounts": """
SELECT id, artist, track, artist_key, title_key, recording FROM playcounts
WHERE matched_at IS NULL ORDER BY artist_key, id LIMIT ?
""",
}
DELETE_MATCHES = {
    "loved": "DELETE FROM loved_matches WHERE loved_id = ?",
    "playcounts": "DELETE FROM playcount_matches WHERE playcount_id = ?",
}
INSERT_MATCH = {
    "loved": """
INSERT INTO loved_matches (loved_id, uri, name, artist, album, length_ms)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (loved_id, uri) DO NOTHING
""",
    "playcounts": """
INSERT INTO playcount_matches (playcount_id, uri, name, artist, album, length_ms)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (playcount_id, uri) DO NOTHING
""",
}
UPDATE_MATCHED_AT = {
    "loved": "UPDATE loved SET matched_at = ? WHERE id = ?",
    "playcounts": "UPDATE playcounts SET matched_at = ? WHERE id = ?",
}
COUNT_MATCHED = {
    "loved": """
SELECT
    count(*) AS total,
    count(*) FILTER (WHERE matched_at IS NULL) AS waiting,
    count(*) FILTER (WHERE matched_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM loved_matches m WHERE m.loved_id = loved.id)) AS matched
FROM loved
""",
    "playcounts": """
SELECT
    count(*) AS total,
    count(*) FILTER (WHERE matched_at IS NULL) AS waiting,
    count(*) FILTER (WHERE matched_at IS NOT NULL AND EXISTS (
        SELECT 1 FROM playcount_matches m
        WHERE m.playcount_id = playcounts.id)) AS matched
FROM playcounts
""",
}

# Play counts.
CLEAR_PLAYCOUNTS_IMPORT = "DELETE FROM playcounts_import"
INSERT_PLAYCOUNTS_IMPORT = """
INSERT INTO playcounts_import (artist, track, playcount, artist_key, title_key,
    recording)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (artist_key, title_key, recording) DO UPDATE SET
    playcount = playcount + excluded.playcount
"""
COUNT_PLAYCOUNTS_IMPORT = "SELECT count(*) FROM playcounts_import"
DELETE_PLAYCOUNTS_NOT_IMPORTED = """
DELETE FROM playcounts
WHERE NOT EXISTS (
    SELECT 1 FROM playcounts_import i
    WHERE i.artist_key = playcounts.artist_key
      AND i.title_key = playcounts.title_key AND i.recording = playcounts.recording
)
"""
MERGE_PLAYCOUNTS_IMPORT = """
INSERT INTO playcounts (
    artist, track, playcount, artist_key, title_key, recording, matched_at
)
SELECT artist, track, playcount, artist_key, title_key, recording, NULL
FROM playcounts_import WHERE true
ON CONFLICT (artist_key, title_key, recording) DO UPDATE SET
    artist = excluded.artist, track = excluded.track,
    playcount = excluded.playcount, matched_at = NULL
"""
INSERT_IMPORT = {"loved": INSERT_LOVED_IMPORT, "playcounts": INSERT_PLAYCOUNTS_IMPORT}
COUNT_IMPORT = {"loved": COUNT_LOVED_IMPORT, "playcounts": COUNT_PLAYCOUNTS_IMPORT}
CLEAR_IMPORT = {"loved": CLEAR_LOVED_IMPORT, "playcounts": CLEAR_PLAYCOUNTS_IMPORT}
FINISH_IMPORT = {
    "loved": (
        DELETE_LOVED_NOT_IMPORTED, MERGE_LOVED_IMPORT, DELETE_LOVED_UNLOVED_SINCE,
    ),
    "playcounts": (DELETE_PLAYCOUNTS_NOT_IMPORTED, MERGE_PLAYCOUNTS_IMPORT),
}  # fmt: skip
COUNT_ONE_PLAY = """
INSERT INTO playcounts (
    artist, track, playcount, artist_key, title_key, recording, matched_at
) VALUES (?, ?, 1, ?, ?, ?, ?)
ON CONFLICT (artist_key, title_key, recording) DO UPDATE SET
    playcount = playcount + 1
RETURNING id
"""
# The local tracks with the highest counts, one per song, most played first.
SELECT_MOST_PLAYED = """
SELECT m.*, p.playcount FROM playcounts p
JOIN playcount_matches m ON m.rowid = (
    SELECT min(rowid) FROM playcount_matches WHERE playcount_id = p.id
)
ORDER BY p.playcount DESC, p.id
LIMIT ?
"""
SELECT_PLAYCOUNT_BY_URI = """
SELECT max(p.playcount) FROM playcounts p
JOIN playcount_matches m ON m.playcount_id = p.id WHERE m.uri = ?
"""
SELECT_PLAYCOUNT_BY_KEY = """
SELECT playcount FROM playcounts
WHERE artist_key = ? AND title_key = ? AND recording = ?
"""
# One local track per loved song (the first match found), newest love first.
SELECT_LOVED_PLAYLIST = """
SELECT m.* FROM loved l
JOIN loved_matches m ON m.rowid = (
    SELECT min(rowid) FROM loved_matches WHERE loved_id = l.id
)
ORDER BY l.loved_at DESC, l.id DESC
"""
SELECT_LOVED_MISSING = """
SELECT * FROM loved
WHERE matched_at IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM loved_matches m WHERE m.loved_id = loved.id)
ORDER BY artist_key, title_key
"""
SELECT_LOVED_BY_ID = "SELECT * FROM loved WHERE id = ?"
SELECT_LOVED_BY_URI = """
SELECT l.* FROM loved l JOIN loved_matches m ON m.loved_id = l.id WHERE m.uri = ?
"""
SELECT_LOVED_BY_KEY = """
SELECT * FROM loved WHERE artist_key = ? AND title_key = ? AND recording = ?
"""
INSERT_LOVED_HERE = """
INSERT INTO loved (
    artist, track, loved_at, source, artist_key, title_key, recording, matched_at
) VALUES (?, ?, ?, 'mopidy', ?, ?, ?, NULL)
ON CONFLICT (artist_key, title_key, recording) DO NOTHING
"""
DELETE_LOVED = "DELETE FROM loved WHERE id = ?"
INSERT_LOVE_ACTION = """
INSERT INTO love_actions (action, artist, track, created_at) VALUES (?, ?, ?, ?)
"""
SELECT_DUE_LOVE_ACTIONS = """
SELECT * FROM love_actions
WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
ORDER BY id LIMIT ?
"""
SELECT_NEXT_LOVE_DUE = """
SELECT min(coalesce(next_attempt_at, 0)) FROM love_actions WHERE state = 'pending'
"""
UPDATE_LOVE_SENT = """
UPDATE love_actions SET state = 'sent', sent_at = ?, last_error = NULL,
    next_attempt_at = NULL
WHERE id = ? AND state = 'pending'
"""
UPDATE_LOVE_REJECTED = """
UPDATE love_actions SET state = 'rejected', last_error = ?, next_attempt_at = NULL
WHERE id = ? AND state = 'pending'
"""
UPDATE_LOVE_RETRY = """
UPDATE love_actions SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
WHERE id = ? AND state = 'pending'
"""
SQLITE_CORRUPT = 11
SQLITE_NOTADB = 26
# SQLite keeps integers in 64 bits; a value from a misbehaving backend may not fit.
MAX_SQLITE_INT = 2**63 - 1
COUNT_LOVE_ACTIONS = "SELECT state, count(*) FROM love_actions GROUP BY state"


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


@dataclasses.dataclass(frozen=True)
class LovedEntry:
    """A loved song as the network lists it, with its match key's parts."""

    artist: str
    track: str
    loved_at: int | None
    artist_key: str
    title_key: str
    recording: str


@dataclasses.dataclass(frozen=True)
class CountEntry:
    """A song's play count as the network lists it, with its match key's parts."""

    artist: str
    track: str
    playcount: int
    artist_key: str
    title_key: str
    recording: str


@dataclasses.dataclass(frozen=True)
class Song:
    """A loved or counted song waiting to be matched to local tracks."""

    id: int
    artist: str
    track: str
    artist_key: str
    title_key: str
    recording: str


@dataclasses.dataclass(frozen=True)
class Loved:
    """A loved song as stored."""

    id: int
    artist: str
    track: str
    loved_at: int | None
    source: str
    artist_key: str
    title_key: str
    recording: str
    matched_at: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Loved:
        return cls(**dict(row))


@dataclasses.dataclass(frozen=True)
class LocalMatch:
    """A local track a loved song matched: its URI and what clients show."""

    uri: str
    name: str | None = None
    artist: str | None = None
    album: str | None = None
    length_ms: int | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> LocalMatch:
        values = dict(row)
        values.pop("loved_id", None)
        values.pop("playcount_id", None)
        return cls(**values)


@dataclasses.dataclass(frozen=True)
class Job:
    """An import from the network and how far it got."""

    kind: str
    run: int  # 1 for the first import, 2 for the next...
    state: str  # running, matching, done, failed
    username: str | None
    page: int
    pages: int | None
    total: int | None
    fetched: int
    matched: int | None
    unmatched: int | None
    started_at: int
    finished_at: int | None
    error: str | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        return cls(**dict(row))


@dataclasses.dataclass(frozen=True)
class LoveAction:
    """A love or unlove waiting to be sent (or sent, or refused)."""

    id: int
    action: str
    artist: str
    track: str
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: int | None
    created_at: int
    sent_at: int | None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> LoveAction:
        return cls(**dict(row))


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
        repair: bool = False,
    ) -> Store:
        """Open (creating or upgrading) the database.

        A damaged database is moved aside and a new one created only with
        `repair`: the frontend asks for it once, at Mopidy's start, before
        anything else has the file open. Every other opener gets a
        StorageError saying so, and never renames a file others may use.
        """
        path = directory / DB_FILENAME
        try:
            return cls(_connect(path, lock_wait_s), path, lock_wait_s)
        except sqlite3.DatabaseError as exc:
            if _is_locked(exc):
                raise _locked_error(path, lock_wait_s) from None
            if not _is_corrupt(exc):
                raise StorageError(f"Cannot open the database {path}: {exc}.") from None
            if not repair:
                raise _damaged_error(path, exc) from None
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

    def in_flight(self, limit: int = -1) -> list[Scrobble]:
        """Entries whose last attempt has an unknown outcome, oldest first."""
        return [Scrobble.from_row(r) for r in self._read(SELECT_IN_FLIGHT, (limit,))]

    def sent_between(self, start: int, end: int) -> list[Scrobble]:
        rows = self._read(SELECT_SENT_BETWEEN, (int(start), int(end)))
        return [Scrobble.from_row(r) for r in rows]

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

    def mark_sent(
        self, ids: list[int], now_s: float, match_schemes: Collection[str] = ()
    ) -> None:
        """Accepted by the network: sent, and one more play on the song's count.

        The played track becomes a match of its song when chosen by the user
        from a backend in `match_schemes` (not a radio stream).
        """
        with self._write() as db:
            for scrobble_id in ids:
                if not db.execute(UPDATE_SENT, (int(now_s), scrobble_id)).rowcount:
                    continue  # already sent: counted then
                entry = Scrobble.from_row(
                    db.execute(SELECT_BY_ID, (scrobble_id,)).fetchone()
                )
                _count_play(db, entry, now_s, match_schemes)

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

    def reject_older_than(
        self, timestamp: int, reason: str, state: str = "pending"
    ) -> list[int]:
        """Reject waiting entries (in `state`) that started before `timestamp`."""
        with self._write() as db:
            rows = db.execute(REJECT_TOO_OLD, (reason, state, int(timestamp)))
            return [r[0] for r in rows]

    def shift_retry_times(self, seconds: float) -> None:
        """The wall clock jumped: move the stored retry times with it."""
        with self._write() as db:
            db.execute(SHIFT_RETRY_TIMES, (int(seconds),))
            db.execute(SHIFT_LOVE_RETRY_TIMES, (int(seconds),))

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
            db.execute(CLEAR_LOVE_RETRY_TIMES)

    # Imports.

    def job(self, kind: str) -> Job | None:
        rows = self._read(SELECT_JOB, (kind,))
        return Job.from_row(rows[0]) if rows else None

    def start_job(self, kind: str, username: str, now_s: float) -> None:
        """Start an import from page 1, forgetting what an earlier one fetched."""
        with self._write() as db:
            db.execute(START_JOB, (kind, username, int(now_s)))
            db.execute(CLEAR_IMPORT[kind])

    def fail_job(self, kind: str, error: str, now_s: float) -> None:
        with self._write() as db:
            db.execute(UPDATE_JOB_FAILED, (error, int(now_s), kind))

    def save_page(
        self,
        kind: str,
        page: int,
        pages: int,
        total: int,
        entries: list[LovedEntry] | list[CountEntry],
    ) -> int:
        """Keep one fetched page and the progress, together; returns songs so far."""
        with self._write() as db:
            db.executemany(
                INSERT_IMPORT[kind], [dataclasses.astuple(e) for e in entries]
            )
            fetched = db.execute(COUNT_IMPORT[kind]).fetchone()[0]
            db.execute(UPDATE_JOB_PAGE, (page, pages, total, fetched, kind))
            return fetched

    def finish_import(self, kind: str, now_s: float) -> int:
        """Replace the imported set with the fetched one; returns its size.

        Loves and unloves made here that are not sent yet win over an import
        of loved tracks. Every song is matched again, so the library's changes
        count too.
        """
        with self._write() as db:
            for statement in FINISH_IMPORT[kind]:
                db.execute(statement)
            fetched = db.execute(COUNT_IMPORT[kind]).fetchone()[0]
            db.execute(CLEAR_IMPORT[kind])
            db.execute(UPDATE_JOB_MATCHING, (fetched, int(now_s), kind))
            return fetched

    # Matching songs (loved, counted) to local tracks.

    def unmatched(self, kind: str, limit: int) -> list[Song]:
        rows = self._read(SELECT_UNMATCHED[kind], (limit,))
        return [Song(**dict(r)) for r in rows]

    def save_matches(
        self, kind: str, matches: dict[int, list[LocalMatch]], now_s: float
    ) -> None:
        """The local tracks each song matched (an empty list: none)."""
        with self._write() as db:
            for song_id, found in matches.items():
                db.execute(DELETE_MATCHES[kind], (song_id,))
                db.executemany(
                    INSERT_MATCH[kind],
                    [
                        (song_id, m.uri, m.name, m.artist, m.album, m.length_ms)
                        for m in found
                    ],
                )
                db.execute(UPDATE_MATCHED_AT[kind], (int(now_s), song_id))

    def match_counts(self, kind: str) -> dict[str, int]:
        """total, matched (in the library), missing, waiting (not matched yet)."""
        row = self._read(COUNT_MATCHED[kind])[0]
        total, waiting, matched = row["total"], row["waiting"], row["matched"]
        return {
            "total": total,
            "matched": matched,
            "missing": total - waiting - matched,
            "waiting": waiting,
        }

    def finish_matching(self, kind: str, now_s: float) -> dict[str, int]:
        """When nothing waits to be matched: the import job is done."""
        counts = self.match_counts(kind)
        if counts["waiting"] == 0:
            with self._write() as db:
                db.execute(
                    UPDATE_JOB_DONE,
                    (counts["matched"], counts["missing"], int(now_s), kind),
                )
        return counts

    # Play counts.

    def most_played(self, limit: int) -> list[tuple[LocalMatch, int]]:
        """Local tracks with the highest counts, one per song, and their counts."""
        found = []
        for row in self._read(SELECT_MOST_PLAYED, (limit,)):
            values = dict(row)
            count = values.pop("playcount")
            found.append((LocalMatch.from_row(values), count))
        return found

    def playcount_for(self, uri: str, key: tuple[str, str, str]) -> int | None:
        """A local track's count: by its matched URI, else by its key."""
        by_uri = self._read(SELECT_PLAYCOUNT_BY_URI, (uri,))[0][0]
        if by_uri is not None:
            return by_uri
        rows = self._read(SELECT_PLAYCOUNT_BY_KEY, key)
        return rows[0][0] if rows else None

    def loved_playlist(self) -> list[LocalMatch]:
        """One local track per loved song, newest love first."""
        return [LocalMatch.from_row(r) for r in self._read(SELECT_LOVED_PLAYLIST)]

    def loved_missing(self) -> list[Loved]:
        """Loved songs with no local track."""
        return [Loved.from_row(r) for r in self._read(SELECT_LOVED_MISSING)]

    def loved_by_id(self, loved_id: int) -> Loved | None:
        rows = self._read(SELECT_LOVED_BY_ID, (loved_id,))
        return Loved.from_row(rows[0]) if rows else None

    def loved_for(self, uri: str, key: tuple[str, str, str]) -> list[Loved]:
        """The loved songs a local track is: matched to its URI, or by its key."""
        found = {
            r["id"]: Loved.from_row(r) for r in self._read(SELECT_LOVED_BY_URI, (uri,))
        }
        for row in self._read(SELECT_LOVED_BY_KEY, key):
            found.setdefault(row["id"], Loved.from_row(row))
        return list(found.values())

    def love(self, entry: LovedEntry, match: LocalMatch, now_s: float) -> Loved:
        """Loved here: shown at once, and track.love queued to be sent."""
        with self._write() as db:
            db.execute(
                INSERT_LOVED_HERE,
                (entry.artist, entry.track, entry.loved_at, entry.artist_key,
                 entry.title_key, entry.recording),
            )  # fmt: skip
            row = db.execute(
                SELECT_LOVED_BY_KEY,
                (entry.artist_key, entry.title_key, entry.recording),
            ).fetchone()
            db.execute(
                INSERT_MATCH["loved"],
                (row["id"], match.uri, match.name, match.artist, match.album,
                 match.length_ms),
            )  # fmt: skip
            db.execute(
                INSERT_LOVE_ACTION, ("love", row["artist"], row["track"], int(now_s))
            )
            return Loved.from_row(row)

    def unlove(
        self, loved: list[Loved], fallback: tuple[str, str], now_s: float
    ) -> None:
        """Unloved here: gone at once, and track.unlove queued for each name."""
        names = [(e.artist, e.track) for e in loved] or [fallback]
        with self._write() as db:
            db.executemany(DELETE_LOVED, [(e.id,) for e in loved])
            db.executemany(
                INSERT_LOVE_ACTION,
                [("unlove", artist, track, int(now_s)) for artist, track in names],
            )

    # Loves and unloves to send.

    def due_love_actions(self, now_s: float, limit: int) -> list[LoveAction]:
        rows = self._read(SELECT_DUE_LOVE_ACTIONS, (int(now_s), limit))
        return [LoveAction.from_row(r) for r in rows]

    def next_love_due_at(self) -> int | None:
        return self._read(SELECT_NEXT_LOVE_DUE)[0][0]

    def mark_love_sent(self, action_id: int, now_s: float) -> None:
        with self._write() as db:
            db.execute(UPDATE_LOVE_SENT, (int(now_s), action_id))

    def mark_love_rejected(self, action_id: int, reason: str) -> None:
        with self._write() as db:
            db.execute(UPDATE_LOVE_REJECTED, (reason, action_id))

    def love_retry_later(
        self, action_id: int, error: str, next_at: float | None = None
    ) -> None:
        """Try again: at `next_at`, or (None) whenever delivery tries again."""
        at = None if next_at is None else int(next_at)
        with self._write() as db:
            db.execute(UPDATE_LOVE_RETRY, (error, at, action_id))

    def love_action_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("pending", "sent", "rejected"), 0)
        counts.update(dict(self._read(COUNT_LOVE_ACTIONS)))
        return counts

    def _read(self, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
        try:
            return self._db.execute(sql, params).fetchall()
        except sqlite3.DatabaseError as exc:
            raise self._failure(exc, "read") from None

    def _failure(self, exc: sqlite3.DatabaseError, verb: str) -> StorageError:
        if _is_locked(exc):
            return _locked_error(self.path, self._lock_wait_s)
        if _is_corrupt(exc):
            return _damaged_error(self.path, exc)
        return StorageError(f"Cannot {verb} the database {self.path}: {exc}.")

    def enqueue(
        self, scrobble: NewScrobble, now_s: float, distinct: bool = False
    ) -> int:
        """Commit a qualified play as pending; returns its id.

        Queuing the same play again is a no-op (a retry after a failed write
        may find it saved). With `distinct`, the play is known to be new: one
        that meets an entry of the same track at the same second (a replay
        after the clock was set back) is queued a second later instead.
        """
        values = _storable(scrobble)
        values["created_at"] = int(now_s)
        with self._write() as db:
            for _ in range(MAX_TIMESTAMP_SHIFTS):
                cursor = db.execute(INSERT_SCROBBLE, values)
                if cursor.rowcount:
                    return cursor.lastrowid
                if not distinct:
                    break
                values["timestamp"] += 1
            row = db.execute(
                SELECT_BY_PLAY, (values["timestamp"], values["artist"], values["track"])
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


def _count_play(
    db: sqlite3.Connection,
    entry: Scrobble,
    now_s: float,
    match_schemes: Collection[str],
) -> None:
    scheme = (entry.uri or "").partition(":")[0]
    local = entry.chosen_by_user and scheme in match_schemes
    keys = key_parts(entry.artist, entry.track)
    song_id = db.execute(
        COUNT_ONE_PLAY,
        (entry.artist, entry.track, *keys, int(now_s) if local else None),
    ).fetchone()[0]
    if local:
        duration_ms = entry.duration_s * 1000 if entry.duration_s else None
        db.execute(
            INSERT_MATCH["playcounts"],
            (song_id, entry.uri, entry.track, entry.artist, entry.album, duration_ms),
        )


def _storable(scrobble: NewScrobble) -> dict:
    """The play's values, each as SQLite can keep it (the last line of defence:
    the frontend already made the text valid)."""
    values = dataclasses.asdict(scrobble)
    for name, value in values.items():
        if isinstance(value, str):
            values[name] = encodable(value)
        elif isinstance(value, int) and not -MAX_SQLITE_INT <= value <= MAX_SQLITE_INT:
            values[name] = None
    values["chosen_by_user"] = int(bool(scrobble.chosen_by_user))
    if values["timestamp"] is None:
        values["timestamp"] = 0
    return values


def _connect(path: pathlib.Path, lock_wait_s: float) -> sqlite3.Connection:
    # Create the file ourselves so it is private from the first byte. Only when
    # it is new: closing any descriptor of an open database would drop the
    # POSIX locks SQLite holds for this process's other connections.
    try:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            pass
        else:
            os.close(fd)
        os.chmod(path, FILE_MODE)
    except OSError as exc:
        raise StorageError(
            f"Cannot use the database file {path}: {exc.strerror or exc}. "
            "It must be a file the Mopidy user can read and write."
        ) from None
    db = sqlite3.connect(path, timeout=lock_wait_s, isolation_level=None)
    try:
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")
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
    if version == SCHEMA_VERSION:
        return
    scripts = _upgrade_scripts()
    for target in range(version + 1, SCHEMA_VERSION + 1):
        db.execute("BEGIN IMMEDIATE")
        try:
            # Another connection (Mopidy's backend, say) may have upgraded meanwhile.
            if db.execute("PRAGMA user_version").fetchone()[0] >= target:
                db.execute("COMMIT")
                continue
            logger.info("Upgrading the database %s to schema version %d", path, target)
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
    """Only a damaged file: not a lock, a full disk, or a constraint."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(exc)
    return "malformed" in text or "not a database" in text


def _damaged_error(path: pathlib.Path, exc: BaseException) -> StorageError:
    return StorageError(
        f"The database {path} is damaged ({exc}). Restart Mopidy: at its start "
        "Mopidy-MTScrobble moves the damaged file aside and starts a new one.",
        damaged=True,
    )


def _locked_error(path: pathlib.Path, waited_s: float) -> StorageError:
    return StorageError(
        f"The database {path} is locked by another program; waited "
        f"{waited_s:g} s. Close whatever has it open (for example an sqlite3 "
        "shell, or a second Mopidy with the same data_dir)."
    )


def _move_aside(path: pathlib.Path, now_s: float) -> pathlib.Path:
    """Rename the database (and its WAL files) to a name no other file has."""
    stamp = datetime.datetime.fromtimestamp(now_s, datetime.UTC).strftime(
        "%Y%m%dT%H%M%SZ"
    )
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    number = 1
    while any(pathlib.Path(f"{aside}{s}").exists() for s in ("", "-wal", "-shm")):
        number += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{number}")
    try:
        for suffix in ("", "-wal", "-shm"):
            source = pathlib.Path(f"{path}{suffix}")
            if source.exists():
                source.rename(f"{aside}{suffix}")
    except OSError as exc:
        raise StorageError(
            f"The database {path} is damaged and cannot be moved aside "
            f"({exc.strerror or exc}). Move or delete it by hand, then restart "
            "Mopidy."
        ) from None
    return aside
