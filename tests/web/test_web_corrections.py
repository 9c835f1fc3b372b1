"""/mtscrobble/api/corrections: saved corrections over the JSON API, with a
real frontend and store behind the app."""

from __future__ import annotations

import json
import time

from mopidy_mtscrobble.store import NewScrobble, Store

from .case import JSON, WebCase

BAND = {"match_artist": "Band", "artist": "The Band"}


class CorrectionsApiTest(WebCase):
    def send(self, method, path, body=None, headers=None):
        raw = None if method in ("GET", "DELETE") else json.dumps(body or {}).encode()
        answer = self.fetch(f"/api/corrections{path}", method=method, body=raw,
                            headers=JSON if headers is None else headers)  # fmt: skip
        return answer.code, json.loads(answer.body)

    def test_create_list_change_and_delete(self):
        code, body = self.send("POST", "", BAND)
        assert code == 201
        made = body["correction"]
        assert (made["match_artist"], made["artist"], made["track"]) == (
            "Band", "The Band", None,
        )  # fmt: skip
        assert body["applied"] is None
        assert self.send("GET", "") == (200, {"corrections": [made]})
        changed = {**BAND, "match_track": "Song", "track": "Song!"}
        code, body = self.send("PUT", f"/{made['id']}", changed)
        assert (code, body["correction"]["track"]) == (200, "Song!")
        assert self.send("DELETE", f"/{made['id']}") == (200, {"deleted": made["id"]})
        assert self.send("GET", "") == (200, {"corrections": []})

    def test_apply_waiting_corrects_the_plays_still_waiting(self):
        store = Store.open(self.data_dir, time.time())
        # For a destination no worker sends to: the delivery running behind
        # the app never takes it in flight before the correction.
        play_id = store.plays.enqueue(
            NewScrobble("band", "Song", int(time.time()) - 600), ["idle"], time.time()
        )
        store.close()
        code, body = self.send("POST", "", {**BAND, "apply_waiting": True})
        assert (code, body["applied"]) == (201, 1)
        store = Store.open(self.data_dir, time.time())
        assert store.queue_to("idle").get(play_id).artist == "The Band"
        store.close()

    def test_bad_input_is_400_and_an_unknown_id_404_each_with_a_reason(self):
        for body, message in [
            ({"artist": "X"}, "Give the artist the correction matches"),
            ({"match_artist": "  ", "artist": "X"}, "Give the artist"),
            ({"match_artist": "X"}, "The correction changes nothing"),
            ({"match_artist": "X", "artist": "Y" * 2000}, "over 1024 characters"),
            ({**BAND, "apply_waiting": "yes"}, "'apply_waiting' must be a boolean"),
            ({**BAND, "match": "x"}, "Unknown field(s): match"),
        ]:
            code, answer = self.send("POST", "", body)
            assert (code, message in answer["error"]) == (400, True), answer
        for method in ("PUT", "DELETE"):
            code, answer = self.send(method, "/99", BAND)
            assert (code, answer["error"]) == (
                404, "There is no correction #99; list them to see their numbers.",
            )  # fmt: skip
        assert self.send("GET", "") == (200, {"corrections": []})

    def test_changes_need_json_from_an_allowed_origin(self):
        made = self.send("POST", "", BAND)[1]["correction"]
        evil = {**JSON, "Origin": "http://evil.example"}
        for method, path in (("POST", ""), ("PUT", f"/{made['id']}"),
                             ("DELETE", f"/{made['id']}")):  # fmt: skip
            code, body = self.send(method, path, BAND, headers=evil)
            assert (code, "allowed_origins" in body["error"]) == (403, True), method
            plain = {"Content-Type": "text/plain"}
            assert self.send(method, path, BAND, headers=plain)[0] == 415, method
        assert self.send("GET", "")[1]["corrections"] == [made]
