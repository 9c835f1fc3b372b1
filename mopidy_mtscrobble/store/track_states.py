"""Whether local tracks are loved, and their play counts, many in one query
(the batch form of `Songs.loved_for` and `Songs.playcount_for`)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence

from .database import Database

Key = tuple[str, str, str]


@dataclasses.dataclass(frozen=True)
class TrackState:
    loved: bool
    playcount: int | None  # None: not counted


class TrackStates:
    # Each wanted track is [uri, artist_key, title_key, recording], all given
    # as one JSON parameter: one query, whatever the number of tracks.
    STATES = """
    WITH wanted(uri, artist_key, title_key, recording) AS (
        SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),
               json_extract(value, '$[2]'), json_extract(value, '$[3]')
        FROM json_each(?)
    )
    SELECT w.uri,
        EXISTS (
            SELECT 1 FROM loved l JOIN loved_matches m ON m.loved_id = l.id
            WHERE m.uri = w.uri
        ) OR EXISTS (
            SELECT 1 FROM loved l WHERE l.artist_key = w.artist_key
            AND l.title_key = w.title_key AND l.recording = w.recording
        ) AS loved,
        (
            SELECT max(p.playcount) FROM playcounts p
            JOIN playcount_matches m ON m.playcount_id = p.id WHERE m.uri = w.uri
        ) AS by_uri,
        (
            SELECT playcount FROM playcounts p WHERE p.artist_key = w.artist_key
            AND p.title_key = w.title_key AND p.recording = w.recording LIMIT 1
        ) AS by_key
    FROM wanted w
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    def of(self, tracks: Sequence[tuple[str, Key]]) -> dict[str, TrackState]:
        """Each (uri, match key)'s state: loved by its matched URI or its key;
        its count by its matched URI, else by its key."""
        if not tracks:
            return {}
        wanted = json.dumps([[uri, *key] for uri, key in tracks])
        found = {}
        for row in self._db.read(self.STATES, (wanted,)):
            count = row["by_uri"] if row["by_uri"] is not None else row["by_key"]
            found[row["uri"]] = TrackState(
                bool(row["loved"]), int(count) if count is not None else None
            )
        return found
