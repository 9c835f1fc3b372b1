-- Version 2: what the delivery side last knew, for `mopidy mtscrobble status`.
CREATE TABLE delivery_status (
    key        TEXT PRIMARY KEY,
    value      TEXT,
    updated_at INTEGER NOT NULL
);
