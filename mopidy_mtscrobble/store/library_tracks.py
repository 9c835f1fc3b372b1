"""The library tracks matching has seen, and the matches that follow them:
a new track joins the songs of its keys, a track gone takes its matches along."""

from __future__ import annotations

from collections.abc import Collection, Iterable

from ..kinds import KINDS
from .database import Database
from .rows import LocalMatch
from .songs import insert_match

Key = tuple[str, str, str]


class LibraryTracks:
    def __init__(self, db: Database) -> None:
        self._db = db

    def seen(self, scheme: str) -> set[str]:
        """The URIs of one backend seen by the last rematch."""
        rows = self._db.read(
            "SELECT uri FROM library_tracks WHERE uri >= ? AND uri < ?",
            (f"{scheme}:", f"{scheme};"),  # ";" sorts right after ":"
        )
        return {str(r[0]) for r in rows}

    def add(
        self,
        uris: Iterable[str],
        tracks: Iterable[tuple[LocalMatch, Collection[Key], str]],
        now_s: float,
    ) -> int:
        """URIs looked up, recorded as seen; their tracks (match, its keys,
        fingerprint) matched to every song with one of their keys (a URI
        without a usable track is seen all the same). The matches made."""
        made = 0
        with self._db.write() as db:
            db.executemany(
                "INSERT OR IGNORE INTO library_tracks VALUES (?, '', ?)",
                [(uri, int(now_s)) for uri in uris],
            )
            for match, keys, fingerprint in tracks:
                db.execute(
                    "INSERT OR REPLACE INTO library_tracks VALUES (?, ?, ?)",
                    (match.uri, fingerprint, int(now_s)),
                )
                for kind in KINDS:
                    for key in keys:
                        row = db.execute(
                            f"SELECT id FROM {kind.table} WHERE artist_key = ? "  # noqa: S608 - names from the registry
                            "AND title_key = ? AND recording = ?",
                            key,
                        ).fetchone()
                        if row is None:
                            continue
                        made += insert_match(db, kind, row[0], match)
                        db.execute(
                            f"UPDATE {kind.table} SET matched_at = ? "  # noqa: S608
                            "WHERE id = ? AND matched_at IS NULL",
                            (int(now_s), row[0]),
                        )
        return made

    def remove(self, uris: Collection[str]) -> int:
        """Tracks no longer in the library: forgotten, and their matches dropped;
        the matches dropped."""
        dropped = 0
        with self._db.write() as db:
            for uri in uris:
                db.execute("DELETE FROM library_tracks WHERE uri = ?", (uri,))
                for kind in KINDS:
                    dropped += db.execute(
                        f"DELETE FROM {kind.matches} WHERE uri = ?",  # noqa: S608
                        (uri,),
                    ).rowcount
        return dropped

    def matched(self, scheme: str) -> set[str]:
        """The URIs of one backend some song is matched to."""
        found: set[str] = set()
        for kind in KINDS:
            rows = self._db.read(
                f"SELECT DISTINCT uri FROM {kind.matches} "  # noqa: S608
                "WHERE uri >= ? AND uri < ?",
                (f"{scheme}:", f"{scheme};"),
            )
            found.update(str(r[0]) for r in rows)
        return found
