"""The HTTP app through Tornado's test client: every route, good and bad input.

A real frontend (with its delivery thread, talking to the fake Last.fm) runs in
a Mopidy core with a test library, as in Mopidy.
"""

from __future__ import annotations

import json
import time

from mopidy_mtscrobble.session import SessionFile
from mopidy_mtscrobble.store import NewScrobble, Store

from ..fakes.lastfm import Fault
from .case import JSON, WebCase


class WebTest(WebCase):
    # Reading.

    def test_status_tells_connection_settings_queue_imports_and_listening(self):
        code, body = self.request("GET", "/api/status")
        assert code == 200
        assert set(body) == {
            "connection", "network", "settings", "queue", "last_error",
            "next_retry_at", "imports", "loved", "playcounts", "listening",
            "destinations", "loved_sync",
        }  # fmt: skip
        assert body["loved_sync"]["interval_minutes"] is None  # off by default
        [lastfm] = body["destinations"]
        assert set(lastfm) == {
            "name", "kind", "server", "state", "connected", "message", "username",
            "counts", "last_error", "next_retry_at",
        }  # fmt: skip
        assert (lastfm["name"], lastfm["kind"]) == ("lastfm", "lastfm")
        assert lastfm["counts"] == body["queue"]
        assert body["settings"]["scrobble_threshold"] == 90
        assert set(body["queue"]) == {"pending", "in_flight", "rejected",
                                      "sent_last_24h"}  # fmt: skip
        assert body["listening"] is None
        self.no_secret_in(body)

    def test_status_is_503_when_the_extension_is_not_running(self):
        self.frontend.actor_ref.stop()
        code, body = self.request("GET", "/api/status")
        assert code == 503
        assert "not running" in body["error"]

    def queue_three(self):
        # The delivery behind the app would race the states set here (it may
        # take a play in flight and send it between its queuing and its mark).
        self.frontend.delivery.get().stop()
        now = time.time()
        store = Store.open(self.data_dir, now)
        ids = [
            store.queue.enqueue(NewScrobble("A", f"T{i}", int(now) - 100 + i), now)
            for i in range(3)
        ]
        store.queue.mark_rejected(ids[0], "artist ignored by the server (code 1)")
        store.queue.mark_in_flight([ids[1]], now)
        store.queue.mark_sent([ids[1]], now)
        store.close()

    def test_recent_scrobbles_say_scrobbled_queued_or_rejected(self):
        self.queue_three()
        code, body = self.request("GET", "/api/recent?limit=10")
        assert code == 200
        states = {s["track"]: (s["state"], s["reason"]) for s in body["scrobbles"]}
        assert states["T0"] == ("rejected", "artist ignored by the server (code 1)")
        assert states["T1"] == ("scrobbled", None)
        assert states["T2"] == ("queued", None)

    def test_queue_is_paged_and_filtered_by_state(self):
        self.queue_three()
        code, body = self.request("GET", "/api/queue?state=rejected&limit=1&offset=0")
        assert code == 200
        assert body["total"] == 1
        assert [e["track"] for e in body["entries"]] == ["T0"]
        assert body["entries"][0]["reason"] == "artist ignored by the server (code 1)"

    def test_bad_query_values_are_400_with_what_was_wrong(self):
        for path, problem in (
            ("/api/queue?state=sent", "'state' must be one of"),
            ("/api/queue?limit=0", "'limit' must be a whole number from 1 to 500"),
            ("/api/queue?offset=-1", "'offset' must be a whole number from 0 to"),
            ("/api/recent?limit=many", "'limit' must be a whole number"),
            ("/api/track", "Give the track's URI"),
        ):
            code, body = self.request("GET", path)
            assert (code, problem in body["error"]) == (400, True), path

    def test_unknown_endpoint_is_a_json_404(self):
        code, body = self.request("GET", "/api/nope")
        assert code == 404
        assert body == {"error": "No such API endpoint: /api/nope"}

    def test_track_tells_loved_state_and_play_count(self):
        code, body = self.request("GET", "/api/track?uri=local:track:1")
        assert code == 200
        assert body == {"uri": "local:track:1", "artist": "Singer", "track": "Song",
                        "loved": False, "playcount": None}  # fmt: skip
        assert self.request("GET", "/api/track?uri=local:nope")[0] == 404

    def test_the_page_and_its_files_are_served(self):
        code, page = self.request("GET", "/")
        assert code == 200
        assert "<title>Mopidy-MTScrobble</title>" in page
        assert self.request("GET", "/app.js")[0] == 200
        assert self.request("GET", "/style.css")[0] == 200

    # Changing.

    def test_changing_requests_need_json_from_this_origin_and_a_small_body(self):
        paths = ("/api/retry", "/api/import-loved", "/api/sync-playcounts",
                 "/api/love", "/api/unlove", "/api/login", "/api/logout")  # fmt: skip
        for path in paths:
            assert (
                self.request("POST", path, headers={"Content-Type": "text/plain"})[0]
                == 415
            ), path
            code, body = self.request(
                "POST", path, headers={**JSON, "Origin": "http://evil.example"}
            )
            assert (code, "allowed_origins" in body["error"]) == (403, True), path
            code, body = self.request("POST", path, raw=b"{oops")
            assert (code, body["error"]) == (400, "The request body is not valid JSON")
            code, body = self.request("POST", path, {"surprise": 1})
            assert (code, body["error"]) == (400, "Unknown field(s): surprise"), path
            big = json.dumps({"uri": "x" * 70_000}).encode()
            assert self.request("POST", path, raw=big)[0] == 413, path

    def test_wrong_types_are_400(self):
        code, body = self.request("POST", "/api/love", {"uri": ["local:track:1"]})
        assert (code, body["error"]) == (400, "'uri' must be a string")
        code, body = self.request("POST", "/api/love", raw=b"[1, 2]")
        assert (code, body["error"]) == (400, "The request body must be a JSON object")

    def test_retry_import_and_sync_start_and_refuse_a_second_import(self):
        assert self.request("POST", "/api/retry") == (202, {"retrying": True})
        # Imports hang on the server until the end of the test: they stay running.
        self.lastfm.inject(Fault("hang", method="user.getLovedTracks", seconds=60))
        self.lastfm.inject(Fault("hang", method="user.getTopTracks", seconds=60))
        try:
            assert self.request("POST", "/api/import-loved") == (
                202,
                {"importing": True},
            )
            assert self.request("POST", "/api/import-loved") == (
                409,
                {"error": "An import of loved tracks is already running"},
            )
            assert self.request("POST", "/api/sync-playcounts") == (
                202,
                {"importing": True},
            )
            assert self.request("POST", "/api/sync-playcounts")[0] == 409
        finally:
            self.lastfm.release_hangs()

    def test_love_and_unlove_by_uri(self):
        code, body = self.request("POST", "/api/love", {"uri": "local:track:1"})
        assert (code, body["loved"], body["track"]) == (200, True, "Song")
        assert self.request("GET", "/api/track?uri=local:track:1")[1]["loved"] is True
        code, body = self.request("POST", "/api/unlove", {"uri": "local:track:1"})
        assert (code, body["loved"]) == (200, False)
        code, body = self.request("POST", "/api/love", {})
        assert (code, body["error"]) == (
            409,
            "Nothing is playing: play a track or give a URI",
        )

    def test_login_answers_the_authorization_page_with_the_callback(self):
        code, body = self.request("POST", "/api/login")
        assert code == 409  # connected already: only when asked to replace
        assert "Already connected as alice" in body["error"]
        code, body = self.request("POST", "/api/login", {"replace": True})
        assert code == 200
        assert body["url"].startswith(
            f"https://127.0.0.1:{self.lastfm.port}/api/auth/?"
        )
        assert f"api_key={self.lastfm.api_key}" in body["url"]
        assert "cb=http%3A%2F%2F127.0.0.1%3A" in body["url"]
        assert "%2Fmtscrobble%2Fauth%2Fcallback" in body["url"]
        self.no_secret_in(body)

    def test_logout_forgets_the_session(self):
        assert self.request("POST", "/api/logout") == (200, {"connected": False})
        assert SessionFile(self.data_dir, "custom").load() is None
