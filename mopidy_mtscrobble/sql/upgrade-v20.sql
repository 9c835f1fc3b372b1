-- Schema 20: the listening history follows what is sent. A queued play whose
-- names change (the user's edit, a correction applied to the waiting plays)
-- changes its history row, so the export, the charts and import-history see
-- the names the destinations got; the row keeps the names heard beside them
-- (NULL: heard as sent).
ALTER TABLE history ADD COLUMN heard_artist TEXT;
ALTER TABLE history ADD COLUMN heard_track TEXT;
ALTER TABLE history ADD COLUMN heard_album TEXT;
ALTER TABLE history ADD COLUMN heard_album_artist TEXT;

-- OR IGNORE: a row of the same second and names (a replay) is left as it was
-- rather than the user's edit refused.
CREATE TRIGGER history_follows_sent_names
AFTER UPDATE OF sent_artist, sent_track, sent_album, sent_album_artist ON plays
BEGIN
    UPDATE OR IGNORE history SET
        artist = coalesce(nullif(NEW.sent_artist, ''), NEW.artist),
        track = coalesce(nullif(NEW.sent_track, ''), NEW.track),
        album = nullif(coalesce(NEW.sent_album, NEW.album), ''),
        album_artist = nullif(coalesce(NEW.sent_album_artist, NEW.album_artist), ''),
        heard_artist = nullif(NEW.artist, coalesce(nullif(NEW.sent_artist, ''), NEW.artist)),
        heard_track = nullif(NEW.track, coalesce(nullif(NEW.sent_track, ''), NEW.track)),
        heard_album = CASE WHEN NEW.album IS nullif(coalesce(NEW.sent_album, NEW.album), '')
                           THEN NULL ELSE NEW.album END,
        heard_album_artist = CASE
            WHEN NEW.album_artist IS nullif(coalesce(NEW.sent_album_artist, NEW.album_artist), '')
            THEN NULL ELSE NEW.album_artist END
    WHERE play_id = NEW.id;
END;

-- The plays edited before this version: their rows brought up to date (the
-- trigger, fired by setting the names to themselves).
UPDATE plays SET sent_artist = sent_artist
WHERE sent_artist IS NOT NULL OR sent_track IS NOT NULL
   OR sent_album IS NOT NULL OR sent_album_artist IS NOT NULL;
