-- Version 5: plays, and their delivery to each destination.
--
-- A qualified play is one row of `plays`, never changed. Its delivery to a
-- destination (by its stable name: 'lastfm' for Last.fm, Libre.fm or a custom
-- Last.fm-compatible server) is one row of `deliveries`, at most one per play
-- and destination. Every scrobble queued so far was for Last.fm: it becomes a
-- play and its Last.fm delivery, in the same state.

CREATE TABLE plays (
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
    created_at      INTEGER NOT NULL,  -- when it qualified and was queued
    UNIQUE (timestamp, artist, track)
);

CREATE TABLE deliveries (
    play_id         INTEGER NOT NULL REFERENCES plays (id) ON DELETE CASCADE,
    destination     TEXT    NOT NULL CHECK (destination <> ''),
    -- The play's timestamp, copied (a play never changes): each destination's
    -- queue is then read oldest first from an index of its own.
    play_timestamp  INTEGER NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'in_flight', 'sent', 'rejected')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,              -- when rejected: the reason
    next_attempt_at INTEGER,           -- UTC unix seconds; NULL = as soon as possible
    in_flight_at    INTEGER,           -- when last marked in flight
    queued_at       INTEGER NOT NULL,  -- later than the play's created_at if resent
    sent_at         INTEGER,
    PRIMARY KEY (play_id, destination)
) WITHOUT ROWID;

INSERT INTO plays (
    id, artist, track, album, album_artist, track_number, duration_s, mbid,
    chosen_by_user, timestamp, uri, created_at
)
SELECT
    id, artist, track, album, album_artist, track_number, duration_s, mbid,
    chosen_by_user, timestamp, uri, created_at
FROM scrobbles;

INSERT INTO deliveries (
    play_id, destination, play_timestamp, state, attempts, last_error,
    next_attempt_at, in_flight_at, queued_at, sent_at
)
SELECT
    id, 'lastfm', timestamp, state, attempts, last_error,
    next_attempt_at, NULL, created_at, sent_at
FROM scrobbles;

DROP TABLE scrobbles;

CREATE INDEX deliveries_by_state
    ON deliveries (destination, state, play_timestamp, play_id);
CREATE INDEX deliveries_by_sent_at ON deliveries (destination, sent_at)
    WHERE state = 'sent';

-- A play as delivered to one destination: what readers (and sqlite3 users)
-- see as a scrobble. `id` and `timestamp` are the delivery's copies, so that
-- ordering by them uses the indexes above.
CREATE VIEW scrobbles AS
SELECT
    d.play_id AS id, p.artist, p.track, p.album, p.album_artist, p.track_number,
    p.duration_s, p.mbid, p.chosen_by_user, d.play_timestamp AS timestamp, p.uri,
    p.created_at, d.destination, d.state, d.attempts, d.last_error,
    d.next_attempt_at, d.in_flight_at, d.queued_at, d.sent_at
FROM deliveries AS d JOIN plays AS p ON p.id = d.play_id;
