"""POST /api/tracks, the batch form of GET /api/track, through Tornado's test
client with a real core, frontend and store behind it."""

from __future__ import annotations

import json
import sqlite3

from mopidy_mtscrobble.matching import key_parts
from mopidy_mtscrobble.store import DB_FILENAME
from mopidy_mtscrobble.web.tracks_api import MAX_BATCH_URIS

from .case import JSON, WebCase
from .stream_backend import StreamBackend, StreamLibrary

UNKNOWN = "local:track:404"


class TracksTest(WebCase):
    extra_backends = (StreamBackend,)

    def setUp(self) -> None:
        StreamLibrary.lookups = []
        super().setUp()

    def tracks(self, uris, headers=None):
        code, body = self.request("POST", "/api/tracks", {"uris": uris}, headers)
        return code, body

    def count_plays(self, artist: str, track: str, playcount: int) -> None:
        db = sqlite3.connect(self.data_dir / DB_FILENAME)
        with db:
            db.execute(
                "INSERT INTO playcounts (artist, track, playcount, artist_key, "
                "title_key, recording) VALUES (?, ?, ?, ?, ?, ?)",
                (artist, track, playcount, *key_parts(artist, track)),
            )
        db.close()

    def test_each_track_says_loved_and_play_count_in_the_order_asked(self):
        self.request("POST", "/api/love", {"uri": "local:track:1"})
        self.count_plays("Singer", "Song", 7)
        code, body = self.tracks(["local:track:1", UNKNOWN, "local:track:1"])
        assert code == 200
        assert body == {"tracks": [
            {"uri": "local:track:1", "found": True, "artist": "Singer",
             "track": "Song", "loved": True, "playcount": 7},
            {"uri": UNKNOWN, "found": False},
        ]}  # fmt: skip

    def test_it_agrees_with_the_single_form(self):
        self.request("POST", "/api/love", {"uri": "local:track:1"})
        single = self.request("GET", "/api/track?uri=local:track:1")[1]
        [batch] = self.tracks(["local:track:1"])[1]["tracks"]
        assert {k: batch[k] for k in single} == single

    def test_only_library_uris_are_looked_up(self):
        code, body = self.tracks(["local:track:1", "http://radio.example/x"])
        assert code == 400
        assert "favorites_uri_schemes" in body["error"]
        assert StreamLibrary.lookups == []

    def test_bad_lists_are_400_with_what_to_do(self):
        too_many = [f"local:track:{n}" for n in range(MAX_BATCH_URIS + 1)]
        for uris, said in [
            (None, "Give the tracks' URIs"),
            ([], "Give the tracks' URIs"),
            ("local:track:1", "'uris' must be a list"),
            ([1, "local:track:1"], "must be a non-empty string"),
            ([" "], "must be a non-empty string"),
            (too_many, f"At most {MAX_BATCH_URIS} URIs per call"),
        ]:
            code, body = self.tracks(uris)
            assert code == 400, uris
            assert said in body["error"], uris

    def test_the_largest_batch_is_answered(self):
        uris = [f"local:track:{n}" for n in range(MAX_BATCH_URIS)]
        code, body = self.tracks(uris)
        assert code == 200
        assert [t["found"] for t in body["tracks"][:3]] == [False, True, True]
        assert len(body["tracks"]) == MAX_BATCH_URIS

    def test_it_is_guarded_like_every_post(self):
        code, _ = self.tracks(["local:track:1"], headers={"Content-Type": "text/plain"})
        assert code == 415
        code, _ = self.tracks(
            ["local:track:1"], headers={**JSON, "Origin": "http://evil.example"}
        )
        assert code == 403
        answer = self.fetch("/api/tracks?uris=local:track:1", method="GET")
        assert answer.code == 405
        assert "error" in json.loads(answer.body)
