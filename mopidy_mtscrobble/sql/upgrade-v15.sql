-- Schema 15: the listening charts, kept up to date by triggers on `history` so
-- the page's top lists and totals are read, not counted (1,000,000 plays).
-- Every outcome counts: a play kept out of scrobbling was still listened to.
-- A play's listening time is heard_s, or its duration when that is not known
-- (imported plays), or nothing.

-- Each chart counts the plays at or after its window's start. 'all' never
-- moves; the others follow the local days (store/charts.py moves them, adding
-- or taking off the plays between the old start and the new). They start
-- empty, past any play: the first read fills them.
CREATE TABLE chart_windows (
    period  TEXT PRIMARY KEY CHECK (period IN ('7d', '30d', '12m', 'all')),
    start_s INTEGER NOT NULL  -- UTC unix seconds
);
INSERT INTO chart_windows (period, start_s) VALUES
    ('7d', 9223372036854775807), ('30d', 9223372036854775807),
    ('12m', 9223372036854775807), ('all', -9223372036854775808);

CREATE TABLE chart_totals (
    period  TEXT PRIMARY KEY REFERENCES chart_windows (period),
    plays   INTEGER NOT NULL,
    seconds INTEGER NOT NULL
);

CREATE TABLE chart_artists (
    period  TEXT    NOT NULL,
    artist  TEXT    NOT NULL,
    plays   INTEGER NOT NULL,
    seconds INTEGER NOT NULL,
    PRIMARY KEY (period, artist)
) WITHOUT ROWID;
CREATE INDEX chart_artists_top ON chart_artists (period, plays DESC);

CREATE TABLE chart_tracks (
    period  TEXT    NOT NULL,
    artist  TEXT    NOT NULL,
    track   TEXT    NOT NULL,
    plays   INTEGER NOT NULL,
    seconds INTEGER NOT NULL,
    PRIMARY KEY (period, artist, track)
) WITHOUT ROWID;
CREATE INDEX chart_tracks_top ON chart_tracks (period, plays DESC);

-- An album is its album artist's (the artist's when not known); plays
-- without an album are not in this chart.
CREATE TABLE chart_albums (
    period  TEXT    NOT NULL,
    artist  TEXT    NOT NULL,
    album   TEXT    NOT NULL,
    plays   INTEGER NOT NULL,
    seconds INTEGER NOT NULL,
    PRIMARY KEY (period, artist, album)
) WITHOUT ROWID;
CREATE INDEX chart_albums_top ON chart_albums (period, plays DESC);

CREATE TRIGGER chart_play_added AFTER INSERT ON history
BEGIN
    UPDATE chart_totals SET
        plays = plays + 1,
        seconds = seconds + coalesce(NEW.heard_s, NEW.duration_s, 0)
    WHERE period IN (SELECT period FROM chart_windows WHERE NEW.played_at >= start_s);
    INSERT INTO chart_artists (period, artist, plays, seconds)
    SELECT period, NEW.artist, 1, coalesce(NEW.heard_s, NEW.duration_s, 0)
    FROM chart_windows WHERE NEW.played_at >= start_s
    ON CONFLICT DO UPDATE SET
        plays = plays + 1, seconds = seconds + excluded.seconds;
    INSERT INTO chart_tracks (period, artist, track, plays, seconds)
    SELECT period, NEW.artist, NEW.track, 1, coalesce(NEW.heard_s, NEW.duration_s, 0)
    FROM chart_windows WHERE NEW.played_at >= start_s
    ON CONFLICT DO UPDATE SET
        plays = plays + 1, seconds = seconds + excluded.seconds;
    INSERT INTO chart_albums (period, artist, album, plays, seconds)
    SELECT period, coalesce(nullif(NEW.album_artist, ''), NEW.artist), NEW.album, 1,
           coalesce(NEW.heard_s, NEW.duration_s, 0)
    FROM chart_windows
    WHERE NEW.played_at >= start_s AND coalesce(NEW.album, '') != ''
    ON CONFLICT DO UPDATE SET
        plays = plays + 1, seconds = seconds + excluded.seconds;
END;

CREATE TRIGGER chart_play_removed AFTER DELETE ON history
BEGIN
    UPDATE chart_totals SET
        plays = plays - 1,
        seconds = seconds - coalesce(OLD.heard_s, OLD.duration_s, 0)
    WHERE period IN (SELECT period FROM chart_windows WHERE OLD.played_at >= start_s);
    UPDATE chart_artists SET
        plays = plays - 1,
        seconds = seconds - coalesce(OLD.heard_s, OLD.duration_s, 0)
    WHERE artist = OLD.artist
      AND period IN (SELECT period FROM chart_windows WHERE OLD.played_at >= start_s);
    DELETE FROM chart_artists WHERE artist = OLD.artist AND plays <= 0;
    UPDATE chart_tracks SET
        plays = plays - 1,
        seconds = seconds - coalesce(OLD.heard_s, OLD.duration_s, 0)
    WHERE artist = OLD.artist AND track = OLD.track
      AND period IN (SELECT period FROM chart_windows WHERE OLD.played_at >= start_s);
    DELETE FROM chart_tracks
    WHERE artist = OLD.artist AND track = OLD.track AND plays <= 0;
    UPDATE chart_albums SET
        plays = plays - 1,
        seconds = seconds - coalesce(OLD.heard_s, OLD.duration_s, 0)
    WHERE artist = coalesce(nullif(OLD.album_artist, ''), OLD.artist)
      AND album = OLD.album
      AND period IN (SELECT period FROM chart_windows WHERE OLD.played_at >= start_s);
    DELETE FROM chart_albums
    WHERE artist = coalesce(nullif(OLD.album_artist, ''), OLD.artist)
      AND album = OLD.album AND plays <= 0;
