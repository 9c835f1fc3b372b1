-- Schema 14: the listening history the user owns. Every qualified play, queued
-- or kept out (by a rule, by private mode), and the plays imported from the
-- server; apart from the delivery queue, so `history_days` never prunes it
-- (`history_keep_days` does, default never).
CREATE TABLE history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    played_at    INTEGER NOT NULL,  -- UTC unix seconds the play started
    artist       TEXT    NOT NULL,  -- the names as queued (sent), or as heard if kept out
    track        TEXT    NOT NULL,
    album        TEXT,
    album_artist TEXT,
    duration_s   INTEGER,           -- the track's length, when known
    heard_s      INTEGER,           -- how long it was heard; NULL: not known (imported)
    uri          TEXT,
    origin       TEXT    NOT NULL DEFAULT 'mopidy' CHECK (origin IN ('mopidy', 'imported')),
    outcome      TEXT    NOT NULL DEFAULT 'queued'
                 CHECK (outcome IN ('queued', 'excluded', 'private', 'imported')),
    reason       TEXT,              -- why it was kept out (the rule); NULL otherwise
    play_id      INTEGER,           -- plays.id while the queue has it (NULL when kept out or imported)
    left_queue   TEXT CHECK (left_queue IN ('sent', 'deleted')),  -- how it left the queue
    UNIQUE (played_at, artist, track, origin)
);
CREATE INDEX history_by_time ON history (played_at);
CREATE INDEX history_by_play ON history (play_id) WHERE play_id IS NOT NULL;

-- A play leaving the queue (pruned once sent everywhere, or deleted by the
-- user) leaves its history row with how it left: plays' ids may be reused.
CREATE TRIGGER history_play_leaves BEFORE DELETE ON plays
BEGIN
    UPDATE history SET
        play_id = NULL,
        left_queue = CASE WHEN EXISTS (
            SELECT 1 FROM deliveries AS d WHERE d.play_id = OLD.id AND d.state = 'sent'
        ) THEN 'sent' ELSE 'deleted' END
    WHERE play_id = OLD.id;
END;

-- The plays the queue still has start the history.
INSERT INTO history (played_at, artist, track, album, album_artist, duration_s,
                     heard_s, uri, origin, outcome, play_id)
SELECT timestamp, coalesce(sent_artist, artist), coalesce(sent_track, track),
       nullif(coalesce(sent_album, album), ''),
       nullif(coalesce(sent_album_artist, album_artist), ''),
       duration_s, NULL, uri, 'mopidy', 'queued', id
FROM plays
ORDER BY timestamp
ON CONFLICT DO NOTHING;
