-- One song of a page of loved tracks, staged until the import's last page.
INSERT INTO loved_import (artist, track, loved_at, artist_key, title_key, recording)
VALUES (:artist, :track, :value, :artist_key, :title_key, :recording)
ON CONFLICT (artist_key, title_key, recording) DO NOTHING;
