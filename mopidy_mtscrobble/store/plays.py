"""The qualified plays, each queued once, and what concerns all their
destinations at once: queuing a play for several, resending to one, history,
listings across destinations.

A play is what was heard and never changes; its delivery to each destination
is a state of its own (`queue.DestinationQueue`), at most one per play and
destination.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from typing import Any

from ..sanitize import encodable
from .database import Database
from .history import record_queued
from .rows import NewScrobble, Scrobble, from_row

STATES = ("pending", "in_flight", "sent", "rejected")
SENT_COLUMNS = ("sent_artist", "sent_track", "sent_album", "sent_album_artist")
SECONDS_PER_DAY = 86_400
# A replay at the very second of an earlier play moves on by at most this much.
MAX_TIMESTAMP_SHIFTS = 60
# SQLite keeps integers in 64 bits; a value from a misbehaving backend may not fit.
MAX_SQLITE_INT = 2**63 - 1
# A play no destination has in flight or sent: its names may still change.
UNSENT_PLAY = """
NOT EXISTS (
    SELECT 1 FROM deliveries AS d
    WHERE d.play_id = plays.id AND d.state IN ('in_flight', 'sent')
)
"""


class Plays:
    def __init__(self, db: Database) -> None:
        self._db = db

    # The frontend's side: plays in.

    INSERT = """
    INSERT INTO plays (
        artist, track, album, album_artist, track_number, duration_s, mbid,
        release_mbid, artist_mbids,
        chosen_by_user, timestamp, uri, created_at,
        sent_artist, sent_track, sent_album, sent_album_artist
    ) VALUES (
        :artist, :track, :album, :album_artist, :track_number, :duration_s, :mbid,
        :release_mbid, :artist_mbids,
        :chosen_by_user, :timestamp, :uri, :created_at,
        :sent_artist, :sent_track, :sent_album, :sent_album_artist
    )
    ON CONFLICT (timestamp, artist, track) DO NOTHING
    """
    BY_PLAY = "SELECT id FROM plays WHERE timestamp = ? AND artist = ? AND track = ?"
    DELIVER = """
    INSERT INTO deliveries (play_id, destination, play_timestamp, queued_at)
    SELECT id, ?, timestamp, ? FROM plays WHERE id = ?
    ON CONFLICT (play_id, destination) DO NOTHING
    """

    def enqueue(
        self,
        scrobble: NewScrobble,
        destinations: Collection[str],
        now_s: float,
        distinct: bool = False,
        heard_s: int | None = None,
    ) -> int:
        """Commit a qualified play, pending for each of `destinations`, in one
        transaction; returns its id.

        Queuing the same play again is a no-op (a retry after a failed write
        may find it saved), but for destinations it did not have. With
        `distinct`, the play is known to be new: one that meets an entry of
        the same track at the same second (a replay after the clock was set
        back) is queued a second later instead. The listening history gets the
        play in the same transaction, heard for `heard_s` so far.
        """
        values = _storable(scrobble)
        values["created_at"] = int(now_s)
        with self._db.write() as db:
            play_id = None
            for _ in range(MAX_TIMESTAMP_SHIFTS):
                cursor = db.execute(self.INSERT, values)
                if cursor.rowcount:
                    play_id = int(cursor.lastrowid or 0)
                    break
                if not distinct:
                    break
                values["timestamp"] += 1
            if play_id is None:
                row = db.execute(
                    self.BY_PLAY,
                    (values["timestamp"], values["artist"], values["track"]),
                ).fetchone()
                play_id = int(row["id"])
            db.executemany(
                self.DELIVER, [(name, int(now_s), play_id) for name in destinations]
            )
            record_queued(db, play_id, heard_s)
            return play_id

    RESEND = """
    INSERT INTO deliveries (play_id, destination, play_timestamp, queued_at)
    SELECT id, ?, timestamp, ? FROM plays WHERE timestamp >= ?
    ON CONFLICT (play_id, destination) DO NOTHING
    """

    def resend(self, to: str, since_s: float, now_s: float) -> int:
        """Queue the plays since `since_s` for destination `to`, each it has
        no state for (a destination added later gets old plays only so).
        Returns how many were queued."""
        with self._db.write() as db:
            return int(db.execute(self.RESEND, (to, int(now_s), int(since_s))).rowcount)

    # A play's names may change (an edit, a correction applied to what waits)
    # only while no destination has it in flight or sent: what a destination
    # got, or may have got, is never told apart from what it is sent later.
    UNSENT = UNSENT_PLAY
    SET_SENT = f"""
    UPDATE plays SET
        sent_artist = :sent_artist, sent_track = :sent_track,
        sent_album = :sent_album, sent_album_artist = :sent_album_artist
    WHERE id = :id AND {UNSENT}
    """  # noqa: S608 - constants only

    # The names a play is sent with now, as the queue shows them (`editing`).
    SENT_NOW = """
        coalesce(sent_artist, artist) IS :was_artist
        AND coalesce(sent_track, track) IS :was_track
        AND nullif(coalesce(sent_album, album), '') IS :was_album
        AND nullif(coalesce(sent_album_artist, album_artist), '') IS :was_album_artist
    """

    def set_sent_names(
        self,
        play_id: int,
        sent: dict[str, str | None],
        was: dict[str, str | None] | None = None,
    ) -> bool:
        """Send play `play_id` with other names (`sent_*` values, as
        `sending.sent_columns` gives them); False if a destination has it in
        flight or sent already (or there is no such play), or if `was` (the
        names artist, track, album, album_artist as the edit read them) is not
        what they are now: another edit came first (compare and set)."""
        values = {key: sent.get(key) for key in SENT_COLUMNS}
        values = {k: encodable(v) if v is not None else None for k, v in values.items()}
        sql, params = self.SET_SENT, {**values, "id": play_id}
        if was is not None:
            sql += " AND " + self.SENT_NOW
            params |= {f"was_{k}": v for k, v in was.items()}
        with self._db.write() as db:
            return bool(db.execute(sql, params).rowcount)

    PRUNE = """
    DELETE FROM plays
    WHERE NOT EXISTS (
        SELECT 1 FROM deliveries AS d
        WHERE d.play_id = plays.id
            AND NOT coalesce(d.state = 'sent' AND d.sent_at < :cutoff, 0)
    ) AND (
        created_at < :cutoff
        OR EXISTS (SELECT 1 FROM deliveries AS d WHERE d.play_id = plays.id)
    )
    """

    def prune_history(self, history_days: int, now_s: float) -> int:
        """Forget plays sent to every destination more than `history_days`
        ago (and old ones queued for none); any still waiting or rejected
        somewhere stays whole. Returns how many plays were forgotten."""
        with self._db.write() as db:
            cutoff = int(now_s) - history_days * SECONDS_PER_DAY
            return int(db.execute(self.PRUNE, {"cutoff": cutoff}).rowcount)

    # Reading across destinations.

    def play_count(self) -> int:
        return int(self._db.read("SELECT count(*) FROM plays")[0][0])

    def destinations_of(self, play_id: int) -> dict[str, Scrobble]:
        """The play's state at each destination it was queued for."""
        sql = "SELECT * FROM scrobbles WHERE id = ? ORDER BY destination"
        rows = self._db.read(sql, (play_id,))
        return {row["destination"]: scrobble_of(row) for row in rows}

    def counts_by_destination(self) -> dict[str, dict[str, int]]:
        """Entries in each state, for each destination that has any."""
        sql = """
        SELECT destination, state, count(*) FROM deliveries
        GROUP BY destination, state ORDER BY destination
        """
        counts: dict[str, dict[str, int]] = {}
        for name, state, count in self._db.read(sql):
            counts.setdefault(name, dict.fromkeys(STATES, 0))[state] = count
        return counts

    LISTING = """
    SELECT * FROM scrobbles
    WHERE (:destination IS NULL OR destination = :destination)
        AND state IN ({marks})
    ORDER BY timestamp, id, destination LIMIT :limit OFFSET :offset
    """

    def listing(
        self,
        destination: str | None,
        states: Collection[str],
        limit: int,
        offset: int = 0,
    ) -> list[Scrobble]:
        """A page of entries in `states`, of one destination or (None) all,
        oldest first."""
        marks = ", ".join(f":state{i}" for i in range(len(states)))
        params: dict[str, Any] = {f"state{i}": s for i, s in enumerate(states)}
        params.update(destination=destination, limit=limit, offset=offset)
        rows = self._db.read(self.LISTING.format(marks=marks), params)
        return [scrobble_of(r) for r in rows]

    # Delivery's side, for every destination at once.

    def clear_retry_times(self) -> None:
        """Everything waiting may be sent at once (a start, or 'retry now')."""
        sql = "UPDATE deliveries SET next_attempt_at = NULL WHERE state = 'pending'"
        with self._db.write() as db:
            db.execute(sql)

    SHIFT = """
    UPDATE deliveries SET next_attempt_at = next_attempt_at + ?
    WHERE state = 'pending' AND next_attempt_at IS NOT NULL
    """

    def shift_retry_times(self, seconds: float) -> None:
        """The wall clock jumped: move the stored retry times with it."""
        with self._db.write() as db:
            db.execute(self.SHIFT, (int(seconds),))


def scrobble_of(row: Any) -> Scrobble:
    """A row of the `scrobbles` view: a play as delivered to one destination."""
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
