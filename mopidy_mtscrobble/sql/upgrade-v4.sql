-- Version 4: the user's play counts per song, and the local tracks they match.

-- One row per song the network counted plays of, named as the network names it.
CREATE TABLE playcounts (
    id          INTEGER PRIMARY KEY,
    artist      TEXT    NOT NULL,
    track       TEXT    NOT NULL,
    playcount   INTEGER NOT NULL,
    artist_key  TEXT    NOT NULL,  -- matching.match_key(artist, track)
    title_key   TEXT    NOT NULL,
    recording   TEXT    NOT NULL,
    matched_at  INTEGER,           -- NULL: not matched against the library yet
    UNIQUE (artist_key, title_key, recording)
);
CREATE INDEX playcounts_by_count ON playcounts (playcount DESC, id);

CREATE TABLE playcount_matches (
    playcount_id INTEGER NOT NULL REFERENCES playcounts (id) ON DELETE CASCADE,
    uri          TEXT    NOT NULL,
    name         TEXT,
    artist       TEXT,
    album        TEXT,
    length_ms    INTEGER,
    PRIMARY KEY (playcount_id, uri)
);
CREATE INDEX playcount_matches_by_uri ON playcount_matches (uri);

-- The pages fetched so far by a sync in progress; swapped in when it ends.
-- Songs the network lists apart but that match the same key add up.
CREATE TABLE playcounts_import (
    artist      TEXT    NOT NULL,
    track       TEXT    NOT NULL,
    playcount   INTEGER NOT NULL,
    artist_key  TEXT    NOT NULL,
    title_key   TEXT    NOT NULL,
    recording   TEXT    NOT NULL,
    UNIQUE (artist_key, title_key, recording)
);
