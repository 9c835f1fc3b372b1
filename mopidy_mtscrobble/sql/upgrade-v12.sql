-- Schema 12: the two-way sync of loved tracks (off unless loved_sync_interval
-- is set): when the server's list was last checked and last compared whole.
CREATE TABLE loved_sync (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    username        TEXT,              -- whose list was checked
    checked_at      INTEGER,           -- UTC unix seconds: the last check, either kind
    compared_at     INTEGER,           -- the last full comparison (every page)
    newest_loved_at INTEGER            -- the newest love date the server listed
);
