"""Stored match keys kept to the matching rule in use.

Loved and counted songs keep the keys the matching rule gave them when they
were imported. When the rule changes (`matching.RULE_VERSION`), every song,
staged or not, is keyed again at the next open: songs that become one song
merge (the latest love, the play counts added up), and every song is matched
to the library again, since the library's tracks answer to new keys too.
"""

from __future__ import annotations

import logging
import sqlite3

from ..kinds import KINDS, LOVED, ImportKind
from ..matching import RULE_VERSION, key_parts
from .database import Database

logger = logging.getLogger(__name__)

STATUS_KEY = "matching_rule"  # in delivery_status: the rule the keys are of


class Rekeying:
    def __init__(self, db: Database) -> None:
        self._db = db

    READ = "SELECT value FROM delivery_status WHERE key = ?"
    SAVE = """
    INSERT INTO delivery_status (key, value, updated_at) VALUES (?, ?, ?)
    ON CONFLICT (key) DO UPDATE SET
        value = excluded.value, updated_at = excluded.updated_at
    """

    def rekey_if_changed(self, now_s: float) -> int:
        """Key every song again if the rule changed; how many keys changed."""
        if self._version(self._db.read(self.READ, (STATUS_KEY,))) == RULE_VERSION:
            return 0
        changed = 0
        with self._db.write() as db:
            # Another connection may have done it while this one waited.
            if self._version(db.execute(self.READ, (STATUS_KEY,)).fetchall()) == (
                RULE_VERSION
            ):
                return 0
            for kind in KINDS:
                changed += _rekey(db, kind, kind.table, matched=True)
                changed += _rekey(db, kind, kind.staging, matched=False)
            db.execute(self.SAVE, (STATUS_KEY, str(RULE_VERSION), int(now_s)))
        if changed:
            logger.info(
                "The matching rule changed: %d songs keyed again; "
                "all are matched to your library again",
                changed,
            )
        return changed

    @staticmethod
    def _version(rows: list[sqlite3.Row]) -> int | None:
        value = rows[0][0] if rows else None
        return int(value) if value and value.isdigit() else None


def _rekey(db: sqlite3.Connection, kind: ImportKind, table: str, matched: bool) -> int:
    """Key one table's songs again, merging those that become one song."""
    select = f"""
    SELECT rowid AS row_id, artist, track, {kind.value} AS value,
        artist_key, title_key, recording
    FROM {table} ORDER BY rowid
    """  # noqa: S608 - names from the registry
    rows = db.execute(select).fetchall()
    kept: dict[tuple[str, str, str], tuple[int, int | None]] = {}
    merged: list[int] = []
    changed = 0
    for row in rows:
        key = key_parts(row["artist"], row["track"])
        changed += key != (row["artist_key"], row["title_key"], row["recording"])
        if key in kept:
            first, value = kept[key]
            kept[key] = (first, _merge(kind, value, row["value"]))
            merged.append(row["row_id"])
        else:
            kept[key] = (row["row_id"], row["value"])
    db.executemany(
        f"DELETE FROM {table} WHERE rowid = ?",  # noqa: S608
        [(rowid,) for rowid in merged],
    )
    # Out of the way first: a song's new key may be another's old one.
    db.execute(f"UPDATE {table} SET artist_key = char(1) || rowid")  # noqa: S608
    db.executemany(
        f"UPDATE {table} SET artist_key = ?, title_key = ?, recording = ?,"  # noqa: S608
        f" {kind.value} = ? WHERE rowid = ?",
        [(*key, value, rowid) for key, (rowid, value) in kept.items()],
    )
    if matched:
        db.execute(f"UPDATE {table} SET matched_at = NULL")  # noqa: S608
    return changed


def _merge(kind: ImportKind, a: int | None, b: int | None) -> int | None:
    """Two songs that are one: the latest love, or both counts added up."""
    if kind is LOVED:
        return max((v for v in (a, b) if v is not None), default=None)
    return (a or 0) + (b or 0)
