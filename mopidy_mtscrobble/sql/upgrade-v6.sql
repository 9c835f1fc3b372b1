-- Version 6: loves and unloves, and their delivery to each destination.
--
-- A love or unlove made here is one row of `love_actions`, never changed. Its
-- delivery to a destination (by its stable name, as for plays) is one row of
-- `love_deliveries`, at most one per action and destination: pending, sent,
-- rejected (the reason in last_error), or unidentified (no recording could be
-- found to give feedback on; the reason in last_error). Every action queued
-- so far was for Last.fm: it becomes an action and its Last.fm delivery, in
-- the same state, so nothing is sent again.

ALTER TABLE love_actions RENAME TO love_actions_v5;
DROP INDEX love_actions_by_state;

CREATE TABLE love_actions (
    id              INTEGER PRIMARY KEY,
    action          TEXT    NOT NULL CHECK (action IN ('love', 'unlove')),
    artist          TEXT    NOT NULL,
    track           TEXT    NOT NULL,
    mbid            TEXT,              -- the track's MusicBrainz recording id, if known
    created_at      INTEGER NOT NULL
);

CREATE TABLE love_deliveries (
    action_id       INTEGER NOT NULL REFERENCES love_actions (id) ON DELETE CASCADE,
    destination     TEXT    NOT NULL CHECK (destination <> ''),
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'sent', 'rejected', 'unidentified')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,              -- when rejected or unidentified: the reason
    next_attempt_at INTEGER,           -- UTC unix seconds; NULL = as soon as possible
    -- The recording this destination found for the action's names (a
    -- ListenBrainz metadata lookup), kept so that a retry looks it up no more.
    recording_mbid  TEXT,
    queued_at       INTEGER NOT NULL,
    sent_at         INTEGER,
    PRIMARY KEY (action_id, destination)
) WITHOUT ROWID;

INSERT INTO love_actions (id, action, artist, track, mbid, created_at)
SELECT id, action, artist, track, NULL, created_at FROM love_actions_v5;

INSERT INTO love_deliveries (
    action_id, destination, state, attempts, last_error, next_attempt_at,
    recording_mbid, queued_at, sent_at
)
SELECT
    id, 'lastfm', state, attempts, last_error, next_attempt_at,
    NULL, created_at, sent_at
FROM love_actions_v5;

DROP TABLE love_actions_v5;

CREATE INDEX love_deliveries_by_state
    ON love_deliveries (destination, state, action_id);

-- A love or unlove as delivered to one destination: `id` is the action's.
CREATE VIEW love_queue AS
SELECT
    a.id, a.action, a.artist, a.track, a.mbid, a.created_at, d.destination,
    d.state, d.attempts, d.last_error, d.next_attempt_at, d.recording_mbid,
    d.queued_at, d.sent_at
FROM love_deliveries AS d JOIN love_actions AS a ON a.id = d.action_id;
