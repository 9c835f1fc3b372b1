-- Schema 9: saved corrections, "always send Artist/Title/Album X as Y".
-- match_* are the names as the user typed them (NULL: any track / album);
-- key_* the same names normalised (NFKC, casefold, spaces collapsed; '' for
-- any), which is what a play's names are looked up by. artist, track, album:
-- the names sent instead (NULL: unchanged).
CREATE TABLE corrections (
    id INTEGER PRIMARY KEY,
    match_artist TEXT NOT NULL,
    match_track TEXT,
    match_album TEXT,
    artist TEXT,
    track TEXT,
    album TEXT,
    key_artist TEXT NOT NULL,
    key_track TEXT NOT NULL DEFAULT '',
    key_album TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (key_artist, key_track, key_album)
);
