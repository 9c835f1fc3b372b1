"""Saved corrections: "always send Artist/Title/Album X as Y".

A correction matches a play's names (as the earlier sending steps left them)
by artist and, optionally, track and/or album: compared after NFKC, casefold
and whitespace collapsing, otherwise exactly (no globs). It gives the names
sent instead (None: unchanged). When several match, the most specific wins:
artist+track+album, then artist+track, then artist+album, then artist alone.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import unicodedata
from typing import Any

from ..errors import RequestRefused
from ..sanitize import encodable
from .database import Database
from .plays import UNSENT_PLAY, Plays
from .rows import from_row

MAX_NAME_CHARS = 1024
FIELDS = ("artist", "track", "album")


class CorrectionError(RequestRefused):
    """A correction cannot be saved as asked (HTTP 400), or there is no such
    correction (404)."""


@dataclasses.dataclass(frozen=True)
class Correction:
    id: int
    match_artist: str
    match_track: str | None
    match_album: str | None
    artist: str | None
    track: str | None
    album: str | None
    created_at: int
    updated_at: int

    def apply(
        self, artist: str, track: str, album: str | None
    ) -> tuple[str, str, str | None]:
        """The names sent for a play whose names this correction matches."""
        return (
            self.artist if self.artist is not None else artist,
            self.track if self.track is not None else track,
            self.album if self.album is not None else album,
        )


def normalised(name: str | None) -> str:
    """A name as corrections compare it ('' for none)."""
    if not name:
        return ""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _given(name: str, value: str | None) -> str | None:
    """A name as given (None or blank: not given), checked."""
    if value is None or not value.strip():
        return None
    value = encodable(value.strip())
    if len(value) > MAX_NAME_CHARS:
        raise CorrectionError(
            f"The {name.replace('_', ' ')} is over {MAX_NAME_CHARS} characters; "
            "shorten it."
        )
    return value


def checked(values: dict[str, str | None]) -> dict[str, str | None]:
    """The fields of a correction (match_artist, match_track, match_album,
    artist, track, album), each stripped and checked; raises CorrectionError."""
    fields = [f"match_{n}" for n in FIELDS] + list(FIELDS)
    found = {name: _given(name, values.get(name)) for name in fields}
    if found["match_artist"] is None:
        raise CorrectionError(
            "Give the artist the correction matches (it may also match a track "
            "and an album)."
        )
    if all(found[name] is None for name in FIELDS):
        raise CorrectionError(
            "The correction changes nothing: give the artist, track or album to "
            "send instead."
        )
    return found


class Corrections:
    def __init__(self, db: Database, plays: Plays) -> None:
        self._db = db
        self._plays = plays

    UPSERT = """
    INSERT INTO corrections (
        match_artist, match_track, match_album, artist, track, album,
        key_artist, key_track, key_album, created_at, updated_at
    ) VALUES (
        :match_artist, :match_track, :match_album, :artist, :track, :album,
        :key_artist, :key_track, :key_album, :now, :now
    )
    ON CONFLICT (key_artist, key_track, key_album) DO UPDATE SET
        match_artist = excluded.match_artist, match_track = excluded.match_track,
        match_album = excluded.match_album, artist = excluded.artist,
        track = excluded.track, album = excluded.album,
        updated_at = excluded.updated_at
    """
    BY_KEY = """
    SELECT * FROM corrections
    WHERE key_artist = :key_artist AND key_track = :key_track
        AND key_album = :key_album
    """

    def add(self, values: dict[str, str | None], now_s: float) -> Correction:
        """Save a correction; one with the same match is updated instead."""
        params = _params(checked(values), now_s)
        with self._db.write() as db:
            db.execute(self.UPSERT, params)
            return from_row(Correction, db.execute(self.BY_KEY, params).fetchone())

    def list(self) -> list[Correction]:
        rows = self._db.read(
            "SELECT * FROM corrections ORDER BY key_artist, key_track, key_album, id"
        )
        return [from_row(Correction, row) for row in rows]

    def get(self, correction_id: int) -> Correction:
        """The correction; CorrectionError (404) if there is none."""
        rows = self._db.read("SELECT * FROM corrections WHERE id = ?", (correction_id,))
        if not rows:
            raise _unknown(correction_id)
        return from_row(Correction, rows[0])

    UPDATE = """
    UPDATE corrections SET
        match_artist = :match_artist, match_track = :match_track,
        match_album = :match_album, artist = :artist, track = :track,
        album = :album, key_artist = :key_artist, key_track = :key_track,
        key_album = :key_album, updated_at = :now
    WHERE id = :id
    """

    def update(
        self, correction_id: int, values: dict[str, str | None], now_s: float
    ) -> Correction:
        """Change every field of a correction (see `checked`)."""
        params = {**_params(checked(values), now_s), "id": correction_id}
        with self._db.write() as db:
            other = db.execute(self.BY_KEY, params).fetchone()
            if other is not None and other["id"] != correction_id:
                raise CorrectionError(
                    f"Correction #{other['id']} already matches these names; "
                    "edit or delete that one instead.",
                    409,
                )
            if not db.execute(self.UPDATE, params).rowcount:
                raise _unknown(correction_id)
            row = db.execute("SELECT * FROM corrections WHERE id = ?", (correction_id,))
            return from_row(Correction, row.fetchone())

    def delete(self, correction_id: int) -> None:
        with self._db.write() as db:
            sql = "DELETE FROM corrections WHERE id = ?"
            if not db.execute(sql, (correction_id,)).rowcount:
                raise _unknown(correction_id)

    # The most specific correction first: one indexed lookup of at most four keys.
    FIND = """
    SELECT * FROM corrections
    WHERE key_artist = ? AND key_track IN (?, '') AND key_album IN (?, '')
    ORDER BY key_track != '' DESC, key_album != '' DESC LIMIT 1
    """

    def find(self, artist: str, track: str, album: str | None) -> Correction | None:
        """The correction for a play with these names, if any."""
        keys = (normalised(artist), normalised(track), normalised(album))
        if not keys[0]:
            return None
        rows = self._db.read(self.FIND, keys)
        return from_row(Correction, rows[0]) if rows else None

    WAITING = f"""
    SELECT * FROM plays WHERE {UNSENT_PLAY} AND EXISTS (
        SELECT 1 FROM deliveries AS d
        WHERE d.play_id = plays.id AND d.state = 'pending'
    )
    ORDER BY id
    """  # noqa: S608 - constants only

    def apply_to_waiting(self, correction_id: int | None) -> int:
        """Send the plays still waiting (no destination has them in flight or
        sent) with the names the corrections give them: only the correction
        `correction_id`, or (None) all. Returns how many plays changed."""
        changed = 0
        for play in self._db.read(self.WAITING):
            before = _sent_names(play)
            found = self.find(*before)
            if found is None or correction_id not in (None, found.id):
                continue
            after = found.apply(*before)
            if after == before:
                continue
            columns = {
                f"sent_{name}": None if value == play[name] else value or ""
                for name, value in zip(FIELDS, after, strict=True)
            }
            columns["sent_album_artist"] = play["sent_album_artist"]
            changed += self._plays.set_sent_names(play["id"], columns)
        return changed


def _params(found: dict[str, str | None], now_s: float) -> dict[str, Any]:
    return {
        **found,
        **{f"key_{n}": normalised(found[f"match_{n}"]) for n in FIELDS},
        "now": int(now_s),
    }


def _sent_names(play: sqlite3.Row) -> tuple[str, str, str | None]:
    """A stored play's artist, track and album as it is sent now."""

    def pick(name: str) -> str | None:
        sent = play[f"sent_{name}"]
        return (play[name] if sent is None else sent) or None

    return (
        pick("artist") or play["artist"],
        pick("track") or play["track"],
        pick("album"),
    )


def _unknown(correction_id: int) -> CorrectionError:
    return CorrectionError(
        f"There is no correction #{correction_id}; list them to see their numbers.",
        404,
    )
