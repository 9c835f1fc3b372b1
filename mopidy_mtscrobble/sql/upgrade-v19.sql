-- Schema 19: the listening history's plays counted by origin and outcome, kept
-- by triggers, so /mtscrobble/metrics reads a few rows, not the whole history.
CREATE TABLE history_counts (
    origin  TEXT    NOT NULL,
    outcome TEXT    NOT NULL,
    plays   INTEGER NOT NULL,
    PRIMARY KEY (origin, outcome)
) WITHOUT ROWID;

INSERT INTO history_counts (origin, outcome, plays)
SELECT origin, outcome, count(*) FROM history GROUP BY origin, outcome;

CREATE TRIGGER history_counted AFTER INSERT ON history
BEGIN
    INSERT INTO history_counts (origin, outcome, plays)
    VALUES (NEW.origin, NEW.outcome, 1)
    ON CONFLICT (origin, outcome) DO UPDATE SET plays = plays + 1;
END;

CREATE TRIGGER history_uncounted AFTER DELETE ON history
BEGIN
    UPDATE history_counts SET plays = plays - 1
    WHERE origin = OLD.origin AND outcome = OLD.outcome;
END;

CREATE TRIGGER history_recounted AFTER UPDATE OF origin, outcome ON history
BEGIN
    UPDATE history_counts SET plays = plays - 1
    WHERE origin = OLD.origin AND outcome = OLD.outcome;
    INSERT INTO history_counts (origin, outcome, plays)
    VALUES (NEW.origin, NEW.outcome, 1)
    ON CONFLICT (origin, outcome) DO UPDATE SET plays = plays + 1;
END;
