"""The web app is safe to expose on a home network (issue 14).

Real HTTP through Tornado's test server, against a real frontend and delivery
in a Mopidy core. What needs a whole Mopidy (its event loop shared with
JSON-RPC) is in tests/process/test_web_ioloop.py; the page's policy and a
real CORS preflight are tried in Chromium (tests/browser).
"""

from __future__ import annotations

import json
import urllib.parse

import pykka
import tornado.tcpclient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mopidy_mtscrobble.store import DB_FILENAME, NewScrobble, Store
from mopidy_mtscrobble.web.base import MAX_TEXT_CHARS
from mopidy_mtscrobble.web.login_states import LoginStates

from .case import JSON, WebCase
from .stream_backend import StreamBackend, StreamLibrary

WAIT_S = 30.0  # a bound on the matcher's startup work, not a delay
MULTIPART = {"Content-Type": "multipart/form-data; boundary=x"}
ROUTES = (
    "/api/status", "/api/queue", "/api/recent", "/api/login", "/api/logout",
    "/api/retry", "/api/import-loved", "/api/sync-playcounts", "/api/love",
    "/api/unlove", "/api/track", "/api/nope", "/api/rematch", "/api/charts",
    "/api/health",
)  # fmt: skip


class SecurityTest(WebCase):
    extra_backends = (StreamBackend,)

    def setUp(self) -> None:
        StreamLibrary.lookups = []
        super().setUp()

    def callback_of(self, url: str) -> str:
        """The callback path in an authorization address."""
        callback = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["cb"][0]
        return urllib.parse.urlsplit(callback).path.removeprefix("/mtscrobble")

    # 1. Login CSRF.

    def test_a_callback_without_a_state_of_ours_is_refused(self):
        for path in ("/auth/callback?token=T", "/auth/callback/forged?token=T"):
            code, page = self.request("GET", path)
            assert code == 403, path
            assert "not started here" in page

    def test_a_state_is_good_once_and_a_working_session_is_not_replaced_unasked(self):
        code, body = self.request("POST", "/api/login")
        assert code == 409  # alice is connected
        code, body = self.request("POST", "/api/login", {"replace": True})
        path = self.callback_of(body["url"])
        assert path.startswith("/auth/callback/")
        code, page = self.request("GET", f"{path}?token=unapproved")
        assert code == 403  # the server refuses an unapproved token
        code, page = self.request("GET", f"{path}?token=unapproved")
        assert (code, "not started here" in page) == (403, True)  # used up

    def test_login_states_expire(self):
        now = [0.0]
        states = LoginStates(clock=lambda: now[0])
        state = states.new(replace=False)
        now[0] += 15 * 60 + 1
        assert states.take(state) is None
        fresh = states.new(replace=True)
        assert states.take(fresh) is True
        assert states.take(fresh) is None

    # 2. Lookups only for library URIs, and only asked from here.

    def test_track_lookups_are_only_for_library_uris(self):
        for uri in ("http://127.0.0.1:9/x.mp3", "no-scheme", "HTTPS://a/b"):
            code, body = self.request("GET", f"/api/track?uri={uri}")
            assert code == 400, uri
            assert "Only tracks of your library" in body["error"]
        code, _ = self.request("POST", "/api/love", {"uri": "http://127.0.0.1:9/x"})
        assert code == 400
        assert StreamLibrary.lookups == []

    def test_a_lookup_from_another_site_is_refused_before_any_work(self):
        evil = {"Origin": "http://evil.example"}
        code, _ = self.request("GET", "/api/track?uri=local:track:1",
                               headers={**JSON, **evil})  # fmt: skip
        assert code == 403
        code, _ = self.request("GET", "/api/track?uri=local:track:1", headers={})
        assert code == 415  # an <img> or a form cannot send a JSON type
        assert self.library_lookups() == 0

    def library_lookups(self) -> int:
        from ..fakes.library_backends import SearchingBackend

        [ref] = pykka.ActorRegistry.get_by_class(SearchingBackend)
        # the startup rematch looks up every track once, on the matcher thread
        matcher = self.frontend.matcher.get()
        assert matcher.wait_idle(WAIT_S)
        assert matcher.last_rematch is not None
        lookups = ref.proxy().library.calls.get()["lookup"]
        return lookups - matcher.last_rematch.new

    # 4. CORS.

    def test_the_cors_preflight_is_answered_for_allowed_origins_only(self):
        self.context_of_app().allowed_origins = {"client.example:8080"}
        preflight = {"Origin": "http://client.example:8080",
                     "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "content-type"}  # fmt: skip
        answer = self.fetch("/api/retry", method="OPTIONS", headers=preflight)
        assert answer.code == 204
        assert answer.headers["Access-Control-Allow-Origin"] == (
            "http://client.example:8080"
        )
        assert "content-type" in answer.headers["Access-Control-Allow-Headers"].lower()
        other = {**preflight, "Origin": "http://evil.example"}
        answer = self.fetch("/api/retry", method="OPTIONS", headers=other)
        assert answer.code == 403
        assert "Access-Control-Allow-Origin" not in answer.headers
        code, _ = self.request(
            "POST",
            "/api/retry",
            headers={**JSON, "Origin": "http://client.example:8080"},
        )
        assert code == 202  # fmt: skip

    # 5. Always JSON, never 500.

    def test_odd_requests_get_json_errors_never_500(self):
        deep = b"[" * 100_000 + b"]" * 100_000
        cases = [
            ("POST", "/api/love", deep, JSON),
            ("GET", "/api/queue?limit=%C2%B2", None, JSON),  # "²": a digit, not int
            ("GET", "/api/queue?offset=" + "9" * 4000, None, JSON),
            ("GET", "/api/queue?offset=9223372036854775808", None, JSON),
            ("GET", "/api/recent?limit=%FF", None, JSON),
            ("POST", "/api/retry", b"{}", {**JSON, "Origin": "http://[::1"}),
            ("DELETE", "/api/status", None, JSON),
            ("PUT", "/api/love", b"{}", JSON),
            ("POST", "/api/status", b"{}", JSON),
            ("POST", "/api/love", b'--x\r\nbroken', MULTIPART),
            ("GET", "/api/track?uri=%00", None, JSON),
        ]  # fmt: skip
        for method, path, body, headers in cases:
            answer = self.fetch(path, method=method, body=body, headers=headers,
                                allow_nonstandard_methods=True)  # fmt: skip
            assert answer.code < 500 or answer.code == 503, (path, answer.code)
            assert answer.headers["Content-Type"].startswith("application/json")
            assert isinstance(json.loads(answer.body), dict), (method, path)

    def test_a_database_that_cannot_be_read_is_503_json(self):
        self.frontend.actor_ref.stop()  # nothing else has the file open now
        (self.data_dir / DB_FILENAME).write_bytes(b"damaged " * 2000)
        for path in ("/api/queue", "/api/recent"):
            code, body = self.request("GET", path)
            assert code == 503, path
            assert "damaged" in body["error"]

    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
    @given(
        route=st.sampled_from(ROUTES),
        method=st.sampled_from(["GET", "POST", "OPTIONS", "PUT", "HEAD"]),
        query=st.dictionaries(
            st.sampled_from(["uri", "limit", "offset", "state", "token", "x"]),
            st.text(max_size=30), max_size=3,
        ),
        body=st.one_of(
            st.binary(max_size=200),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                lambda inner: st.lists(inner, max_size=3)
                | st.dictionaries(st.sampled_from(["uri", "replace", "x"]), inner,
                                  max_size=3),
                max_leaves=10,
            ).map(lambda v: json.dumps(v).encode()),
        ),
        headers=st.dictionaries(
            st.sampled_from(["Origin", "Content-Type", "Sec-Fetch-Site", "Accept"]),
            st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=40),
            max_size=3,
        ),
    )  # fmt: skip
    def test_any_request_to_any_route_is_answered_in_json_and_never_500(
        self, route, method, query, body, headers
    ):
        path = route + ("?" + urllib.parse.urlencode(query) if query else "")
        answer = self.fetch(
            path, method=method, headers=headers, allow_nonstandard_methods=True,
            body=body if method in ("POST", "PUT") else None,
        )  # fmt: skip
        assert answer.code < 500 or answer.code == 503, (method, path, answer.code)
        if method != "HEAD" and answer.code != 204:
            assert isinstance(json.loads(answer.body), dict)
        assert self.request("GET", "/api/queue")[0] == 200  # Mopidy keeps serving

    # 6. Bodies: refused by their size before they are read; no cross-site forms.

    def test_a_huge_body_is_refused_by_its_announced_size_before_it_is_sent(self):
        async def send_headers_only():
            stream = await tornado.tcpclient.TCPClient().connect(
                "127.0.0.1", self.get_http_port()
            )
            await stream.write(
                b"POST /api/love HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 104857600\r\n\r\n"
            )
            head = await stream.read_until(b"\r\n\r\n")
            stream.close()
            return head

        head = self.io_loop.run_sync(send_headers_only, timeout=10)
        assert head.startswith(b"HTTP/1.1 413")

    def test_a_cross_site_form_post_does_nothing(self):
        form = {"Content-Type": "text/plain"}
        raw = json.dumps({"uri": "local:track:1"}).encode()
        assert self.request("POST", "/api/love", raw=raw, headers=form)[0] == 415
        code, body = self.request("GET", "/api/track?uri=local:track:1")
        assert (code, body["loved"]) == (200, False)

    # 7. Headers.

    def test_answers_carry_the_security_headers(self):
        for path in ("/api/status", "/api/nope", "/", "/app.js", "/auth/callback/x"):
            answer = self.fetch(path, headers=JSON)
            headers = answer.headers
            assert headers["X-Content-Type-Options"] == "nosniff", path
            assert headers["X-Frame-Options"] == "DENY", path
            assert headers["Referrer-Policy"] == "no-referrer", path
            assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        page = self.fetch("/").headers["Content-Security-Policy"]
        assert "default-src 'self'" in page
        assert "unsafe-inline" not in page
        for path in ("/api/status", "/auth/callback/x"):
            assert self.fetch(path, headers=JSON).headers["Cache-Control"] == (
                "no-store"
            )

    # 9. Limits on what we return.

    def test_absurdly_long_names_are_cut_in_answers(self):
        self.frontend.delivery.get().stop()  # the entry stays queued
        store = Store.open(self.data_dir, 1_700_000_000)
        store.queue.enqueue(NewScrobble("A" * 5000, "T" * 5000, 1_700_000_000), 1.0)
        store.close()
        _, body = self.request("GET", "/api/queue")
        [entry] = body["entries"]
        assert len(entry["artist"]) == MAX_TEXT_CHARS
        assert entry["artist"].endswith("\u2026")
