"""The import of past scrobbles into the listening history, and its progress.

Imported plays go straight into `history` (origin and outcome 'imported', no
heard time, never queued): each page in one transaction with the progress and
the cursor, so an import cut short goes on from the page after the last one
kept. The cursor is the `to` of the next request, the oldest time seen (pages
by number shift when new scrobbles arrive, times do not), and a page number
for the one case where time cannot move on: a whole page played in that same
second. The scrobbles of that second are asked for again (albums scrobbled in
one batch share seconds, and a page may end inside one), so the ones already
imported are "seen again" and counted nowhere. It is kept in `delivery_status`
(under CURSOR_KEY, as "to" or "to:page"), so no schema change was needed.

The jobs row of the import (kind 'history') counts: `page` pages fetched,
`pages` the pages expected, `total` the scrobbles expected, `fetched` the
scrobbles read, `matched` the plays added, `unmatched` the plays left out as
already in the history (imported before, or scrobbled from here).
"""

from __future__ import annotations

import dataclasses
import sqlite3

from ..kinds import HISTORY
from .database import Database
from .jobs import ImportJobs
from .rows import Job, from_row

CURSOR_KEY = "import:history:to"
# A play scrobbled from here comes back from the server with the same names and
# (clocks apart) about the same time: within this many seconds it is the same play.
OWN_PLAY_WINDOW_S = 2


@dataclasses.dataclass(frozen=True)
class ImportedPlay:
    artist: str
    track: str
    album: str | None
    played_at: int
    duration_s: int | None = None


@dataclasses.dataclass(frozen=True)
class Cursor:
    """The next request: scrobbles at or before `to`, the page `page` of them."""

    to: int
    page: int = 1


@dataclasses.dataclass(frozen=True)
class PageResult:
    added: int
    skipped: int


class HistoryImport:
    def __init__(self, db: Database) -> None:
        self._db = db

    def job(self) -> Job | None:
        rows = self._db.read("SELECT * FROM jobs WHERE kind = ?", (HISTORY.name,))
        return from_row(Job, rows[0]) if rows else None

    def cursor(self) -> Cursor | None:
        """The `to` and page number of the next request; None before the first."""
        rows = self._db.read(
            "SELECT value FROM delivery_status WHERE key = ?", (CURSOR_KEY,)
        )
        value = rows[0]["value"] if rows else None
        if value is None:
            return None
        to, _, page = str(value).partition(":")
        return Cursor(int(to), int(page or 1))

    def start(self, username: str | None, now_s: float) -> bool:
        """Go on with an import cut short (paused or failed) of the same
        account; else start from the newest scrobble before now (the plays an
        earlier run added stay, and are not added twice). True: going on."""
        job, cursor = self.job(), self.cursor()
        if (
            job is not None
            and job.state in ("running", "failed")
            and job.username == username
            and cursor is not None
        ):
            with self._db.write() as db:
                db.execute(
                    "UPDATE jobs SET state = 'running', error = NULL, "
                    "finished_at = NULL WHERE kind = ?",
                    (HISTORY.name,),
                )
            return True
        self.restart(username, now_s)
        return False

    def restart(self, username: str | None, now_s: float) -> None:
        """Start from the newest scrobble before now."""
        with self._db.write() as db:
            db.execute(ImportJobs.START, (HISTORY.name, username, int(now_s)))
            db.execute(
                "UPDATE jobs SET matched = 0, unmatched = 0 WHERE kind = ?",
                (HISTORY.name,),
            )
            _set_cursor(db, Cursor(int(now_s)), now_s)

    def save_page(
        self,
        plays: list[ImportedPlay],
        next_cursor: Cursor,
        remaining_pages: int,
        remaining_total: int,
        now_s: float,
        asked_to: int | None = None,
    ) -> PageResult:
        """Add one page's plays, the cursor and the progress, together.

        `remaining_*`: what the server said is left at or before this page's
        `to` (`asked_to`), this page included; the plays of that second
        imported already (by the page before) are seen again, not counted.
        """
        with self._db.write() as db:
            again = _imported_already(db, [p for p in plays if p.played_at == asked_to])
            plays = [p for p in plays if _key(p) not in again]
            remaining_total -= len(again)
            ours = _own_plays(db, plays)
            fresh = [p for p in plays if not _is_ours(p, ours)]
            # rowcount: the rows inserted (not those triggers change, e.g. the charts').
            inserted = db.executemany(
                """
                INSERT INTO history (played_at, artist, track, album, duration_s,
                                     heard_s, origin, outcome)
                VALUES (?, ?, ?, ?, ?, NULL, 'imported', 'imported')
                ON CONFLICT DO NOTHING
                """,
                [
                    (p.played_at, p.artist, p.track, p.album, p.duration_s)
                    for p in fresh
                ],
            )
            added = inserted.rowcount
            db.execute(
                """
                UPDATE jobs SET
                    pages = page + ?, total = fetched + ?, page = page + 1,
                    fetched = fetched + ?, matched = matched + ?,
                    unmatched = unmatched + ?
                WHERE kind = ?
                """,
                (
                    remaining_pages, remaining_total, len(plays), added,
                    len(plays) - added, HISTORY.name,
                ),
            )  # fmt: skip
            _set_cursor(db, next_cursor, now_s)
            return PageResult(added, len(plays) - added)

    def finish(self, now_s: float) -> None:
        with self._db.write() as db:
            db.execute(
                "UPDATE jobs SET state = 'done', finished_at = ? WHERE kind = ?",
                (int(now_s), HISTORY.name),
            )
            db.execute("DELETE FROM delivery_status WHERE key = ?", (CURSOR_KEY,))

    def fail(self, error: str, now_s: float) -> None:
        """The import stops; the plays it added stay."""
        with self._db.write() as db:
            db.execute(
                "UPDATE jobs SET state = 'failed', error = ?, finished_at = ? "
                "WHERE kind = ?",
                (error, int(now_s), HISTORY.name),
            )


