"""POST /mtscrobble/api/rematch: what `mopidy mtscrobble rematch` asks for."""

from __future__ import annotations

from .test_web import WebCase


class RematchApiTest(WebCase):
    def test_a_rematch_is_accepted_and_runs_on_the_matcher_thread(self):
        assert self.request("POST", "/api/rematch") == (202, {"rematching": True})

    def test_a_body_that_is_not_an_object_is_refused(self):
        code, body = self.request("POST", "/api/rematch", raw=b"[]")
        assert (code, body["error"]) == (400, "The request body must be a JSON object")

    def test_only_post_is_allowed(self):
        assert self.request("GET", "/api/rematch")[0] == 405
