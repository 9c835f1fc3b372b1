"""Loved and counted songs, and the local tracks they match.

Both kinds (see `kinds`) keep the same shape of tables, named by the
registry: the songs, their matches, and the staging of an import running.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Collection

from ..kinds import LOVED, PLAYCOUNTS, ImportKind
from ..matching import key_parts
from .database import Database
from .rows import LocalMatch, Loved, Scrobble, Song, from_row


class Songs:
    def __init__(self, db: Database) -> None:
        self._db = db

    # Matching, for each kind.

    def unmatched(self, kind: ImportKind, limit: int) -> list[Song]:
        sql = f"""
        SELECT id, artist, track, artist_key, title_key, recording FROM {kind.table}
        WHERE matched_at IS NULL ORDER BY artist_key, id LIMIT ?
        """  # noqa: S608 - names from the registry
        return [from_row(Song, r) for r in self._db.read(sql, (limit,))]

    def save_matches(
        self, kind: ImportKind, matches: dict[int, list[LocalMatch]], now_s: float
    ) -> None:
        """The local tracks each song matched (an empty list: none)."""
        with self._db.write() as db:
            for song_id, found in matches.items():
                db.execute(
                    f"DELETE FROM {kind.matches} WHERE {kind.match_key} = ?",  # noqa: S608
                    (song_id,),
                )
                db.executemany(
                    _insert_match(kind),
                    [
                        (song_id, m.uri, m.name, m.artist, m.album, m.length_ms)
                        for m in found
                    ],
                )
                db.execute(
                    f"UPDATE {kind.table} SET matched_at = ? WHERE id = ?",  # noqa: S608
                    (int(now_s), song_id),
                )

    def match_counts(self, kind: ImportKind) -> dict[str, int]:
        """total, matched (in the library), missing, waiting (not matched yet)."""
        sql = f"""
        SELECT
            count(*) AS total,
            count(*) FILTER (WHERE matched_at IS NULL) AS waiting,
            count(*) FILTER (WHERE matched_at IS NOT NULL AND EXISTS (
                SELECT 1 FROM {kind.matches} m
                WHERE m.{kind.match_key} = {kind.table}.id)) AS matched
        FROM {kind.table}
        """  # noqa: S608
        row = self._db.read(sql)[0]
        total, waiting, matched = row["total"], row["waiting"], row["matched"]
        return {
            "total": total,
            "matched": matched,
            "missing": total - waiting - matched,
            "waiting": waiting,
        }

    def finish_matching(self, kind: ImportKind, now_s: float) -> dict[str, int]:
        """When nothing waits to be matched: the import job is done."""
        counts = self.match_counts(kind)
        if counts["waiting"] == 0:
            sql = """
            UPDATE jobs SET state = 'done', matched = ?, unmatched = ?, finished_at = ?
            WHERE kind = ? AND state = 'matching'
            """
            with self._db.write() as db:
                db.execute(
                    sql,
                    (counts["matched"], counts["missing"], int(now_s), kind.name),
                )
        return counts

    # Loved songs, for the playlist and the love buttons.

    LOVED_PLAYLIST = """
    SELECT m.* FROM loved l
    JOIN loved_matches m ON m.rowid = (
        SELECT min(rowid) FROM loved_matches WHERE loved_id = l.id
    )
    ORDER BY l.loved_at DESC, l.id DESC
    """

    def loved_playlist(self) -> list[LocalMatch]:
        """One local track per loved song (the first match), newest love first."""
        return [from_row(LocalMatch, r) for r in self._db.read(self.LOVED_PLAYLIST)]

    LOVED_MISSING = """
    SELECT * FROM loved
    WHERE matched_at IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM loved_matches m WHERE m.loved_id = loved.id)
    ORDER BY artist_key, title_key
    """

    def loved_missing(self) -> list[Loved]:
        """Loved songs with no local track."""
        return [from_row(Loved, r) for r in self._db.read(self.LOVED_MISSING)]

    def loved(self) -> list[Loved]:
        """Every loved song, by artist and title."""
        rows = self._db.read("SELECT * FROM loved ORDER BY artist_key, title_key")
        return [from_row(Loved, r) for r in rows]

    def loved_by_id(self, loved_id: int) -> Loved | None:
        rows = self._db.read("SELECT * FROM loved WHERE id = ?", (loved_id,))
        return from_row(Loved, rows[0]) if rows else None

    BY_URI = """
    SELECT l.* FROM loved l JOIN loved_matches m ON m.loved_id = l.id WHERE m.uri = ?
    """
    BY_KEY = (
        "SELECT * FROM loved WHERE artist_key = ? AND title_key = ? AND recording = ?"
    )

    def loved_for(self, uri: str, key: tuple[str, str, str]) -> list[Loved]:
        """The loved songs a local track is: matched to its URI, or by its key."""
        found = {
            r["id"]: from_row(Loved, r) for r in self._db.read(self.BY_URI, (uri,))
        }
        for row in self._db.read(self.BY_KEY, key):
            found.setdefault(row["id"], from_row(Loved, row))
        return list(found.values())

    # Play counts.

    MOST_PLAYED = """
    SELECT m.*, p.playcount FROM playcounts p
    JOIN playcount_matches m ON m.rowid = (
        SELECT min(rowid) FROM playcount_matches WHERE playcount_id = p.id
    )
    ORDER BY p.playcount DESC, p.id
    LIMIT ?
    """

    def most_played(self, limit: int) -> list[tuple[LocalMatch, int]]:
        """Local tracks with the highest counts, one per song, and their counts."""
        rows = self._db.read(self.MOST_PLAYED, (limit,))
        return [(from_row(LocalMatch, r), int(r["playcount"])) for r in rows]

    COUNT_BY_URI = """
    SELECT max(p.playcount) FROM playcounts p
    JOIN playcount_matches m ON m.playcount_id = p.id WHERE m.uri = ?
    """
    COUNT_BY_KEY = """
    SELECT playcount FROM playcounts
    WHERE artist_key = ? AND title_key = ? AND recording = ?
    """

    def playcount_for(self, uri: str, key: tuple[str, str, str]) -> int | None:
        """A local track's count: by its matched URI, else by its key."""
        by_uri = self._db.read(self.COUNT_BY_URI, (uri,))[0][0]
        if by_uri is not None:
            return int(by_uri)
        rows = self._db.read(self.COUNT_BY_KEY, key)
        return int(rows[0][0]) if rows else None


