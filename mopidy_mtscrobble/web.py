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
    NotReadyError,
    StorageError,
    TokenExpiredError,
    TokenNotAuthorizedError,
    TrackError,
)

logger = logging.getLogger(__name__)

LOGIN_TIMEOUT_S = 60.0
FRONTEND_TIMEOUT_S = 5.0
# A love waits for a library lookup, which a slow backend may take a while for.
LOVE_TIMEOUT_S = 20.0
MAX_BODY_BYTES = 64 * 1024
NOT_RUNNING = "Mopidy-MTScrobble is not running (see Mopidy's log)"


def factory(config: Mapping[str, Any], core: Any) -> list[tuple]:
    http = config.get("http") or {}
    options = {
        "csrf_protection": http.get("csrf_protection", True),
        "allowed_origins": {o.lower() for o in http.get("allowed_origins") or ()},
    }
    return [
        (r"/auth/callback", AuthCallbackHandler, {}),
        (r"/api/retry", RetryHandler, options),
        (r"/api/import-loved", ImportHandler, {**options, "kind": "loved"}),
        (r"/api/sync-playcounts", ImportHandler, {**options, "kind": "playcounts"}),
        (r"/api/love", LoveHandler, {**options, "love": True}),
        (r"/api/unlove", LoveHandler, {**options, "love": False}),
        (r"/api/track", TrackHandler, options),
    ]


def find_frontend():
    """A proxy of the running frontend, or None."""
    from .frontend import MTScrobbleFrontend

    refs = pykka.ActorRegistry.get_by_class(MTScrobbleFrontend)
    return refs[0].proxy() if refs else None


def find_delivery():
    """The running delivery side, or None (extension not running or starting)."""
    frontend = find_frontend()
    if frontend is None:
        return None
    try:
        return frontend.delivery.get(timeout=FRONTEND_TIMEOUT_S)
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

    def json_body(self, fields: Mapping[str, type]) -> dict[str, Any] | None:
        """The request's JSON object, checked; None after answering 4xx."""
        raw = self.request.body or b"{}"
        if len(raw) > MAX_BODY_BYTES:
            self.fail(413, f"The request body is over {MAX_BODY_BYTES} bytes")
            return None
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, ValueError):
            self.fail(400, "The request body is not valid JSON")
            return None
        if not isinstance(body, dict):
            self.fail(400, "The request body must be a JSON object")
            return None
        unknown = sorted(set(body) - set(fields))
        if unknown:
            self.fail(400, f"Unknown field(s): {', '.join(unknown)}")
            return None
        for name, kind in fields.items():
            if body.get(name) is not None and not isinstance(body[name], kind):
                self.fail(400, f"'{name}' must be a {_json_type(kind)}")
                return None
        return body

    def ask_frontend(self, method: str, *args: Any, timeout_s: float) -> Any:
        """Call the frontend; on failure answer the error and return None."""
        frontend = find_frontend()
        if frontend is None:
            self.fail(503, NOT_RUNNING)
            return None
        try:
            return getattr(frontend, method)(*args).get(timeout=timeout_s)
        except TrackError as exc:
            self.fail(exc.http_status, str(exc))
        except (NotReadyError, StorageError) as exc:
            self.fail(503, str(exc))
        except pykka.ActorDeadError:
            self.fail(503, NOT_RUNNING)
        except pykka.Timeout:
            self.fail(504, "Mopidy did not answer in time; try again")
        return None

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


class ImportHandler(JsonHandler):
    """POST {}: import the loved tracks, or sync the play counts, again."""

    def initialize(self, kind: str, **options: Any) -> None:
        super().initialize(**options)
        self.kind = kind

    def post(self) -> None:
        if self.json_body({}) is None:
            return
        started = self.ask_frontend(
            "start_import", self.kind, timeout_s=FRONTEND_TIMEOUT_S
        )
        if started is None:
            return
        if not started:
            what = "loved tracks" if self.kind == "loved" else "play counts"
            self.fail(409, f"An import of {what} is already running")
            return
        self.answer(202, {"importing": True})


class LoveHandler(JsonHandler):
    """POST {"uri": "..."} (or {} for the current track): love or unlove it."""

    def initialize(self, love: bool, **options: Any) -> None:
        super().initialize(**options)
        self.love = love

    def post(self) -> None:
        body = self.json_body({"uri": str})
        if body is None:
            return
        uri = (body.get("uri") or "").strip() or None
        method = "love" if self.love else "unlove"
        result = self.ask_frontend(method, uri, timeout_s=LOVE_TIMEOUT_S)
        if result is not None:
            self.answer(200, _love_answer(result))


class TrackHandler(JsonHandler):
    """GET ?uri=...: whether that track is loved, and its play count."""

    def get(self) -> None:
        uri = self.get_query_argument("uri", "").strip()
        if not uri:
            self.fail(400, "Give the track's URI: ?uri=...")
            return
        info = self.ask_frontend("track_info", uri, timeout_s=LOVE_TIMEOUT_S)
        if info is not None:
            self.answer(
                200,
                {
                    "uri": info.uri,
                    "artist": info.artist,
                    "track": info.track,
                    "loved": info.loved,
                    "playcount": info.playcount,
                },
            )


def _love_answer(result: Any) -> dict[str, Any]:
    return {
        "loved": result.loved,
        "uri": result.uri,
        "artist": result.artist,
        "track": result.track,
    }


def _json_type(kind: type) -> str:
    return {str: "string", int: "number", bool: "boolean"}.get(kind, kind.__name__)


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
