"""Loves and unloves made here: shown at once, and track.love / track.unlove
kept until the network took them."""

from __future__ import annotations

from ..matching import key_parts
from .database import Database
from .rows import LocalMatch, LoveAction, Loved, from_row
from .songs import insert_loved_match


class LoveActions:
    def __init__(self, db: Database) -> None:
        self._db = db

    INSERT_LOVED = """
    INSERT INTO loved (
        artist, track, loved_at, source, artist_key, title_key, recording, matched_at
    ) VALUES (?, ?, ?, 'mopidy', ?, ?, ?, NULL)
    ON CONFLICT (artist_key, title_key, recording) DO NOTHING
    """
    BY_KEY = (
        "SELECT * FROM loved WHERE artist_key = ? AND title_key = ? AND recording = ?"
    )
    INSERT_ACTION = """
    INSERT INTO love_actions (action, artist, track, created_at) VALUES (?, ?, ?, ?)
    """

    def love(self, artist: str, track: str, match: LocalMatch, now_s: float) -> Loved:
        """Loved here: shown at once (with its local track), and track.love queued."""
        key = key_parts(artist, track)
        with self._db.write() as db:
            db.execute(self.INSERT_LOVED, (artist, track, int(now_s), *key))
            row = db.execute(self.BY_KEY, key).fetchone()
            insert_loved_match(db, row["id"], match)
            db.execute(
                self.INSERT_ACTION, ("love", row["artist"], row["track"], int(now_s))
            )
            return from_row(Loved, row)

    def unlove(
        self, loved: list[Loved], fallback: tuple[str, str], now_s: float
    ) -> None:
        """Unloved here: gone at once, and track.unlove queued for each name."""
        names = [(e.artist, e.track) for e in loved] or [fallback]
        with self._db.write() as db:
            db.executemany("DELETE FROM loved WHERE id = ?", [(e.id,) for e in loved])
            db.executemany(
                self.INSERT_ACTION,
                [("unlove", artist, track, int(now_s)) for artist, track in names],
            )

    DUE = """
    SELECT * FROM love_actions
    WHERE state = 'pending' AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
    ORDER BY id LIMIT ?
    """

    def due(self, now_s: float, limit: int) -> list[LoveAction]:
        rows = self._db.read(self.DUE, (int(now_s), limit))
        return [from_row(LoveAction, r) for r in rows]

    def next_due_at(self) -> int | None:
        sql = """
        SELECT min(coalesce(next_attempt_at, 0)) FROM love_actions
        WHERE state = 'pending'
        """
        value = self._db.read(sql)[0][0]
        return None if value is None else int(value)

    SENT = """
    UPDATE love_actions SET state = 'sent', sent_at = ?, last_error = NULL,
        next_attempt_at = NULL
    WHERE id = ? AND state = 'pending'
    """

    def mark_sent(self, action_id: int, now_s: float) -> None:
        with self._db.write() as db:
            db.execute(self.SENT, (int(now_s), action_id))

    REJECTED = """
    UPDATE love_actions SET state = 'rejected', last_error = ?, next_attempt_at = NULL
    WHERE id = ? AND state = 'pending'
    """

    def mark_rejected(self, action_id: int, reason: str) -> None:
        with self._db.write() as db:
            db.execute(self.REJECTED, (reason, action_id))

    RETRY = """
    UPDATE love_actions SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
    WHERE id = ? AND state = 'pending'
    """

    def retry_later(
        self, action_id: int, error: str, next_at: float | None = None
    ) -> None:
        """Try again: at `next_at`, or (None) whenever delivery tries again."""
        at = None if next_at is None else int(next_at)
        with self._db.write() as db:
            db.execute(self.RETRY, (error, at, action_id))

    def refused(self) -> list[LoveAction]:
        """The loves and unloves the server refused, with its reasons."""
        rows = self._db.read("SELECT * FROM love_actions WHERE state = 'rejected'")
        return [from_row(LoveAction, r) for r in rows]

    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("pending", "sent", "rejected"), 0)
        sql = "SELECT state, count(*) FROM love_actions GROUP BY state"
        counts.update({row[0]: row[1] for row in self._db.read(sql)})
        return counts

    def clear_retry_times(self) -> None:
        sql = "UPDATE love_actions SET next_attempt_at = NULL WHERE state = 'pending'"
        with self._db.write() as db:
            db.execute(sql)

    SHIFT = """
    UPDATE love_actions SET next_attempt_at = next_attempt_at + ?
    WHERE state = 'pending' AND next_attempt_at IS NOT NULL
    """

    def shift_retry_times(self, seconds: float) -> None:
        with self._db.write() as db:
            db.execute(self.SHIFT, (int(seconds),))
