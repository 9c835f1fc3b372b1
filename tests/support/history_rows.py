"""Plays put straight into the listening history (schema 14's `history`), as
the history's own writer would, for the tests and benchmarks that read it."""

from __future__ import annotations

from typing import Any

INSERT = """
INSERT OR IGNORE INTO history (played_at, artist, track, album, album_artist,
                               duration_s, heard_s, origin, outcome)
VALUES (:played_at, :artist, :track, :album, :album_artist, :duration_s,
        :heard_s, :origin, :outcome)
"""


def play_row(played_at: int, artist: str, track: str, **values: Any) -> dict[str, Any]:
    """A history row; what is not given is a queued play of a 200 s track
    heard for 180 s, on no album."""
    outcome = values.get("outcome", "queued")
    row = {
        "played_at": played_at,
        "artist": artist,
        "track": track,
        "album": None,
        "album_artist": None,
        "duration_s": 200,
        "heard_s": 180,
        "origin": "imported" if outcome == "imported" else "mopidy",
        "outcome": outcome,
    }
    row.update(values)
    return row


def add_play(
    store: Any, played_at: int, artist: str, track: str, **values: Any
) -> None:
    """Add one play to `store`'s history (the same play twice: kept once)."""
    with store.db.write() as db:
        db.execute(INSERT, play_row(played_at, artist, track, **values))
