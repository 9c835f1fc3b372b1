"""Private mode as kept in the database (see `private`): one row, written by
the page, the API and the commands, read by the frontend."""

from __future__ import annotations

from ..private import PrivateState
from .database import Database


class PrivateMode:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self) -> PrivateState:
        rows = self._db.read("SELECT paused, until_s, skip_at FROM private_mode")
        if not rows:
            return PrivateState()
        row = rows[0]
        return PrivateState(bool(row["paused"]), row["until_s"], row["skip_at"])

    SET_PAUSE = "UPDATE private_mode SET paused = ?, until_s = ?, updated_at = ?"

    def pause(self, until_s: float | None, now_s: float) -> PrivateState:
        """Pause scrobbling and now playing until `until_s` (None: until resumed)."""
        with self._db.write() as db:
            db.execute(self.SET_PAUSE, (1, until_s, int(now_s)))
        return self.get()

    def resume(self, now_s: float) -> PrivateState:
        """Scrobble again from now on (a skip asked for the play in progress stays)."""
        with self._db.write() as db:
            db.execute(self.SET_PAUSE, (0, None, int(now_s)))
        return self.get()

    def skip(self, now_s: float) -> PrivateState:
        """Keep out the play in progress at `now_s` (the one that started at or
        before it), and only that one."""
        sql = "UPDATE private_mode SET skip_at = ?, updated_at = ?"
        with self._db.write() as db:
            db.execute(sql, (now_s, int(now_s)))
        return self.get()
