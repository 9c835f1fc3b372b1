"""GET/POST /mtscrobble/api/private: private mode through the HTTP app."""

from __future__ import annotations

import time

from mopidy_mtscrobble.store import Store

from .case import JSON, WebCase


class PrivateApiTest(WebCase):
    def stored(self):
        store = Store.open(self.data_dir, time.time())
        try:
            return store.private.get()
        finally:
            store.close()

    def test_private_mode_is_off_at_first_and_names_the_default(self):
        code, body = self.request("GET", "/api/private")
        assert code == 200
        assert body["active"] is False
        assert body["until"] is None
        assert body["default"] == "1h"
        assert list(body["durations"]) == ["30m", "1h", "today", "forever"]

    def test_pause_says_until_when_and_resume_ends_it(self):
        before = time.time()
        code, body = self.request("POST", "/api/private", {"pause": "30m"})
        assert code == 200
        assert body["active"] is True
        assert before + 1800 - 1 <= body["until"] <= time.time() + 1800
        assert body["until_text"].startswith("until ")
        assert self.request("GET", "/api/private")[1]["active"] is True
        code, body = self.request("POST", "/api/private", {"resume": True})
        assert (code, body["active"]) == (200, False)
        assert not self.stored().paused

    def test_pause_forever_and_an_empty_pause_uses_the_default(self):
        body = self.request("POST", "/api/private", {"pause": "forever"})[1]
        assert (body["active"], body["until"], body["until_text"]) == (
            True, None, "until resumed",
        )  # fmt: skip
        before = time.time()
        body = self.request("POST", "/api/private", {"pause": ""})[1]
        assert before + 3600 - 1 <= body["until"] <= time.time() + 3600

    def test_skip_marks_the_play_in_progress(self):
        before = time.time()
        code, body = self.request("POST", "/api/private", {"skip": True})
        assert code == 200
        assert body["active"] is False
        assert before <= self.stored().skip_at <= time.time()

    def test_wrong_requests_are_400_with_what_to_send(self):
        cases = [
            {"pause": "2h"},
            {},
            {"resume": False},
            {"pause": "1h", "skip": True},
        ]
        for case in cases:
            code, body = self.request("POST", "/api/private", case)
            assert code == 400, case
            assert "30m" in body["error"], case
        code, body = self.request("POST", "/api/private", {"skip": "yes"})
        assert (code, body["error"]) == (400, "'skip' must be a boolean")

    def test_changes_need_json_from_this_origin(self):
        assert (
            self.request(
                "POST", "/api/private", headers={"Content-Type": "text/plain"}
            )[0]
            == 415
        )
        code, body = self.request(
            "POST", "/api/private", {"resume": True},
            headers={**JSON, "Origin": "http://evil.example"},
        )  # fmt: skip
        assert (code, "allowed_origins" in body["error"]) == (403, True)
        assert not self.stored().paused
