-- Schema 11: a queued play may be held: kept, and sent to no destination
-- until it is released (the editable queue).
ALTER TABLE plays ADD COLUMN held INTEGER NOT NULL DEFAULT 0;
CREATE INDEX plays_held ON plays (id) WHERE held;
