"""Imports from the network (see `kinds`): their progress, and their pages,
staged until the last one came and then swapped in whole."""

from __future__ import annotations

import dataclasses

from ..kinds import ImportKind
from .database import Database, sql_file, statements
from .rows import Job, SongEntry, from_row


class ImportJobs:
    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, kind: ImportKind) -> Job | None:
        rows = self._db.read("SELECT * FROM jobs WHERE kind = ?", (kind.name,))
        return from_row(Job, rows[0]) if rows else None

    START = """
    INSERT INTO jobs (kind, state, username, page, pages, total, fetched, started_at)
    VALUES (?, 'running', ?, 0, NULL, NULL, 0, ?)
    ON CONFLICT (kind) DO UPDATE SET
        run = jobs.run + 1, state = 'running', username = excluded.username,
        page = 0, pages = NULL, total = NULL, fetched = 0, matched = NULL,
        unmatched = NULL, started_at = excluded.started_at, finished_at = NULL,
        error = NULL
    """

    def start(self, kind: ImportKind, username: str | None, now_s: float) -> None:
        """Start an import from page 1, forgetting what an earlier one fetched."""
        with self._db.write() as db:
            db.execute(self.START, (kind.name, username, int(now_s)))
            db.execute(f"DELETE FROM {kind.staging}")  # noqa: S608 - registry names

    def fail(self, kind: ImportKind, error: str, now_s: float) -> None:
        sql = """
        UPDATE jobs SET state = 'failed', error = ?, finished_at = ? WHERE kind = ?
        """
        with self._db.write() as db:
            db.execute(sql, (error, int(now_s), kind.name))

    PAGE = "UPDATE jobs SET page = ?, pages = ?, total = ?, fetched = ? WHERE kind = ?"

    def save_page(
        self,
        kind: ImportKind,
        page: int,
        pages: int,
        total: int,
        entries: list[SongEntry],
    ) -> int:
        """Keep one fetched page and the progress, together; returns songs so far."""
        [stage] = statements(sql_file(f"stage-{kind.name}.sql"))
        with self._db.write() as db:
            db.executemany(stage, [dataclasses.asdict(e) for e in entries])
            fetched = db.execute(f"SELECT count(*) FROM {kind.staging}").fetchone()[0]  # noqa: S608
            db.execute(self.PAGE, (page, pages, total, fetched, kind.name))
            return int(fetched)

    MATCHING = """
    UPDATE jobs SET state = 'matching', fetched = ?, finished_at = ? WHERE kind = ?
    """

    def finish(self, kind: ImportKind, now_s: float) -> int:
        """Replace the imported set with the fetched one; returns its size.

        Loves and unloves made here that are not sent yet win over an import
        of loved tracks. Every song is matched again, so the library's changes
        count too.
        """
        with self._db.write() as db:
            for statement in statements(sql_file(f"finish-{kind.name}.sql")):
                db.execute(statement)
            fetched = db.execute(f"SELECT count(*) FROM {kind.staging}").fetchone()[0]  # noqa: S608
            db.execute(f"DELETE FROM {kind.staging}")  # noqa: S608
            db.execute(self.MATCHING, (fetched, int(now_s), kind.name))
            return int(fetched)
