"""One destination's scrobble queue, which also keeps what was sent as history.

Each entry is a play (`plays.Plays`) and its state at this destination:
pending, in flight (sent, outcome not known yet), sent, or rejected (with the
reason). Nothing here reads or changes another destination's states.
"""

from __future__ import annotations

from collections.abc import Collection

from .database import Database
from .plays import STATES, Plays, scrobble_of
from .rows import NewScrobble, Scrobble
from .songs import count_play

__all__ = ["STATES", "DestinationQueue"]

WAITING = ("pending", "in_flight")
# Held plays (see `editing`) are kept but sent nowhere: every query that picks
# what to send, or says when, leaves them out.
NOT_HELD = "play_id NOT IN (SELECT id FROM plays WHERE held)"
# A pending entry of a held play is counted apart, as "held".
COUNTED_STATES = (*STATES, "held")


class DestinationQueue:
    """The queue of the destination named `destination`. With `counts_plays`,
    a play accepted here is one more on its song's play count (the counts
    imported from this destination)."""

    def __init__(self, db: Database, destination: str, counts_plays: bool) -> None:
        self._db = db
        self.destination = destination
        self._counts_plays = counts_plays

    def enqueue(
        self, scrobble: NewScrobble, now_s: float, distinct: bool = False
    ) -> int:
        """Queue a play for this destination alone (see `Plays.enqueue`)."""
        return Plays(self._db).enqueue(scrobble, (self.destination,), now_s, distinct)

    # Reading, for everyone.

    def get(self, play_id: int) -> Scrobble | None:
        sql = "SELECT * FROM scrobbles WHERE destination = ? AND id = ?"
        rows = self._db.read(sql, (self.destination, play_id))
        return scrobble_of(rows[0]) if rows else None

    COUNTS = f"""
    SELECT CASE WHEN state = 'pending' AND NOT {NOT_HELD} THEN 'held' ELSE state END,
        count(*)
    FROM deliveries WHERE destination = ? GROUP BY 1
    """  # noqa: S608 - constants only

    def counts(self) -> dict[str, int]:
        """Entries in each state; "pending" counts those that may be sent,
        "held" the pending ones of held plays."""
        counts = dict.fromkeys(COUNTED_STATES, 0)
        rows = self._db.read(self.COUNTS, (self.destination,))
        counts.update({row[0]: row[1] for row in rows})
        return counts

    # Newest plays first, each looked up here (CROSS JOIN: in that order).
    RECENT = """
    SELECT s.* FROM plays AS p CROSS JOIN scrobbles AS s
    WHERE s.id = p.id AND s.destination = ?
    ORDER BY p.timestamp DESC, p.id DESC LIMIT ?
    """

    def recent(self, limit: int) -> list[Scrobble]:
        rows = self._db.read(self.RECENT, (self.destination, limit))
        return [scrobble_of(r) for r in rows]

    BY_STATES = """
    SELECT * FROM scrobbles WHERE destination = ? AND state IN ({marks})
    ORDER BY timestamp, id LIMIT ? OFFSET ?
    """

    def by_states(
        self, states: Collection[str], limit: int, offset: int = 0
    ) -> list[Scrobble]:
        sql = self.BY_STATES.format(marks=", ".join("?" * len(states)))
        params = (self.destination, *states, limit, offset)
        return [scrobble_of(r) for r in self._db.read(sql, params)]

    def oldest_waiting(self) -> Scrobble | None:
        entries = self.by_states(WAITING, 1)
        return entries[0] if entries else None

    WAITING_OLDER_THAN = """
    SELECT count(*) FROM deliveries
    WHERE destination = ? AND state IN ('pending', 'in_flight') AND play_timestamp < ?
    """

    def count_waiting_older_than(self, timestamp: int) -> int:
        params = (self.destination, int(timestamp))
        return int(self._db.read(self.WAITING_OLDER_THAN, params)[0][0])

    SENT_SINCE = """
    SELECT count(*) FROM deliveries
    WHERE destination = ? AND state = 'sent' AND sent_at >= ?
    """

    def count_sent_since(self, timestamp: float) -> int:
        params = (self.destination, int(timestamp))
        return int(self._db.read(self.SENT_SINCE, params)[0][0])

    # Delivery's side: what to send, and what came of it.

    DUE = """
    SELECT * FROM scrobbles
    WHERE destination = ? AND state = 'pending'
        AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
        AND id NOT IN (SELECT id FROM plays WHERE held)
    ORDER BY timestamp, id LIMIT ?
    """

    def due(self, now_s: float, limit: int) -> list[Scrobble]:
        """Pending entries whose time has come, oldest first (none held)."""
        params = (self.destination, int(now_s), limit)
        return [scrobble_of(r) for r in self._db.read(self.DUE, params)]

    def in_flight(self, limit: int = -1) -> list[Scrobble]:
        """Entries whose last attempt has an unknown outcome, oldest first."""
        return self.by_states(("in_flight",), limit)

    SENT_BETWEEN = """
    SELECT * FROM scrobbles
    WHERE destination = ? AND state = 'sent' AND timestamp BETWEEN ? AND ?
    ORDER BY timestamp, id
    """

    def sent_between(self, start: int, end: int) -> list[Scrobble]:
        params = (self.destination, int(start), int(end))
        return [scrobble_of(r) for r in self._db.read(self.SENT_BETWEEN, params)]

    NEXT_DUE = f"""
    SELECT min(coalesce(next_attempt_at, 0)) FROM deliveries
    WHERE destination = ? AND state = 'pending' AND {NOT_HELD}
    """  # noqa: S608 - constants only

    def next_due_at(self) -> int | None:
        """When the earliest pending entry may be sent (0: now), None if none
        wait (held ones do not)."""
        value = self._db.read(self.NEXT_DUE, (self.destination,))[0][0]
        return None if value is None else int(value)

    HELD = """
    SELECT EXISTS (SELECT 1 FROM deliveries
    WHERE destination = ? AND state = 'pending'
        AND play_id IN (SELECT id FROM plays WHERE held))
    """

    def has_held(self) -> bool:
        """Whether a pending entry waits for its play's release."""
        return bool(self._db.read(self.HELD, (self.destination,))[0][0])

    IN_FLIGHT = f"""
    UPDATE deliveries SET state = 'in_flight', in_flight_at = ?
    WHERE play_id = ? AND destination = ? AND state = 'pending' AND {NOT_HELD}
    """  # noqa: S608 - constants only

    def mark_in_flight(self, ids: list[int], now_s: float) -> list[Scrobble]:
        """Committed before the batch is sent: a lost answer is then recognizable.

        Returns the entries marked, as they are now: send these. Between
        `due` and here the user may have edited, held or deleted some (see
        `editing`); those held or deleted are not marked, the edited ones
        are returned with their new names.
        """
        sql = "SELECT * FROM scrobbles WHERE id = ? AND destination = ?"
        marked = []
        with self._db.write() as db:
            for play_id in ids:
                params = (int(now_s), play_id, self.destination)
                if db.execute(self.IN_FLIGHT, params).rowcount:
                    row = db.execute(sql, (play_id, self.destination)).fetchone()
                    marked.append(scrobble_of(row))
        return marked

    SENT = """
    UPDATE deliveries
    SET state = 'sent', sent_at = ?, last_error = NULL, next_attempt_at = NULL
    WHERE play_id = ? AND destination = ? AND state IN ('pending', 'in_flight')
    """

    def mark_sent(
        self, ids: list[int], now_s: float, match_schemes: Collection[str] = ()
    ) -> None:
        """Accepted by the destination: sent, and (with `counts_plays`) one
        more play on the song's count.

        The played track becomes a match of its song when chosen by the user
        from a backend in `match_schemes` (not a radio stream).
        """
        sql = "SELECT * FROM scrobbles WHERE id = ? AND destination = ?"
        with self._db.write() as db:
            for play_id in ids:
                params = (int(now_s), play_id, self.destination)
                if not db.execute(self.SENT, params).rowcount:
                    continue  # already sent: counted then
                if self._counts_plays:
                    row = db.execute(sql, (play_id, self.destination)).fetchone()
                    count_play(db, scrobble_of(row), now_s, match_schemes)

    REJECTED = """
    UPDATE deliveries SET state = 'rejected', last_error = ?, next_attempt_at = NULL
    WHERE play_id = ? AND destination = ? AND state IN ('pending', 'in_flight')
    """

    def mark_rejected(self, play_id: int, reason: str) -> None:
        with self._db.write() as db:
            db.execute(self.REJECTED, (reason, play_id, self.destination))

    RETRY = """
    UPDATE deliveries SET state = 'pending', attempts = attempts + ?,
        last_error = ?, next_attempt_at = ?
    WHERE play_id = ? AND destination = ? AND state IN ('pending', 'in_flight')
    """

    def retry_later(
        self, ids: list[int], error: str | None, next_at: float | None, count: bool
    ) -> None:
        """Back to pending, to be sent at `next_at` (None: as soon as possible);
        with `count`, one more attempt is counted."""
        at = None if next_at is None else int(next_at)
        params = [(int(count), error, at, i, self.destination) for i in ids]
        with self._db.write() as db:
            db.executemany(self.RETRY, params)

    FAILED_ATTEMPT = """
    UPDATE deliveries SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
    WHERE play_id = ? AND destination = ?
    """

    def note_failed_attempt(self, ids: list[int], error: str, next_at: float) -> None:
        """An attempt whose outcome is unknown: the entries stay in flight."""
        params = [(error, int(next_at), i, self.destination) for i in ids]
        with self._db.write() as db:
            db.executemany(self.FAILED_ATTEMPT, params)

    CHECK_AGAIN = """
    UPDATE deliveries SET next_attempt_at = ?
    WHERE play_id = ? AND destination = ? AND state = 'in_flight'
    """

    def check_again_at(self, ids: list[int], next_at: float) -> None:
        """Entries in flight whose outcome is not known yet: look again at
        `next_at` (no attempt is counted: nothing was sent)."""
        params = [(int(next_at), i, self.destination) for i in ids]
        with self._db.write() as db:
            db.executemany(self.CHECK_AGAIN, params)

    SENT_TIMES_BACK = """
    UPDATE deliveries SET in_flight_at = :now
    WHERE destination = :destination AND state = 'in_flight' AND in_flight_at > :now
    """

    def bring_back_sent_times(self, entries: list[Scrobble], now_s: float) -> bool:
        """Entries in flight sent "after" now (the clock was set back since,
        and a kill mid-send kept their time from its step): sent now, so that
        the wait for the server's listing starts now, not days ahead. True if
        any was (read them again)."""
        if not any((e.in_flight_at or 0) > now_s for e in entries):
            return False
        params = {"now": int(now_s), "destination": self.destination}
        with self._db.write() as db:
            db.execute(self.SENT_TIMES_BACK, params)
        return True

    CLEAR_RETRY = """
    UPDATE deliveries SET next_attempt_at = NULL
    WHERE destination = ? AND state = 'pending'
    """

    def clear_retry_times(self) -> None:
        """Everything pending here may be sent at once (a start, 'retry now')."""
        with self._db.write() as db:
            db.execute(self.CLEAR_RETRY, (self.destination,))

    SHIFT_IN_FLIGHT = """
    UPDATE deliveries SET next_attempt_at = next_attempt_at + ?,
        in_flight_at = in_flight_at + ?
    WHERE destination = ? AND state = 'in_flight' AND next_attempt_at IS NOT NULL
    """

    def shift_in_flight(self, seconds: float) -> None:
        """The wall clock jumped: the times kept for checks move with it."""
        params = (int(seconds), int(seconds), self.destination)
        with self._db.write() as db:
            db.execute(self.SHIFT_IN_FLIGHT, params)

    TOO_OLD = """
    UPDATE deliveries SET state = 'rejected', last_error = ?, next_attempt_at = NULL
    WHERE destination = ? AND state = ? AND play_timestamp < ?
    RETURNING play_id
    """

    def reject_older_than(
        self, timestamp: int, reason: str, state: str = "pending"
    ) -> list[int]:
        """Reject waiting entries (in `state`) that started before `timestamp`."""
        params = (reason, self.destination, state, int(timestamp))
        with self._db.write() as db:
            return sorted(int(r[0]) for r in db.execute(self.TOO_OLD, params))
