"""The editable queue in the JSON API: listing, edit, hold, release, delete.

The plays are queued for a destination no delivery runs for ("elsewhere"),
so nothing sends them while a test looks: the Last.fm delivery runs as ever.
"""

from __future__ import annotations

import json
import time

from mopidy_mtscrobble.store import NewScrobble, Store

from .case import JSON, WebCase

ELSEWHERE = "elsewhere"


class QueueEditsTest(WebCase):
    def queue_plays(self, count=3, in_flight=()):
        now = time.time()
        store = Store.open(self.data_dir, now)
        queue = store.queue_to(ELSEWHERE)
        ids = [
            queue.enqueue(
                NewScrobble("A", f"T{i}", int(now) - 100 + i, album="Al"), now
            )
            for i in range(count)
        ]
        queue.mark_in_flight([ids[i] for i in in_flight], now)
        store.close()
        return ids

    def send(self, method, path, body=None, headers=None):
        raw = None if body is None else json.dumps(body).encode()
        if method in ("POST", "PUT") and raw is None:
            raw = b"{}"
        answer = self.fetch(path, method=method, body=raw,
                            headers=JSON if headers is None else headers,
                            allow_nonstandard_methods=True)  # fmt: skip
        if answer.headers.get("Content-Type", "").startswith("application/json"):
            return answer.code, json.loads(answer.body)
        return answer.code, answer.body.decode()

    def test_the_queue_lists_plays_paged_with_states_held_heard_and_sent(self):
        ids = self.queue_plays(3)
        self.send("PUT", f"/api/queue/{ids[1]}", {"track": "Better"})
        self.send("POST", f"/api/queue/{ids[1]}/hold")
        code, body = self.request("GET", "/api/queue?limit=2&offset=1")
        assert code == 200
        assert body["plays_total"] == 3
        first, second = body["plays"]
        assert first["id"] == ids[1]
        assert (first["held"], first["edited"]) == (True, True)
        assert first["sent"]["track"] == "Better"
        assert first["heard"] == {"artist": "A", "track": "T1", "album": "Al",
                                  "album_artist": None}  # fmt: skip
        assert first["destinations"] == {ELSEWHERE: "pending"}
        assert (second["id"], second["held"]) == (ids[2], False)

    def test_an_edit_answers_the_entry_with_its_new_names(self):
        [play_id] = self.queue_plays(1)
        code, body = self.send("PUT", f"/api/queue/{play_id}",
                               {"artist": "B", "album": ""})  # fmt: skip
        assert code == 200
        assert body["sent"] == {"artist": "B", "track": "T0", "album": None,
                                "album_artist": None}  # fmt: skip
        code, body = self.send("PUT", f"/api/queue/{play_id}", {})
        assert (code, "Nothing to edit" in body["error"]) == (400, True)
        code, body = self.send("PUT", f"/api/queue/{play_id}", {"track": " "})
        assert (code, "needs its track" in body["error"]) == (400, True)

    def test_hold_and_release(self):
        [play_id] = self.queue_plays(1)
        code, body = self.send("POST", f"/api/queue/{play_id}/hold")
        assert (code, body["held"]) == (200, True)
        code, body = self.send("POST", f"/api/queue/{play_id}/release")
        assert (code, body["held"]) == (200, False)

    def test_a_delete_needs_a_confirmation(self):
        ids = self.queue_plays(2)
        code, body = self.send("DELETE", f"/api/queue/{ids[0]}", headers=JSON)
        assert code == 400
        assert "confirm with ?confirm=1" in body["error"]
        code, body = self.send("DELETE", f"/api/queue/{ids[0]}?confirm=1", headers=JSON)
        assert (code, body) == (200, {"deleted": ids[0]})
        code, body = self.send("DELETE", f"/api/queue/{ids[1]}", {"confirm": True})
        assert code == 200
        assert self.request("GET", "/api/queue")[1]["plays_total"] == 0

    def test_in_flight_is_409_and_unknown_is_404_with_what_to_do(self):
        [play_id] = self.queue_plays(1, in_flight=(0,))
        for method, path, body in (
            ("PUT", f"/api/queue/{play_id}", {"artist": "B"}),
            ("POST", f"/api/queue/{play_id}/hold", None),
            ("DELETE", f"/api/queue/{play_id}?confirm=1", None),
        ):
            code, answer = self.send(method, path, body, headers=JSON)
            assert code == 409, path
            assert "Wait until it is sent" in answer["error"], path
        code, answer = self.send("POST", "/api/queue/9999/hold")
        assert (code, "no scrobble #9999" in answer["error"]) == (404, True)

    def test_changes_need_json_from_this_origin(self):
        [play_id] = self.queue_plays(1)
        evil = {**JSON, "Origin": "http://evil.example"}
        for method, path in (
            ("PUT", f"/api/queue/{play_id}"),
            ("POST", f"/api/queue/{play_id}/hold"),
            ("DELETE", f"/api/queue/{play_id}?confirm=1"),
        ):
            body = {"artist": "B"} if method == "PUT" else None
            code, _ = self.send(
                method, path, body, headers={"Content-Type": "text/plain"}
            )
            assert code == 415, (method, path)
            code, answer = self.send(method, path, body, headers=evil)
            assert (code, "allowed_origins" in answer["error"]) == (403, True)
        store = Store.open(self.data_dir, time.time())
        entry = store.editing.get(play_id)
        store.close()
        assert (entry.artist, entry.held) == ("A", False)
