-- A sync of play counts ended: the staged numbers replace the synced ones.
DELETE FROM playcounts
WHERE NOT EXISTS (
    SELECT 1 FROM playcounts_import i
    WHERE i.artist_key = playcounts.artist_key
      AND i.title_key = playcounts.title_key AND i.recording = playcounts.recording
);

INSERT INTO playcounts (
    artist, track, playcount, artist_key, title_key, recording, matched_at
)
SELECT artist, track, playcount, artist_key, title_key, recording, NULL
FROM playcounts_import WHERE true
ON CONFLICT (artist_key, title_key, recording) DO UPDATE SET
    artist = excluded.artist, track = excluded.track,
    playcount = excluded.playcount, matched_at = NULL;
