-- Schema 13: the library tracks matching has seen, so a rematch looks up
-- only the tracks new since the last one and drops the matches of those gone.
CREATE TABLE library_tracks (
    uri         TEXT    PRIMARY KEY,
    fingerprint TEXT    NOT NULL,  -- name, artists, album and length when seen
    seen_at     INTEGER NOT NULL   -- UTC unix seconds
) WITHOUT ROWID;