def _key(play: ImportedPlay) -> tuple[int, str, str]:
    return (play.played_at, play.artist, play.track)


def _imported_already(
    db: sqlite3.Connection, plays: list[ImportedPlay]
) -> set[tuple[int, str, str]]:
    """Which of these plays (of one second) an earlier page imported."""
    if not plays:
        return set()
    rows = db.execute(
        "SELECT played_at, artist, track FROM history "
        "WHERE origin = 'imported' AND played_at = ?",
        (plays[0].played_at,),
    )
    wanted = {_key(p) for p in plays}
    return {key for row in rows if (key := (row[0], row[1], row[2])) in wanted}


def _set_cursor(db: sqlite3.Connection, cursor: Cursor, now_s: float) -> None:
    value = str(cursor.to) if cursor.page == 1 else f"{cursor.to}:{cursor.page}"
    db.execute(
        """
        INSERT INTO delivery_status (key, value, updated_at) VALUES (?, ?, ?)
        ON CONFLICT (key) DO UPDATE SET
            value = excluded.value, updated_at = excluded.updated_at
        """,
        (CURSOR_KEY, value, int(now_s)),
    )


Key = tuple[int, str, str]


def _own_plays(db: sqlite3.Connection, plays: list[ImportedPlay]) -> set[Key]:
    """The plays scrobbled from here around the page's times, names casefolded."""
    if not plays:
        return set()
    times = [p.played_at for p in plays]
    rows = db.execute(
        "SELECT played_at, artist, track FROM history "
        "WHERE origin = 'mopidy' AND played_at BETWEEN ? AND ?",
        (min(times) - OWN_PLAY_WINDOW_S, max(times) + OWN_PLAY_WINDOW_S),
    )
    return {(t, a.casefold(), n.casefold()) for t, a, n in rows}


def _is_ours(play: ImportedPlay, ours: set[Key]) -> bool:
    if not ours:
        return False
    artist, track = play.artist.casefold(), play.track.casefold()
    return any(
        (play.played_at + d, artist, track) in ours
        for d in range(-OWN_PLAY_WINDOW_S, OWN_PLAY_WINDOW_S + 1)
    )