END;

-- A play changed in place (its names corrected, say): out with the old, in
-- with the new, as a delete and an insert would.
CREATE TRIGGER chart_play_changed
AFTER UPDATE OF played_at, artist, track, album, album_artist, duration_s, heard_s
ON history
BEGIN
    UPDATE chart_totals SET
        plays = plays - 1,
        seconds = seconds - coalesce(OLD.heard_s, OLD.duration_s, 0)
    WHERE period IN (SELECT period FROM chart_windows WHERE OLD.played_at >= start_s);
    UPDATE chart_artists SET
        plays = plays - 1,
        seconds = seconds - coalesce(OLD.heard_s, OLD.duration_s, 0)
    WHERE artist = OLD.artist
      AND period IN (SELECT period FROM chart_windows WHERE OLD.played_at >= start_s);
    DELETE FROM chart_artists WHERE artist = OLD.artist AND plays <= 0;
    UPDATE chart_tracks SET
        plays = plays - 1,
        seconds = seconds - coalesce(OLD.heard_s, OLD.duration_s, 0)
    WHERE artist = OLD.artist AND track = OLD.track
      AND period IN (SELECT period FROM chart_windows WHERE OLD.played_at >= start_s);
    DELETE FROM chart_tracks
    WHERE artist = OLD.artist AND track = OLD.track AND plays <= 0;
    UPDATE chart_albums SET
        plays = plays - 1,
        seconds = seconds - coalesce(OLD.heard_s, OLD.duration_s, 0)
    WHERE artist = coalesce(nullif(OLD.album_artist, ''), OLD.artist)
      AND album = OLD.album
      AND period IN (SELECT period FROM chart_windows WHERE OLD.played_at >= start_s);
    DELETE FROM chart_albums
    WHERE artist = coalesce(nullif(OLD.album_artist, ''), OLD.artist)
      AND album = OLD.album AND plays <= 0;
    UPDATE chart_totals SET
        plays = plays + 1,
        seconds = seconds + coalesce(NEW.heard_s, NEW.duration_s, 0)
    WHERE period IN (SELECT period FROM chart_windows WHERE NEW.played_at >= start_s);
    INSERT INTO chart_artists (period, artist, plays, seconds)
    SELECT period, NEW.artist, 1, coalesce(NEW.heard_s, NEW.duration_s, 0)
    FROM chart_windows WHERE NEW.played_at >= start_s
    ON CONFLICT DO UPDATE SET
        plays = plays + 1, seconds = seconds + excluded.seconds;
    INSERT INTO chart_tracks (period, artist, track, plays, seconds)
    SELECT period, NEW.artist, NEW.track, 1, coalesce(NEW.heard_s, NEW.duration_s, 0)
    FROM chart_windows WHERE NEW.played_at >= start_s
    ON CONFLICT DO UPDATE SET
        plays = plays + 1, seconds = seconds + excluded.seconds;
    INSERT INTO chart_albums (period, artist, album, plays, seconds)
    SELECT period, coalesce(nullif(NEW.album_artist, ''), NEW.artist), NEW.album, 1,
           coalesce(NEW.heard_s, NEW.duration_s, 0)
    FROM chart_windows
    WHERE NEW.played_at >= start_s AND coalesce(NEW.album, '') != ''
    ON CONFLICT DO UPDATE SET
        plays = plays + 1, seconds = seconds + excluded.seconds;
END;

-- The all-time charts start from the history there is.
INSERT INTO chart_totals (period, plays, seconds)
SELECT period, 0, 0 FROM chart_windows;
UPDATE chart_totals SET
    plays = (SELECT count(*) FROM history),
    seconds = (SELECT coalesce(sum(coalesce(heard_s, duration_s, 0)), 0) FROM history)
WHERE period = 'all';
INSERT INTO chart_artists (period, artist, plays, seconds)
SELECT 'all', artist, count(*), sum(coalesce(heard_s, duration_s, 0))
FROM history GROUP BY artist;
INSERT INTO chart_tracks (period, artist, track, plays, seconds)
SELECT 'all', artist, track, count(*), sum(coalesce(heard_s, duration_s, 0))
FROM history GROUP BY artist, track;
INSERT INTO chart_albums (period, artist, album, plays, seconds)
SELECT 'all', coalesce(nullif(album_artist, ''), artist), album, count(*),
       sum(coalesce(heard_s, duration_s, 0))
FROM history WHERE coalesce(album, '') != ''
GROUP BY coalesce(nullif(album_artist, ''), artist), album;
