"""Databases as the store's tests make them: a play to queue, a database at an
older schema version, a database damaged under a running connection."""

from __future__ import annotations

import sqlite3

from mopidy_mtscrobble.store import NewScrobble
from mopidy_mtscrobble.store.database import sql_file

NOW = 1_700_000_000.0


def scrobble(**overrides) -> NewScrobble:
    values = {
        "artist": "Artist",
        "track": "Title",
        "timestamp": int(NOW) - 300,
        "album": "Album",
        "album_artist": "Album Artist",
        "track_number": 3,
        "duration_s": 200,
        "mbid": "0383dadf-2a4e-4d10-a46a-e9e041da8eb3",
        "chosen_by_user": True,
        "uri": "local:track:1",
    }
    values.update(overrides)
    return NewScrobble(**values)


def build_database_at_version(path, version):
    db = sqlite3.connect(path)
    for step in range(1, version + 1):
        db.executescript(sql_file(f"upgrade-v{step}.sql"))
        db.execute(f"PRAGMA user_version = {step}")
    db.commit()
    db.close()


def damage_the_queue_table(path):
    """Garble the deliveries table's root page under a running connection, and
    make that connection look at the file again (another connection writes)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    [root] = other.execute(
        "SELECT rootpage FROM sqlite_master WHERE name = 'deliveries'"
    ).fetchone()
    page_size = other.execute("PRAGMA page_size").fetchone()[0]
    with open(path, "r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xee" * page_size)
    other.execute("INSERT INTO delivery_status VALUES ('touched', '', 0)")
    other.close()
