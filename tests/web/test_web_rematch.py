"""POST /mtscrobble/api/rematch: what `mopidy mtscrobble rematch` asks for."""

from __future__ import annotations

from .case import WebCase

WAIT_S = 30.0  # a bound on the matcher thread's work, not a delay


class RematchApiTest(WebCase):
    def test_a_rematch_is_accepted_and_runs_on_the_matcher_thread(self):
        assert self.request("POST", "/api/rematch") == (202, {"rematching": True})

    def test_a_body_that_is_not_an_object_is_refused(self):
        code, body = self.request("POST", "/api/rematch", raw=b"[]")
        assert (code, body["error"]) == (400, "The request body must be a JSON object")

    def test_only_post_is_allowed(self):
        assert self.request("GET", "/api/rematch")[0] == 405

    def test_the_startup_rematch_records_the_library_and_an_asked_one_runs_again(self):
        matcher = self.frontend.matcher.get()
        assert matcher.wait_idle(WAIT_S)
        first = matcher.last_rematch
        assert first is not None
        assert first.new == first.tracks > 0
        assert self.request("POST", "/api/rematch")[0] == 202
        # the request set the work before answering: wait for it to be done
        assert matcher.wait_idle(WAIT_S)
        assert matcher.last_rematch is not first
        assert matcher.last_rematch.new == 0
