-- Schema 7: what Mopidy knows of a play's release and artists, for
-- ListenBrainz (release_mbid, artist_mbids). Plays queued before have none.
ALTER TABLE plays ADD COLUMN release_mbid TEXT;
-- The artists' MusicBrainz ids, space-separated, in the order of the artist
-- names as sent.
ALTER TABLE plays ADD COLUMN artist_mbids TEXT;

DROP VIEW scrobbles;
CREATE VIEW scrobbles AS
SELECT
    d.play_id AS id, p.artist, p.track, p.album, p.album_artist, p.track_number,
    p.duration_s, p.mbid, p.release_mbid, p.artist_mbids, p.chosen_by_user,
    d.play_timestamp AS timestamp, p.uri, p.created_at, d.destination, d.state,
    d.attempts, d.last_error, d.next_attempt_at, d.in_flight_at, d.queued_at,
    d.sent_at
FROM deliveries AS d JOIN plays AS p ON p.id = d.play_id;
