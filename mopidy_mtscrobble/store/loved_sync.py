"""The two-way sync of loved tracks (see `loved_sync`): when the server's list
was last checked, what we did to its songs, and what a check changes here."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from ..destinations import LASTFM
from ..loved_sync import OurAction
from ..matching import key_parts
from .database import Database
from .rows import SongEntry, from_row

Key = tuple[str, str, str]


@dataclasses.dataclass(frozen=True)
class SyncState:
    username: str | None = None
    checked_at: int | None = None
    compared_at: int | None = None
    newest_loved_at: int | None = None


@dataclasses.dataclass(frozen=True)
class LocalLove:
    id: int
    loved_at: int | None
    key: Key
    names: tuple[str, str]


class LovedSync:
    def __init__(self, db: Database) -> None:
        self._db = db

    def state(self) -> SyncState:
        rows = self._db.read("SELECT * FROM loved_sync WHERE id = 1")
        return from_row(SyncState, rows[0]) if rows else SyncState()

    SAVE = """
    INSERT INTO loved_sync (id, username, checked_at, compared_at, newest_loved_at)
    VALUES (1, :username, :checked_at, :compared_at, :newest_loved_at)
    ON CONFLICT (id) DO UPDATE SET
        username = excluded.username, checked_at = excluded.checked_at,
        compared_at = excluded.compared_at, newest_loved_at = excluded.newest_loved_at
    """

    def save(self, state: SyncState) -> None:
        with self._db.write() as db:
            db.execute(self.SAVE, dataclasses.asdict(state))

    def local_loves(self) -> dict[Key, LocalLove]:
        sql = """
        SELECT id, artist, track, loved_at, artist_key, title_key, recording
        FROM loved
        """
        return {
            key: LocalLove(r["id"], r["loved_at"], key, (r["artist"], r["track"]))
            for r in self._db.read(sql)
            for key in [(r["artist_key"], r["title_key"], r["recording"])]
        }

    OURS = """
    SELECT action, artist, track, created_at, state FROM love_queue
    WHERE destination = ? AND state IN ('pending', 'sent')
      AND (state = 'pending' OR created_at >= ?)
    ORDER BY id
    """

    def our_actions(self, since_s: int) -> dict[Key, OurAction]:
        """The latest action made here on each song, of those pending or made
        from `since_s` on (older ones cannot be later than what is compared)."""
        latest: dict[Key, OurAction] = {}
        for row in self._db.read(self.OURS, (LASTFM, since_s)):
            key = key_parts(row["artist"], row["track"])
            latest[key] = OurAction(
                row["action"], row["created_at"], row["state"] == "pending"
            )
        return latest

    ADD = """
    INSERT INTO loved (
        artist, track, loved_at, source, artist_key, title_key, recording, matched_at
    ) VALUES (
        :artist, :track, :value, 'import', :artist_key, :title_key, :recording, NULL
    )
    ON CONFLICT (artist_key, title_key, recording) DO NOTHING
    """

    def apply(self, added: Iterable[SongEntry], removed: Iterable[int]) -> int:
        """Add loves made elsewhere (to be matched), remove songs unloved
        elsewhere; returns how many changed."""
        with self._db.write() as db:
            changed = 0
            for entry in added:
                changed += db.execute(self.ADD, dataclasses.asdict(entry)).rowcount
            for loved_id in removed:
                db.execute("DELETE FROM loved WHERE id = ?", (loved_id,))
                changed += 1
            return changed
