"""A full comparison of the loved sync under way, kept page by page so that a
stop (Mopidy restarted, the connection lost for long) does not send it back
to page 1: the pass and the songs its pages listed so far."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from .database import Database

Key = tuple[str, str, str]


@dataclasses.dataclass(frozen=True)
class SavedPass:
    username: str
    started_at: int
    page: int  # the last page read
    newest: int  # the newest love date seen
    total: int  # the list's length at page 1
    seen: frozenset[Key]


class SyncPasses:
    def __init__(self, db: Database) -> None:
        self._db = db

    def load(self) -> SavedPass | None:
        rows = self._db.read(
            "SELECT username, started_at, page, newest, total FROM loved_sync_pass"
        )
        if not rows:
            return None
        seen = self._db.read(
            "SELECT artist_key, title_key, recording FROM loved_sync_seen"
        )
        row = rows[0]
        return SavedPass(
            str(row[0]),
            int(row[1]),
            int(row[2]),
            int(row[3]),
            int(row[4]),
            frozenset((str(r[0]), str(r[1]), str(r[2])) for r in seen),
        )

    def save_page(self, saved: SavedPass, keys: Iterable[Key]) -> None:
        """A page read: the pass's progress and the songs that page listed
        (`saved.seen` is not written again, only `keys`)."""
        with self._db.write() as db:
            db.execute(
                "INSERT OR REPLACE INTO loved_sync_pass VALUES (1, ?, ?, ?, ?, ?)",
                (
                    saved.username,
                    saved.started_at,
                    saved.page,
                    saved.newest,
                    saved.total,
                ),
            )
            db.executemany(
                "INSERT OR IGNORE INTO loved_sync_seen VALUES (?, ?, ?)", keys
            )

    def clear(self) -> None:
        """No pass under way (ended, or started over)."""
        with self._db.write() as db:
            db.execute("DELETE FROM loved_sync_pass")
            db.execute("DELETE FROM loved_sync_seen")
