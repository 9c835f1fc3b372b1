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
        return set(self.fingerprints(scheme))

    def fingerprints(self, scheme: str) -> dict[str, str]:
        """The URIs of one backend seen by the last rematch, each with the
        fingerprint it had then."""
        rows = self._db.read(
            "SELECT uri, fingerprint FROM library_tracks WHERE uri >= ? AND uri < ?",
            (f"{scheme}:", f"{scheme};"),  # ";" sorts right after ":"
        )
        return {str(r[0]): str(r[1]) for r in rows}

    def add(
        self,
        seen: Iterable[tuple[str, str]],
        tracks: Iterable[tuple[LocalMatch, Collection[Key], str]],
        now_s: float,
    ) -> int:
        """URIs looked up, recorded as seen with a fingerprint; their tracks
        (match, its keys, fingerprint) matched to every song with one of their
        keys (a URI without a usable track is seen all the same). The matches
        made."""
        made = 0
        with self._db.write() as db:
            db.executemany(
                "INSERT OR REPLACE INTO library_tracks VALUES (?, ?, ?)",
                [(uri, fingerprint, int(now_s)) for uri, fingerprint in seen],
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

    def forget_changed(self, uris: Collection[str]) -> int:
        """Tracks whose tags changed: their matches dropped, and the songs left
        without a match searched again; the matches dropped."""
        dropped = 0
        with self._db.write() as db:
            for kind in KINDS:
                for uri in uris:
                    songs = [
                        row[0]
                        for row in db.execute(
                            f"SELECT {kind.match_key} FROM {kind.matches} "  # noqa: S608
                            "WHERE uri = ?",
                            (uri,),
                        )
                    ]
                    dropped += db.execute(
                        f"DELETE FROM {kind.matches} WHERE uri = ?",  # noqa: S608
                        (uri,),
                    ).rowcount
                    db.executemany(
                        f"UPDATE {kind.table} SET matched_at = NULL WHERE id = ? "  # noqa: S608
                        f"AND NOT EXISTS (SELECT 1 FROM {kind.matches} "
                        f"WHERE {kind.match_key} = ?)",
                        [(song, song) for song in songs],
                    )
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
