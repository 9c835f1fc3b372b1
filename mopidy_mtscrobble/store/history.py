"""The listening history the user owns (schema 14's `history` table): every
qualified play, queued or kept out (by a rule, by private mode), and plays
imported from the server. Apart from the delivery queue: `history_days`
never prunes it, `history_keep_days` does.

A queued play's row is written in the transaction that queues it
(`record_queued`, called by `Plays.enqueue`), under a savepoint: a history
row that cannot be written never costs the play its place in the queue.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from typing import NamedTuple

from ..sanitize import encodable
from .database import Database

logger = logging.getLogger(__name__)

SECONDS_PER_DAY = 86_400
# What the history says of a play, its `outcome` as the export gives it.
QUEUED, SENT, REJECTED, DELETED = "queued", "sent", "rejected", "deleted"
EXCLUDED, PRIVATE, IMPORTED = "excluded", "private", "imported"
OUTCOMES = (QUEUED, SENT, REJECTED, DELETED, EXCLUDED, PRIVATE, IMPORTED)
KEPT_OUT = (EXCLUDED, PRIVATE)


@dataclasses.dataclass(frozen=True)
class HistoryPlay:
    """A play as the history keeps it (names as sent, or as heard if kept out)."""

    played_at: int  # UTC unix seconds the play started
    artist: str
    track: str
    album: str | None = None
    album_artist: str | None = None
    duration_s: int | None = None
    heard_s: int | None = None  # None: not known
    uri: str | None = None
    origin: str = "mopidy"
    outcome: str = QUEUED  # as stored: queued, excluded, private or imported
    reason: str | None = None


class HistoryEntry(NamedTuple):
    """A row of the history as the export reads it (a tuple: a million are
    read at a time); `outcome` is what became of the play (see `STATE`)."""

    id: int
    played_at: int
    played_at_utc: str  # ISO 8601, e.g. 2026-01-31T18:00:00Z
    artist: str
    track: str
    album: str | None
    album_artist: str | None
    duration_s: int | None
    heard_s: int | None
    uri: str | None
    origin: str
    outcome: str
    reason: str | None


# A queued play's outcome, from its deliveries while the queue has it, or
# from how it left: rejected by any destination, sent by all, else queued.
STATE = """
CASE
    WHEN h.outcome != 'queued' THEN h.outcome
    WHEN h.left_queue IS NOT NULL THEN h.left_queue
    WHEN h.play_id IS NULL THEN 'queued'
    WHEN EXISTS (SELECT 1 FROM deliveries AS d
                 WHERE d.play_id = h.play_id AND d.state = 'rejected') THEN 'rejected'
    WHEN EXISTS (SELECT 1 FROM deliveries AS d WHERE d.play_id = h.play_id)
         AND NOT EXISTS (SELECT 1 FROM deliveries AS d
                         WHERE d.play_id = h.play_id AND d.state != 'sent') THEN 'sent'
    ELSE 'queued'
END
"""

# The play as queued: the names it is sent with (see `sending.sent`), and
# those heard where they differ (a trigger, schema 20, keeps both up to date
# when they change while it is queued).
INSERT_QUEUED = """
INSERT INTO history (played_at, artist, track, album, album_artist, duration_s,
                     heard_s, uri, origin, outcome, play_id,
                     heard_artist, heard_track, heard_album, heard_album_artist)
SELECT timestamp, coalesce(nullif(sent_artist, ''), artist),
       coalesce(nullif(sent_track, ''), track),
       nullif(coalesce(sent_album, album), ''),
       nullif(coalesce(sent_album_artist, album_artist), ''),
       duration_s, :heard_s, uri, 'mopidy', 'queued', id,
       nullif(artist, coalesce(nullif(sent_artist, ''), artist)),
       nullif(track, coalesce(nullif(sent_track, ''), track)),
       CASE WHEN album IS nullif(coalesce(sent_album, album), '')
            THEN NULL ELSE album END,
       CASE WHEN album_artist IS nullif(coalesce(sent_album_artist, album_artist), '')
            THEN NULL ELSE album_artist END
