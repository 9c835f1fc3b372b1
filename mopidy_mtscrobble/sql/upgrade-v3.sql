-- Version 3: the user's loved tracks, the local tracks they match, loves and
-- unloves waiting to be sent, and the progress of imports.

-- One row per loved song, named as the network names it.
CREATE TABLE loved (
    id          INTEGER PRIMARY KEY,
    artist      TEXT    NOT NULL,
    track       TEXT    NOT NULL,
    loved_at    INTEGER,           -- UTC unix seconds
    source      TEXT    NOT NULL CHECK (source IN ('import', 'mopidy')),
    artist_key  TEXT    NOT NULL,  -- matching.match_key(artist, track)
    title_key   TEXT    NOT NULL,
    recording   TEXT    NOT NULL,  -- e.g. 'live'; '' for the studio recording
    matched_at  INTEGER,           -- NULL: not matched against the library yet
    UNIQUE (artist_key, title_key, recording)
);

-- The local tracks a loved song matched (any backend of favorites_uri_schemes).
CREATE TABLE loved_matches (
    loved_id    INTEGER NOT NULL REFERENCES loved (id) ON DELETE CASCADE,
    uri         TEXT    NOT NULL,
    name        TEXT,
    artist      TEXT,
    album       TEXT,
    length_ms   INTEGER,
    PRIMARY KEY (loved_id, uri)
);
CREATE INDEX loved_matches_by_uri ON loved_matches (uri);

-- The pages fetched so far by an import in progress; swapped in when it ends.
CREATE TABLE loved_import (
    artist      TEXT    NOT NULL,
    track       TEXT    NOT NULL,
    loved_at    INTEGER,
    artist_key  TEXT    NOT NULL,
    title_key   TEXT    NOT NULL,
    recording   TEXT    NOT NULL,
    UNIQUE (artist_key, title_key, recording)
);

-- track.love / track.unlove calls, kept until the network took them.
CREATE TABLE love_actions (
    id              INTEGER PRIMARY KEY,
    action          TEXT    NOT NULL CHECK (action IN ('love', 'unlove')),
    artist          TEXT    NOT NULL,
    track           TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'rejected')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at INTEGER,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX love_actions_by_state ON love_actions (state, id);

-- Imports from the network, one row per kind ('loved').
CREATE TABLE jobs (
    kind        TEXT    PRIMARY KEY,
    run         INTEGER NOT NULL DEFAULT 1,  -- counts the imports started
    state       TEXT    NOT NULL
                CHECK (state IN ('running', 'matching', 'done', 'failed')),
    username    TEXT,
    page        INTEGER NOT NULL DEFAULT 0,  -- pages fetched so far
    pages       INTEGER,                     -- NULL until the first page came
    total       INTEGER,
    fetched     INTEGER NOT NULL DEFAULT 0,
    matched     INTEGER,
    unmatched   INTEGER,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    error       TEXT
);
