"""One destination's loves and unloves: what to send, and what came of it.

Each entry is an action (`loves.LoveActions`) and its state at this
destination: pending, sent, rejected (with the reason), or unidentified (no
recording could be found to give feedback on, with the reason). Nothing here
reads or changes another destination's states.
"""

from __future__ import annotations

from .database import Database
from .loves import STATES
from .rows import LoveAction, from_row

__all__ = ["STATES", "LoveQueue"]


class LoveQueue:
    """The loves and unloves queued for the destination named `destination`."""

    def __init__(self, db: Database, destination: str) -> None:
        self._db = db
        self.destination = destination

    def get(self, action_id: int) -> LoveAction | None:
        sql = "SELECT * FROM love_queue WHERE destination = ? AND id = ?"
        rows = self._db.read(sql, (self.destination, action_id))
        return from_row(LoveAction, rows[0]) if rows else None

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        sql = """
        SELECT state, count(*) FROM love_deliveries WHERE destination = ?
        GROUP BY state
        """
        counts.update({r[0]: r[1] for r in self._db.read(sql, (self.destination,))})
        return counts

    def refused(self) -> list[LoveAction]:
        """The loves and unloves the server refused, with its reasons."""
        return self._in_state("rejected")

    def unidentified(self) -> list[LoveAction]:
        """The loves and unloves no recording was found for, with the reasons."""
        return self._in_state("unidentified")

    def _in_state(self, state: str) -> list[LoveAction]:
        sql = "SELECT * FROM love_queue WHERE destination = ? AND state = ? ORDER BY id"
        rows = self._db.read(sql, (self.destination, state))
        return [from_row(LoveAction, r) for r in rows]

    # Delivery's side.

    CLEAR = """
    UPDATE love_deliveries SET next_attempt_at = NULL
    WHERE destination = ? AND state = 'pending'
    """

    def clear_retry_times(self) -> None:
        """At a start or when asked: whatever waits may go now."""
        with self._db.write() as db:
            db.execute(self.CLEAR, (self.destination,))

    PENDING = """
    SELECT * FROM love_queue WHERE destination = ? AND state = 'pending'
    ORDER BY id LIMIT ?
    """

    def due(self, now_s: float, limit: int) -> list[LoveAction]:
        """The oldest pending actions, in order, up to the first whose time has
        not come: one waiting to be tried again holds back those made after it,
        so that a love and an unlove of one track never arrive swapped (found
        by the fault campaign)."""
        rows = self._db.read(self.PENDING, (self.destination, limit))
        due = []
        for row in rows:
            action = from_row(LoveAction, row)
            if action.next_attempt_at is not None and action.next_attempt_at > now_s:
                break
            due.append(action)
        return due

    NEXT_DUE = """
    SELECT coalesce(next_attempt_at, 0) FROM love_deliveries
    WHERE destination = ? AND state = 'pending'
    ORDER BY action_id LIMIT 1
    """

    def next_due_at(self) -> int | None:
        """When the oldest pending action may be sent (0: now), None if none wait."""
        rows = self._db.read(self.NEXT_DUE, (self.destination,))
        return int(rows[0][0]) if rows else None

    SENT = """
    UPDATE love_deliveries SET state = 'sent', sent_at = ?, last_error = NULL,
        next_attempt_at = NULL
    WHERE action_id = ? AND destination = ? AND state = 'pending'
    """

    def mark_sent(self, action_id: int, now_s: float) -> None:
        self._update(self.SENT, (int(now_s), action_id, self.destination))

    REJECTED = """
    UPDATE love_deliveries SET state = 'rejected', last_error = ?,
        next_attempt_at = NULL
    WHERE action_id = ? AND destination = ? AND state = 'pending'
    """

    def mark_rejected(self, action_id: int, reason: str) -> None:
        """Refused by the destination: never to be sent as it is."""
        self._update(self.REJECTED, (reason, action_id, self.destination))

    UNIDENTIFIED = """
    UPDATE love_deliveries SET state = 'unidentified', last_error = ?,
        next_attempt_at = NULL
    WHERE action_id = ? AND destination = ? AND state = 'pending'
    """

    def mark_unidentified(self, action_id: int, reason: str) -> bool:
        """No recording found to give feedback on. False if the action was
        not pending (marked so already): say so only once."""
        params = (reason, action_id, self.destination)
        return self._update(self.UNIDENTIFIED, params)

    RECORDING = """
    UPDATE love_deliveries SET recording_mbid = ?
    WHERE action_id = ? AND destination = ? AND state = 'pending'
    """

    def keep_recording(self, action_id: int, recording_mbid: str) -> None:
        """The recording found for the action's names: no lookup again."""
        self._update(self.RECORDING, (recording_mbid, action_id, self.destination))

    RETRY = """
    UPDATE love_deliveries SET attempts = attempts + 1, last_error = ?,
        next_attempt_at = ?
    WHERE action_id = ? AND destination = ? AND state = 'pending'
    """

    def retry_later(
        self, action_id: int, error: str, next_at: float | None = None
    ) -> None:
        """Try again: at `next_at`, or (None) whenever delivery tries again."""
        at = None if next_at is None else int(next_at)
        self._update(self.RETRY, (error, at, action_id, self.destination))

    def _update(self, sql: str, params: tuple[object, ...]) -> bool:
        with self._db.write() as db:
            return bool(db.execute(sql, params).rowcount)