FROM plays WHERE id = :play_id
ON CONFLICT DO NOTHING
"""


def record_queued(db: sqlite3.Connection, play_id: int, heard_s: int | None) -> None:
    """In the transaction that queued play `play_id`: its history row. A
    failure is logged and undone alone (the play stays queued)."""
    db.execute("SAVEPOINT history_row")
    try:
        db.execute(INSERT_QUEUED, {"play_id": play_id, "heard_s": heard_s})
    except sqlite3.Error as exc:
        db.execute("ROLLBACK TO history_row")
        logger.warning(
            "Could not keep play #%d in the listening history (it is queued "
            "all the same): %s",
            play_id,
            exc,
        )
    db.execute("RELEASE history_row")


class History:
    def __init__(self, db: Database) -> None:
        self._db = db

    INSERT = """
    INSERT INTO history (played_at, artist, track, album, album_artist,
                         duration_s, heard_s, uri, origin, outcome, reason)
    VALUES (:played_at, :artist, :track, :album, :album_artist,
            :duration_s, :heard_s, :uri, :origin, :outcome, :reason)
    ON CONFLICT DO NOTHING
    """

    def record(self, play: HistoryPlay) -> int | None:
        """Keep a play the queue does not have (kept out by a rule or private
        mode); its row's id, or None if the history had it already."""
        values = {
            k: encodable(v) if isinstance(v, str) else v
            for k, v in dataclasses.asdict(play).items()
        }
        with self._db.write() as db:
            cursor = db.execute(self.INSERT, values)
            return int(cursor.lastrowid or 0) if cursor.rowcount else None

    def set_heard(self, history_id: int, heard_s: int) -> None:
        """The play `history_id` ended: how long it was heard in all."""
        with self._db.write() as db:
            db.execute(
                "UPDATE history SET heard_s = ? WHERE id = ?", (heard_s, history_id)
            )

    def set_heard_of_play(self, play_id: int, heard_s: int) -> None:
        """The queued play `play_id` ended: how long it was heard in all."""
        sql = "UPDATE history SET heard_s = ? WHERE play_id = ? AND origin = 'mopidy'"
        with self._db.write() as db:
            db.execute(sql, (heard_s, play_id))

    PAGE = f"""
    SELECT h.id, h.played_at,
           strftime('%Y-%m-%dT%H:%M:%SZ', h.played_at, 'unixepoch'),
           h.artist, h.track, h.album, h.album_artist, h.duration_s, h.heard_s,
           h.uri, h.origin, {STATE}, h.reason
    FROM history AS h
    WHERE h.played_at >= :start AND (h.played_at, h.id) > (:after_at, :after_id)
    ORDER BY h.played_at, h.id LIMIT :limit
    """  # noqa: S608 - constants only

    def page(
        self, since_s: int, after: tuple[int, int] | None, limit: int
    ) -> list[HistoryEntry]:
        """Up to `limit` plays from `since_s` on, oldest first, after the
        (played_at, id) of the last play of the page before (None: the first
        page). Keyset paging: each page costs the same, however deep."""
        after_at, after_id = after if after is not None else (since_s, -1)
        params = {
            # The index's range starts here: SQLite does not start it at a
            # row value, and would walk every play before it again.
            "start": max(since_s, after_at),
            "after_at": after_at,
            "after_id": after_id,
            "limit": limit,
        }
        return list(map(HistoryEntry._make, self._db.read(self.PAGE, params)))

    def count(self) -> int:
        return int(self._db.read("SELECT count(*) FROM history")[0][0])

    def prune(self, keep_days: int, now_s: float) -> int:
        """Forget plays older than `keep_days` days (0: keep all); never one
        the queue still has. Returns how many were forgotten."""
        if keep_days <= 0:
            return 0
        cutoff = int(now_s) - keep_days * SECONDS_PER_DAY
        sql = "DELETE FROM history WHERE played_at < ? AND play_id IS NULL"
        with self._db.write() as db:
            return int(db.execute(sql, (cutoff,)).rowcount)
