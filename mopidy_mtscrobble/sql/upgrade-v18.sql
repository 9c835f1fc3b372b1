-- Schema 18: a full comparison of the loved sync, stopped, goes on from the
-- page it reached: the pass under way and the songs its pages listed so far.
CREATE TABLE loved_sync_pass (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    username   TEXT    NOT NULL,
    started_at INTEGER NOT NULL,  -- UTC unix seconds
    page       INTEGER NOT NULL,  -- the last page read
    newest     INTEGER NOT NULL,  -- the newest love date seen
    total      INTEGER NOT NULL   -- the list's length at page 1
);
CREATE TABLE loved_sync_seen (
    artist_key TEXT NOT NULL,
    title_key  TEXT NOT NULL,
    recording  TEXT NOT NULL,
    PRIMARY KEY (artist_key, title_key, recording)
) WITHOUT ROWID;
