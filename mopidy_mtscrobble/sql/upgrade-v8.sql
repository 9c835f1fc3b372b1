-- Schema 8: what is sent may differ from what was heard. A play keeps the
-- names it was heard with; name cleanup, saved corrections and edits set the
-- names sent instead (NULL: as heard; '' for an album or album artist: none).
ALTER TABLE plays ADD COLUMN sent_artist TEXT;
ALTER TABLE plays ADD COLUMN sent_track TEXT;
ALTER TABLE plays ADD COLUMN sent_album TEXT;
ALTER TABLE plays ADD COLUMN sent_album_artist TEXT;

-- A scrobble is the play as sent; heard_* are the names it was heard with.
DROP VIEW scrobbles;
CREATE VIEW scrobbles AS
SELECT
    d.play_id AS id,
    coalesce(p.sent_artist, p.artist) AS artist,
    coalesce(p.sent_track, p.track) AS track,
    nullif(coalesce(p.sent_album, p.album), '') AS album,
    nullif(coalesce(p.sent_album_artist, p.album_artist), '') AS album_artist,
    p.track_number, p.duration_s, p.mbid, p.release_mbid, p.artist_mbids,
    p.chosen_by_user, d.play_timestamp AS timestamp, p.uri, p.created_at,
    d.destination, d.state, d.attempts, d.last_error, d.next_attempt_at,
    d.in_flight_at, d.queued_at, d.sent_at,
    p.artist AS heard_artist, p.track AS heard_track, p.album AS heard_album,
    p.album_artist AS heard_album_artist
FROM deliveries AS d JOIN plays AS p ON p.id = d.play_id;
