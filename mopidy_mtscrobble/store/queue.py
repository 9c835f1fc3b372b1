"""The scrobble queue, which also keeps sent scrobbles as history."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Any

from ..sanitize import encodable
from .database import Database
from .rows import NewScrobble, Scrobble, from_row
from .songs import count_play

STATES = ("pending", "in_flight", "sent", "rejected")
SECONDS_PER_DAY = 86_400
# A replay at the very second of an earlier play moves on by at most this much.
MAX_TIMESTAMP_SHIFTS = 60
# SQLite keeps integers in 64 bits; a value from a misbehaving backend may not fit.
MAX_SQLITE_INT = 2**63 - 1


class ScrobbleQueue:
    def __init__(self, db: Database) -> None:
        self._db = db

    # The frontend's side: plays in.

    INSERT = """
    INSERT INTO scrobbles (
        artist, track, album, album_artist, track_number, duration_s, mbid,
        chosen_by_user, timestamp, uri, state, created_at
    ) VALUES (
        :artist, :track, :album, :album_artist, :track_number, :duration_s, :mbid,
        :chosen_by_user, :timestamp, :uri, 'pending', :created_at
    )
    ON CONFLICT (timestamp, artist, track) DO NOTHING
    """
    BY_PLAY = (
        "SELECT id FROM scrobbles WHERE timestamp = ? AND artist = ? AND track = ?"
    )

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
        with self._db.write() as db:
            for _ in range(MAX_TIMESTAMP_SHIFTS):
                cursor = db.execute(self.INSERT, values)
                if cursor.rowcount:
                    return int(cursor.lastrowid or 0)
                if not distinct:
                    break
                values["timestamp"] += 1
            row = db.execute(
                self.BY_PLAY, (values["timestamp"], values["artist"], values["track"])
            ).fetchone()
            return int(row["id"])

    PRUNE = "DELETE FROM scrobbles WHERE state = 'sent' AND sent_at < ?"

    def prune_history(self, history_days: int, now_s: float) -> int:
        """Forget sent scrobbles older than `history_days`; pending ones stay."""
        with self._db.write() as db:
            cutoff = int(now_s) - history_days * SECONDS_PER_DAY
            return int(db.execute(self.PRUNE, (cutoff,)).rowcount)

    # Reading, for everyone.

    def get(self, scrobble_id: int) -> Scrobble | None:
        rows = self._db.read("SELECT * FROM scrobbles WHERE id = ?", (scrobble_id,))
        return _scrobble(rows[0]) if rows else None

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        sql = "SELECT state, count(*) FROM scrobbles GROUP BY state"
        counts.update({row[0]: row[1] for row in self._db.read(sql)})
        return counts

    def recent(self, limit: int) -> list[Scrobble]:
        sql = "SELECT * FROM scrobbles ORDER BY timestamp DESC, id DESC LIMIT ?"
        return [_scrobble(r) for r in self._db.read(sql, (limit,))]

    BY_STATES = """
    SELECT * FROM scrobbles WHERE state IN ({marks}) ORDER BY timestamp, id
    LIMIT ? OFFSET ?
    """

    def by_states(
        self, states: tuple[str, ...], limit: int, offset: int = 0
    ) -> list[Scrobble]:
        sql = self.BY_STATES.format(marks=", ".join("?" * len(states)))
        return [_scrobble(r) for r in self._db.read(sql, (*states, limit, offset))]

    OLDEST_WAITING = """
    SELECT * FROM scrobbles WHERE state IN ('pending', 'in_flight')
    ORDER BY timestamp, id LIMIT 1
    """

    def oldest_waiting(self) -> Scrobble | None:
        rows = self._db.read(self.OLDEST_WAITING)
        return _scrobble(rows[0]) if rows else None

    WAITING_OLDER_THAN = """
    SELECT count(*) FROM scrobbles
    WHERE state IN ('pending', 'in_flight') AND timestamp < ?
    """

    def count_waiting_older_than(self, timestamp: int) -> int:
        return int(self._db.read(self.WAITING_OLDER_THAN, (timestamp,))[0][0])

    def count_sent_since(self, timestamp: float) -> int:
        sql = "SELECT count(*) FROM scrobbles WHERE state = 'sent' AND sent_at >= ?"
        return int(self._db.read(sql, (int(timestamp),))[0][0])

    # Delivery's side: what to send, and what came of it.

    DUE = """
    SELECT * FROM scrobbles
    WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
    ORDER BY timestamp, id LIMIT ?
    """

    def due(self, now_s: float, limit: int) -> list[Scrobble]:
        """Pending entries whose time has come, oldest first."""
        return [_scrobble(r) for r in self._db.read(self.DUE, (int(now_s), limit))]

    def in_flight(self, limit: int = -1) -> list[Scrobble]:
        """Entries whose last attempt has an unknown outcome, oldest first."""
        sql = """
        SELECT * FROM scrobbles WHERE state = 'in_flight' ORDER BY timestamp, id
        LIMIT ?
        """
        return [_scrobble(r) for r in self._db.read(sql, (limit,))]

    def sent_between(self, start: int, end: int) -> list[Scrobble]:
        sql = """
        SELECT * FROM scrobbles WHERE state = 'sent' AND timestamp BETWEEN ? AND ?
        ORDER BY timestamp, id
        """
        return [_scrobble(r) for r in self._db.read(sql, (int(start), int(end)))]

    def next_due_at(self) -> int | None:
        """When the earliest pending entry may be sent (0: now), None if none wait."""
        sql = """
        SELECT min(coalesce(next_attempt_at, 0)) FROM scrobbles WHERE state = 'pending'
        """
        value = self._db.read(sql)[0][0]
        return None if value is None else int(value)

    def mark_in_flight(self, ids: list[int]) -> None:
        """Committed before the batch is sent: a lost answer is then recognizable."""
        sql = """
        UPDATE scrobbles SET state = 'in_flight' WHERE id = ? AND state = 'pending'
        """
        with self._db.write() as db:
            db.executemany(sql, [(i,) for i in ids])

    SENT = """
    UPDATE scrobbles
    SET state = 'sent', sent_at = ?, last_error = NULL, next_attempt_at = NULL
    WHERE id = ? AND state IN ('pending', 'in_flight')
    """

    def mark_sent(
        self, ids: list[int], now_s: float, match_schemes: Collection[str] = ()
    ) -> None:
        """Accepted by the network: sent, and one more play on the song's count.

        The played track becomes a match of its song when chosen by the user
        from a backend in `match_schemes` (not a radio stream).
        """
        with self._db.write() as db:
            for scrobble_id in ids:
                if not db.execute(self.SENT, (int(now_s), scrobble_id)).rowcount:
                    continue  # already sent: counted then
                row = db.execute(
                    "SELECT * FROM scrobbles WHERE id = ?", (scrobble_id,)
                ).fetchone()
                count_play(db, _scrobble(row), now_s, match_schemes)

    REJECTED = """
    UPDATE scrobbles SET state = 'rejected', last_error = ?, next_attempt_at = NULL
    WHERE id = ? AND state IN ('pending', 'in_flight')
    """

    def mark_rejected(self, scrobble_id: int, reason: str) -> None:
        with self._db.write() as db:
            db.execute(self.REJECTED, (reason, scrobble_id))

    RETRY = """
    UPDATE scrobbles SET state = 'pending', attempts = attempts + ?, last_error = ?,
        next_attempt_at = ?
    WHERE id = ? AND state IN ('pending', 'in_flight')
    """

    def retry_later(
        self, ids: list[int], error: str | None, next_at: float | None, count: bool
    ) -> None:
        """Back to pending, to be sent at `next_at` (None: as soon as possible)."""
        at = None if next_at is None else int(next_at)
        with self._db.write() as db:
            db.executemany(self.RETRY, [(int(count), error, at, i) for i in ids])

    FAILED_ATTEMPT = """
    UPDATE scrobbles SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
    WHERE id = ?
    """

    def note_failed_attempt(self, ids: list[int], error: str, next_at: float) -> None:
        """An attempt whose outcome is unknown: the entries stay in flight."""
        with self._db.write() as db:
            db.executemany(self.FAILED_ATTEMPT, [(error, int(next_at), i) for i in ids])

    TOO_OLD = """
    UPDATE scrobbles SET state = 'rejected', last_error = ?, next_attempt_at = NULL
    WHERE state = ? AND timestamp < ?
    RETURNING id
    """

    def reject_older_than(
        self, timestamp: int, reason: str, state: str = "pending"
    ) -> list[int]:
        """Reject waiting entries (in `state`) that started before `timestamp`."""
        with self._db.write() as db:
            rows = db.execute(self.TOO_OLD, (reason, state, int(timestamp)))
            return [int(r[0]) for r in rows]

    def clear_retry_times(self) -> None:
        sql = "UPDATE scrobbles SET next_attempt_at = NULL WHERE state = 'pending'"
        with self._db.write() as db:
            db.execute(sql)

    SHIFT = """
    UPDATE scrobbles SET next_attempt_at = next_attempt_at + ?
    WHERE state = 'pending' AND next_attempt_at IS NOT NULL
    """

    def shift_retry_times(self, seconds: float) -> None:
        """The wall clock jumped: move the stored retry times with it."""
        with self._db.write() as db:
            db.execute(self.SHIFT, (int(seconds),))


def _scrobble(row: Any) -> Scrobble:
    entry = from_row(Scrobble, row)
    return dataclasses.replace(entry, chosen_by_user=bool(entry.chosen_by_user))


def _storable(scrobble: NewScrobble) -> dict[str, Any]:
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
