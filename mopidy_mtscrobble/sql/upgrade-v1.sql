-- Version 1: the scrobble queue, which also keeps sent scrobbles as history.
CREATE TABLE scrobbles (
    id              INTEGER PRIMARY KEY,
    artist          TEXT    NOT NULL,
    track           TEXT    NOT NULL,
    album           TEXT,
    album_artist    TEXT,
    track_number    INTEGER,
    duration_s      INTEGER,
    mbid            TEXT,
    chosen_by_user  INTEGER NOT NULL DEFAULT 1 CHECK (chosen_by_user IN (0, 1)),
    timestamp       INTEGER NOT NULL,  -- UTC unix seconds the play started
    uri             TEXT,
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'in_flight', 'sent', 'rejected')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at INTEGER,           -- UTC unix seconds; NULL = as soon as possible
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER,
    UNIQUE (timestamp, artist, track)
);

CREATE INDEX scrobbles_by_state ON scrobbles (state, timestamp);
CREATE INDEX scrobbles_by_sent_at ON scrobbles (sent_at) WHERE state = 'sent';