def _insert_match(kind: ImportKind) -> str:
    return f"""
    INSERT INTO {kind.matches} ({kind.match_key}, uri, name, artist, album, length_ms)
    VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT ({kind.match_key}, uri) DO NOTHING
    """  # noqa: S608


def insert_match(
    db: sqlite3.Connection, kind: ImportKind, song_id: int, match: LocalMatch
) -> int:
    """A local track of a song of `kind`, inside the caller's transaction;
    1 if it is new, 0 if the song had it already."""
    return db.execute(
        _insert_match(kind),
        (song_id, match.uri, match.name, match.artist, match.album, match.length_ms),
    ).rowcount


def insert_loved_match(
    db: sqlite3.Connection, loved_id: int, match: LocalMatch
) -> None:
    """A local track of a loved song, inside the caller's transaction."""
    db.execute(
        _insert_match(LOVED),
        (loved_id, match.uri, match.name, match.artist, match.album, match.length_ms),
    )


COUNT_ONE_PLAY = """
INSERT INTO playcounts (
    artist, track, playcount, artist_key, title_key, recording, matched_at
) VALUES (?, ?, 1, ?, ?, ?, ?)
ON CONFLICT (artist_key, title_key, recording) DO UPDATE SET
    playcount = playcount + 1
RETURNING id
"""


def count_play(
    db: sqlite3.Connection,
    entry: Scrobble,
    now_s: float,
    match_schemes: Collection[str],
) -> None:
    """One more play on the song's count, inside the caller's transaction; the
    played track becomes a match when chosen from a library backend."""
    scheme = (entry.uri or "").partition(":")[0]
    local = entry.chosen_by_user and scheme in match_schemes
    keys = key_parts(entry.artist, entry.track)
    song_id = db.execute(
        COUNT_ONE_PLAY,
        (entry.artist, entry.track, *keys, int(now_s) if local else None),
    ).fetchone()[0]
    if local:
        duration_ms = entry.duration_s * 1000 if entry.duration_s else None
        db.execute(
            _insert_match(PLAYCOUNTS),
            (song_id, entry.uri, entry.track, entry.artist, entry.album, duration_ms),
        )
