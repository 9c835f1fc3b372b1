"""Loves and unloves made here: shown at once, and each queued for the
destinations configured then (track.love / track.unlove for Last.fm, recording
feedback for ListenBrainz), kept until each destination took it.

An action (`love_actions`) never changes; its delivery to each destination
is a state of its own (`love_queue.LoveQueue`), at most one per action and
destination.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ..matching import key_parts
from .database import Database
from .rows import LocalMatch, LoveAction, Loved, from_row
from .songs import insert_loved_match

STATES = ("pending", "sent", "rejected", "unidentified")


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
    INSERT INTO love_actions (action, artist, track, mbid, created_at)
    VALUES (?, ?, ?, ?, ?)
    """
    DELIVER = """
    INSERT INTO love_deliveries (action_id, destination, queued_at) VALUES (?, ?, ?)
    """

    def love(
        self,
        artist: str,
        track: str,
        match: LocalMatch,
        destinations: Collection[str],
        now_s: float,
        mbid: str | None = None,
    ) -> Loved:
        """Loved here: shown at once (with its local track), and queued for
        each of `destinations`. `mbid`: the track's MusicBrainz recording id."""
        key = key_parts(artist, track)
        with self._db.write() as db:
            db.execute(self.INSERT_LOVED, (artist, track, int(now_s), *key))
            row = db.execute(self.BY_KEY, key).fetchone()
            insert_loved_match(db, row["id"], match)
            self._queue(
                db, "love", row["artist"], row["track"], mbid, destinations, now_s
            )
            return from_row(Loved, row)

    def unlove(
        self,
        loved: list[Loved],
        fallback: tuple[str, str],
        destinations: Collection[str],
        now_s: float,
        mbid: str | None = None,
    ) -> None:
        """Unloved here: gone at once, and an unlove queued for each name, for
        each of `destinations`."""
        names = [(e.artist, e.track) for e in loved] or [fallback]
        with self._db.write() as db:
            db.executemany("DELETE FROM loved WHERE id = ?", [(e.id,) for e in loved])
            for artist, track in names:
                self._queue(db, "unlove", artist, track, mbid, destinations, now_s)

    def _queue(
        self,
        db: Any,
        action: str,
        artist: str,
        track: str,
        mbid: str | None,
        destinations: Collection[str],
        now_s: float,
    ) -> None:
        cursor = db.execute(
            self.INSERT_ACTION, (action, artist, track, mbid, int(now_s))
        )
        action_id = int(cursor.lastrowid or 0)
        db.executemany(
            self.DELIVER, [(action_id, name, int(now_s)) for name in destinations]
        )

    # Reading across destinations.

    def destinations_of(self, action_id: int) -> dict[str, LoveAction]:
        """The action's state at each destination it was queued for."""
        sql = "SELECT * FROM love_queue WHERE id = ? ORDER BY destination"
        rows = self._db.read(sql, (action_id,))
        return {row["destination"]: from_row(LoveAction, row) for row in rows}

    def counts(self) -> dict[str, int]:
        """Deliveries in each state, all destinations together."""
        counts = dict.fromkeys(STATES, 0)
        sql = "SELECT state, count(*) FROM love_deliveries GROUP BY state"
        counts.update({row[0]: row[1] for row in self._db.read(sql)})
        return counts

    LISTING = """
    SELECT * FROM love_queue WHERE state IN ({marks})
    ORDER BY destination, id LIMIT ?
    """

    def listing(self, states: Collection[str], limit: int) -> list[LoveAction]:
        """Deliveries in `states`, by destination, oldest first (for `queue`)."""
        sql = self.LISTING.format(marks=", ".join("?" * len(states)))
        rows = self._db.read(sql, (*states, limit))
        return [from_row(LoveAction, r) for r in rows]

    # Delivery's side, for every destination at once.

    CLEAR = """
    UPDATE love_deliveries SET next_attempt_at = NULL WHERE state = 'pending'
    """

    def clear_retry_times(self) -> None:
        with self._db.write() as db:
            db.execute(self.CLEAR)

    SHIFT = """
    UPDATE love_deliveries SET next_attempt_at = next_attempt_at + ?
    WHERE state = 'pending' AND next_attempt_at IS NOT NULL
    """

    def shift_retry_times(self, seconds: float) -> None:
        with self._db.write() as db:
            db.execute(self.SHIFT, (int(seconds),))
