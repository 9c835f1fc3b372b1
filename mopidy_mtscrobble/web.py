"""The HTTP app under /mtscrobble/: the login callback and the JSON API.

Handlers never call Last.fm themselves: they ask the delivery side, which runs
in the frontend actor's care.
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
import urllib.parse
from collections.abc import Mapping
from typing import Any

import pykka
import tornado.web

from .errors import (
    LastfmError,
    MTScrobbleError,
    TokenExpiredError,
    TokenNotAuthorizedError,
)

logger = logging.getLogger(__name__)

LOGIN_TIMEOUT_S = 60.0
FRONTEND_TIMEOUT_S = 5.0


def factory(config: Mapping[str, Any], core: Any) -> list[tuple]:
    http = config.get("http") or {}
    options = {
        "csrf_protection": http.get("csrf_protection", True),
        "allowed_origins": {o.lower() for o in http.get("allowed_origins") or ()},
    }
    return [
        (r"/auth/callback", AuthCallbackHandler, {}),
        (r"/api/retry", RetryHandler, options),
    ]


def find_delivery():
    """The running delivery side, or None (extension not running or starting)."""
    from .frontend import MTScrobbleFrontend

    refs = pykka.ActorRegistry.get_by_class(MTScrobbleFrontend)
    if not refs:
        return None
    try:
        return refs[0].proxy().delivery.get(timeout=FRONTEND_TIMEOUT_S)
    except (pykka.ActorDeadError, pykka.Timeout):
        return None


def origin_allowed(origin: str | None, host: str | None, allowed: set[str]) -> bool:
    """Mopidy's rule: no Origin (not a browser) or one of this host's, or allowed."""
    if origin is None:
        return True
    netloc = urllib.parse.urlsplit(origin).netloc.lower()
    return not netloc or netloc == (host or "").lower() or netloc in allowed


class JsonHandler(tornado.web.RequestHandler):
    """JSON answers; changing requests need a JSON body from an allowed origin."""

    def initialize(self, csrf_protection: bool, allowed_origins: set[str]) -> None:
        self.csrf_protection = csrf_protection
        self.allowed_origins = allowed_origins

    def set_default_headers(self) -> None:
        self.set_header("Cache-Control", "no-cache")

    def prepare(self) -> None:
        if self.request.method != "POST" or not self.csrf_protection:
            return
        content_type = self.request.headers.get("Content-Type", "").split(";")[0]
        if content_type.strip() != "application/json":
            self.fail(415, "Content-Type must be application/json")
            return
        origin = self.request.headers.get("Origin")
        if not origin_allowed(origin, self.request.host, self.allowed_origins):
            logger.warning(
                "Refused a request to %s from origin %s", self.request.path, origin
            )
            self.fail(
                403,
                f"Requests from {origin} are not allowed: add it to "
                "[http] allowed_origins if you trust it",
            )

    def answer(self, status: int, body: Mapping[str, Any]) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(body))

    def fail(self, status: int, message: str) -> None:
        self.answer(status, {"error": message})


class RetryHandler(JsonHandler):
    def post(self) -> None:
        delivery = find_delivery()
        if delivery is None:
            self.fail(503, "Mopidy-MTScrobble is not running (see Mopidy's log)")
            return
        delivery.retry_now()
        self.answer(202, {"retrying": True})


class AuthCallbackHandler(tornado.web.RequestHandler):
    """Where the network's authorization page sends the browser back: ?token=..."""

    async def get(self) -> None:
        token = self.get_query_argument("token", "").strip()
        if not token:
            self.page(
                400,
                "No token came back from the authorization page. "
                "Start the login again.",
            )
            return
        delivery = find_delivery()
        if delivery is None:
            self.page(503, "Mopidy-MTScrobble is not running; see Mopidy's log.")
            return
        future = delivery.login_with_token(token)
        try:
            session = await asyncio.wait_for(
                asyncio.wrap_future(future), LOGIN_TIMEOUT_S
            )
        except TokenNotAuthorizedError:
            self.page(
                403,
                "Access was not allowed. Start the login again and "
                "choose 'Yes, allow access'.",
            )
        except TokenExpiredError:
            self.page(403, "The authorization expired. Start the login again.")
        except (LastfmError, MTScrobbleError) as exc:
            self.page(502, f"Logging in failed: {exc}")
        except TimeoutError:
            self.page(504, "The server did not answer in time. Try again later.")
        else:
            self.page(
                200,
                f"Connected to {delivery.settings.network_name} as "
                f"{session.username}. You can close this page.",
            )

    def page(self, status: int, message: str) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.set_header("Cache-Control", "no-cache")
        self.finish(
            '<!DOCTYPE html><html><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width">'
            "<title>Mopidy-MTScrobble</title></head><body>"
            f"<p>{html.escape(message)}</p></body></html>"
        )
