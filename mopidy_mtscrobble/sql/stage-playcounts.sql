-- One song of a page of play counts; songs the network lists apart but that
-- are one song by the matching rule add up.
INSERT INTO playcounts_import (artist, track, playcount, artist_key, title_key,
    recording)
VALUES (:artist, :track, :value, :artist_key, :title_key, :recording)
ON CONFLICT (artist_key, title_key, recording) DO UPDATE SET
    playcount = playcount + excluded.playcount;
