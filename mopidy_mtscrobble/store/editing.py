"""The editable queue: plays still waiting somewhere, as the user sees them,
and what the user may do to one: send it with other names, hold it (kept, sent
nowhere until released), release it, or delete it for good.

The rule for every change: nothing is changed that a destination has in
flight (it may have it already) or was sent (it has it). So an entry sent to
one destination and waiting for another can be held (it stops waiting) but
neither edited nor deleted: the destinations would disagree, and the history
would lose what was sent. Each change is one guarded statement, so delivery,
which marks what it sends in flight in a transaction of its own
(`DestinationQueue.mark_in_flight`, which skips held plays), and the user
never both win.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..errors import RequestRefused
from .database import Database
from .plays import Plays

NAMES = ("artist", "track", "album", "album_artist")
# A play "waits" while some destination has it pending or in flight.
WAITING = "EXISTS (SELECT 1 FROM deliveries AS w WHERE w.play_id = p.id AND w.state IN ('pending', 'in_flight'))"  # noqa: E501
UNTOUCHED = """
NOT EXISTS (
    SELECT 1 FROM deliveries AS d
    WHERE d.play_id = plays.id AND d.state IN ('in_flight', 'sent')
)
"""
NOT_IN_FLIGHT = """
NOT EXISTS (
    SELECT 1 FROM deliveries AS d
    WHERE d.play_id = plays.id AND d.state = 'in_flight'
)
"""


class EntryRefused(RequestRefused):
    """A change to a queued entry that cannot be made (404: no such entry,
    409: a destination has it in flight or sent)."""


@dataclasses.dataclass(frozen=True)
class QueuedEntry:
    """A play still waiting somewhere: names as heard and as sent, whether it
    is held, and its state at each destination."""

    id: int
    timestamp: int
    artist: str
    track: str
    album: str | None
    album_artist: str | None
    heard_artist: str
    heard_track: str
    heard_album: str | None
    heard_album_artist: str | None
    held: bool
    states: dict[str, str]

    @property
    def edited(self) -> bool:
        return (self.artist, self.track, self.album, self.album_artist) != (
            self.heard_artist,
            self.heard_track,
            self.heard_album,
            self.heard_album_artist,
        )


class QueueEditing:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Reading.

    ENTRIES = f"""
    SELECT p.id FROM plays AS p WHERE {WAITING}
    ORDER BY p.timestamp, p.id LIMIT ? OFFSET ?
    """  # noqa: S608 - constants only

    def entries(self, limit: int, offset: int = 0) -> list[QueuedEntry]:
        """A page of the plays still waiting somewhere, oldest first."""
        rows = self._db.read(self.ENTRIES, (limit, offset))
        found = (self.get(int(row["id"])) for row in rows)
        return [entry for entry in found if entry is not None]

    def count(self) -> int:
        sql = f"SELECT count(*) FROM plays AS p WHERE {WAITING}"  # noqa: S608
        return int(self._db.read(sql)[0][0])

    PLAY = """
    SELECT id, timestamp, held,
        artist AS heard_artist, track AS heard_track, album AS heard_album,
        album_artist AS heard_album_artist,
        coalesce(sent_artist, artist) AS artist, coalesce(sent_track, track) AS track,
        nullif(coalesce(sent_album, album), '') AS album,
        nullif(coalesce(sent_album_artist, album_artist), '') AS album_artist
    FROM plays WHERE id = ?
    """
    STATES = "SELECT destination, state FROM deliveries WHERE play_id = ?"

    def get(self, play_id: int) -> QueuedEntry | None:
        """The play `play_id` (waiting or not), None if there is none."""
        rows = self._db.read(self.PLAY, (play_id,))
        if not rows:
            return None
        values: dict[str, Any] = dict(rows[0])
        values["held"] = bool(values["held"])
        states = self._db.read(self.STATES, (play_id,))
        values["states"] = {row["destination"]: row["state"] for row in states}
        return QueuedEntry(**values)

    def require(self, play_id: int) -> QueuedEntry:
        """The play `play_id`; `EntryRefused` (404) if there is none."""
        entry = self.get(play_id)
        if entry is None:
            raise self._refusal(play_id, "found", sent_counts=False)
        return entry

    def held_ids(self) -> set[int]:
        return {int(r[0]) for r in self._db.read("SELECT id FROM plays WHERE held")}

    # Changing (each refused with the reason, see `EntryRefused`).

    def set_names(
        self,
        play_id: int,
        sent: dict[str, str | None],
        was: QueuedEntry | None = None,
    ) -> bool:
        """Send the play with other names (`sent_*` values, as
        `sending.sent_columns` gives them). With `was` (the entry as the edit
        read it), only if its names are still those: False if another edit
        changed them meanwhile (read again and retry), so that two edits of
        different names both hold."""
        names = None
        if was is not None:
            names = {n: getattr(was, n) for n in NAMES}
        if Plays(self._db).set_sent_names(play_id, sent, names):
            return True
        entry = self.get(play_id)
        if (
            was is None
            or entry is None
            or _where(entry, "in_flight")
            or _where(entry, "sent")
        ):
            raise self._refusal(play_id, "edited", sent_counts=True)
        return False

    HOLD = f"UPDATE plays SET held = ? WHERE id = ? AND {NOT_IN_FLIGHT}"  # noqa: S608

    def hold(self, play_id: int) -> None:
        """Keep the play, sent nowhere until released (one sent somewhere
        already may be held: it stops waiting elsewhere)."""
        with self._db.write() as db:
            if db.execute(self.HOLD, (1, play_id)).rowcount:
                return
        raise self._refusal(play_id, "held", sent_counts=False)

    def release(self, play_id: int) -> None:
        """Send the play again where it waits."""
        with self._db.write() as db:
            if db.execute(
                "UPDATE plays SET held = 0 WHERE id = ?", (play_id,)
            ).rowcount:
                return
        raise self._refusal(play_id, "released", sent_counts=False)

    # Its deliveries go with it (ON DELETE CASCADE).
    DELETE = f"DELETE FROM plays WHERE id = ? AND {UNTOUCHED}"  # noqa: S608

    def delete(self, play_id: int) -> None:
        """Forget the play and its deliveries, for good."""
        with self._db.write() as db:
            if db.execute(self.DELETE, (play_id,)).rowcount:
                return
        raise self._refusal(play_id, "deleted", sent_counts=True)

    def _refusal(self, play_id: int, verb: str, sent_counts: bool) -> EntryRefused:
        entry = self.get(play_id)
        if entry is None:
            return EntryRefused(
                f"There is no scrobble #{play_id} in the queue; list the queue "
                "(mopidy mtscrobble queue, or the page's queue view) for the "
                "numbers of those waiting.",
                404,
            )
        flying = _where(entry, "in_flight")
        if flying:
            return EntryRefused(
                f"Scrobble #{play_id} cannot be {verb}: it is being sent to "
                f"{flying} right now. Wait until it is sent (or back in the "
                "queue after a failure) and try again.",
                409,
            )
        sent = _where(entry, "sent")
        if sent and sent_counts:
            return EntryRefused(
                f"Scrobble #{play_id} cannot be {verb}: it was sent already to "
                f"{sent}, and what a destination has is not changed afterwards. "
                "Hold it to keep it from the others.",
                409,
            )
        # Changed between the attempt and this look: the user may try again.
        return EntryRefused(
            f"Scrobble #{play_id} changed while it was being {verb}; try again.", 409
        )


def _where(entry: QueuedEntry, state: str) -> str:
    return ", ".join(sorted(n for n, s in entry.states.items() if s == state))
