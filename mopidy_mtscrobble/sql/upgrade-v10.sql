-- Schema 10: private mode, one row. While `paused` (until `until_s`, UTC unix
-- seconds, or until resumed when NULL) no play is queued nor announced; a play
-- that started at or before `skip_at` (when "skip this track" was asked) is
-- not queued either.
CREATE TABLE private_mode (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
    until_s REAL,
    skip_at REAL,
    updated_at INTEGER NOT NULL
);
INSERT INTO private_mode (id, paused, updated_at) VALUES (1, 0, 0);
