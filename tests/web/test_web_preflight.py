"""The CORS preflight lists, for each route of the JSON API, the methods that
route takes: a browser on another allowed origin may edit, hold and delete
queued plays and corrections, and is told so; nothing it lists answers 405."""

from __future__ import annotations

from .case import WebCase

ORIGIN = "http://client.example:8080"
# Route: the methods it takes (besides OPTIONS, the preflight itself).
METHODS = {
    "/api/status": {"GET"},
    "/api/queue": {"GET"},
    "/api/queue/1": {"PUT", "DELETE"},
    "/api/queue/1/hold": {"POST"},
    "/api/queue/1/release": {"POST"},
    "/api/recent": {"GET"},
    "/api/retry": {"POST"},
    "/api/love": {"POST"},
    "/api/track": {"GET", "POST"},
    "/api/corrections": {"GET", "POST"},
    "/api/corrections/1": {"PUT", "DELETE"},
    "/api/private": {"GET", "POST"},
    "/api/charts": {"GET"},
    "/api/health": {"GET"},
    "/metrics": {"GET"},
    "/api/history": {"GET"},
}


class PreflightTest(WebCase):
    def preflight(self, path: str, method: str) -> set[str]:
        headers = {"Origin": ORIGIN, "Access-Control-Request-Method": method,
                   "Access-Control-Request-Headers": "content-type"}  # fmt: skip
        answer = self.fetch(path, method="OPTIONS", headers=headers)
        assert answer.code == 204, path
        assert answer.headers["Access-Control-Allow-Origin"] == ORIGIN
        listed = answer.headers["Access-Control-Allow-Methods"].split(",")
        return {m.strip() for m in listed}

    def test_the_preflight_lists_the_methods_each_route_takes(self):
        self.context_of_app().allowed_origins = {"client.example:8080"}
        for path, methods in METHODS.items():
            for method in methods:
                assert self.preflight(path, method) == methods | {"OPTIONS"}, path
                # From the page's own origin, without a body: refused or
                # answered, never "method not allowed".
                answer = self.fetch(path, method=method, headers={},
                                    body=b"" if method in ("POST", "PUT") else None,
                                    allow_nonstandard_methods=True)  # fmt: skip
                assert answer.code != 405, (path, method)
