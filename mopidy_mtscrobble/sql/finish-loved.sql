-- An import of loved tracks ended: the staged set replaces the imported one.
-- Loves and unloves made here and not sent to Last.fm yet win over the import
-- (it is Last.fm's list).

-- A song loved here stays while the latest action waiting for it is a love.
DELETE FROM loved
WHERE NOT EXISTS (
    SELECT 1 FROM loved_import i
    WHERE i.artist_key = loved.artist_key AND i.title_key = loved.title_key
      AND i.recording = loved.recording
)
AND coalesce((
    SELECT action FROM love_queue a
    WHERE a.destination = 'lastfm' AND a.state = 'pending'
      AND a.artist = loved.artist AND a.track = loved.track
    ORDER BY a.id DESC LIMIT 1
), '') != 'love';

INSERT INTO loved (
    artist, track, loved_at, source, artist_key, title_key, recording, matched_at
)
SELECT artist, track, loved_at, 'import', artist_key, title_key, recording, NULL
FROM loved_import WHERE true
ON CONFLICT (artist_key, title_key, recording) DO UPDATE SET
    artist = excluded.artist, track = excluded.track, loved_at = excluded.loved_at,
    source = 'import', matched_at = NULL;

-- A song whose latest waiting action is an unlove goes.
DELETE FROM loved WHERE coalesce((
    SELECT action FROM love_queue a
    WHERE a.destination = 'lastfm' AND a.state = 'pending'
      AND a.artist = loved.artist AND a.track = loved.track
    ORDER BY a.id DESC LIMIT 1
), '') = 'unlove';
